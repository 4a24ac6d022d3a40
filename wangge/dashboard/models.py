"""Roll-ups of the case rows, maintained by `wangge.dashboard.rollups`.

They only make figures fast; every figure stays exact because the days a
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


class DailyFlowCount(models.Model):
    """The counts behind the rates (`metrics.COUNT_KEYS`) of one local day, per
    village and grid (kind "place": all cases) or per lead department (kind
    "department": the cases a department leads). Each family is counted on its
    own day: the cohort on the report day, `closed…`/`level_…` on the close day,
    `resolved…` on the resolve day, `overdue_unresolved` on the resolve
    deadline's day, `rated…` on the rating day."""

    class Kind(models.TextChoices):
        PLACE = "place", _("place")
        DEPARTMENT = "department", _("department")

    town = models.ForeignKey(Town, models.CASCADE, related_name="+", verbose_name=_("town"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    day = models.DateField(_("day"))
    # Ids without foreign keys: a roll-up row never holds a place or unit back.
    village_id = models.PositiveIntegerField(null=True)
    grid_id = models.PositiveIntegerField(null=True)
    department_id = models.PositiveIntegerField(null=True)
    # The cohort (reported that day), in its state at the last refresh.
    reported = models.PositiveIntegerField(default=0)
    cancelled = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    merged = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    accepted_in_time = models.PositiveIntegerField(default=0)
    # Closed by the last refresh: a period's `cohort_closed` is this less those
    # closed after its end.
    cohort_closed = models.PositiveIntegerField(default=0)
    urges = models.PositiveIntegerField(default=0)
    emergencies = models.PositiveIntegerField(default=0)
    emergencies_accepted = models.PositiveIntegerField(default=0)
    emergencies_accepted_in_time = models.PositiveIntegerField(default=0)
    emergencies_on_scene = models.PositiveIntegerField(default=0)
    emergencies_on_scene_in_time = models.PositiveIntegerField(default=0)
    # Closed that day.
    closed = models.PositiveIntegerField(default=0)
    reworked = models.PositiveIntegerField(default=0)
    extended = models.PositiveIntegerField(default=0)
    returned = models.PositiveIntegerField(default=0)
    level_group = models.PositiveIntegerField(default=0)
    level_village = models.PositiveIntegerField(default=0)
    level_town = models.PositiveIntegerField(default=0)
    level_county = models.PositiveIntegerField(default=0)
    # Resolved that day.
    resolved = models.PositiveIntegerField(default=0)
    resolved_in_time = models.PositiveIntegerField(default=0)
    # Due that day and not resolved by the last refresh (not suspended, rejected,
    # merged or cancelled): a period's `overdue_unresolved` is this plus those
    # resolved after its end.
    overdue_unresolved = models.PositiveIntegerField(default=0)
    # Rated that day.
    rated = models.PositiveIntegerField(default=0)
    rated_satisfied = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("daily flow count")
        verbose_name_plural = _("daily flow counts")
        indexes = [
            models.Index(fields=["town", "kind", "day"], name="daily_flow_town_day"),
            models.Index(fields=["village_id", "day"], name="daily_flow_village_day"),
            models.Index(fields=["grid_id", "day"], name="daily_flow_grid_day"),
            models.Index(fields=["department_id", "day"], name="daily_flow_dept_day"),
        ]

    def __str__(self):
        return f"{self.day} {self.kind} {self.village_id}/{self.grid_id}/{self.department_id}"


class DailyBreakdown(models.Model):
    """A town's cases reported on one local day by category (the case's own),
    channel, hour of the day or village: the one-screen breakdowns."""

    class By(models.TextChoices):
        CATEGORY = "category", _("category")
        CHANNEL = "channel", _("channel")
        HOUR = "hour", _("hour")
        VILLAGE = "village", _("village")

    town = models.ForeignKey(Town, models.CASCADE, related_name="+", verbose_name=_("town"))
    day = models.DateField(_("day"))
    by = models.CharField(max_length=8, choices=By.choices)
    # The category, village or hour as text, or the channel; "" for none.
    key = models.CharField(max_length=20)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("daily breakdown")
        verbose_name_plural = _("daily breakdowns")
        indexes = [models.Index(fields=["town", "day"], name="daily_breakdown_town_day")]

    def __str__(self):
        return f"{self.day} {self.by}={self.key}: {self.count}"


class CaseStamp(models.Model):
    """What the roll-ups counted of one case at the last refresh: its local days
    (so a later change marks the days it was counted on as well as its new ones)
    and its durations (the town's percentiles read these instead of the rows)."""

    case_id = models.PositiveBigIntegerField(primary_key=True)
    town_id = models.PositiveIntegerField()
    reported_day = models.DateField()
    closed_day = models.DateField(null=True)
    resolved_day = models.DateField(null=True)
    due_day = models.DateField(null=True)
    rated_day = models.DateField(null=True)
    # Minutes from report to acceptance; to on-scene arrival (emergencies); to
    # the (last) resolution less the paused minutes (not rejected, merged, cancelled).
    accept_minutes = models.FloatField(null=True)
    on_scene_minutes = models.FloatField(null=True)
    resolve_minutes = models.FloatField(null=True)

    class Meta:
        verbose_name = _("case stamp")
        verbose_name_plural = _("case stamps")
        indexes = [
            # Covering: a percentile reads the index, never the table.
            models.Index(fields=["town_id", "reported_day", "accept_minutes"], name="stamp_accept"),
            models.Index(
                fields=["town_id", "resolved_day", "resolve_minutes"], name="stamp_resolve"
            ),
            models.Index(
                fields=["town_id", "reported_day", "on_scene_minutes"],
                name="stamp_on_scene",
                condition=models.Q(on_scene_minutes__isnull=False),
            ),
        ]

    def __str__(self):
        return f"case {self.case_id} {self.reported_day}"


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
