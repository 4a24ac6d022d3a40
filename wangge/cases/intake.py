"""Reporting a case (群众点单): the first transition, from nothing to `reported`.

Intake locates the case in its grid, numbers it, starts its first deadlines,
flags a likely duplicate, notifies the grid (and, for an emergency, the police
of the beat and the grid instructor at the same moment), and honours an
Idempotency-Key so a retried report never makes a second case.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.lookups import Exact, GreaterThanOrEqual, In
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.cases import clock, notify, sla
from wangge.cases.choices import OPEN_STATES, CategoryKind, Channel, Milestone, Priority
from wangge.cases.errors import IdempotencyMismatch, InvalidInput, MissingInput
from wangge.cases.lifecycle import _plan_checks, start_milestone
from wangge.cases.models import Case, CaseEvent, CaseSequence, Category, IdempotencyRecord
from wangge.core import rows
from wangge.core.sql import Unindexed
from wangge.grids.locator import NOWHERE, Location, distance_m, locate
from wangge.grids.locator import invalidate as invalidate_locator
from wangge.grids.models import Grid, Town
from wangge.residents import pii
from wangge.residents.validators import validate_phone


def _category(value) -> Category:
    if isinstance(value, Category):
        category = value
    else:
        category = sla.category_by_code(value) if value else None
    if category is None or not category.active:
        raise InvalidInput(_("Unknown category."), field="category")
    return category


def _request_hash(fields: dict) -> str:
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()


_NEXT_NUMBER = (
    f"UPDATE {CaseSequence._meta.db_table} SET last = last + 1"
    " WHERE town_id = %s AND year = %s"
    f" RETURNING last, (SELECT case_prefix FROM {Town._meta.db_table}"
    f" WHERE {Town._meta.db_table}.id = {CaseSequence._meta.db_table}.town_id)"
)


def _next_number(town_id: int, moment: datetime) -> str:
    """The town's next number this year, with the town's prefix: one statement that
    counts and locks the row (both databases support UPDATE … RETURNING); the
    year's row is made on first use."""
    year = timezone.localtime(moment).year
    with rows.cursor() as cursor:
        cursor.execute(_NEXT_NUMBER, [town_id, year])
        row = cursor.fetchone()
        if row is None:
            CaseSequence.objects.get_or_create(town_id=town_id, year=year)
            cursor.execute(_NEXT_NUMBER, [town_id, year])
            row = cursor.fetchone()
    last, prefix = row
    return f"{prefix}{year}{last:06d}"


def likely_duplicate(case: Case) -> int | None:
    """The id of an open case of the same category nearby in the last hours
    (settings decide how near)."""
    if case.latitude is None or case.longitude is None:
        return None
    radius = settings.WANGGE_DUPLICATE_RADIUS_M
    hours = settings.WANGGE_DUPLICATE_WINDOW_HOURS
    dlat = radius / 111_000
    dlon = radius / (111_320 * max(math.cos(math.radians(case.latitude)), 0.01))

    def build(town_id, category_id, since, south, north, west, east):
        # Through the index `case_nearby` (category, then latitude): SQLite, left to
        # guess, walked every case of the town since `since` to its table row.
        return (
            Case.objects.filter(
                Exact(Unindexed("town_id"), town_id),
                In(Unindexed("state"), sorted(OPEN_STATES)),  # one text in every process
                GreaterThanOrEqual(Unindexed("reported_at"), since),
                category_id=category_id,
                latitude__range=(south, north),
                longitude__range=(west, east),
            )
            .order_by("reported_at")
            .values_list("pk", "latitude", "longitude")
        )

    # Asked on every report: composed once.
    statement = rows.prepare(
        "likely duplicate", build, [int, int, datetime, float, float, float, float]
    )
    candidates = statement.rows(
        case.town_id,
        case.category_id,
        case.reported_at - timedelta(hours=hours),
        case.latitude - dlat,
        case.latitude + dlat,
        case.longitude - dlon,
        case.longitude + dlon,
    )
    for pk, lat, lon in candidates:
        if distance_m(case.latitude, case.longitude, lat, lon) <= radius:
            return pk
    return None


def report(
    *,
    actor,
    category,
    title: str,
    channel: str,
    description: str = "",
    priority: str | None = None,
    town: Town | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    address: str = "",
    grid: Grid | None = None,
    reporter_resident=None,
    reporter_name: str = "",
    reporter_phone: str = "",
    photos: Iterable = (),
    idempotency_key: str | None = None,
    client: str | None = None,
    now: datetime | None = None,
) -> Case:
    """Create a case in state `reported`. Raises MissingInput, InvalidInput, IdempotencyMismatch.

    A point outside every grid is kept and flagged `needs_placing` for the
    dispatcher, never dropped; the town then comes from `town` or the actor.
    """
    now = now or clock.now()
    category = _category(category)
    if not (title or "").strip():
        raise MissingInput(_("A title is required."), field="title")
    if channel not in Channel.values:
        raise InvalidInput(_("Unknown channel."), field="channel")
    priority = priority or (
        Priority.SERVICE if category.kind == CategoryKind.SERVICE else category.default_priority
    )
    if priority not in Priority.values:
        raise InvalidInput(_("Unknown priority."), field="priority")
    if (latitude is None) != (longitude is None):
        raise InvalidInput(_("A position needs both latitude and longitude."), field="position")
    if latitude is not None and not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise InvalidInput(_("The position is outside the map."), field="position")
    phone = ""
    if reporter_phone:
        try:
            phone = validate_phone(reporter_phone)
        except ValidationError as error:
            raise InvalidInput(error.messages[0], field="reporter_phone") from None
    from wangge.cases.attachments import check_upload

    photos = list(photos)
    for photo in photos:
        check_upload(photo)

    fields = {
        "category": category.code,
        "title": title,
        "description": description,
        "priority": priority,
        "channel": channel,
        "latitude": latitude,
        "longitude": longitude,
        "address": address,
        "grid": grid.pk if grid else None,
        "phone": phone,
    }
    if idempotency_key:
        # No look-up first: the record's unique (client, key) turns a retry into
        # an IntegrityError below, which undoes the attempt and answers with the
        # first case (or IdempotencyMismatch). A first report costs no extra query.
        client = client or (f"user:{actor.pk}" if not isinstance(actor, str) else f"{actor}")

    # The grid, its village and its town: the one given, else where the point lies
    # (the locator knows each grid's village and town: no query), else the town
    # given or the reporter's.
    place = NOWHERE
    if grid is not None:
        place = Location(grid.pk, None, grid.village_id, grid.town_id)
    elif latitude is not None:
        place = locate(longitude, latitude)
    town_id = place.town_id or (town.pk if town is not None else None)
    if town_id is None and not isinstance(actor, str):
        town_id = actor.town_id
    if town_id is None:
        raise MissingInput(
            _("A place is required: a position, a grid or a town."),
            field="position",
        )

    case = Case(
        town_id=town_id,
        reported_at=now,
        title=title.strip()[:120],
        description=description,
        category=category,
        priority=priority,
        channel=channel,
        reporter_resident=reporter_resident,
        reporter_user=None if isinstance(actor, str) else actor,
        reporter_name=reporter_name,
        reporter_phone_encrypted=pii.encrypt(phone),
        reporter_phone_hash=pii.lookup_hash(phone),
        reporter_phone_masked=pii.mask_phone(phone),
        latitude=latitude,
        longitude=longitude,
        address=address,
        grid_id=place.grid_id,
        village_id=place.village_id,
        micro_grid_id=place.micro_grid_id,
        needs_placing=place.grid_id is None,
    )
    policy = sla.policy_for(category, priority)
    case.sla_clock = policy.clock
    start_milestone(case, Milestone.ACCEPT, now, policy.accept_minutes)
    if priority == Priority.EMERGENCY and policy.on_scene_minutes:
        # The 15 minutes run on the wall clock whatever the policy's clock.
        case.on_scene_due_at = now + timedelta(minutes=policy.on_scene_minutes)
        case.sla_starts = {**case.sla_starts, Milestone.ON_SCENE: now.isoformat()}
    _plan_checks(case, now)
    # Read before the transaction, which holds SQLite's one write lock: the
    # duplicate flag is advice for the grid, and who hears of a new case does
    # not depend on its number.
    case.likely_duplicate_of_id = likely_duplicate(case)
    kind, recipients = _report_recipients(case)

    try:
        with transaction.atomic():
            case.number = _next_number(town_id, now)
            rows.insert(case)
            event = rows.insert(
                CaseEvent(
                    town_id=town_id,
                    case=case,
                    at=now,
                    actor=None if isinstance(actor, str) else actor,
                    actor_label=actor if isinstance(actor, str) else "",
                    action="report",
                    to_state=case.state,
                    level=case.level,
                    note=description[:2000],
                    data={"channel": channel, "needs_placing": case.needs_placing},
                )
            )
            if idempotency_key:
                rows.insert(
                    IdempotencyRecord(
                        key=idempotency_key,
                        client=client,
                        request_hash=_request_hash(fields),
                        case=case,
                        created_at=now,
                    )
                )
            notify.queue(case, event, recipients, kind, _report_text(case, kind))
    except IntegrityError:
        if idempotency_key:
            # Two retries raced; the other one won and its case is the answer.
            existing = _replay(client, idempotency_key, fields)
            if existing:
                return existing
        if grid is None and place.grid_id:
            # The locator's map may be older than a grid deleted a moment ago
            # (other processes notice within WANGGE_LOCATOR_RECHECK_SECONDS): the
            # next report, or this one retried, reads the map afresh.
            invalidate_locator()
        raise
    if photos:
        from wangge.cases.attachments import save_attachments

        save_attachments(
            case, photos, uploaded_by=None if isinstance(actor, str) else actor, event=event
        )
    return case


def _replay(client: str, key: str, fields: dict) -> Case | None:
    record = (
        IdempotencyRecord.objects.filter(client=client, key=key)
        .values("request_hash", "case_id")
        .first()
    )
    if record is None:
        return None
    if record["request_hash"] != _request_hash(fields):
        raise IdempotencyMismatch()
    return Case.objects.get(pk=record["case_id"])


def _report_recipients(case: Case) -> tuple[str, set[int]]:
    """Who hears of a new case: (kind of notice, users)."""
    if case.priority == Priority.EMERGENCY:
        # 警网融合: the grid worker, the beat's officer and the instructor at once.
        recipients = notify.grid_workers(case) | notify.police(case) | notify.grid_instructors(case)
        return "emergency", recipients or notify.dispatchers(case)
    recipients = notify.grid_workers(case) if case.grid_id else notify.dispatchers(case)
    if case.needs_placing:
        recipients |= notify.dispatchers(case)
    return "report", recipients


def _report_text(case: Case, kind: str) -> str:
    if kind == "emergency":
        minutes = round((case.accept_due_at - case.reported_at).total_seconds() / 60)
        return _("EMERGENCY %(n)s: %(t)s — respond within %(m)s minutes.") % {
            "n": case.number,
            "t": case.title,
            "m": minutes,
        }
    return _("New case %(n)s: %(t)s") % {"n": case.number, "t": case.title}
