"""The rules of field work: who is due a visit, recording a visit, checking in at a
place, the special team's places, and the service stations' ten-minute circle.

Views, the demo and the benchmark call these functions; each state change runs
in one transaction and changes nothing when it refuses (`FieldworkError`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, time, timedelta

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.cases import clock
from wangge.cases.choices import CategoryKind, Channel
from wangge.cases.models import Category
from wangge.fieldwork.models import (
    DEFAULT_INSPECTION_DAYS,
    DEFAULT_VISIT_INTERVAL_DAYS,
    WATCHED_KINDS,
    Inspection,
    InspectionPhoto,
    InspectionRound,
    InspectionSchedule,
    PlaceWatch,
    SealState,
    ServiceStation,
    TeamGroup,
    Visit,
    VisitPlan,
    default_windows,
)
from wangge.grids.locator import EARTH_RADIUS_M, distance_m
from wangge.grids.models import Grid, Place, PlaceKind
from wangge.residents.models import Household, Resident

# A finding that a seal is breached opens this hazard (矿山安全隐患) unless told otherwise.
SEAL_BREACH_CATEGORY = "AQ02"


class FieldworkError(Exception):
    """A refused field-work action; `message` is for people, `field` names the input."""

    def __init__(self, message, *, field: str | None = None):
        self.message = message
        self.field = field
        super().__init__(str(message))


class NotFound(FieldworkError):
    """Outside the user's scope: pages answer 404."""


# --- Distances and settings ---------------------------------------------------


def check_in_radius_m() -> float:
    """How near a place an inspector must be to check in (WANGGE_CHECK_IN_RADIUS_M)."""
    return float(getattr(settings, "WANGGE_CHECK_IN_RADIUS_M", 100))


def walk_radius_m() -> float:
    """The ten-minute walk, as a straight-line distance (WANGGE_SERVICE_WALK_M)."""
    return float(getattr(settings, "WANGGE_SERVICE_WALK_M", 800))


def _position(latitude, longitude, *, required: bool) -> tuple[float, float] | None:
    if latitude in (None, "") and longitude in (None, ""):
        if required:
            raise FieldworkError(
                _("Your position is needed: allow the phone's GPS and try again."),
                field="position",
            )
        return None
    try:
        lat, lon = float(latitude), float(longitude)
    except (TypeError, ValueError):
        raise FieldworkError(_("The position is not valid."), field="position") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or math.isnan(lat) or math.isnan(lon):
        raise FieldworkError(_("The position is outside the map."), field="position")
    return lat, lon


# --- Visit plans ---------------------------------------------------------------


def plan_of(grid: Grid) -> tuple[int, list[dict]]:
    """(interval in days, visiting windows) of a grid; the defaults when it has no plan."""
    plan = VisitPlan.objects.filter(grid=grid).first()
    if plan is None:
        return DEFAULT_VISIT_INTERVAL_DAYS, default_windows()
    return plan.interval_days, plan.windows or []


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def window_of(moment: datetime, windows: list[dict]) -> dict | None:
    """The visiting window a moment (in local time) falls in, or None."""
    local = timezone.localtime(moment).time()
    for window in windows:
        try:
            if _clock(window["start"]) <= local < _clock(window["end"]):
                return window
        except (KeyError, ValueError):
            continue
    return None


def vulnerable_q(prefix: str = "") -> Q:
    """Households with a vulnerable tag on the household or on one of its members."""
    household = Exists(
        Household.tags.through.objects.filter(
            household_id=OuterRef(f"{prefix}pk"), tag__vulnerable=True
        )
    )
    member = Exists(
        Resident.tags.through.objects.filter(
            resident__household_id=OuterRef(f"{prefix}pk"), tag__vulnerable=True
        )
    )
    return Q(household) | Q(member)


def last_visit_subquery():
    """The time of a household's last visit at which someone was met."""
    return Subquery(
        Visit.objects.filter(household_id=OuterRef("pk"), nobody_home=False)
        .order_by()
        .values("household_id")
        .annotate(last=Max("visited_at"))
        .values("last")[:1]
    )


def grid_centre(grid: Grid) -> tuple[float, float]:
    """(lat, lon) of the grid's centre: the stored centroid, else the boundary's."""
    if grid.centroid_lat or grid.centroid_lon:
        return grid.centroid_lat, grid.centroid_lon
    from shapely.geometry import shape

    try:
        point = shape(grid.boundary).centroid
    except (AttributeError, KeyError, TypeError, ValueError):
        return 0.0, 0.0
    return point.y, point.x


@dataclass
class DueHousehold:
    household: Household
    last_visit: datetime | None
    days_since: int | None
    vulnerable: bool
    distance_m: float | None


def visit_grids(user):
    """The grids whose households this user visits (their scope), in code order."""
    return Grid.objects.visible_to(user).filter(
        Q(pk__in=Household.objects.visible_to(user).values("grid_id"))
    )


def todays_visits(user, *, grid: Grid, latitude=None, longitude=None, now=None) -> dict:
    """The households of `grid` due a visit, in the order to knock on doors.

    Due: no visit at which someone was met within the grid's interval.
    Order: vulnerable households first; then by whole weeks since the last visit,
    longest first (never visited before all); then nearest first — from the
    given position, else from the grid's centre.
    """
    now = now or clock.now()
    origin = _position(latitude, longitude, required=False)
    if origin is None:
        origin = grid_centre(grid)
    interval, windows = plan_of(grid)
    since = now - timedelta(days=interval)
    households = (
        Household.objects.visible_to(user)
        .filter(grid=grid)
        .annotate(last_visit=last_visit_subquery())
        .filter(Q(last_visit__isnull=True) | Q(last_visit__lt=since))
        .annotate(vulnerable=vulnerable_q())
        .only("id", "number", "address", "latitude", "longitude", "grid_id")
    )
    rows = []
    for h in households:
        days = (now - h.last_visit).days if h.last_visit else None
        distance = (
            distance_m(origin[0], origin[1], h.latitude, h.longitude)
            if h.latitude is not None and h.longitude is not None
            else None
        )
        rows.append(DueHousehold(h, h.last_visit, days, bool(h.vulnerable), distance))
    rows.sort(
        key=lambda r: (
            not r.vulnerable,
            -(r.days_since // 7) if r.days_since is not None else -(10**6),
            r.distance_m if r.distance_m is not None else math.inf,
            r.household.number,
        )
    )
    start_of_day = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    done_today = Visit.objects.visible_to(user).filter(
        grid=grid, visited_at__gte=start_of_day, visited_at__lte=now
    )
    total = Household.objects.visible_to(user).filter(grid=grid).count()
    return {
        "grid": grid,
        "rows": rows,
        "due": len(rows),
        "households": total,
        "done_today": done_today.count(),
        "interval_days": interval,
        "windows": windows,
        "window_now": window_of(now, windows),
        "origin": origin,
        "from_gps": latitude not in (None, ""),
    }


def problem_categories():
    return Category.objects.filter(
        kind=CategoryKind.PROBLEM, active=True, parent__isnull=False
    ).select_related("parent")


def _open_finding(actor, finding: dict, *, channel, latitude, longitude, address, now, town):
    from wangge.cases import intake

    return intake.report(
        actor=actor,
        category=finding["category"],
        title=finding["title"],
        description=finding.get("description", ""),
        channel=channel,
        latitude=latitude,
        longitude=longitude,
        address=address,
        photos=finding.get("photos", ()),
        town=town,
        now=now,
    )


def record_visit(
    actor,
    household: Household,
    *,
    latitude=None,
    longitude=None,
    nobody_home: bool = False,
    mediator: str = "",
    supervisor: str = "",
    notes: str = "",
    findings: list[dict] = (),
    visited_at: datetime | None = None,
    now: datetime | None = None,
) -> Visit:
    """Record a door-knock visit; each finding opens a case linked to the visit.

    Raises NotFound (household outside the actor's scope), FieldworkError, or the
    case error of a refused finding — nothing is saved then.
    """
    now = now or clock.now()
    if not Household.objects.visible_to(actor).filter(pk=household.pk).exists():
        raise NotFound(_("Household not found."))
    if not actor.has_perm("fieldwork.add_visit"):
        raise FieldworkError(_("You may not record visits."))
    visited_at = visited_at or now
    if visited_at > now + timedelta(minutes=5):
        raise FieldworkError(_("A visit cannot be in the future."), field="visited_at")
    position = _position(latitude, longitude, required=False)
    findings = [f for f in findings if f]
    if nobody_home and findings:
        raise FieldworkError(
            _("Nobody was at home: record findings on a visit where someone was met."),
            field="nobody_home",
        )
    for finding in findings:
        if not finding.get("category") or not (finding.get("title") or "").strip():
            raise FieldworkError(_("A finding needs a category and a title."), field="finding")
    _interval, windows = plan_of(household.grid)
    with transaction.atomic():
        visit = Visit.objects.create(
            town_id=household.town_id,
            village_id=household.village_id,
            grid_id=household.grid_id,
            household=household,
            visited_at=visited_at,
            visited_by=actor,
            mediator=mediator.strip()[:50],
            supervisor=supervisor.strip()[:50],
            nobody_home=nobody_home,
            in_window=window_of(visited_at, windows) is not None,
            latitude=position[0] if position else None,
            longitude=position[1] if position else None,
            notes=notes.strip(),
        )
        lat = position[0] if position else household.latitude
        lon = position[1] if position else household.longitude
        cases = [
            _open_finding(
                actor,
                finding,
                channel=Channel.VISIT,
                latitude=lat,
                longitude=lon,
                address=household.address,
                now=now,
                town=household.town,
            )
            for finding in findings
        ]
        if cases:
            visit.cases.add(*cases)
    return visit


# --- Inspections ---------------------------------------------------------------


def sync_watches(town) -> int:
    """Make sure every watched place of the town has its PlaceWatch. Returns how many were made."""
    missing = Place.objects.filter(town=town, kind__in=WATCHED_KINDS, watch__isnull=True)
    made = PlaceWatch.objects.bulk_create(
        [
            PlaceWatch(
                town_id=p.town_id,
                place=p,
                seal_state=SealState.SEALED if p.kind == PlaceKind.SEALED_ADIT else "",
            )
            for p in missing.only("id", "town_id", "kind")
        ]
    )
    return len(made)


def intervals(town_ids) -> dict[tuple[int, str], int]:
    """Inspection interval in days per (town, kind): the town's schedule, else the default."""
    result = {
        (town_id, kind): days
        for town_id in town_ids
        for kind, days in DEFAULT_INSPECTION_DAYS.items()
    }
    for town_id, kind, days in InspectionSchedule.objects.filter(town_id__in=town_ids).values_list(
        "town_id", "kind", "interval_days"
    ):
        result[(town_id, kind)] = days
    return result


def watches_for(user):
    """The watched places this user may see: their grids' and villages' places, the
    places of their team group, everything in the town for the command centre."""
    return PlaceWatch.objects.visible_to(user).filter(place__kind__in=WATCHED_KINDS)


def may_inspect(user, watch: PlaceWatch) -> bool:
    return user.has_perm("fieldwork.add_inspection") or (
        watch.group_id is not None and watch.group.members.filter(pk=user.pk).exists()
    )


@dataclass
class DuePlace:
    watch: PlaceWatch
    due_at: datetime | None
    overdue: bool
    distance_m: float | None


def places_due(user, *, kind: str = "", latitude=None, longitude=None, now=None, limit=200):
    """Watched places in scope, the most overdue first, then nearest (from the GPS if given)."""
    now = now or clock.now()
    origin = _position(latitude, longitude, required=False)
    watches = watches_for(user).select_related("place", "place__village", "group")
    if kind in WATCHED_KINDS:
        watches = watches.filter(place__kind=kind)
    town_ids = set(watches.values_list("town_id", flat=True).distinct())
    days = intervals(town_ids)
    rows = []
    for w in watches:
        interval = days[(w.town_id, w.place.kind)]
        due_at = w.last_inspected_at + timedelta(days=interval) if w.last_inspected_at else None
        overdue = due_at is None or due_at <= now
        distance = (
            distance_m(origin[0], origin[1], w.place.latitude, w.place.longitude)
            if origin
            else None
        )
        rows.append(DuePlace(w, due_at, overdue, distance))
    far_past = datetime.min.replace(tzinfo=now.tzinfo)
    rows.sort(
        key=lambda r: (
            not r.overdue,
            r.distance_m if (r.overdue and r.distance_m is not None) else 0,
            r.due_at or far_past,
            r.watch.place.name,
        )
    )
    return rows[:limit], len(rows)


def _round_for(actor, watch: PlaceWatch, moment: datetime) -> InspectionRound:
    day = timezone.localtime(moment).date()
    group = watch.group if watch.group_id and may_be_member(actor, watch.group) else None
    found = InspectionRound.objects.filter(town_id=watch.town_id, day=day, group=group)
    if group is None:
        found = found.filter(started_by=actor)
    existing = found.first()
    if existing:
        return existing
    return InspectionRound.objects.create(
        town_id=watch.town_id, day=day, group=group, started_by=actor
    )


def may_be_member(user, group: TeamGroup) -> bool:
    return group.members.filter(pk=user.pk).exists()


def check_in(
    actor,
    watch: PlaceWatch,
    *,
    latitude,
    longitude,
    seal_state: str = "",
    notes: str = "",
    finding: dict | None = None,
    photos=(),
    now: datetime | None = None,
) -> Inspection:
    """Check in at a watched place, on site: the GPS must be within the radius.

    A breached seal opens a mine-hazard case even without a written finding; a
    finding opens a case linked to the inspection. Raises NotFound,
    FieldworkError (or a case error for a refused finding); nothing is saved then.
    """
    now = now or clock.now()
    if not watches_for(actor).filter(pk=watch.pk).exists():
        raise NotFound(_("Place not found."))
    if not may_inspect(actor, watch):
        raise FieldworkError(_("You may not inspect this place."))
    lat, lon = _position(latitude, longitude, required=True)
    place = watch.place
    distance = distance_m(lat, lon, place.latitude, place.longitude)
    radius = check_in_radius_m()
    if distance > radius:
        raise FieldworkError(
            _("You are %(distance)s m from %(place)s; check in within %(radius)s m of it.")
            % {"distance": round(distance), "place": place.name, "radius": round(radius)},
            field="position",
        )
    is_adit = place.kind == PlaceKind.SEALED_ADIT
    if is_adit and seal_state not in SealState.values:
        raise FieldworkError(_("Record the state of the seal."), field="seal_state")
    if not is_adit:
        seal_state = ""
    if finding and (not finding.get("category") or not (finding.get("title") or "").strip()):
        raise FieldworkError(_("A finding needs a category and a title."), field="finding")
    if not finding and seal_state == SealState.BREACHED:
        finding = {
            "category": SEAL_BREACH_CATEGORY,
            "title": _("Seal breached at %(place)s") % {"place": place.name},
            "description": notes,
        }
    from wangge.cases.attachments import check_upload

    checked = [(photo, check_upload(photo)) for photo in photos]
    with transaction.atomic():
        locked = PlaceWatch.objects.select_for_update().get(pk=watch.pk)
        inspection = Inspection.objects.create(
            town_id=place.town_id,
            village_id=place.village_id,
            grid_id=place.grid_id,
            place=place,
            round=_round_for(actor, locked, now),
            inspector=actor,
            checked_in_at=now,
            latitude=lat,
            longitude=lon,
            distance_m=round(distance, 1),
            seal_state=seal_state,
            notes=notes.strip(),
        )
        for photo, (content_type, _ext) in checked:
            photo.seek(0)
            InspectionPhoto.objects.create(
                inspection=inspection, file=photo, content_type=content_type
            )
        if finding:
            case = _open_finding(
                actor,
                finding,
                channel=Channel.INSPECTION,
                latitude=place.latitude,
                longitude=place.longitude,
                address=place.address or place.name,
                now=now,
                town=place.town,
            )
            inspection.cases.add(case)
        if locked.last_inspected_at is None or locked.last_inspected_at < now:
            locked.last_inspected_at = now
        if seal_state:
            locked.seal_state = seal_state
            locked.seal_checked_at = now
        locked.save(update_fields=["last_inspected_at", "seal_state", "seal_checked_at"])
    return inspection


# --- Service stations ----------------------------------------------------------


def households_outside(households, stations, radius_m: float | None = None):
    """(id, lat, lon) of located households farther than the walk from every station."""
    radius = walk_radius_m() if radius_m is None else radius_m
    rows = np.array(
        list(
            households.filter(latitude__isnull=False, longitude__isnull=False).values_list(
                "id", "latitude", "longitude"
            )
        ),
        dtype=float,
    ).reshape(-1, 3)
    points = np.array(
        list(stations.values_list("place__latitude", "place__longitude")), dtype=float
    ).reshape(-1, 2)
    if len(rows) == 0:
        return []
    if len(points) == 0:
        far = np.ones(len(rows), dtype=bool)
    else:
        lat1 = np.radians(rows[:, 1])[:, None]
        lon1 = np.radians(rows[:, 2])[:, None]
        lat2 = np.radians(points[:, 0])[None, :]
        lon2 = np.radians(points[:, 1])[None, :]
        a = (
            np.sin((lat2 - lat1) / 2) ** 2
            + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
        )
        nearest = (2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(a, 1.0)))).min(axis=1)
        far = nearest > radius
    return [(int(r[0]), float(r[1]), float(r[2])) for r in rows[far]]


def stations_for(user):
    return ServiceStation.objects.visible_to(user).select_related("place", "place__village")
