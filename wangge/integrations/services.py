"""Inbound alarms: a police directive or a video alarm becomes a case.

Every alarm is authenticated (source key, HMAC signature, replay window),
recorded under its source's event id in the same transaction as its case
(so a replay returns the first case and never makes a second), and reported
through `wangge.cases.intake.report`, which locates it and notifies the grid
— for an emergency the grid worker, the beat's police and the instructor at
once (警网融合).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import re
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from wangge.cases import intake
from wangge.cases.choices import Channel, Priority
from wangge.cases.errors import CaseError
from wangge.cases.models import Case
from wangge.grids.locator import locate
from wangge.grids.models import Grid
from wangge.integrations import signing
from wangge.integrations.models import Camera, HookSource, ReceivedEvent
from wangge.residents import pii
from wangge.residents.models import Resident
from wangge.residents.validators import validate_id_number, validate_phone

log = logging.getLogger("wangge.hooks")

# Characters XML 1.0 forbids (NUL among them, which PostgreSQL refuses too).
FORBIDDEN_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class HookError(Exception):
    """A refused alarm: `status` is the HTTP answer, `message` is for people."""

    def __init__(self, status: int, message: str, field: str | None = None):
        super().__init__(str(message))
        self.status = status
        self.message = str(message)
        self.field = field


@dataclass
class Received:
    case: Case
    replayed: bool


def authenticate(kind: str, headers, body: bytes, now: datetime) -> HookSource:
    """The active source of this kind that signed the request. Raises HookError (401)."""
    key = (headers.get(signing.SOURCE_HEADER) or "").strip()
    source = (
        HookSource.objects.filter(key=key, kind=kind, active=True).select_related("town").first()
        if key
        else None
    )
    if source is None:
        raise HookError(401, _("Unknown or inactive alarm source."))
    try:
        signing.verify(
            source.secret,
            headers.get(signing.TIMESTAMP_HEADER) or "",
            headers.get(signing.SIGNATURE_HEADER) or "",
            body,
            now,
        )
    except signing.SignatureError as error:
        raise HookError(401, error.message) from None
    return source


def _text(data: dict, name: str, limit: int, *, required: bool = False) -> str:
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise HookError(422, _("The field %(f)s is required.") % {"f": name}, field=name)
        return ""
    if not isinstance(value, str | int):
        raise HookError(422, _("The field %(f)s must be text.") % {"f": name}, field=name)
    value = str(value).strip()
    if FORBIDDEN_CHARACTERS.search(value):
        raise HookError(
            422,
            _("The field %(f)s contains a control character (such as NUL).") % {"f": name},
            field=name,
        )
    if len(value) > limit:
        raise HookError(
            422,
            _("The field %(f)s is too long (at most %(n)s characters).") % {"f": name, "n": limit},
            field=name,
        )
    return value


def _point(data: dict) -> tuple[float | None, float | None]:
    lat, lon = data.get("latitude"), data.get("longitude")
    if lat in (None, "") and lon in (None, ""):
        return None, None
    try:
        return float(lat), float(lon)
    except (TypeError, ValueError):
        raise HookError(
            422, _("latitude and longitude must both be numbers."), field="position"
        ) from None


def _replayed(source: HookSource, event_id: str, body_sha256: str) -> Case | None:
    """The case of an event already received, or None. Raises HookError 409 when
    the event id comes back with another body: a reused id, not a retry."""
    record = ReceivedEvent.objects.filter(source=source, event_id=event_id).first()
    if record is None:
        return None
    if record.body_sha256 and record.body_sha256 != body_sha256:
        raise HookError(
            409,
            _(
                "The event id %(id)s was already received with a different body:"
                " send a new event with a new event id."
            )
            % {"id": event_id},
            field="event_id",
        )
    ReceivedEvent.objects.filter(pk=record.pk).update(replays=F("replays") + 1)
    return Case.objects.get(pk=record.case_id)


def fingerprint(data: dict, files=None) -> str:
    """SHA-256 of what an alarm says, not of its bytes: a retry that orders its JSON
    keys or its multipart boundary differently is still the same event."""
    digest = hashlib.sha256(
        json.dumps(data, sort_keys=True, ensure_ascii=False, default=str).encode()
    )
    for name in sorted(files or ()):
        upload = files[name]
        upload.seek(0)
        digest.update(name.encode() + b"\0" + hashlib.sha256(upload.read()).digest())
        upload.seek(0)
    return digest.hexdigest()


def _receive(source: HookSource, event_id: str, digest: str, now: datetime, make_case) -> Received:
    """Record the event and make its case in one transaction, or return the first case."""
    existing = _replayed(source, event_id, digest)
    if existing:
        return Received(existing, True)
    try:
        with transaction.atomic():
            record = ReceivedEvent.objects.create(
                town=source.town,
                source=source,
                event_id=event_id,
                received_at=now,
                body_sha256=digest,
            )
            case = make_case()
            record.case = case
            record.save(update_fields=["case"])
    except IntegrityError:
        # The same event arrived twice at once; the first one made the case.
        existing = _replayed(source, event_id, digest)
        if existing:
            return Received(existing, True)
        raise
    except CaseError as error:
        raise HookError(422, str(error.message), field=error.field) from None
    return Received(case, False)


def _within_town(source: HookSource, latitude, longitude, description: str):
    """The point, if it lies in the source's town or in no grid at all.

    A source only reports to its own town: a point inside another town's grid
    is not used to locate the case (intake would move it to that town); the
    case stays in the source's town, flagged for placing, and the point is
    kept in the description for the dispatcher. Returns (lat, lon, description).
    """
    if latitude is None or longitude is None:
        return latitude, longitude, description
    location = locate(longitude, latitude)
    if (
        location.grid_id is None
        or Grid.objects.filter(pk=location.grid_id, town_id=source.town_id).exists()
    ):
        return latitude, longitude, description
    note = _(
        "The reported position (%(lat)s, %(lon)s) lies in another town's grid;"
        " the case stays with this town, to be placed by the dispatcher."
    ) % {"lat": latitude, "lon": longitude}
    return None, None, "\n".join(part for part in (description, note) if part)


# --- Police directives (警情指令) ----------------------------------------------


def _named_resident(source: HookSource, data: dict) -> Resident | None:
    id_number = _text(data, "id_number", 18)
    phone = _text(data, "phone", 20)
    if id_number:
        try:
            id_number = validate_id_number(id_number)
        except ValidationError as error:
            raise HookError(422, error.messages[0], field="id_number") from None
        found = Resident.objects.filter(town=source.town, id_number_hash=pii.lookup_hash(id_number))
    elif phone:
        try:
            phone = validate_phone(phone)
        except ValidationError as error:
            raise HookError(422, error.messages[0], field="phone") from None
        found = Resident.objects.filter(town=source.town, phone_hash=pii.lookup_hash(phone))
    else:
        return None
    return found.select_related("household__grid__town").first()


def receive_police_directive(source: HookSource, data: dict, body: bytes, now: datetime):
    """A county alert (e.g. fraud risk) → an emergency case. Raises HookError."""
    event_id = _text(data, "event_id", 100, required=True)
    title = _text(data, "title", 120) or _("Fraud-risk alert from the county police")
    description = _text(data, "description", 2000)
    category = _text(data, "category", 20) or getattr(
        settings, "WANGGE_POLICE_DIRECTIVE_CATEGORY", "TF04"
    )
    latitude, longitude = _point(data)
    address = _text(data, "address", 200)
    name = _text(data, "name", 50)
    resident = _named_resident(source, data)
    grid = None
    if resident is not None:
        household = resident.household
        grid = household.grid
        address = address or household.address
        if latitude is None and household.latitude is not None:
            latitude, longitude = household.latitude, household.longitude
        description = "\n".join(
            part
            for part in (
                description,
                _("Resident named: %(name)s (%(id)s), household %(number)s, %(address)s.")
                % {
                    "name": resident.name,
                    "id": resident.id_number_masked,
                    "number": household.number,
                    "address": household.address,
                },
            )
            if part
        )
    elif name or data.get("id_number") or data.get("phone"):
        # Kept, never dropped: the dispatcher places it from the address.
        description = "\n".join(
            part
            for part in (
                description,
                _("The named person (%(name)s) is not in the town's register.")
                % {"name": name or "—"},
            )
            if part
        )

    if grid is None:
        latitude, longitude, description = _within_town(source, latitude, longitude, description)

    def make_case():
        return intake.report(
            actor=f"hook:{source.key}",
            category=category,
            title=title,
            description=description,
            channel=Channel.POLICE_DIRECTIVE,
            priority=Priority.EMERGENCY,
            town=source.town,
            grid=grid,
            latitude=latitude,
            longitude=longitude,
            address=address,
            reporter_name=source.name[:50],
            now=now,
        )

    return _receive(source, event_id, fingerprint(data), now, make_case)


# --- Video alarms (雪亮工程) ---------------------------------------------------


def _snapshot(data: dict, files) -> list:
    if files and files.get("snapshot"):
        return [files["snapshot"]]
    encoded = data.get("snapshot")
    if not encoded:
        return []
    if not isinstance(encoded, str):
        raise HookError(422, _("The snapshot must be base64 text."), field="snapshot")
    if encoded.startswith("data:") and "," in encoded:
        encoded = encoded.split(",", 1)[1]
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise HookError(422, _("The snapshot is not valid base64."), field="snapshot") from None
    name = _text(data, "snapshot_name", 100) or "snapshot.jpg"
    return [SimpleUploadedFile(name, raw)]


def receive_video_alarm(source: HookSource, data: dict, files, body: bytes, now: datetime):
    """A camera's alarm → a case at the camera's place, with the snapshot. Raises HookError."""
    event_id = _text(data, "event_id", 100, required=True)
    camera_id = _text(data, "camera_id", 64, required=True)
    camera = (
        Camera.objects.filter(source=source, camera_id=camera_id, active=True)
        .select_related("place__grid__town")
        .first()
    )
    if camera is None:
        # Refused loudly, not kept: the platform shows the error and retries once
        # the camera is registered; nothing was recorded under the event id.
        log.warning("video alarm %s from %s: unknown camera %s", event_id, source.key, camera_id)
        raise HookError(
            422,
            _("Unknown camera %(c)s: register it in the administration first.") % {"c": camera_id},
            field="camera_id",
        )
    alarm_type = _text(data, "alarm_type", 60)
    title = _text(data, "title", 120) or (
        _("Video alarm at %(camera)s: %(type)s") % {"camera": camera.name, "type": alarm_type}
        if alarm_type
        else _("Video alarm at %(camera)s") % {"camera": camera.name}
    )
    category = (
        _text(data, "category", 20)
        or camera.category_code
        or getattr(settings, "WANGGE_VIDEO_ALARM_CATEGORY", "ZA03")
    )
    if camera.town_id != source.town_id or (
        camera.place and camera.place.town_id != source.town_id
    ):
        log.warning(
            "video alarm %s from %s: camera %s of another town", event_id, source.key, camera_id
        )
        raise HookError(
            422,
            _(
                "Camera %(c)s, its source and its place are not in the same town:"
                " correct it in the administration first."
            )
            % {"c": camera_id},
            field="camera_id",
        )
    point = camera.point()
    photos = _snapshot(data, files)
    place = camera.place
    description = _text(data, "description", 2000)
    latitude, longitude = (point[1], point[0]) if point else (None, None)
    if place is None:
        latitude, longitude, description = _within_town(source, latitude, longitude, description)

    def make_case():
        return intake.report(
            actor=f"hook:{source.key}",
            category=category,
            title=title[:120],
            description=description,
            channel=Channel.VIDEO_ALARM,
            town=source.town,
            grid=place.grid if place else None,
            latitude=latitude,
            longitude=longitude,
            address=(place.address or place.name) if place else camera.name,
            reporter_name=source.name[:50],
            photos=photos,
            now=now,
        )

    return _receive(source, event_id, fingerprint(data, files), now, make_case)
