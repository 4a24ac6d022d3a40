"""POST requests: a GeoReport service request becomes a case through `intake.report`.

The client (FixMyStreet, a town app) authenticates with an API token as
`api_key`; the token's user is the case's actor, so the audit trail names the
integration. The person who reported is kept as an anonymous contact: a name,
a phone (encrypted by intake) and an e-mail (encrypted here). A retry with the
same `Idempotency-Key` returns the first request, never a second case.
"""

from __future__ import annotations

import re
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from wangge.cases import clock, intake
from wangge.cases.choices import Channel
from wangge.cases.errors import CaseError, IdempotencyMismatch
from wangge.grids.models import Town
from wangge.open311 import catalogue
from wangge.open311.errors import Open311Error
from wangge.open311.formats import has_forbidden, xml_safe
from wangge.open311.models import Open311Request
from wangge.residents import pii

ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]{1,50})\](\[\])?$")
MAX_DESCRIPTION = 4000
MAX_ADDRESS = 200
MAX_MEDIA = 5
MAX_ATTRIBUTES = 30
MAX_ATTRIBUTE_LENGTH = 500
_CJK = re.compile(r"[\u3400-\u9fff]")


def town_for(jurisdiction_id: str | None, user=None) -> Town:
    """The town a request is about. Raises Open311Error 404 (unknown) or 400 (not given)."""
    if jurisdiction_id:
        _check_text(jurisdiction_id, "jurisdiction_id")
        town = Town.objects.filter(code=jurisdiction_id.strip()).first()
        if town is None:
            raise Open311Error(404, _("jurisdiction_id was not found."))
        return town
    towns = list(Town.objects.all()[:2])
    if len(towns) == 1:
        return towns[0]
    if user is not None and user.town_id:
        return user.town
    raise Open311Error(400, _("jurisdiction_id was not provided."))


def _check_text(value, name: str) -> None:
    """Raises Open311Error 400 for a control character (NUL among them)."""
    if has_forbidden(value):
        raise Open311Error(
            400,
            _("%(name)s contains a control character (such as NUL), which is not allowed.")
            % {"name": name},
        )


def _float(value: str, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise Open311Error(400, _("%(name)s is not a number.") % {"name": name}) from None
    if number != number or number in (float("inf"), float("-inf")):
        raise Open311Error(400, _("%(name)s is not a number.") % {"name": name})
    return number


def attributes_from(data) -> dict:
    """`attribute[code]=value` (and `attribute[code][]=…` for lists) as a dict."""
    found: dict = {}
    for key in data:
        match = ATTRIBUTE.match(key)
        if not match:
            continue
        values = [v.strip() for v in data.getlist(key)]
        found[match.group(1)] = values if match.group(2) else values[-1]
    return found


def reporter_name(first: str, last: str) -> str:
    """A Chinese name is family name first, without a space (王 + 秀英 → 王秀英)."""
    first, last = first.strip(), last.strip()
    if _CJK.search(first + last):
        return f"{last}{first}"[:50]
    return " ".join(part for part in (first, last) if part)[:50]


def _title(attributes: dict, description: str, category) -> str:
    title = attributes.get("title")
    if isinstance(title, str) and title:
        return title[:120]
    for line in description.splitlines():
        if line.strip():
            return line.strip()[:120]
    return category.name


def _check_media(urls: list[str]) -> list[str]:
    urls = [url.strip() for url in urls if url.strip()]
    validate = URLValidator(schemes=["http", "https"])
    for url in urls:
        try:
            if len(url) > 500:
                raise ValidationError("too long")
            validate(url)
        except ValidationError:
            raise Open311Error(400, _("media_url is not a web address.")) from None
    if len(urls) > MAX_MEDIA:
        raise Open311Error(400, _("At most %(n)d media URLs are accepted.") % {"n": MAX_MEDIA})
    return urls


def submit(
    data, *, user, idempotency_key: str | None = None, now: datetime | None = None
) -> Open311Request:
    """Create the case of a POSTed service request (or return the first one of a retry).

    Raises Open311Error: 400 for missing or invalid input, 404 for an unknown
    service_code or jurisdiction_id.
    """
    now = now or clock.now()
    for name in data:
        _check_text(name, xml_safe(name))
        for value in data.getlist(name) if hasattr(data, "getlist") else [data[name]]:
            _check_text(value, xml_safe(name))
    _check_text(idempotency_key, "Idempotency-Key")
    town = town_for(data.get("jurisdiction_id"), user)
    code = (data.get("service_code") or "").strip()
    if not code:
        raise Open311Error(400, _("service_code was not provided."))
    category = catalogue.service(code)
    if category is None:
        raise Open311Error(404, _("service_code was not found."))

    latitude = longitude = None
    if data.get("lat") or data.get("long"):
        if not (data.get("lat") and data.get("long")):
            raise Open311Error(400, _("lat and long must be sent together."))
        latitude, longitude = _float(data["lat"], "lat"), _float(data["long"], "long")
    address = (data.get("address_string") or data.get("address_id") or "").strip()
    if latitude is None and not address:
        raise Open311Error(
            400, _("A location is required: lat and long, address_string or address_id.")
        )
    description = (data.get("description") or "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise Open311Error(
            400, _("The description is longer than %(n)d characters.") % {"n": MAX_DESCRIPTION}
        )
    attributes = attributes_from(data)
    values = [
        v for value in attributes.values() for v in (value if isinstance(value, list) else [value])
    ]
    if len(attributes) > MAX_ATTRIBUTES or any(len(v) > MAX_ATTRIBUTE_LENGTH for v in values):
        raise Open311Error(
            400,
            _("At most %(n)d attributes of at most %(length)d characters each are accepted.")
            % {"n": MAX_ATTRIBUTES, "length": MAX_ATTRIBUTE_LENGTH},
        )
    contact = attributes.get("contact_preference", "")
    if contact and contact not in catalogue.CONTACT_CHOICES:
        raise Open311Error(
            400,
            _("attribute[contact_preference] must be one of: %(values)s.")
            % {"values": ", ".join(catalogue.CONTACT_CHOICES)},
        )
    hamlet = attributes.get("hamlet", "")
    if isinstance(hamlet, str) and hamlet:
        address = " ".join(part for part in (address, hamlet[:50]) if part)
    if len(address) > MAX_ADDRESS:
        raise Open311Error(
            400, _("The address is longer than %(n)d characters.") % {"n": MAX_ADDRESS}
        )
    email = (data.get("email") or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise Open311Error(400, _("email is not a valid e-mail address.")) from None
    media = _check_media(data.getlist("media_url"))
    if contact:
        # Staff read the case in the town's language, whatever the client's.
        with translation.override(settings.LANGUAGE_CODE):
            label = dict(catalogue.contact_choices())[contact]
            note = _("Contact preference: %(choice)s") % {"choice": label}
        description = f"{description}\n\n{note}" if description else note

    try:
        with transaction.atomic():
            case = intake.report(
                actor=user,
                category=category,
                title=_title(attributes, description, category),
                channel=Channel.OPEN311,
                description=description,
                town=town,
                latitude=latitude,
                longitude=longitude,
                address=address,
                reporter_name=reporter_name(
                    data.get("first_name") or "", data.get("last_name") or ""
                ),
                reporter_phone=(data.get("phone") or "").strip(),
                idempotency_key=idempotency_key or None,
                client=f"open311:{user.pk}",
                now=now,
            )
            record, _created = Open311Request.objects.get_or_create(
                case=case,
                defaults={
                    "town": case.town,
                    "client": user,
                    "attributes": attributes,
                    "media_urls": media,
                    "email_encrypted": pii.encrypt(email),
                    "created_at": now,
                },
            )
    except IdempotencyMismatch as error:
        raise Open311Error(400, error.message) from None
    except CaseError as error:
        raise Open311Error(400, error.message) from None
    return record
