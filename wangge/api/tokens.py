"""Issuing, checking and revoking personal API tokens.

A raw token is shown once, when issued; only its SHA-256 is stored (the raw
token carries 256 random bits, so a plain hash cannot be guessed back).
Open311 uses `user_for_token` for its `api_key` too.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.api.models import ApiToken
from wangge.core import rows

PREFIX = "wg_"
# last_used_at is written at most this often per token: a busy device must
# not turn every request into a write.
LAST_USED_GRANULARITY = timedelta(minutes=1)


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(user, name: str) -> tuple[ApiToken, str]:
    """A new token for `user`; returns (token, raw) — raw is never stored.

    Raises ValidationError for an empty or too long name.
    """
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("Give the token a name."), code="required")
    if len(name) > ApiToken._meta.get_field("name").max_length:
        raise ValidationError(_("The name is too long."), code="max_length")
    raw = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        digest=digest(raw),
        prefix=raw[:10],
        created_at=timezone.now(),
    )
    return token, raw


def user_for_token(raw: str | None):
    """The active user of an active token, or None. Records when it was last used."""
    if not raw or not raw.startswith(PREFIX) or len(raw) > 100:
        return None
    # Asked on every request a device makes: composed once.
    statement = rows.prepare(
        "token's user",
        lambda key: (
            ApiToken.objects.filter(digest=key, revoked_at__isnull=True)
            .select_related("user")
            .order_by("pk")[:1]
        ),
        [str],
    )
    token = statement.first(digest(raw))
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_GRANULARITY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    user = token.user
    user.api_token = token
    return user


def revoke(token: ApiToken, *, now=None) -> ApiToken:
    """Revoke the token for good (revoking twice keeps the first time)."""
    if token.revoked_at is None:
        token.revoked_at = now or timezone.now()
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=token.revoked_at
        )
    return token
