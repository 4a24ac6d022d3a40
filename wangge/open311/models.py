"""What Open311 keeps beside a case: the token it answered with and what the client sent
that a case has no field for (attributes, media URLs, the contact's e-mail, encrypted)."""

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wangge.cases.models import Case
from wangge.grids.models import Town
from wangge.staff.scope import ScopedQuerySet, via


def new_token() -> str:
    return secrets.token_urlsafe(16)


class Open311Request(models.Model):
    """One service request received through GeoReport v2 (one per case)."""

    town = models.ForeignKey(Town, models.PROTECT, related_name="+", verbose_name=_("town"))
    case = models.OneToOneField(
        Case, models.CASCADE, related_name="open311", verbose_name=_("case")
    )
    token = models.CharField(_("token"), max_length=40, unique=True, default=new_token)
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent by"),
    )
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    media_urls = models.JSONField(_("media URLs"), default=list, blank=True)
    email_encrypted = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(_("received"))

    objects = ScopedQuerySet.as_manager()
    scope_lookups = via("case", Case)

    class Meta:
        verbose_name = _("Open311 request")
        verbose_name_plural = _("Open311 requests")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.case_id} {self.token}"
