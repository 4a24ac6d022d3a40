"""The one-screen page (一屏观全域), its data, the live feed and report downloads.

Thin views: parse the scope and period from the URL, let
`metrics.scope_for` decide whether this person may see that scope, call the
metrics (or reports) function, respond. No figure is computed here.
"""

from __future__ import annotations

from datetime import timedelta

import shapely
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from shapely.geometry import mapping, shape

from wangge.dashboard import metrics, reports
from wangge.dashboard.metrics import community, fieldwork
from wangge.grids.models import Grid, Village

# Pins and heat-map points per screen: the newest cases of the period.
CASE_POINTS = 5000


class BadInput(ValueError):
    """A scope, period or other parameter that cannot be read."""


def _read(request) -> tuple[metrics.Scope, metrics.Period]:
    """The scope and period asked for (the URL, or a POST's form). Raises BadInput,
    PermissionDenied, Http404."""
    asked = request.POST if request.method == "POST" else request.GET
    try:
        period = metrics.Period.parse(asked.get("period") or "month")
    except ValueError as error:
        raise BadInput(str(error)) from None
    try:
        scope = metrics.scope_for(request.user, asked.get("scope") or None)
    except ValueError as error:
        raise BadInput(str(error)) from None
    return scope, period


def _json(data, status=200) -> JsonResponse:
    return JsonResponse(
        data, status=status, encoder=DjangoJSONEncoder, json_dumps_params={"ensure_ascii": False}
    )


def _json_view(view):
    """Bad input as a 400 with a message the page can show; nothing else changes."""

    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except BadInput as error:
            return _json({"error": str(error)}, status=400)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _period_choices(current: metrics.Period) -> list[tuple[str, str]]:
    today = timezone.localdate()
    choices = [
        ("today", _("Today")),
        ("month", _("This month")),
        ("90d", _("Last 90 days")),
        ("year", _("This year")),
    ]
    year, month = today.year, today.month
    for _back in range(12):
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        choices.append((f"{year}-{month:02d}", f"{year}-{month:02d}"))
    if current.param not in {value for value, _label in choices}:
        choices.append((current.param, current.param))
    return choices


def _period_label(period: metrics.Period) -> str:
    """2026-11-01 – 2026-11-30: the days the period covers, in local time."""
    first = timezone.localtime(period.start).date()
    last = timezone.localtime(period.end - timedelta(microseconds=1)).date()
    return str(first) if first == last else f"{first} – {last}"


def _allowed(user, param: str) -> bool:
    try:
        metrics.scope_for(user, param)
    except (PermissionDenied, ValueError, Http404):
        return False
    return True


def _crumbs(user, scope: metrics.Scope) -> list[dict]:
    """The way up from a village or grid to the town, as far as this person may go."""
    chain: list[tuple[str, str]] = []
    if scope.kind == "grid":
        grid = Grid.objects.select_related("village", "town").get(pk=scope.id)
        chain = [
            (f"town:{grid.town_id}", grid.town.name),
            (f"village:{grid.village_id}", grid.village.name),
        ]
    elif scope.kind == "village":
        village = Village.objects.select_related("town").get(pk=scope.id)
        chain = [(f"town:{village.town_id}", village.town.name)]
    crumbs = [{"param": p, "name": n} for p, n in chain if _allowed(user, p)]
    return crumbs + [{"param": scope.param, "name": scope.name}]


def _drill(scope: metrics.Scope) -> str:
    """What a click on the map opens: the village from the town, the grid from a village."""
    return {"town": "village", "village": "grid", "worker": "grid"}.get(scope.kind, "")


def _openable(user, kind: str, ids, town_wide: bool) -> set:
    """Which of these departments, workers, grids or villages this person may open.

    Whoever may see the scope's town (`town_wide`) may see everything in it
    (`metrics.may_see`); anyone else is asked row by row (a village's or grid's
    screen has a few rows)."""
    ids = {i for i in ids if i is not None}
    if town_wide:
        return ids
    return {i for i in ids if _allowed(user, f"{kind}:{i}")}


def _link_rows(user, kind: str, rows, town_wide: bool, key: str = "id") -> None:
    """Give each row the scope a click on it opens ("department:3"), or None."""
    openable = _openable(user, kind, [row[key] for row in rows], town_wide)
    for row in rows:
        row["param"] = f"{kind}:{row[key]}" if row[key] in openable else None


def _panels(user, scope: metrics.Scope, period: metrics.Period) -> dict:
    """The screen's figures (`metrics.screen`) with the department league on every
    scope, the field-work, rectification and points panels, and drill-down links."""
    figures = metrics.screen(scope, period)
    leagues = figures.setdefault("league", {})
    if "department" not in leagues:
        # metrics.screen leaves it out below the town; the public league has it.
        leagues["department"] = metrics.league(scope, period, "department")
    figures["fieldwork"] = {
        "visits": fieldwork.visit_coverage(scope, period),
        "inspections": fieldwork.inspections(scope, period),
    }
    figures["rectification"] = community.rectification_progress(scope)
    figures["points"] = community.points_leaderboard(scope, period, limit=5)

    town_wide = bool(scope.town_id) and _allowed(user, f"town:{scope.town_id}")
    # A department's screen lists the whole town's grids and workers; below the
    # town level it opens nothing but the department (docs/dashboard.md), so its
    # rows are not asked one by one.
    places = town_wide or scope.kind != "department"
    _link_rows(user, "department", leagues["department"], town_wide)
    visits = figures["fieldwork"]["visits"]
    for kind, rows, key in (
        ("worker", leagues.get("worker") or [], "id"),
        ("grid", leagues.get("grid") or [], "id"),
        ("village", visits["by_village"], "id"),
        ("grid", visits["by_grid"], "id"),
        ("village", figures["points"]["villages"], "village_id"),
    ):
        if places:
            _link_rows(user, kind, rows, town_wide, key=key)
        else:
            for row in rows:
                row["param"] = None
    return figures


def _labels() -> dict:
    labels = {key: str(label) for key, label in reports.FIGURE_LABELS.items()}
    labels.update({f"settlement_{k}": str(v) for k, v in reports.SETTLEMENT_LABELS.items()})
    labels.update(
        {
            "today": _("Today"),
            "period": _("Period"),
            "daily": _("Daily volume"),
            "reported_series": pgettext("figure", "Reported"),
            "closed_series": pgettext("figure", "Closed"),
            "yoy": _("Year over year"),
            "petition": _("Petitions"),
            "public_order": _("Public order"),
            "this_year": _("This year"),
            "last_year": _("Same period last year"),
            "category": _("By category"),
            "channel": _("By channel"),
            "settlement": _("Where cases were settled"),
            "departments": _("Departments"),
            "households": _("Households"),
            "visited": _("Visited"),
            "coverage": _("Visit coverage"),
            "visits": _("Visits"),
            "due": _("Due for inspection"),
            "on_schedule": _("Inspected on schedule"),
            "on_schedule_rate": _("On schedule"),
            "findings": _("Findings"),
            "seal_breaches": _("Seal breaches"),
            "sealed_adits_breached_now": _("Seals breached now"),
            "due_on": _("Due"),
            "open_scope": _("Open the figures of %(name)s"),
            "workers": _("Grid workers"),
            "score": _("Score"),
            "grade": _("Grade"),
            "feed": _("Live feed"),
            "new": _("new"),
            "overdue": _("overdue"),
            "open": _("Open load"),
            "light": _("Traffic light"),
            "grids": _("Grids"),
            "pins": _("Cases"),
            "heat": _("Heat map"),
            "nothing": _("Nothing yet"),
            "error": _("The figures could not be loaded."),
            "export_running": _("Preparing the file… %(percent)s%%"),
            "export_done": _("The file is ready."),
            "export_failed": _("The export failed."),
        }
    )
    return labels


@login_required
@require_GET
def screen(request):
    """The one-screen page; the figures come from `data` as JSON."""
    try:
        scope, period = _read(request)
    except BadInput as error:
        return render(request, "dashboard/error.html", {"error": str(error)}, status=400)
    return render(
        request,
        "dashboard/screen.html",
        {
            "scope": scope,
            "period": period,
            "period_label": _period_label(period),
            "period_choices": _period_choices(period),
            "crumbs": _crumbs(request.user, scope),
            "tile_url": getattr(settings, "WANGGE_TILE_URL", ""),
            "labels": _labels(),
            "feed_seconds": 30,
        },
    )


@login_required
@require_GET
@_json_view
def data(request):
    """Everything the page draws, for the URL's scope and period: `metrics.screen`,
    the department league, field work, rectification and points (see `_panels`)."""
    scope, period = _read(request)
    return _json(
        {
            "scope": {"param": scope.param, "kind": scope.kind, "name": scope.name},
            "period": {
                "param": period.param,
                "start": period.start,
                "end": period.end,
                "label": _period_label(period),
            },
            "crumbs": _crumbs(request.user, scope),
            "drill": _drill(scope),
            "screen": _panels(request.user, scope, period),
            "case_points": metrics.case_points(scope, period, limit=CASE_POINTS),
            "now": timezone.now(),
        }
    )


@login_required
@require_GET
@_json_view
def grid_map(request):
    """The scope's grid polygons as GeoJSON, simplified to about 5 m."""
    scope, _period = _read(request)
    features = []
    rows = scope.grids().values_list("id", "code", "name", "village_id", "boundary")
    for grid_id, code, name, village_id, boundary in rows:
        if not boundary:
            continue
        geometry = shapely.set_precision(
            shape(boundary).simplify(0.00005, preserve_topology=True), 0.00001
        )
        features.append(
            {
                "type": "Feature",
                "properties": {"grid": grid_id, "code": code, "name": name, "village": village_id},
                "geometry": mapping(geometry),
            }
        )
    return _json({"type": "FeatureCollection", "features": features})


@login_required
@require_GET
@_json_view
def feed(request):
    """New and newly overdue cases since `since` (ISO time), newest first."""
    scope, _period = _read(request)
    since = None
    if request.GET.get("since"):
        try:
            since = parse_datetime(request.GET["since"])
        except ValueError:  # shaped like a time, but no real one (month 13, offset +99)
            since = None
        if since is None:
            raise BadInput(
                _("The time %(since)s cannot be read.") % {"since": request.GET["since"]}
            )
        if timezone.is_naive(since):
            since = timezone.make_aware(since)
    now = timezone.now()
    return _json({"items": metrics.feed(scope, since=since, now=now), "now": now})


@login_required
@require_POST
@_json_view
def start_report(request):
    """Start an Excel report or a CSV export in the background; poll its status URL."""
    scope, period = _read(request)
    kind = request.POST.get("format", "xlsx")
    try:
        job = reports.start_export(request.user, scope, period, kind, language=get_language())
    except ValueError as error:
        raise BadInput(str(error)) from None
    return _json(
        {"job": job, "status_url": reverse("dashboard:report_status", args=[job])}, status=202
    )


@login_required
@require_GET
def report_status(request, job):
    """How far the export is: {state, done, total, percent, download_url}."""
    status = reports.export_status(request.user, job)
    if status is None:
        raise Http404
    percent = round(100 * status["done"] / status["total"]) if status["total"] else 0
    body = {
        "state": status["state"],
        "done": status["done"],
        "total": status["total"],
        "percent": 100 if status["state"] == "done" else percent,
        "error": status["error"],
    }
    if status["state"] == "done":
        body["download_url"] = reverse("dashboard:report_download", args=[job])
    return _json(body)


@login_required
@require_GET
def report_download(request, job):
    """The finished file, to the person who asked for it."""
    found = reports.export_file(request.user, job)
    if found is None:
        raise Http404
    path, filename = found
    return FileResponse(open(path, "rb"), as_attachment=True, filename=filename)
