"""Personal API tokens for devices and integrations (issue 6)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wangge.staff.scope import ScopedQuerySet


class ApiToken(models.Model):
    """One named token of one user. Only the SHA-256 of the raw token is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
    )
    name = models.CharField(_("name"), max_length=60)
    digest = models.CharField(_("digest"), max_length=64, unique=True, editable=False)
    # The first characters of the raw token, so its owner can tell tokens apart.
    prefix = models.CharField(_("prefix"), max_length=12, editable=False)
    created_at = models.DateTimeField(_("created at"))
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    # "user" last: it is the finest level, so no ancestor widens it.
    scope_lookups = {"town": "user__town_id", "user": "user_id"}

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def active(self) -> bool:
        return self.revoked_at is None
