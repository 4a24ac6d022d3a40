"""Pages for residents, without an account: report (群众点单), a receipt code, tracking
by that code, rating the result (回访) and withdrawing a report.

The receipt code is the only credential, so every page that looks a case up by
it is rate-limited per client address, and an unknown code is an ordinary 404.
The tracking page is built from the case's milestone times and its public
fields (result, reason for rejection); it never shows event notes, people or
phone numbers, so nothing internal can leak through it.
"""

from __future__ import annotations

import json
from functools import lru_cache

import shapely
from django.conf import settings
from django.contrib import messages
from django.db.models import Count, Max
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit
from shapely.geometry import mapping, shape

from wangge.cases import intake, lifecycle
from wangge.cases.choices import Channel, Level, State
from wangge.cases.errors import CaseError, IdempotencyMismatch
from wangge.cases.models import Case, normalise_receipt_code
from wangge.cases.public_forms import CancelForm, RateForm, ReportForm, TrackForm
from wangge.cases.rules import REPORTER, RULES
from wangge.grids.models import Grid, Town

# Every look-up by receipt code counts against one limit per address.
TRACK_GROUP = "wangge.public.track"
REPORT_GROUP = "wangge.public.report"


def _track_rate(group, request) -> str:
    return settings.WANGGE_PUBLIC_TRACK_RATE


def _report_rate(group, request) -> str:
    return settings.WANGGE_PUBLIC_REPORT_RATE


def _limited(request) -> HttpResponse:
    return render(request, "cases/public/limited.html", status=429)


def _client(request) -> str:
    # Not the address: a phone that moves from Wi-Fi to 4G between retries must
    # still get its first case back. The random key and the body must match.
    return "public"


# --- Reporting ----------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
@ratelimit(group=REPORT_GROUP, key="ip", rate=_report_rate, method="POST", block=False)
def report(request):
    """The report form; a valid report redirects to its receipt."""
    if request.method == "POST":
        if request.limited:
            return _limited(request)
        form = ReportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                case = intake.report(
                    actor=REPORTER,
                    channel=Channel.WEB,
                    client=_client(request),
                    **form.report_kwargs(),
                )
            except IdempotencyMismatch:
                form.renew_key()
                form.add_error(
                    None,
                    _(
                        "This form was already sent with different content. "
                        "Check it and send it again to make a new report."
                    ),
                )
            except CaseError as error:
                field = error.field if error.field in form.fields else None
                form.add_error(field, str(error.message))
            else:
                return redirect("public:receipt", code=case.receipt_code)
    else:
        form = ReportForm()
    centre = (
        Town.objects.exclude(latitude=None)
        .exclude(longitude=None)
        .values_list("latitude", "longitude")
        .first()
    )
    return render(
        request,
        "cases/public/report.html",
        {
            "form": form,
            "tile_url": settings.WANGGE_TILE_URL,
            "centre": ",".join(map(str, centre)) if centre else "",
        },
    )


def _case_by_code(code: str) -> Case:
    return get_object_or_404(
        Case.objects.select_related(
            "category",
            "category__parent",
            "grid",
            "lead_department",
            "duplicate_of",
            "duplicate_of__lead_department",
        ),
        receipt_code=normalise_receipt_code(code),
    )


@never_cache
@require_GET
@ratelimit(group=TRACK_GROUP, key="ip", rate=_track_rate, block=False)
def receipt(request, code):
    if request.limited:
        return _limited(request)
    return render(request, "cases/public/receipt.html", {"case": _case_by_code(code)})


# --- Tracking -----------------------------------------------------------------


@require_GET
def track_lookup(request):
    """Ask for the receipt code; a code sent here goes to its tracking page."""
    form = TrackForm(request.GET) if "code" in request.GET else TrackForm()
    if form.is_bound and form.is_valid():
        return redirect("public:track", code=form.cleaned_data["code"])
    return render(request, "cases/public/track_lookup.html", {"form": form})


@never_cache
@require_GET
@ratelimit(group=TRACK_GROUP, key="ip", rate=_track_rate, block=False)
def track(request, code):
    if request.limited:
        return _limited(request)
    return _track_page(request, _case_by_code(code))


def _can_rate(case: Case) -> bool:
    # A closed case is rated once; a resolved one whenever it is resolved again.
    return case.state in RULES["rate"].sources and not (
        case.state == State.CLOSED and case.rated_at
    )


def _track_page(request, case: Case, *, rate_form=None, cancel_form=None, status=200):
    initial = {"version": case.version}
    if rate_form is None and _can_rate(case):
        rate_form = RateForm(initial=initial)
    if cancel_form is None and case.state in RULES["cancel"].sources:
        cancel_form = CancelForm(initial=initial)
    original = case.duplicate_of if case.state == State.MERGED else None
    return render(
        request,
        "cases/public/track.html",
        {
            "case": case,
            "state_text": plain_state(case),
            "original_state_text": plain_state(original) if original else "",
            "steps": progress(case),
            "show_result": bool(case.result) and case.state in (State.RESOLVED, State.CLOSED),
            "rate_form": rate_form,
            "cancel_form": cancel_form,
        },
        status=status,
    )


@require_POST
@ratelimit(group=TRACK_GROUP, key="ip", rate=_track_rate, block=False)
def rate(request, code):
    """回访: satisfied closes a resolved case, unsatisfied sends it back (the lifecycle decides)."""
    if request.limited:
        return _limited(request)
    case = _case_by_code(code)
    form = RateForm(request.POST)
    if not form.is_valid():
        return _track_page(request, case, rate_form=form, status=400)
    case.version = form.cleaned_data["version"]
    try:
        lifecycle.rate(
            case,
            REPORTER,
            rating=form.cleaned_data["rating"],
            comment=form.cleaned_data["comment"].strip(),
        )
    except CaseError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Thank you for your rating."))
    return redirect("public:track", code=code)


@require_POST
@ratelimit(group=TRACK_GROUP, key="ip", rate=_track_rate, block=False)
def cancel(request, code):
    """Withdraw a report the grid has not taken yet."""
    if request.limited:
        return _limited(request)
    case = _case_by_code(code)
    form = CancelForm(request.POST)
    if not form.is_valid():
        return _track_page(request, case, cancel_form=form, status=400)
    case.version = form.cleaned_data["version"]
    try:
        lifecycle.cancel(case, REPORTER, reason=form.cleaned_data["reason"].strip())
    except CaseError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Your report was withdrawn."))
    return redirect("public:track", code=code)


def plain_state(case: Case) -> str:
    """Where the case is, in words for a resident (departments by name, never people)."""
    department = case.lead_department.name if case.lead_department_id else ""
    state = case.state
    if state == State.REPORTED:
        return _("Received, waiting to be accepted")
    if state == State.ACCEPTED:
        if case.rework_count:
            return _("Being handled again")
        if case.level in (Level.TOWN, Level.COUNTY):
            return _("Accepted, waiting to be dispatched by the town")
        return _("Accepted, the grid is handling it")
    if state == State.DISPATCHED:
        if department:
            return _("Dispatched to %(department)s") % {"department": department}
        return _("Dispatched to a department")
    if state == State.CLAIMED:
        if department:
            if case.rework_count:
                return _("%(department)s is handling it again") % {"department": department}
            return _("%(department)s is handling it") % {"department": department}
        return _("A department is handling it")
    if state == State.RESOLVED:
        return _("Handled, waiting for verification")
    if state == State.CLOSED:
        return _("Closed")
    if state == State.SUSPENDED:
        return _("Paused")
    if state == State.REJECTED:
        return _("Not accepted")
    if state == State.MERGED:
        return _("Merged with an earlier report of the same problem")
    return _("Withdrawn")


def progress(case: Case) -> list[dict]:
    """The public milestones, each with its time once reached; the first open one is current."""
    steps = [(_("Reported"), case.reported_at)]
    exits = {
        State.CANCELLED: _("Withdrawn"),
        State.REJECTED: _("Not accepted"),
        State.MERGED: _("Merged"),
    }
    if case.state in exits:
        if case.accepted_at and case.state != State.CANCELLED:
            steps.append((_("Accepted"), case.accepted_at))
        steps.append((exits[case.state], case.closed_at))
    else:
        steps.append((_("Accepted"), case.accepted_at))
        if case.lead_department_id:
            name = case.lead_department.name
            steps.append(
                (_("Dispatched to %(department)s") % {"department": name}, case.dispatched_at)
            )
            steps.append((_("Taken on by %(department)s") % {"department": name}, case.claimed_at))
        steps.append((_("Handled"), case.resolved_at))
        steps.append((_("Closed"), case.closed_at))
    rows = []
    current_found = not case.is_open
    for label, at in steps:
        current = not current_found and at is None
        current_found = current_found or current
        rows.append({"label": label, "at": at, "done": at is not None, "current": current})
    return rows


# --- The grid map for the location picker -------------------------------------


@require_GET
@cache_control(public=True, max_age=300)
def grid_map(request):
    """Grid boundaries and names as GeoJSON (simplified), for the map on the report form."""
    stamp = Grid.objects.aggregate(n=Count("id"), t=Max("updated_at"))
    return HttpResponse(_grid_geojson(stamp["n"], stamp["t"]), content_type="application/json")


@lru_cache(maxsize=1)
def _grid_geojson(count, changed) -> bytes:
    # About 5 m of detail is plenty to see where a grid is on a phone.
    features = []
    for name, boundary in Grid.objects.order_by("code").values_list("name", "boundary"):
        if not boundary:
            continue
        geometry = shapely.set_precision(
            shape(boundary).simplify(0.00005, preserve_topology=True), 0.00001
        )
        features.append(
            {"type": "Feature", "properties": {"name": name}, "geometry": mapping(geometry)}
        )
    return json.dumps(
        {"type": "FeatureCollection", "features": features},
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
