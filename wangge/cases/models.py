"""Cases (工单), their categories, deadline policies, events, attachments and notices.

A case's state changes only through `wangge.cases.lifecycle`; nothing else
writes `state`, the milestone times or the counters.
"""

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wangge.cases.choices import (
    OPEN_STATES,
    CategoryKind,
    Channel,
    Clock,
    FigureGroup,
    Level,
    Priority,
    Rating,
    State,
)
from wangge.grids.models import Grid, MicroGrid, Town, Village
from wangge.residents.models import Resident
from wangge.staff.models import Department
from wangge.staff.scope import ScopedQuerySet, via


class Category(models.Model):
    """A two-level catalogue (大类/小类) of problems and service items (便民服务)."""

    parent = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent category"),
    )
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=50)
    kind = models.CharField(
        _("kind"), max_length=10, choices=CategoryKind.choices, default=CategoryKind.PROBLEM
    )
    default_priority = models.CharField(
        _("default priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    # Department codes are per town (Department.code), so the catalogue can be shared.
    default_department_code = models.CharField(
        _("default department code"), max_length=20, blank=True
    )
    figure_group = models.CharField(
        _("figure group"), max_length=20, choices=FigureGroup.choices, blank=True
    )
    police_relevant = models.BooleanField(_("police relevant"), default=False)
    # For a service item: the time the station promises, in working minutes.
    promised_minutes = models.PositiveIntegerField(
        _("promised time (working minutes)"), null=True, blank=True
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    sort = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["sort", "code"]

    def __str__(self):
        return f"{self.parent.name}/{self.name}" if self.parent_id else self.name

    def clean(self):
        if self.parent_id and self.parent.parent_id:
            raise ValidationError(_("Categories have two levels only."))


class SlaPolicy(models.Model):
    """Allowed minutes per milestone for a category × priority (or a priority's default)."""

    category = models.ForeignKey(
        Category,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="policies",
        verbose_name=_("category"),
    )
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices)
    clock = models.CharField(
        _("clock"), max_length=10, choices=Clock.choices, default=Clock.WORKING
    )
    accept_minutes = models.PositiveIntegerField(_("accept within (minutes)"))
    on_scene_minutes = models.PositiveIntegerField(
        _("on scene within (minutes)"), null=True, blank=True
    )
    dispatch_minutes = models.PositiveIntegerField(_("dispatch within (minutes)"), default=120)
    claim_minutes = models.PositiveIntegerField(_("claim within (minutes)"), default=120)
    resolve_minutes = models.PositiveIntegerField(_("resolve within (minutes)"))
    close_minutes = models.PositiveIntegerField(_("verify within (minutes)"), default=1440)
    checkin_minutes = models.PositiveIntegerField(
        _("summoned departments check in within (minutes)"), default=30
    )

    class Meta:
        verbose_name = _("deadline policy")
        verbose_name_plural = _("deadline policies")
        constraints = [
            models.UniqueConstraint(
                fields=["category", "priority"], name="sla_unique_category_priority"
            ),
            models.UniqueConstraint(
                fields=["priority"], condition=Q(category=None), name="sla_unique_default"
            ),
        ]

    def __str__(self):
        scope = self.category if self.category_id else _("default")
        return f"{scope} · {self.get_priority_display()}"


class WorkSchedule(models.Model):
    """A town's working hours, e.g. 08:00-12:00,14:30-17:30 (holidays from chinese-calendar)."""

    town = models.OneToOneField(
        Town, models.CASCADE, related_name="work_schedule", verbose_name=_("town")
    )
    periods = models.CharField(
        _("working hours"), max_length=100, default="08:00-12:00,14:30-17:30"
    )

    objects = ScopedQuerySet.as_manager()
    scope_lookups = {"town": "town_id"}

    class Meta:
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")

    def __str__(self):
        return f"{self.town} {self.periods}"

    def clean(self):
        from wangge.cases.worktime import WorkSchedule as Schedule

        try:
            Schedule.parse(self.periods)
        except ValueError as error:
            raise ValidationError({"periods": str(error)}) from None


# Crockford's base32: no I, L, O or U, so a code read over the phone or copied
# by hand survives; 13 characters are 65 random bits.
RECEIPT_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RECEIPT_LENGTH = 13


def new_receipt_code() -> str:
    """An unguessable code a resident uses to follow their case."""
    return "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))


def normalise_receipt_code(text: str) -> str:
    """What a person typed, as stored: upper case, look-alikes mapped, separators dropped."""
    text = (text or "").upper().translate(str.maketrans({"I": "1", "L": "1", "O": "0"}))
    return "".join(ch for ch in text if ch in RECEIPT_ALPHABET)


def _when_set(name: str, *fields: str, when: str = "") -> models.Index:
    """An index of the rows where `when` (by default the last field) is set."""
    condition = Q(**{f"{when or fields[-1]}__isnull": False})
    return models.Index(fields=list(fields), name=name, condition=condition)


class CaseQuerySet(ScopedQuerySet):
    def open(self):
        return self.filter(state__in=OPEN_STATES)


class Case(models.Model):
    town = models.ForeignKey(
        Town, models.PROTECT, related_name="cases", verbose_name=_("town"), db_index=False
    )
    number = models.CharField(_("case number"), max_length=24, unique=True)
    receipt_code = models.CharField(
        max_length=16, unique=True, default=new_receipt_code, editable=False
    )
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    category = models.ForeignKey(
        Category, models.PROTECT, related_name="cases", verbose_name=_("category"), db_index=False
    )
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)

    # Reporter: a resident, a member of staff, or an anonymous contact.
    reporter_resident = models.ForeignKey(
        Resident,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("reporting resident"),
        db_index=False,
    )
    reporter_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="reported_cases",
        verbose_name=_("reported by"),
    )
    reporter_name = models.CharField(_("reporter name"), max_length=50, blank=True)
    reporter_phone_encrypted = models.TextField(blank=True, editable=False)
    reporter_phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    reporter_phone_masked = models.CharField(
        _("reporter phone"), max_length=20, blank=True, editable=False
    )

    # Where: a point and/or an address; the place tree is derived by the locator.
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    village = models.ForeignKey(
        Village,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("village"),
        db_index=False,
    )
    grid = models.ForeignKey(
        Grid,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("grid"),
        db_index=False,
    )
    micro_grid = models.ForeignKey(
        MicroGrid,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("micro-grid"),
    )
    # A point outside every grid is kept and flagged for the dispatcher to place.
    needs_placing = models.BooleanField(_("needs placing"), default=False)

    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.REPORTED
    )
    state_before_suspension = models.CharField(max_length=12, choices=State.choices, blank=True)
    level = models.CharField(_("level"), max_length=8, choices=Level.choices, default=Level.GROUP)
    closed_level = models.CharField(
        _("settled at"), max_length=8, choices=Level.choices, blank=True
    )
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_cases",
        verbose_name=_("owner"),
        db_index=False,
    )
    owner_department = models.ForeignKey(
        Department,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner unit"),
        db_index=False,
    )
    lead_department = models.ForeignKey(
        Department,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_cases",
        verbose_name=_("lead department"),
        db_index=False,
    )
    departments = models.ManyToManyField(
        Department, through="CaseDepartment", related_name="cases", verbose_name=_("departments")
    )

    # Milestones: due and actual times (overdue is always `due < now` on these columns).
    reported_at = models.DateTimeField(_("reported"), db_index=True)
    accept_due_at = models.DateTimeField(_("accept due"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    on_scene_due_at = models.DateTimeField(_("on scene due"), null=True, blank=True)
    on_scene_at = models.DateTimeField(_("on scene"), null=True, blank=True)
    dispatch_due_at = models.DateTimeField(_("dispatch due"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("dispatched"), null=True, blank=True)
    claim_due_at = models.DateTimeField(_("claim due"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    resolve_due_at = models.DateTimeField(_("resolve due"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    close_due_at = models.DateTimeField(_("verify due"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # Milestones started (for traffic lights: the share of the allowed time used).
    sla_clock = models.CharField(max_length=10, choices=Clock.choices, default=Clock.WORKING)
    sla_starts = models.JSONField(default=dict, blank=True, editable=False)
    # What the worker already did per milestone ("warned", "overdue"); reset when it restarts.
    sla_flags = models.JSONField(default=dict, blank=True, editable=False)
    # The traffic light, stored (DESIGN §4): the earliest open deadline and the
    # earliest moment one of the open milestones turns yellow (80 %).
    due_at = models.DateTimeField(_("next deadline"), null=True, blank=True, editable=False)
    yellow_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The next time the worker must look at this case (warning, deadline, resume).
    next_check_at = models.DateTimeField(null=True, blank=True, editable=False)

    result = models.TextField(_("result"), blank=True)
    rework_count = models.PositiveSmallIntegerField(_("reworks"), default=0)
    urge_count = models.PositiveSmallIntegerField(_("urges"), default=0)
    return_count = models.PositiveSmallIntegerField(_("returns"), default=0)
    escalation_count = models.PositiveSmallIntegerField(_("escalations"), default=0)
    extension_count = models.PositiveSmallIntegerField(_("extensions"), default=0)
    extension_pending_minutes = models.PositiveIntegerField(null=True, blank=True)
    extension_reason = models.CharField(_("extension reason"), max_length=200, blank=True)
    suspended_at = models.DateTimeField(_("suspended"), null=True, blank=True)
    resume_at = models.DateTimeField(_("resume at"), null=True, blank=True)
    suspension_reason = models.CharField(_("suspension reason"), max_length=200, blank=True)
    paused_minutes = models.FloatField(_("paused minutes"), default=0)
    rating = models.CharField(_("rating"), max_length=12, choices=Rating.choices, blank=True)
    rating_comment = models.CharField(_("rating comment"), max_length=300, blank=True)
    rated_at = models.DateTimeField(_("rated"), null=True, blank=True)
    reject_reason = models.CharField(_("reason for rejection"), max_length=200, blank=True)
    duplicate_of = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("duplicate of"),
        db_index=False,
    )
    likely_duplicate_of = models.ForeignKey(
        "self",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("likely duplicate of"),
        db_index=False,
    )
    # 吹哨报到: departments were summoned and owe a check-in.
    joint_response = models.BooleanField(_("joint response"), default=False)
    # Bumped by every transition; a stale writer gets a conflict.
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CaseQuerySet.as_manager()
    # Departments see what was dispatched or summoned to them; police the
    # emergencies and police-relevant cases of their beat; everyone what they
    # reported themselves; the rest by place.
    scope_lookups = {
        "user": "reporter_user_id",
        "town": "town_id",
        "department": lambda ids: Q(
            pk__in=CaseDepartment.objects.filter(department_id__in=ids).values("case_id")
        ),
        "police_village": lambda ids: (
            Q(village_id__in=ids)
            & (Q(priority=Priority.EMERGENCY) | Q(category__police_relevant=True))
        ),
        "village": "village_id",
        "grid": "grid_id",
        "micro_grid": "micro_grid_id",
    }

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-reported_at"]
        indexes = [
            models.Index(fields=["town", "state"]),
            models.Index(fields=["grid", "state"]),
            models.Index(fields=["town", "reported_at"]),
            models.Index(
                fields=["next_check_at"],
                name="case_next_check_open",
                condition=Q(next_check_at__isnull=False),
            ),
            models.Index(fields=["category", "state", "reported_at"]),
            # Intake's duplicate search (open cases of a category in a small box, the
            # last hours): by latitude within the category, the rest read from the
            # index itself — not one table row per recent case of the category.
            models.Index(
                fields=["category", "latitude", "longitude", "reported_at", "state", "town"],
                name="case_nearby",
            ),
            models.Index(
                fields=["town", "due_at"], name="case_open_due", condition=Q(due_at__isnull=False)
            ),
            # The figures (wangge.dashboard.metrics): each flow by its own time, per scope.
            models.Index(fields=["village", "reported_at"], name="case_village_reported"),
            models.Index(fields=["grid", "reported_at"], name="case_grid_reported"),
            # The columns below are empty when a case is reported: indexing only the
            # rows that have them spares every report (and every transition that
            # leaves them empty) the work of some twenty indexes. A query names a
            # range or a value of the column, which tells both databases the row has
            # one. The links' own indexes (town, grid, village, category) are the
            # first column of the composite ones.
            *(
                _when_set(f"case_{place}_{label}", place, flow)
                for flow, label in (
                    ("closed_at", "closed"),
                    ("resolved_at", "resolved"),
                    ("resolve_due_at", "resolve_due"),
                    ("rated_at", "rated"),
                )
                for place in ("town", "village", "grid")
            ),
            _when_set(
                "case_dept_reported", "lead_department", "reported_at", when="lead_department"
            ),
            *(
                _when_set(f"case_{link}", link)
                for link in (
                    "owner_user",
                    "owner_department",
                    "reporter_resident",
                    "duplicate_of",
                    "likely_duplicate_of",
                )
            ),
            models.Index(fields=["town", "updated_at"], name="case_town_updated"),
            # Open cases now (a query must name the states in this order to use it).
            models.Index(
                fields=["town", "state"],
                name="case_open_state",
                condition=Q(state__in=sorted(OPEN_STATES)),
            ),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class CaseDepartment(models.Model):
    """A department on a case: the lead, a co-handler (协办) or summoned (吹哨报到)."""

    class Role(models.TextChoices):
        LEAD = "lead", _("lead")
        CO = "co", _("co-handling")
        SUMMONED = "summoned", _("summoned")

    case = models.ForeignKey(Case, models.CASCADE, related_name="case_departments")
    department = models.ForeignKey(Department, models.PROTECT, related_name="case_links")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    active = models.BooleanField(default=True)
    added_at = models.DateTimeField()
    checkin_due_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("case department")
        verbose_name_plural = _("case departments")
        constraints = [
            models.UniqueConstraint(fields=["case", "department", "role"], name="casedept_unique")
        ]

    def __str__(self):
        return f"{self.department} ({self.get_role_display()})"


class CaseEvent(models.Model):
    """An immutable record of one transition: who, when, from, to, what was said."""

    town = models.ForeignKey(Town, models.PROTECT, related_name="+")
    case = models.ForeignKey(Case, models.CASCADE, related_name="events")
    at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    # For actions without an account: "system" (the worker), "resident", an integration.
    actor_label = models.CharField(max_length=40, blank=True)
    action = models.CharField(_("action"), max_length=30)
    from_state = models.CharField(max_length=12, choices=State.choices, blank=True)
    to_state = models.CharField(max_length=12, choices=State.choices, blank=True)
    level = models.CharField(max_length=8, choices=Level.choices, blank=True)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    # Internal notes are never shown to residents on the tracking page.
    internal = models.BooleanField(default=False)

    objects = ScopedQuerySet.as_manager()
    scope_lookups = via("case", Case)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at"])]

    def __str__(self):
        return f"{self.case_id} {self.action} {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("case events are immutable")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("case events are immutable")


def attachment_path(instance, filename):
    return f"cases/{instance.case.town_id}/{instance.case_id}/{instance.stored_name}"


class Attachment(models.Model):
    case = models.ForeignKey(Case, models.CASCADE, related_name="attachments")
    event = models.ForeignKey(
        CaseEvent, models.SET_NULL, null=True, blank=True, related_name="attachments"
    )
    file = models.FileField(upload_to=attachment_path, max_length=200)
    thumbnail = models.FileField(upload_to=attachment_path, max_length=200, blank=True)
    stored_name = models.CharField(max_length=80)
    original_name = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField()

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return self.original_name or self.stored_name


class Notice(models.Model):
    """A notice to one person (in-app inbox; other channels come with the integrations)."""

    town = models.ForeignKey(Town, models.PROTECT, related_name="+")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="notices")
    case = models.ForeignKey(Case, models.CASCADE, null=True, blank=True, related_name="notices")
    event = models.ForeignKey(
        CaseEvent, models.SET_NULL, null=True, blank=True, related_name="notices"
    )
    kind = models.CharField(max_length=30)
    text = models.CharField(max_length=300)
    created_at = models.DateTimeField(db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_lookups = {"town": "town_id"}

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
            models.Index(
                fields=["delivered_at"], name="notice_undelivered", condition=Q(delivered_at=None)
            ),
        ]
        constraints = [
            # One notice per person per event: a retried delivery never sends twice.
            models.UniqueConstraint(
                fields=["recipient", "event", "kind"], name="notice_once_per_event"
            )
        ]

    def __str__(self):
        return self.text


class IdempotencyRecord(models.Model):
    """The first answer to a report carrying an Idempotency-Key."""

    key = models.CharField(max_length=100)
    # Who sent it: a user id, or "anon:<client>" for public forms.
    client = models.CharField(max_length=100)
    request_hash = models.CharField(max_length=64)
    case = models.ForeignKey(Case, models.CASCADE, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "key"], name="idempotency_unique")]

    def __str__(self):
        return f"{self.client} {self.key}"


class CaseSequence(models.Model):
    """The last case number used per town and year (rows locked while numbering)."""

    town = models.ForeignKey(Town, models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["town", "year"], name="case_sequence_unique")
        ]

    def __str__(self):
        return f"{self.town_id}/{self.year}: {self.last}"
