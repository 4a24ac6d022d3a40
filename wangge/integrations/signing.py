"""The one signature scheme of wangge's hooks, inbound and outbound.

    X-Wangge-Timestamp: 1764288000            (Unix seconds)
    X-Wangge-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>

Signing the timestamp with the body lets the receiver refuse an old request
replayed later (the replay window), not only a forged one.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from django.conf import settings
from django.utils.translation import gettext as _

SOURCE_HEADER = "X-Wangge-Source"
TIMESTAMP_HEADER = "X-Wangge-Timestamp"
SIGNATURE_HEADER = "X-Wangge-Signature"
PREFIX = "sha256="


class SignatureError(Exception):
    """The request is not signed, wrongly signed, or signed outside the replay window."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def replay_window() -> int:
    return int(getattr(settings, "WANGGE_HOOK_REPLAY_WINDOW_SECONDS", 300))


def signature(secret: str, timestamp: str | int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return PREFIX + mac.hexdigest()


def sign(secret: str, body: bytes, now: datetime, source: str = "") -> dict[str, str]:
    """Headers that sign `body` at `now` (and name the sender, when given)."""
    timestamp = str(int(now.timestamp()))
    headers = {
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: signature(secret, timestamp, body),
    }
    if source:
        headers[SOURCE_HEADER] = source
    return headers


def verify(secret: str, timestamp: str, given: str, body: bytes, now: datetime) -> None:
    """Check a signature and its timestamp. Raises SignatureError."""
    if not timestamp or not given:
        raise SignatureError(_("The request is not signed."))
    try:
        moment = int(timestamp)
    except ValueError:
        raise SignatureError(_("The timestamp is not a number of seconds.")) from None
    if abs(now.timestamp() - moment) > replay_window():
        raise SignatureError(_("The timestamp is outside the allowed window; check the clock."))
    if not secret or not hmac.compare_digest(signature(secret, timestamp, body), given.strip()):
        raise SignatureError(_("The signature does not match."))
