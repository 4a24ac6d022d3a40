"""GET requests and GET requests/{id}: cases as GeoReport service requests.

Who may read what: anyone (no api_key, as the spec wants) reads the requests
that came in through Open311 — their client published them already; a valid
api_key adds the cases its user may see (`Case.objects.visible_to`). Either way
a record carries only what the resident's tracking page shows (the state in
words, the department, the result or the reason for rejection): never a name,
a phone number, an internal note or a photo of ours.
"""

from __future__ import annotations

import copy
from datetime import timedelta

from django.db.models import F, Q
from django.utils.translation import gettext as _

from wangge.cases import clock
from wangge.cases.choices import OPEN_STATES, State
from wangge.cases.models import Case, CaseEvent
from wangge.cases.public import plain_state
from wangge.open311 import catalogue
from wangge.open311.errors import Open311Error
from wangge.open311.formats import parse_w3c, w3c

MAX_RESULTS = 1000
MAX_SPAN = timedelta(days=90)
STATUSES = ("open", "closed")


def readable(user=None, town=None):
    """The cases this caller may read through Open311 (user: the api_key's, or None)."""
    # Published by its client: a case that has its Open311Request row, whatever
    # channel another door may have written on a case.
    condition = Q(open311__isnull=False)
    if user is not None:
        condition |= Q(pk__in=Case.objects.visible_to(user).values("pk"))
    cases = Case.objects.filter(condition)
    if town is not None:
        cases = cases.filter(town=town)
    return cases.select_related("category", "lead_department", "town", "open311")


def status_notes(case: Case) -> str:
    """The case's state in the resident's words, with the result or the reason for rejection."""
    notes = [plain_state(case)]
    if case.result and case.state in (State.RESOLVED, State.CLOSED):
        notes.append(case.result)
    if case.state == State.REJECTED and case.reject_reason:
        notes.append(case.reject_reason)
    return "\n".join(notes)


def record(case: Case) -> dict:
    """One case as a GeoReport request."""
    received = getattr(case, "open311", None)
    closed = case.state not in OPEN_STATES
    return {
        "service_request_id": case.number,
        "status": "closed" if closed else "open",
        "status_notes": status_notes(case),
        "service_name": case.category.name,
        "service_code": case.category.code,
        # Staff write the title and description of other channels' cases; only
        # what a client sent us in the first place is published in full.
        "description": case.description if received else case.title,
        "agency_responsible": case.lead_department.name if case.lead_department_id else "",
        "service_notice": catalogue.service_notice(case.category),
        "requested_datetime": w3c(case.reported_at),
        "updated_datetime": w3c(case.closed_at if closed and case.closed_at else case.updated_at),
        "expected_datetime": w3c(case.resolve_due_at) if not closed else "",
        "address": case.address,
        "address_id": "",
        "zipcode": "",
        "lat": case.latitude,
        "long": case.longitude,
        "media_url": received.media_urls[0] if received and received.media_urls else "",
    }


def one(number: str, *, user=None) -> dict:
    """Raises Open311Error 404 when there is no such request for this caller.

    Case numbers are unique across towns, so the jurisdiction does not narrow
    this look-up: a point reported to one town may lie in its neighbour's grid.
    """
    case = readable(user).filter(number=number).first()
    if case is None:
        raise Open311Error(404, _("service_request_id was not found."))
    return record(case)


def _date(params, name: str):
    text = params.get(name)
    if not text:
        return None
    try:
        return parse_w3c(text)
    except ValueError:
        raise Open311Error(
            400,
            _("%(name)s is not a W3C date, e.g. 2026-11-27T14:30:00+08:00.") % {"name": name},
        ) from None


def _list(params, name: str) -> list[str]:
    return [v.strip() for v in ",".join(params.getlist(name)).split(",") if v.strip()]


def _period(params, now):
    """start and end from the query: 90 days at most, the last 90 days by default."""
    start, end = _date(params, "start_date"), _date(params, "end_date")
    if start and end and end < start:
        raise Open311Error(400, _("end_date is before start_date."))
    if start and end and end - start > MAX_SPAN:
        raise Open311Error(400, _("start_date and end_date may not span more than 90 days."))
    now = clock.now() if now is None else now
    if end is None and start is not None:
        end = min(now, start + MAX_SPAN)
    if start is None:
        start = (end or now) - MAX_SPAN
    return start, end


def search(params, *, user=None, town=None, now=None) -> list[dict]:
    """GET requests with the spec's filters; at most 90 days and 1000 requests.

    Raises Open311Error 400 for a bad date, range, status or service_code.
    """
    cases = readable(user, town)
    numbers = _list(params, "service_request_id")
    if numbers:
        # The spec: with ids, every other filter is ignored.
        rows = cases.filter(number__in=numbers[:MAX_RESULTS]).order_by("-reported_at")
        return [record(case) for case in rows]
    codes = _list(params, "service_code")
    if codes:
        known = {c.code for c in catalogue.leaves().filter(code__in=codes)}
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise Open311Error(
                400, _("Unknown service_code: %(codes)s.") % {"codes": ", ".join(unknown)}
            )
        cases = cases.filter(category__code__in=codes)
    statuses = set(_list(params, "status"))
    if statuses - set(STATUSES):
        raise Open311Error(400, _("status must be open or closed."))
    if statuses == {"open"}:
        cases = cases.filter(state__in=OPEN_STATES)
    elif statuses == {"closed"}:
        cases = cases.exclude(state__in=OPEN_STATES)
    start, end = _period(params, now)
    cases = cases.filter(reported_at__gte=start)
    if end is not None:
        cases = cases.filter(reported_at__lte=end)
    return [record(case) for case in cases.order_by("-reported_at")[:MAX_RESULTS]]


# mySociety's update statuses (FixMyStreet maps them onto its own states).
UPDATE_STATUS = {
    State.REPORTED: "OPEN",
    State.ACCEPTED: "INVESTIGATING",
    State.DISPATCHED: "ACTION_SCHEDULED",
    State.CLAIMED: "IN_PROGRESS",
    State.SUSPENDED: "ACTION_SCHEDULED",
    State.RESOLVED: "FIXED",
    State.CLOSED: "CLOSED",
    State.REJECTED: "NO_FURTHER_ACTION",
    State.MERGED: "DUPLICATE",
    State.CANCELLED: "CLOSED",
}


RESOLVE_ACTIONS = ("resolve", "resolve_on_site")


def _results_of(case_ids) -> dict[int, list[tuple]]:
    """Each case's resolutions, oldest first, as ((at, id), result)."""
    found: dict[int, list[tuple]] = {}
    rows = CaseEvent.objects.filter(case_id__in=case_ids, action__in=RESOLVE_ACTIONS)
    for case_id, at, pk, note in rows.order_by("at", "id").values_list(
        "case_id", "at", "id", "note"
    ):
        found.setdefault(case_id, []).append(((at, pk), note))
    return found


def _result_at(resolutions: list[tuple], event) -> str:
    """The result of the latest resolution up to and including `event`."""
    result = ""
    for moment, note in resolutions:
        if moment > (event.at, event.pk):
            break
        result = note
    return result


def updates(params, *, user=None, town=None, now=None) -> list[dict]:
    """servicerequestupdates (mySociety's extension): each change of state, oldest first.

    Only the state in words (and the result or the reason for rejection) is
    told, never an event's note. Raises Open311Error 400 for a bad date or range.
    """
    start, end = _period(params, now)
    events = CaseEvent.objects.filter(
        case__in=readable(user, town).values("pk"), internal=False, at__gte=start
    ).filter(Q(action="report") | ~Q(from_state=F("to_state")))
    if end is not None:
        events = events.filter(at__lte=end)
    events = events.select_related("case__category", "case__lead_department", "case__open311")
    events = list(events.order_by("at", "id")[:MAX_RESULTS])
    results = _results_of({event.case_id for event in events})
    rows = []
    for event in events:
        # The case as it was just after this event, as far as the resident's words
        # go: the result of the latest resolution up to then, never a later one.
        then = copy.copy(event.case)
        then.state, then.level = event.to_state, event.level or then.level
        then.result = _result_at(results.get(event.case_id, []), event)
        then.reject_reason = event.note if event.action == "reject" else ""
        received = getattr(event.case, "open311", None)
        rows.append(
            {
                "update_id": str(event.pk),
                "service_request_id": event.case.number,
                "status": UPDATE_STATUS.get(event.to_state, "OPEN"),
                "updated_datetime": w3c(event.at),
                "description": status_notes(then),
                "media_url": received.media_urls[0]
                if received and received.media_urls and event.action == "report"
                else "",
            }
        )
    return rows
