"""Whole numbers typed by people: ASCII digits only, within what a column holds.

"²", "--5", "1.5", "+5", full-width "５" and "" are not whole numbers: a bad
filter is then ignored like an absent one, a bad form field refused with its
form's message — never a server error.
"""

from __future__ import annotations

import re

MAX_INT = 2**31 - 1  # what an integer column holds on both databases
_WHOLE = re.compile(r"-?[0-9]+")


def whole_number(value, *, low: int | None = None, high: int | None = None) -> int | None:
    """value (an int, or text of ASCII digits with an optional minus sign) as an int
    within [low, high], else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        if not _WHOLE.fullmatch(text) or len(text) > 30:
            return None
        value = int(text)
    if not isinstance(value, int):
        return None
    if (low is not None and value < low) or (high is not None and value > high):
        return None
    return value


def object_id(value) -> int | None:
    """A primary key given as text, or None when it cannot be one."""
    return whole_number(value, low=1, high=MAX_INT)
