"""The two wire formats of GeoReport v2 (XML and JSON), its dates and its errors.

Every answer is a list of records under a root element (`<services><service>…`,
`<service_requests><request>…`) or, in JSON, a bare array; a few answers are one
record (`<service_definition>`, `<discovery>`). Nested lists name their items
here, once, so the two formats cannot drift apart.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time
from xml.etree import ElementTree

from django.http import HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

FORMATS = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}

# The element name of each item of a nested list, by the list's name.
ITEM_TAGS = {
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


# Characters XML 1.0 forbids (NUL among them, which PostgreSQL refuses too).
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def has_forbidden(text) -> bool:
    """True when `text` holds a character XML 1.0 (and, for NUL, PostgreSQL) refuses."""
    return isinstance(text, str) and FORBIDDEN.search(text) is not None


def xml_safe(text: str) -> str:
    """`text` without the characters XML 1.0 forbids: one of them would make the
    whole document unreadable for every client."""
    return FORBIDDEN.sub("", text)


def w3c(moment: datetime | None) -> str:
    """A W3C datetime in the town's zone, e.g. 2026-11-27T14:30:00+08:00 ("" for none)."""
    if moment is None:
        return ""
    return timezone.localtime(moment).replace(microsecond=0).isoformat()


def parse_w3c(text: str) -> datetime:
    """A W3C date or datetime sent by a client; raises ValueError for anything else.

    A datetime without a zone is the town's local time. A "+" left unencoded in a
    query string arrives as a space and is put back.
    """
    text = (text or "").strip()
    if len(text) > 19 and text[-6] == " " and text[-5:-3].isdigit():
        text = f"{text[:-6]}+{text[-5:]}"
    try:
        moment = parse_datetime(text)
        day = None if moment else parse_date(text)
    except ValueError:
        moment = day = None
    if moment is None and day is None:
        raise ValueError(text)
    if moment is None:
        moment = datetime.combine(day, time.min)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return w3c(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _append(parent, tag: str, value) -> None:
    element = ElementTree.SubElement(parent, tag)
    if isinstance(value, dict):
        for key, child in value.items():
            _append(element, key, child)
    elif isinstance(value, list):
        for child in value:
            _append(element, ITEM_TAGS[tag], child)
    else:
        element.text = xml_safe(_text(value))


def to_xml(root: str, item: str | None, data) -> bytes:
    """`data` is a list of records (each becomes `<item>`) or, with item None, one record."""
    element = ElementTree.Element(root)
    if item is None:
        for key, value in data.items():
            _append(element, key, value)
    else:
        for record in data:
            _append(element, item, record)
    body = ElementTree.tostring(element, encoding="unicode")
    return f'<?xml version="1.0" encoding="utf-8"?>\n{body}\n'.encode()


def respond(fmt: str, root: str, item: str | None, data, *, status: int = 200) -> HttpResponse:
    if fmt == "json":
        body = json.dumps(data, ensure_ascii=False, default=_text).encode()
    else:
        body = to_xml(root, item, data)
    return HttpResponse(body, content_type=FORMATS[fmt], status=status)


def error(fmt: str, status: int, description) -> HttpResponse:
    """The spec's error document: `<errors><error><code>…<description>…`."""
    fmt = fmt if fmt in FORMATS else "xml"
    return respond(
        fmt,
        "errors",
        "error",
        [{"code": status, "description": str(description)}],
        status=status,
    )
