"""Field work: door-knock visits (网格敲门), inspections of places (打非治违) and
service stations (便民服务驿站).

Grids, households, places and users belong to other apps; what field work adds
(visit plans, seal state, schedules, the special team, stations' items) lives
here, next to them, in tables of its own.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wangge.grids.models import Grid, Place, PlaceKind, Town, Village
from wangge.residents.models import Household
from wangge.staff.scope import ScopedQuerySet

# The brief: "早上提前一小时，午间推迟一小时" — knock while people are home for
# breakfast and for lunch.
DEFAULT_WINDOWS = [
    {"label": "早饭时间", "start": "06:30", "end": "07:30"},
    {"label": "午饭时间", "start": "12:00", "end": "13:30"},
]
DEFAULT_VISIT_INTERVAL_DAYS = 30

# Places the special team watches, and how often each kind is inspected by default.
WATCHED_KINDS = (PlaceKind.SEALED_ADIT, PlaceKind.SERVICE_VENUE, PlaceKind.ENTERPRISE)
DEFAULT_INSPECTION_DAYS = {
    PlaceKind.SEALED_ADIT: 30,
    PlaceKind.SERVICE_VENUE: 90,
    PlaceKind.ENTERPRISE: 30,
}


def default_windows():
    return [dict(w) for w in DEFAULT_WINDOWS]


def _groups_of(user_ids):
    """Ids of the team groups these users belong to, as a subquery (a join through the
    members would repeat a row once per member)."""
    return TeamGroup.members.through.objects.filter(user_id__in=sorted(user_ids)).values(
        "teamgroup_id"
    )


# --- Door-knock visits ---------------------------------------------------------


class VisitPlan(models.Model):
    """How often each household of a grid is visited, and when people are home."""

    town = models.ForeignKey(Town, models.PROTECT, related_name="+", verbose_name=_("town"))
    grid = models.OneToOneField(
        Grid, models.CASCADE, related_name="visit_plan", verbose_name=_("grid")
    )
    interval_days = models.PositiveSmallIntegerField(
        _("visit every (days)"),
        default=DEFAULT_VISIT_INTERVAL_DAYS,
        help_text=_("Every household is visited at least this often."),
    )
    windows = models.JSONField(
        _("visiting windows"),
        default=default_windows,
        help_text=_('A list of {"label": …, "start": "HH:MM", "end": "HH:MM"}.'),
    )

    objects = ScopedQuerySet.as_manager()
    scope_lookups = {"town": "town_id", "village": "grid__village_id", "grid": "grid_id"}

    class Meta:
        verbose_name = _("visit plan")
        verbose_name_plural = _("visit plans")

    def __str__(self):
        return str(self.grid)


class Visit(models.Model):
    """One door-knock visit of one household (网格员 + 调解员 + 督办员)."""

    town = models.ForeignKey(Town, models.PROTECT, related_name="+", verbose_name=_("town"))
    village = models.ForeignKey(
        Village, models.PROTECT, related_name="+", verbose_name=_("village")
    )
    grid = models.ForeignKey(Grid, models.PROTECT, related_name="+", verbose_name=_("grid"))
    household = models.ForeignKey(
        Household, models.CASCADE, related_name="visits", verbose_name=_("household")
    )
    visited_at = models.DateTimeField(_("visited at"))
    visited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="+",
        verbose_name=_("grid worker"),
    )
    mediator = models.CharField(_("mediator"), max_length=50, blank=True)
    supervisor = models.CharField(_("supervisor"), max_length=50, blank=True)
    nobody_home = models.BooleanField(_("nobody at home"), default=False)
    in_window = models.BooleanField(_("within a visiting window"), default=False)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    cases = models.ManyToManyField(
        "cases.Case", blank=True, related_name="visits", verbose_name=_("cases opened")
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_lookups = {"town": "town_id", "village": "village_id", "grid": "grid_id"}

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-visited_at"]
        indexes = [
            models.Index(fields=["household", "visited_at"]),
            models.Index(fields=["town", "visited_at"]),
            models.Index(fields=["grid", "visited_at"]),
        ]

    def __str__(self):
        return f"{self.household} {self.visited_at:%Y-%m-%d}"


# --- Inspections (打非治违) ----------------------------------------------------


class InspectionSchedule(models.Model):
    """How often places of one kind are inspected in a town (adits monthly by default)."""

    town = models.ForeignKey(Town, models.CASCADE, related_name="+", verbose_name=_("town"))
    kind = models.CharField(_("kind of place"), max_length=20, choices=PlaceKind.choices)
    interval_days = models.PositiveSmallIntegerField(_("inspect every (days)"))

    objects = ScopedQuerySet.as_manager()
    scope_lookups = {"town": "town_id"}

    class Meta:
        verbose_name = _("inspection schedule")
        verbose_name_plural = _("inspection schedules")
        constraints = [
            models.UniqueConstraint(fields=["town", "kind"], name="schedule_unique_kind"),
            models.CheckConstraint(condition=Q(interval_days__gte=1), name="schedule_interval"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.interval_days}"


class TeamGroup(models.Model):
    """One group of the town's special team (打非治违专班, 16 people in 4 groups)."""

    town = models.ForeignKey(Town, models.PROTECT, related_name="+", verbose_name=_("town"))
    name = models.CharField(_("name"), max_length=50)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("group leader"),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="team_groups", verbose_name=_("members")
    )
    sort = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = ScopedQuerySet.as_manager()
    # "user" last, as the finest level: the town's command centre sees every group,
    # a member their own; a grid worker of the town (town as an ancestor) none.
    scope_lookups = {"town": "town_id", "user": lambda ids: Q(pk__in=_groups_of(ids))}

    class Meta:
        verbose_name = _("team group")
        verbose_name_plural = _("team groups")
        ordering = ["town", "sort", "name"]

    def __str__(self):
        return self.name


class RotaDay(models.Model):
    """Which group is on duty on a day (值班)."""

    town = models.ForeignKey(Town, models.CASCADE, related_name="+", verbose_name=_("town"))
    day = models.DateField(_("day"))
    group = models.ForeignKey(
        TeamGroup, models.CASCADE, related_name="rota", verbose_name=_("group")
    )
    note = models.CharField(_("note"), max_length=100, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_lookups = {"town": "town_id"}

    class Meta:
        verbose_name = _("rota day")
        verbose_name_plural = _("rota")
        ordering = ["day"]
        constraints = [models.UniqueConstraint(fields=["town", "day"], name="rota_unique_day")]

    def __str__(self):
        return f"{self.day} {self.group}"


class SealState(models.TextChoices):
    SEALED = "sealed", _("sealed, intact")
    DAMAGED = "damaged", _("seal damaged")
    BREACHED = "breached", _("seal breached")


class PlaceWatch(models.Model):
    """What the special team keeps about a watched place: its group, seal state, last check."""

    town = models.ForeignKey(Town, models.PROTECT, related_name="+", verbose_name=_("town"))
    place = models.OneToOneField(
        Place, models.CASCADE, related_name="watch", verbose_name=_("place")
    )
    group = models.ForeignKey(
        TeamGroup,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="places",
        verbose_name=_("team group"),
    )
    seal_state = models.CharField(
        _("seal state"), max_length=10, choices=SealState.choices, blank=True
    )
    seal_checked_at = models.DateTimeField(_("seal checked"), null=True, blank=True)
    last_inspected_at = models.DateTimeField(_("last inspected"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_lookups = {
        "user": lambda ids: Q(group_id__in=_groups_of(ids)),
        "town": "place__town_id",
        "village": "place__village_id",
        "grid": "place__grid_id",
    }

    class Meta:
        verbose_name = _("watched place")
        verbose_name_plural = _("watched places")

    def __str__(self):
        return str(self.place)


class InspectionRound(models.Model):
    """A group's (or one person's) round of inspections on one day."""

    town = models.ForeignKey(Town, models.PROTECT, related_name="+", verbose_name=_("town"))
    day = models.DateField(_("day"))
    group = models.ForeignKey(
        TeamGroup,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="rounds",
        verbose_name=_("group"),
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("started by")
    )

    objects = ScopedQuerySet.as_manager()
    scope_lookups = {
        "town": "town_id",
        "user": lambda ids: Q(group_id__in=_groups_of(ids)) | Q(started_by__in=sorted(ids)),
    }

    class Meta:
        verbose_name = _("inspection round")
        verbose_name_plural = _("inspection rounds")
        ordering = ["-day", "-id"]
        indexes = [models.Index(fields=["town", "day"])]

    def __str__(self):
        return f"{self.day} {self.group or self.started_by}"


class Inspection(models.Model):
    """A check-in at a place, made on site (GPS within the radius)."""

    town = models.ForeignKey(Town, models.PROTECT, related_name="+", verbose_name=_("town"))
    village = models.ForeignKey(
        Village, models.PROTECT, related_name="+", verbose_name=_("village")
    )
    grid = models.ForeignKey(Grid, models.PROTECT, related_name="+", verbose_name=_("grid"))
    place = models.ForeignKey(
        Place, models.CASCADE, related_name="inspections", verbose_name=_("place")
    )
    round = models.ForeignKey(
        InspectionRound,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="inspections",
        verbose_name=_("round"),
    )
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("inspector")
    )
    checked_in_at = models.DateTimeField(_("checked in at"))
    latitude = models.FloatField(_("latitude"))
    longitude = models.FloatField(_("longitude"))
    distance_m = models.FloatField(_("distance from the place (m)"))
    seal_state = models.CharField(
        _("seal state found"), max_length=10, choices=SealState.choices, blank=True
    )
    notes = models.TextField(_("notes"), blank=True)
    cases = models.ManyToManyField(
        "cases.Case", blank=True, related_name="inspections", verbose_name=_("cases opened")
    )

    objects = ScopedQuerySet.as_manager()
    scope_lookups = {
        "user": lambda ids: Q(place__watch__group_id__in=_groups_of(ids)),
        "town": "town_id",
        "village": "village_id",
        "grid": "grid_id",
    }

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["-checked_in_at"]
        indexes = [
            models.Index(fields=["place", "checked_in_at"]),
            models.Index(fields=["town", "checked_in_at"]),
        ]

    def __str__(self):
        return f"{self.place} {self.checked_in_at:%Y-%m-%d}"


class InspectionPhoto(models.Model):
    """A photo taken at a check-in (the seal, the venue's exits …)."""

    inspection = models.ForeignKey(
        Inspection, models.CASCADE, related_name="photos", verbose_name=_("inspection")
    )
    file = models.FileField(_("file"), upload_to="fieldwork/%Y/%m/")
    content_type = models.CharField(max_length=40)

    class Meta:
        verbose_name = _("inspection photo")
        verbose_name_plural = _("inspection photos")

    def __str__(self):
        return self.file.name


# --- Service stations (便民服务驿站) ------------------------------------------


class ServiceStation(models.Model):
    """A service station: the service items it offers and when it is open."""

    town = models.ForeignKey(Town, models.PROTECT, related_name="+", verbose_name=_("town"))
    place = models.OneToOneField(
        Place, models.CASCADE, related_name="station", verbose_name=_("place")
    )
    opening_hours = models.CharField(_("opening hours"), max_length=120, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    items = models.ManyToManyField(
        "cases.Category",
        blank=True,
        related_name="stations",
        limit_choices_to={"kind": "service"},
        verbose_name=_("service items"),
    )

    objects = ScopedQuerySet.as_manager()
    scope_lookups = {
        "town": "place__town_id",
        "village": "place__village_id",
        "grid": "place__grid_id",
    }

    class Meta:
        verbose_name = _("service station")
        verbose_name_plural = _("service stations")
        ordering = ["place__name"]

    def __str__(self):
        return str(self.place)
