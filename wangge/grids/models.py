"""The place tree: town → village → grid → micro-grid, with hamlets, groups and places.

Codes follow the statistics bureau (DESIGN §5a): a village has 12 digits
(6-digit county + 3-digit township + 3-digit village), a grid its village's
12 digits and a 3-digit sequence (basic from 001, special from 901).
Boundaries are GeoJSON geometries in WGS84 (lon, lat).
"""

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from wangge.staff.scope import ScopedQuerySet

county_code_validator = RegexValidator(r"^\d{6}$", _("A county code has 6 digits."))
admin_code_validator = RegexValidator(r"^\d{12}$", _("An administrative code has 12 digits."))
grid_code_validator = RegexValidator(r"^\d{15}$", _("A grid code has 15 digits."))


class Town(models.Model):
    name = models.CharField(_("name"), max_length=50)
    code = models.CharField(
        _("code"), max_length=12, unique=True, validators=[admin_code_validator]
    )
    county_code = models.CharField(
        _("county code"), max_length=6, validators=[county_code_validator]
    )
    county_name = models.CharField(_("county"), max_length=50)
    # Prefix of human case numbers, e.g. DT (德亭).
    case_prefix = models.CharField(_("case number prefix"), max_length=8, default="WG")
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    area_km2 = models.FloatField(_("area (km²)"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_lookups = {"county": "county_code", "town": "id"}

    class Meta:
        verbose_name = _("town")
        verbose_name_plural = _("towns")
        ordering = ["code"]

    def __str__(self):
        return self.name


class VillageKind(models.TextChoices):
    VILLAGE = "village", _("village")
    COMMUNITY = "community", _("community")


class Village(models.Model):
    town = models.ForeignKey(Town, models.PROTECT, related_name="villages", verbose_name=_("town"))
    name = models.CharField(_("name"), max_length=50)
    code = models.CharField(
        _("code"), max_length=12, unique=True, validators=[admin_code_validator]
    )
    kind = models.CharField(
        _("kind"), max_length=12, choices=VillageKind.choices, default=VillageKind.VILLAGE
    )
    boundary = models.JSONField(_("boundary (GeoJSON)"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_lookups = {"town": "town_id", "village": "id"}

    class Meta:
        verbose_name = _("village / community")
        verbose_name_plural = _("villages / communities")
        ordering = ["code"]

    def __str__(self):
        return self.name


class Hamlet(models.Model):
    """自然村: a natural village, a place name within an administrative village."""

    town = models.ForeignKey(Town, models.PROTECT, related_name="+", verbose_name=_("town"))
    village = models.ForeignKey(
        Village, models.CASCADE, related_name="hamlets", verbose_name=_("village")
    )
    name = models.CharField(_("name"), max_length=50)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_lookups = {"town": "town_id", "village": "village_id"}

    class Meta:
        verbose_name = _("hamlet")
        verbose_name_plural = _("hamlets")
        ordering = ["village", "name"]
        constraints = [
            models.UniqueConstraint(fields=["village", "name"], name="hamlet_unique_name")
        ]

    def __str__(self):
        return f"{self.village.name}·{self.name}"


class VillagerGroup(models.Model):
    """村民小组: numbered within its village (一组, 二组 …)."""

    town = models.ForeignKey(Town, models.PROTECT, related_name="+", verbose_name=_("town"))
    village = models.ForeignKey(
        Village, models.CASCADE, related_name="groups", verbose_name=_("village")
    )
    number = models.PositiveSmallIntegerField(_("number"))
    name = models.CharField(_("name"), max_length=50)
    hamlet = models.ForeignKey(
        Hamlet,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="groups",
        verbose_name=_("hamlet"),
    )

    objects = ScopedQuerySet.as_manager()
    scope_lookups = {"town": "town_id", "village": "village_id"}

    class Meta:
        verbose_name = _("villager group")
        verbose_name_plural = _("villager groups")
        ordering = ["village", "number"]
        constraints = [
            models.UniqueConstraint(fields=["village", "number"], name="group_unique_number")
        ]

    def __str__(self):
        return f"{self.village.name}{self.name}"


class GridKind(models.TextChoices):
    BASIC = "basic", _("basic grid")
    SPECIAL = "special", _("special grid")


class Grid(models.Model):
    town = models.ForeignKey(Town, models.PROTECT, related_name="grids", verbose_name=_("town"))
    village = models.ForeignKey(
        Village, models.PROTECT, related_name="grids", verbose_name=_("village")
    )
    code = models.CharField(_("code"), max_length=15, unique=True, validators=[grid_code_validator])
    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(
        _("kind"), max_length=10, choices=GridKind.choices, default=GridKind.BASIC
    )
    # What a special grid covers: mine area, enterprise, school, market, resettlement community.
    special_subject = models.CharField(_("special subject"), max_length=50, blank=True)
    boundary = models.JSONField(_("boundary (GeoJSON)"))
    area_km2 = models.FloatField(_("area (km²)"), default=0)
    centroid_lat = models.FloatField(_("centroid latitude"), default=0)
    centroid_lon = models.FloatField(_("centroid longitude"), default=0)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_lookups = {"town": "town_id", "village": "village_id", "grid": "id"}

    class Meta:
        verbose_name = _("grid")
        verbose_name_plural = _("grids")
        ordering = ["code"]

    def __str__(self):
        return f"{self.name}（{self.code}）"


class MicroGrid(models.Model):
    town = models.ForeignKey(Town, models.PROTECT, related_name="+", verbose_name=_("town"))
    grid = models.ForeignKey(
        Grid, models.CASCADE, related_name="micro_grids", verbose_name=_("grid")
    )
    code = models.CharField(_("code"), max_length=18, unique=True)
    name = models.CharField(_("name"), max_length=80)
    boundary = models.JSONField(_("boundary (GeoJSON)"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_lookups = {
        "town": "town_id",
        "village": "grid__village_id",
        "grid": "grid_id",
        "micro_grid": "id",
    }

    class Meta:
        verbose_name = _("micro-grid")
        verbose_name_plural = _("micro-grids")
        ordering = ["code"]

    def __str__(self):
        return self.name


class PlaceKind(models.TextChoices):
    SEALED_ADIT = "sealed_adit", _("sealed mine adit")
    SERVICE_VENUE = "service_venue", _("service venue")
    ENTERPRISE = "enterprise", _("enterprise")
    SCHOOL = "school", _("school")
    SERVICE_STATION = "service_station", _("service station")
    CLINIC = "clinic", _("clinic")
    CAMERA = "camera", _("surveillance camera")
    OTHER = "other", _("other")


class Place(models.Model):
    town = models.ForeignKey(Town, models.PROTECT, related_name="places", verbose_name=_("town"))
    village = models.ForeignKey(
        Village, models.PROTECT, related_name="places", verbose_name=_("village")
    )
    grid = models.ForeignKey(Grid, models.PROTECT, related_name="places", verbose_name=_("grid"))
    kind = models.CharField(_("kind"), max_length=20, choices=PlaceKind.choices)
    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=40, blank=True)
    latitude = models.FloatField(_("latitude"))
    longitude = models.FloatField(_("longitude"))
    address = models.CharField(_("address"), max_length=200, blank=True)
    # Kind-specific facts (seal state of an adit, licence of an enterprise …).
    details = models.JSONField(_("details"), default=dict, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_lookups = {"town": "town_id", "village": "village_id", "grid": "grid_id"}

    class Meta:
        verbose_name = _("place")
        verbose_name_plural = _("places")
        ordering = ["town", "kind", "name"]
        indexes = [models.Index(fields=["town", "kind"])]

    def __str__(self):
        return self.name
