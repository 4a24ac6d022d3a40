"""Households and residents, with personal data encrypted at rest (DESIGN §7)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wangge.grids.models import Grid, Hamlet, MicroGrid, Town, Village, VillagerGroup
from wangge.residents import pii
from wangge.residents.validators import (
    birth_date_from_id_number,
    gender_from_id_number,
    normalise_id_number,
    normalise_phone,
    validate_id_number,
    validate_phone,
)
from wangge.staff.scope import ScopedQuerySet


class Tag(models.Model):
    """A label for people who need attention (重点人群): 脱贫户, 独居老人, 留守儿童 …"""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=40, unique=True)
    vulnerable = models.BooleanField(
        _("vulnerable"), default=False, help_text=_("Visited first on door-knock rounds.")
    )

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["code"]

    def __str__(self):
        return self.name


class Household(models.Model):
    town = models.ForeignKey(Town, models.PROTECT, related_name="+", verbose_name=_("town"))
    village = models.ForeignKey(
        Village, models.PROTECT, related_name="households", verbose_name=_("village")
    )
    grid = models.ForeignKey(
        Grid, models.PROTECT, related_name="households", verbose_name=_("grid")
    )
    micro_grid = models.ForeignKey(
        MicroGrid,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="households",
        verbose_name=_("micro-grid"),
    )
    hamlet = models.ForeignKey(
        Hamlet, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("hamlet")
    )
    group = models.ForeignKey(
        VillagerGroup,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="households",
        verbose_name=_("villager group"),
    )
    number = models.CharField(_("household number"), max_length=30)
    address = models.CharField(_("address"), max_length=200)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    tags = models.ManyToManyField(
        Tag, blank=True, related_name="households", verbose_name=_("tags")
    )
    is_party_central = models.BooleanField(_("party-member central household"), default=False)
    served_by = models.ForeignKey(
        "self",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="served_households",
        limit_choices_to={"is_party_central": True},
        verbose_name=_("served by central household"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_lookups = {
        "town": "town_id",
        "village": "village_id",
        "grid": "grid_id",
        "micro_grid": "micro_grid_id",
    }

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["town", "number"], name="household_unique_number")
        ]
        indexes = [models.Index(fields=["grid", "number"])]

    def __str__(self):
        return f"{self.number} {self.address}"


class Gender(models.TextChoices):
    MALE = "male", _("male")
    FEMALE = "female", _("female")


class Relation(models.TextChoices):
    HEAD = "head", _("head of household")
    SPOUSE = "spouse", _("spouse")
    CHILD = "child", _("child")
    CHILD_IN_LAW = "child_in_law", _("child-in-law")
    GRANDCHILD = "grandchild", _("grandchild")
    PARENT = "parent", _("parent")
    SIBLING = "sibling", _("sibling")
    OTHER = "other", _("other")


class ResidentQuerySet(ScopedQuerySet):
    def with_id_number(self, number: str):
        return self.filter(id_number_hash=pii.lookup_hash(normalise_id_number(number)))

    def with_phone(self, phone: str):
        return self.filter(phone_hash=pii.lookup_hash(normalise_phone(phone)))


class Resident(models.Model):
    """A person. ID number and phone are stored only encrypted, hashed and masked."""

    town = models.ForeignKey(Town, models.PROTECT, related_name="+", verbose_name=_("town"))
    household = models.ForeignKey(
        Household, models.CASCADE, related_name="members", verbose_name=_("household")
    )
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    gender = models.CharField(_("gender"), max_length=6, choices=Gender.choices)
    birth_date = models.DateField(_("birth date"))
    relation = models.CharField(
        _("relation to head"), max_length=20, choices=Relation.choices, default=Relation.OTHER
    )
    party_member = models.BooleanField(_("party member"), default=False)
    tags = models.ManyToManyField(Tag, blank=True, related_name="residents", verbose_name=_("tags"))

    id_number_encrypted = models.TextField(editable=False)
    id_number_hash = models.CharField(max_length=64, unique=True, editable=False)
    id_number_masked = models.CharField(_("ID number"), max_length=18, editable=False)
    phone_encrypted = models.TextField(editable=False, blank=True)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    phone_masked = models.CharField(_("phone"), max_length=20, blank=True, editable=False)

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ResidentQuerySet.as_manager()
    scope_lookups = {
        "town": "town_id",
        "village": "household__village_id",
        "grid": "household__grid_id",
        "micro_grid": "household__micro_grid_id",
    }

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        ordering = ["household", "id"]
        permissions = [
            ("unmask_personal_data", "Can see ID and phone numbers in full (logged)"),
        ]

    def __str__(self):
        return self.name

    def set_id_number(self, value: str) -> None:
        """Validate, encrypt, hash and mask; derive gender and birth date. Raises ValidationError."""
        number = validate_id_number(value)
        self.id_number_encrypted = pii.encrypt(number)
        self.id_number_hash = pii.lookup_hash(number)
        self.id_number_masked = pii.mask_id_number(number)
        self.gender = gender_from_id_number(number)
        self.birth_date = birth_date_from_id_number(number)

    def set_phone(self, value: str) -> None:
        """Validate, encrypt, hash and mask a phone number ('' clears it). Raises ValidationError."""
        phone = validate_phone(value) if value else ""
        self.phone_encrypted = pii.encrypt(phone)
        self.phone_hash = pii.lookup_hash(phone)
        self.phone_masked = pii.mask_phone(phone)


class UnmaskField(models.TextChoices):
    ID_NUMBER = "id_number", _("ID number")
    PHONE = "phone", _("phone")


class UnmaskLog(models.Model):
    """Who saw whose personal data in full, and when. Never edited from the app."""

    town = models.ForeignKey(Town, models.PROTECT, related_name="+", verbose_name=_("town"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("user")
    )
    resident = models.ForeignKey(
        Resident, models.PROTECT, related_name="unmask_logs", verbose_name=_("resident")
    )
    field = models.CharField(_("field"), max_length=12, choices=UnmaskField.choices)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    objects = ScopedQuerySet.as_manager()
    scope_lookups = {"town": "town_id"}

    class Meta:
        verbose_name = _("unmask log entry")
        verbose_name_plural = _("unmask log")
        ordering = ["-at"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} → {self.resident}"
