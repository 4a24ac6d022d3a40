"""Points (积分管理): a village's rules, a ledger per household, the points supermarket
(积分超市), yearly star ratings (星级文明户) and 最美家庭 nominations.

The ledger (`PointEntry`) is append-only; `PointAccount.balance` is kept equal to
the sum of a household's entries by `services`, in the same transaction, with
conditional UPDATEs, and a database check keeps it (and stock) at zero or above.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wangge.grids.models import Town, Village
from wangge.residents.models import Household
from wangge.staff.scope import ScopedQuerySet

VILLAGE_SCOPE = {"town": "town_id", "village": "village_id"}
HOUSEHOLD_SCOPE = {
    "town": "town_id",
    "village": "village_id",
    "grid": "household__grid_id",
    "micro_grid": "household__micro_grid_id",
}

# Defaults for a village that has not set its own thresholds.
DEFAULT_EVIDENCE_THRESHOLD = 10
DEFAULT_APPROVAL_THRESHOLD = 30


class PointScheme(models.Model):
    """A village's 村规民约 as a points scheme: its thresholds for evidence and approval."""

    town = models.ForeignKey(Town, models.PROTECT, related_name="+", verbose_name=_("town"))
    village = models.OneToOneField(
        Village, models.CASCADE, related_name="point_scheme", verbose_name=_("village")
    )
    title = models.CharField(pgettext_lazy("document", "title"), max_length=100)
    evidence_threshold = models.PositiveIntegerField(
        _("evidence above"),
        default=DEFAULT_EVIDENCE_THRESHOLD,
        help_text=_("Awards and deductions of more points than this need a photo."),
    )
    approval_threshold = models.PositiveIntegerField(
        _("second approval above"),
        default=DEFAULT_APPROVAL_THRESHOLD,
        help_text=_("Awards of more points than this need a second person's approval."),
    )

    objects = ScopedQuerySet.as_manager()
    scope_lookups = VILLAGE_SCOPE

    class Meta:
        verbose_name = _("points scheme")
        verbose_name_plural = _("points schemes")

    def __str__(self):
        return self.title


class RuleKind(models.TextChoices):
    AWARD = "award", _("award")
    DEDUCTION = "deduction", _("deduction")


class PointRule(models.Model):
    """One item of the village rules: what earns or costs how many points."""

    town = models.ForeignKey(Town, models.PROTECT, related_name="+", verbose_name=_("town"))
    village = models.ForeignKey(
        Village, models.CASCADE, related_name="point_rules", verbose_name=_("village")
    )
    code = models.CharField(_("code"), max_length=20)
    category = models.CharField(_("category"), max_length=30)
    title = models.CharField(pgettext_lazy("document", "title"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=RuleKind.choices)
    points = models.PositiveIntegerField(_("points"))
    veto = models.BooleanField(
        _("veto for star rating"),
        default=False,
        help_text=_("A deduction under this rule caps the year's star rating at one star."),
    )
    active = models.BooleanField(_("active"), default=True)

    objects = ScopedQuerySet.as_manager()
    scope_lookups = VILLAGE_SCOPE

    class Meta:
        verbose_name = _("point rule")
        verbose_name_plural = _("point rules")
        ordering = ["village", "kind", "code"]
        constraints = [
            models.UniqueConstraint(fields=["village", "code"], name="pointrule_unique_code"),
            models.CheckConstraint(condition=Q(points__gt=0), name="pointrule_points_positive"),
        ]

    def __str__(self):
        sign = "+" if self.kind == RuleKind.AWARD else "−"
        return f"{self.title} ({sign}{self.points})"

    @property
    def signed_points(self) -> int:
        return self.points if self.kind == RuleKind.AWARD else -self.points


class PointAccount(models.Model):
    """A household's spendable balance: the sum of its ledger, never below zero."""

    town = models.ForeignKey(Town, models.PROTECT, related_name="+", verbose_name=_("town"))
    village = models.ForeignKey(
        Village, models.PROTECT, related_name="+", verbose_name=_("village")
    )
    household = models.OneToOneField(
        Household, models.CASCADE, related_name="point_account", verbose_name=_("household")
    )
    balance = models.IntegerField(_("balance"), default=0)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_lookups = HOUSEHOLD_SCOPE

    class Meta:
        verbose_name = _("points account")
        verbose_name_plural = _("points accounts")
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="pointaccount_not_negative")
        ]

    def __str__(self):
        return f"{self.household.number}: {self.balance}"


class EntryKind(models.TextChoices):
    AWARD = "award", _("award")
    DEDUCTION = "deduction", _("deduction")
    REDEMPTION = "redemption", _("redemption")


def evidence_path(instance, filename):
    return f"points/{instance.town_id}/{instance.village_id}/{instance.evidence_name}"


class PointEntry(models.Model):
    """One line of a household's ledger. Never changed or deleted once written."""

    town = models.ForeignKey(Town, models.PROTECT, related_name="+", verbose_name=_("town"))
    village = models.ForeignKey(
        Village, models.PROTECT, related_name="+", verbose_name=_("village")
    )
    household = models.ForeignKey(
        Household, models.PROTECT, related_name="point_entries", verbose_name=_("household")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=EntryKind.choices)
    rule = models.ForeignKey(
        PointRule,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="entries",
        verbose_name=_("rule"),
    )
    points = models.IntegerField(_("points"), help_text=_("Signed: awards add, the rest subtract."))
    nominal_points = models.IntegerField(
        _("nominal points"),
        help_text=_(
            "What the rule says; a deduction larger than the balance takes only the balance."
        ),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    occurred_on = models.DateField(_("date"), db_index=True)
    evidence = models.FileField(_("evidence photo"), upload_to=evidence_path, blank=True)
    evidence_name = models.CharField(max_length=80, blank=True, editable=False)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="+",
        verbose_name=_("entered by"),
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    created_at = models.DateTimeField(_("recorded"), db_index=True)

    objects = ScopedQuerySet.as_manager()
    scope_lookups = HOUSEHOLD_SCOPE

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["-occurred_on", "-id"]
        indexes = [
            models.Index(fields=["household", "occurred_on"]),
            models.Index(fields=["village", "occurred_on"]),
        ]

    def __str__(self):
        return f"{self.household.number} {self.points:+d} {self.occurred_on}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("ledger entries are immutable")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("ledger entries are immutable")


class ProposalStatus(models.TextChoices):
    PENDING = "pending", _("waiting for approval")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")


class AwardProposal(models.Model):
    """A large award waiting for a second person: it reaches the ledger only when approved."""

    town = models.ForeignKey(Town, models.PROTECT, related_name="+", verbose_name=_("town"))
    village = models.ForeignKey(
        Village, models.PROTECT, related_name="+", verbose_name=_("village")
    )
    household = models.ForeignKey(
        Household, models.PROTECT, related_name="award_proposals", verbose_name=_("household")
    )
    rule = models.ForeignKey(PointRule, models.PROTECT, related_name="+", verbose_name=_("rule"))
    points = models.PositiveIntegerField(_("points"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    occurred_on = models.DateField(_("date"))
    evidence = models.FileField(_("evidence photo"), upload_to=evidence_path, blank=True)
    evidence_name = models.CharField(max_length=80, blank=True, editable=False)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ProposalStatus.choices,
        default=ProposalStatus.PENDING,
        db_index=True,
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("proposed by")
    )
    proposed_at = models.DateTimeField(_("proposed"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.CharField(_("reason"), max_length=200, blank=True)
    entry = models.OneToOneField(
        PointEntry,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="proposal",
        verbose_name=_("ledger entry"),
    )

    objects = ScopedQuerySet.as_manager()
    scope_lookups = HOUSEHOLD_SCOPE

    class Meta:
        verbose_name = _("award proposal")
        verbose_name_plural = _("award proposals")
        ordering = ["-proposed_at"]
        permissions = [("approve_awardproposal", "Can approve or reject large awards")]

    def __str__(self):
        return f"{self.household.number} +{self.points} ({self.get_status_display()})"


class Good(models.Model):
    """An article on the shelf of a village's points supermarket."""

    town = models.ForeignKey(Town, models.PROTECT, related_name="+", verbose_name=_("town"))
    village = models.ForeignKey(
        Village, models.CASCADE, related_name="goods", verbose_name=_("village")
    )
    name = models.CharField(_("name"), max_length=50)
    unit = models.CharField(_("unit"), max_length=10)
    price = models.PositiveIntegerField(_("price in points"))
    stock = models.IntegerField(_("stock"), default=0)
    active = models.BooleanField(_("on sale"), default=True)

    objects = ScopedQuerySet.as_manager()
    scope_lookups = VILLAGE_SCOPE

    class Meta:
        verbose_name = _("good")
        verbose_name_plural = _("goods")
        ordering = ["village", "price", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(stock__gte=0), name="good_stock_not_negative"),
            models.CheckConstraint(condition=Q(price__gt=0), name="good_price_positive"),
            models.UniqueConstraint(fields=["village", "name"], name="good_unique_name"),
        ]

    def __str__(self):
        return f"{self.name}（{self.price}/{self.unit}）"


class Redemption(models.Model):
    """Goods taken at the supermarket counter for a household's points."""

    town = models.ForeignKey(Town, models.PROTECT, related_name="+", verbose_name=_("town"))
    village = models.ForeignKey(
        Village, models.PROTECT, related_name="+", verbose_name=_("village")
    )
    household = models.ForeignKey(
        Household, models.PROTECT, related_name="redemptions", verbose_name=_("household")
    )
    good = models.ForeignKey(
        Good, models.PROTECT, related_name="redemptions", verbose_name=_("good")
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    points = models.PositiveIntegerField(_("points"))
    entry = models.OneToOneField(
        PointEntry, models.PROTECT, related_name="redemption", verbose_name=_("ledger entry")
    )
    served_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("served by")
    )
    at = models.DateTimeField(_("time"), db_index=True)

    objects = ScopedQuerySet.as_manager()
    scope_lookups = HOUSEHOLD_SCOPE

    class Meta:
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")
        ordering = ["-at"]

    def __str__(self):
        return f"{self.household.number} {self.good.name}×{self.quantity}"


class StarRating(models.Model):
    """星级文明户: a household's stars for a year, from its points and conditions."""

    town = models.ForeignKey(Town, models.PROTECT, related_name="+", verbose_name=_("town"))
    village = models.ForeignKey(
        Village, models.PROTECT, related_name="+", verbose_name=_("village")
    )
    household = models.ForeignKey(
        Household, models.CASCADE, related_name="star_ratings", verbose_name=_("household")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    stars = models.PositiveSmallIntegerField(_("stars"))
    awarded = models.IntegerField(_("points awarded"))
    deductions = models.PositiveIntegerField(_("deductions"))
    vetoed = models.BooleanField(_("vetoed"), default=False)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("rated by")
    )
    rated_at = models.DateTimeField(_("rated"))

    objects = ScopedQuerySet.as_manager()
    scope_lookups = HOUSEHOLD_SCOPE

    class Meta:
        verbose_name = _("star rating")
        verbose_name_plural = _("star ratings")
        ordering = ["-year", "-stars", "household"]
        constraints = [
            models.UniqueConstraint(fields=["household", "year"], name="starrating_unique_year"),
            models.CheckConstraint(
                condition=Q(stars__gte=1, stars__lte=5), name="starrating_one_to_five"
            ),
        ]

    def __str__(self):
        return f"{self.household.number} {self.year} {'★' * self.stars}"


class NominationStatus(models.TextChoices):
    NOMINATED = "nominated", _("nominated")
    SELECTED = "selected", _("selected")
    NOT_SELECTED = "not_selected", _("not selected")


class FamilyNomination(models.Model):
    """最美家庭: a household nominated for a year, then selected or not."""

    town = models.ForeignKey(Town, models.PROTECT, related_name="+", verbose_name=_("town"))
    village = models.ForeignKey(
        Village, models.PROTECT, related_name="+", verbose_name=_("village")
    )
    household = models.ForeignKey(
        Household, models.CASCADE, related_name="family_nominations", verbose_name=_("household")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    reason = models.CharField(_("deeds"), max_length=300)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=NominationStatus.choices,
        default=NominationStatus.NOMINATED,
    )
    nominated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("nominated by")
    )
    nominated_at = models.DateTimeField(_("nominated"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_lookups = HOUSEHOLD_SCOPE

    class Meta:
        verbose_name = _("best-family nomination")
        verbose_name_plural = _("best-family nominations")
        ordering = ["-year", "status", "household"]
        permissions = [("select_familynomination", "Can select best families")]
        constraints = [
            models.UniqueConstraint(fields=["household", "year"], name="nomination_unique_year")
        ]

    def __str__(self):
        return f"{self.household.number} {self.year} {self.get_status_display()}"
