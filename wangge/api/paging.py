"""Cursor pagination: an opaque cursor holds the sort key of the last row sent.

Unlike page numbers, a cursor stays right while new cases arrive at the top.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

from django.db.models import Q
from django.utils.translation import gettext as _

from wangge.api.errors import ApiError

DEFAULT_LIMIT = 50


def encode(*values) -> str:
    text = json.dumps([v.isoformat() if isinstance(v, datetime) else v for v in values])
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode(cursor: str, size: int) -> list:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        values = None
    if not isinstance(values, list) or len(values) != size:
        _bad_cursor()
    return values


def _bad_cursor():
    raise ApiError(
        422,
        "invalid_input",
        _("The input is not valid."),
        fields={"cursor": [_("This cursor is not valid; start again without it.")]},
    )


def _id(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
        _bad_cursor()
    return value


def by_id(queryset, cursor: str | None, limit: int):
    """Rows in ascending id; returns (rows, next cursor or None)."""
    queryset = queryset.order_by("id")
    if cursor:
        (last,) = decode(cursor, 1)
        queryset = queryset.filter(id__gt=_id(last))
    rows = list(queryset[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode(rows[-1].id) if more else None


def by_newest(queryset, field: str, cursor: str | None, limit: int):
    """Rows newest first by `field`, then by id; returns (rows, next cursor or None)."""
    queryset = queryset.order_by(f"-{field}", "-id")
    if cursor:
        moment, last = decode(cursor, 2)
        try:
            moment = datetime.fromisoformat(moment)
        except (TypeError, ValueError):
            _bad_cursor()
        if moment.tzinfo is None or not 2000 <= moment.year <= 2100:
            _bad_cursor()
        last = _id(last)
        queryset = queryset.filter(
            Q(**{f"{field}__lt": moment}) | Q(**{field: moment, "id__lt": last})
        )
    rows = list(queryset[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode(getattr(rows[-1], field), rows[-1].id) if more else None
