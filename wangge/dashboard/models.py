"""Daily roll-ups of case volume, maintained by `wangge.dashboard.rollups`.

They only make long series fast; every figure stays exact because the days a
roll-up may not know yet are read from the case rows (see rollups.py).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from wangge.grids.models import Town


class DailyCaseCount(models.Model):
    """Cases reported and closed on one local day in one town or village."""

    class Kind(models.TextChoices):
        TOWN = "town", _("town")
        VILLAGE = "village", _("village")

    town = models.ForeignKey(Town, models.CASCADE, related_name="+", verbose_name=_("town"))
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    # The id of the town or village.
    key = models.PositiveIntegerField(_("key"))
    day = models.DateField(_("day"))
    reported = models.PositiveIntegerField(_("reported"), default=0)
    closed = models.PositiveIntegerField(_("closed"), default=0)

    class Meta:
        verbose_name = _("daily case count")
        verbose_name_plural = _("daily case counts")
        constraints = [
            models.UniqueConstraint(fields=["kind", "key", "day"], name="daily_count_unique")
        ]
        indexes = [models.Index(fields=["town", "day"], name="daily_count_town_day")]

    def __str__(self):
        return f"{self.kind}:{self.key} {self.day} +{self.reported} -{self.closed}"


class RollupState(models.Model):
    """How far the roll-ups are: case rows updated before `watermark` are in them,
    for the days from `first_day` to `last_day`."""

    name = models.CharField(max_length=30, unique=True)
    watermark = models.DateTimeField(null=True, blank=True)
    first_day = models.DateField(null=True, blank=True)
    last_day = models.DateField(null=True, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.name} {self.watermark}"
