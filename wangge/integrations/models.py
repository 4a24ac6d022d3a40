"""Inbound alarm sources, their cameras and received events; the outbox of outbound notices."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wangge.cases.models import Case, Notice
from wangge.grids.models import Place, Town
from wangge.residents import pii
from wangge.staff.scope import ScopedQuerySet


class SourceKind(models.TextChoices):
    POLICE = "police", _("police directives")
    VIDEO = "video", _("video alarms")


class HookSource(models.Model):
    """A system allowed to send alarms: the county police platform, the video platform."""

    town = models.ForeignKey(Town, models.PROTECT, related_name="+", verbose_name=_("town"))
    name = models.CharField(_("name"), max_length=100)
    key = models.SlugField(
        _("source key"),
        max_length=50,
        unique=True,
        help_text=_("Sent by the source in the X-Wangge-Source header."),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=SourceKind.choices)
    # Fernet-encrypted under WANGGE_FIELD_KEY: HMAC needs the secret itself,
    # so a hash will not do; a copied database alone does not reveal it.
    secret_encrypted = models.TextField(editable=False, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_lookups = {"town": "town_id"}

    class Meta:
        verbose_name = _("alarm source")
        verbose_name_plural = _("alarm sources")
        ordering = ["town", "name"]

    def __str__(self):
        return self.name

    def set_secret(self, secret: str) -> None:
        self.secret_encrypted = pii.encrypt(secret)

    @property
    def secret(self) -> str:
        return pii.decrypt(self.secret_encrypted)

    @property
    def has_secret(self) -> bool:
        return bool(self.secret_encrypted)


class Camera(models.Model):
    """A camera of the video platform (雪亮工程), placed at a `Place` or a point."""

    town = models.ForeignKey(Town, models.PROTECT, related_name="+", verbose_name=_("town"))
    source = models.ForeignKey(
        HookSource,
        models.CASCADE,
        related_name="cameras",
        verbose_name=_("source"),
        limit_choices_to={"kind": SourceKind.VIDEO},
    )
    camera_id = models.CharField(_("camera id"), max_length=64)
    name = models.CharField(_("name"), max_length=100)
    place = models.ForeignKey(
        Place,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="cameras",
        verbose_name=_("place"),
    )
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    category_code = models.CharField(
        _("category code"),
        max_length=20,
        blank=True,
        help_text=_("Category of its alarms when the alarm names none (e.g. AQ02 at a mine adit)."),
    )
    active = models.BooleanField(_("active"), default=True)

    objects = ScopedQuerySet.as_manager()
    scope_lookups = {"town": "town_id", "village": "place__village_id", "grid": "place__grid_id"}

    class Meta:
        verbose_name = _("camera")
        verbose_name_plural = _("cameras")
        ordering = ["source", "camera_id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "camera_id"], name="camera_id_per_source")
        ]

    def __str__(self):
        return f"{self.name} ({self.camera_id})"

    def clean(self):
        super().clean()
        errors = {}
        if self.source_id and self.town_id and self.source.town_id != self.town_id:
            errors["source"] = _("The source belongs to another town than the camera.")
        if self.place_id and self.town_id and self.place.town_id != self.town_id:
            errors["place"] = _("The place lies in another town than the camera.")
        if errors:
            raise ValidationError(errors)

    def point(self) -> tuple[float, float] | None:
        """(longitude, latitude) of the camera: its own, else its place's."""
        if self.latitude is not None and self.longitude is not None:
            return self.longitude, self.latitude
        if self.place_id:
            return self.place.longitude, self.place.latitude
        return None


class ReceivedEvent(models.Model):
    """One alarm accepted from a source: the replay guard (event id unique per source)."""

    town = models.ForeignKey(Town, models.PROTECT, related_name="+", verbose_name=_("town"))
    source = models.ForeignKey(
        HookSource, models.PROTECT, related_name="events", verbose_name=_("source")
    )
    event_id = models.CharField(_("event id"), max_length=100)
    received_at = models.DateTimeField(_("received"))
    body_sha256 = models.CharField(max_length=64)
    case = models.ForeignKey(
        Case, models.PROTECT, null=True, related_name="+", verbose_name=_("case")
    )
    replays = models.PositiveIntegerField(_("replays"), default=0)

    objects = ScopedQuerySet.as_manager()
    scope_lookups = {"town": "town_id"}

    class Meta:
        verbose_name = _("received alarm")
        verbose_name_plural = _("received alarms")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "event_id"], name="event_once_per_source")
        ]

    def __str__(self):
        return f"{self.source} {self.event_id}"


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")


class OutboxEntry(models.Model):
    """One notice to be sent through one outbound channel (webhook, SMS …)."""

    town = models.ForeignKey(Town, models.PROTECT, related_name="+", verbose_name=_("town"))
    notice = models.ForeignKey(
        Notice, models.CASCADE, related_name="outbox", verbose_name=_("notice")
    )
    channel = models.CharField(_("channel"), max_length=50)
    status = models.CharField(
        _("status"), max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created"))
    # The next try; while a worker holds the entry, the end of its lease.
    next_attempt_at = models.DateTimeField(_("next attempt"))
    claim = models.CharField(max_length=32, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_lookups = {"town": "town_id"}

    class Meta:
        verbose_name = _("outbox entry")
        verbose_name_plural = _("outbox")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["notice", "channel"], name="outbox_once_per_channel")
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="outbox_pending",
                condition=Q(status="pending"),
            )
        ]

    def __str__(self):
        return f"{self.channel} #{self.notice_id}"

    @property
    def idempotency_key(self) -> str:
        """Stable per entry: a receiver that sees it twice (after a lost reply) drops the copy."""
        return f"wangge-notice-{self.notice_id}-{self.channel}"
