"""Field pages, phone first: today's visits, a household's visits, places to inspect
and the check-in, the special team and its rota, the service stations' map, and the
coverage figures. Thin views: parse, scope through `visible_to`, call `services`.
A household or place outside the user's scope is a 404."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Prefetch
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.cases import clock
from wangge.cases.errors import CaseError
from wangge.cases.models import Category
from wangge.dashboard.metrics import Period, Scope
from wangge.fieldwork import services
from wangge.fieldwork.forms import CheckInForm, VisitForm
from wangge.fieldwork.models import (
    WATCHED_KINDS,
    Inspection,
    InspectionRound,
    RotaDay,
    ServiceStation,
    TeamGroup,
    Visit,
)
from wangge.fieldwork.services import FieldworkError, NotFound
from wangge.grids.models import Grid, PlaceKind, Town, Village
from wangge.residents.models import Household
from wangge.staff.scope import scope_for


def _position(request):
    return request.GET.get("lat", ""), request.GET.get("lon", "")


def _error(form, error) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, str(error.message))


# --- Door-knock visits ---------------------------------------------------------


@login_required
def today(request):
    """Today's visits in one of the user's grids, ordered for the round."""
    grids = list(services.visit_grids(request.user).select_related("village"))
    if not grids:
        return render(request, "fieldwork/today.html", {"grids": [], "result": None})
    chosen = request.GET.get("grid", "")
    grid = next((g for g in grids if str(g.pk) == chosen), grids[0])
    lat, lon = _position(request)
    try:
        result = services.todays_visits(request.user, grid=grid, latitude=lat, longitude=lon)
    except FieldworkError as error:
        messages.warning(request, str(error.message))
        result = services.todays_visits(request.user, grid=grid)
    return render(
        request,
        "fieldwork/today.html",
        {"grids": grids, "grid": grid, "result": result, "rows": result["rows"][:200]},
    )


@login_required
def household(request, pk):
    """A household's visits, and the form to record one (with findings that open cases)."""
    household = get_object_or_404(
        Household.objects.visible_to(request.user).select_related("grid", "village"), pk=pk
    )
    can_record = request.user.has_perm("fieldwork.add_visit")
    form = VisitForm(request.POST or None, request.FILES or None) if can_record else None
    if request.method == "POST":
        if not can_record:
            raise Http404
        if form.is_valid():
            data = form.cleaned_data
            finding = form.finding()
            try:
                visit = services.record_visit(
                    request.user,
                    household,
                    latitude=data.get("latitude"),
                    longitude=data.get("longitude"),
                    nobody_home=data["nobody_home"],
                    mediator=data["mediator"],
                    supervisor=data["supervisor"],
                    notes=data["notes"],
                    findings=[finding] if finding else [],
                )
            except NotFound:
                raise Http404 from None
            except (FieldworkError, CaseError) as error:
                _error(form, error)
            else:
                numbers = ", ".join(c.number for c in visit.cases.all())
                if numbers:
                    messages.success(
                        request, _("Visit recorded; case %(n)s opened.") % {"n": numbers}
                    )
                else:
                    messages.success(request, _("Visit recorded."))
                return redirect(f"{_today_url()}?grid={household.grid_id}")
    visits = (
        Visit.objects.visible_to(request.user)
        .filter(household=household)
        .select_related("visited_by")
        .prefetch_related("cases")[:50]
    )
    tags = sorted(
        {t.name for t in household.tags.all()}
        | {t.name for m in household.members.all() for t in m.tags.all()}
    )
    return render(
        request,
        "fieldwork/household.html",
        {"household": household, "visits": visits, "form": form, "tags": tags},
    )


def _today_url():
    from django.urls import reverse

    return reverse("fieldwork:today")


# --- Inspections ---------------------------------------------------------------


@login_required
def inspections(request):
    """Watched places in scope: overdue first (nearest first when the GPS is given)."""
    kind = request.GET.get("kind", "")
    lat, lon = _position(request)
    try:
        rows, total = services.places_due(request.user, kind=kind, latitude=lat, longitude=lon)
    except FieldworkError as error:
        messages.warning(request, str(error.message))
        rows, total = services.places_due(request.user, kind=kind)
    kinds = [(k, PlaceKind(k).label) for k in WATCHED_KINDS]
    return render(
        request,
        "fieldwork/inspections.html",
        {
            "rows": rows,
            "total": total,
            "overdue": sum(1 for r in rows if r.overdue),
            "kind": kind,
            "kinds": kinds,
        },
    )


@login_required
def place(request, pk):
    """A watched place: seal state, history, and the on-site check-in."""
    watch = get_object_or_404(
        services.watches_for(request.user).select_related(
            "place", "place__village", "place__grid", "group"
        ),
        place_id=pk,
    )
    is_adit = watch.place.kind == PlaceKind.SEALED_ADIT
    can_check_in = services.may_inspect(request.user, watch)
    form = (
        CheckInForm(request.POST or None, request.FILES or None, has_seal=is_adit)
        if can_check_in
        else None
    )
    if request.method == "POST":
        if not can_check_in:
            raise Http404
        if form.is_valid():
            data = form.cleaned_data
            try:
                inspection = services.check_in(
                    request.user,
                    watch,
                    latitude=data.get("latitude"),
                    longitude=data.get("longitude"),
                    seal_state=data.get("seal_state", ""),
                    notes=data["notes"],
                    finding=form.finding(),
                    photos=data.get("photos") or [],
                )
            except NotFound:
                raise Http404 from None
            except (FieldworkError, CaseError) as error:
                _error(form, error)
            else:
                numbers = ", ".join(c.number for c in inspection.cases.all())
                text = _("Checked in at %(place)s (%(m)s m).") % {
                    "place": watch.place.name,
                    "m": round(inspection.distance_m),
                }
                if numbers:
                    text += " " + _("Case %(n)s opened.") % {"n": numbers}
                messages.success(request, text)
                return redirect("fieldwork:place", pk=watch.place_id)
    history = (
        Inspection.objects.filter(place=watch.place)
        .select_related("inspector")
        .prefetch_related("cases", "photos")[:30]
    )
    interval = services.intervals([watch.town_id])[(watch.town_id, watch.place.kind)]
    due_at = watch.last_inspected_at + timedelta(days=interval) if watch.last_inspected_at else None
    return render(
        request,
        "fieldwork/place.html",
        {
            "watch": watch,
            "place": watch.place,
            "history": history,
            "form": form,
            "interval": interval,
            "due_at": due_at,
            "radius": round(services.check_in_radius_m()),
            "is_adit": is_adit,
        },
    )


@login_required
def photo(request, pk):
    from django.http import FileResponse

    from wangge.fieldwork.models import InspectionPhoto

    item = get_object_or_404(InspectionPhoto.objects.select_related("inspection"), pk=pk)
    if not services.watches_for(request.user).filter(place_id=item.inspection.place_id).exists():
        raise Http404
    return FileResponse(item.file.open("rb"), content_type=item.content_type)


@login_required
def team(request):
    """The special team: groups, members, their places, the rota and recent rounds."""
    groups = (
        TeamGroup.objects.visible_to(request.user)
        .select_related("leader")
        .prefetch_related("members")
        .annotate(
            adits=Count("places", filter=_kind(PlaceKind.SEALED_ADIT)),
            venues=Count("places", filter=_kind(PlaceKind.SERVICE_VENUE)),
            enterprises=Count("places", filter=_kind(PlaceKind.ENTERPRISE)),
        )
    )
    town_ids = {g.town_id for g in groups}
    first = timezone.localdate(clock.now())
    rota = (
        RotaDay.objects.filter(
            town_id__in=town_ids, day__gte=first, day__lt=first + timedelta(days=14)
        )
        .select_related("group")
        .order_by("day")
    )
    rounds = (
        InspectionRound.objects.visible_to(request.user)
        .select_related("group", "started_by")
        .annotate(
            count=Count("inspections", distinct=True),
            findings=Count("inspections__cases"),
        )[:20]
    )
    return render(
        request,
        "fieldwork/team.html",
        {"groups": groups, "rota": rota, "rounds": rounds, "today": first},
    )


def _kind(kind):
    from django.db.models import Q

    return Q(places__place__kind=kind)


# --- Service stations ----------------------------------------------------------


def _station_towns(user):
    """Towns whose stations this user's map shows: stations are public service points."""
    scope = scope_for(user)
    if scope.unrestricted:
        return Town.objects.values("pk")
    return Town.objects.visible_to(user).values("pk")


@login_required
def stations(request):
    stations = (
        ServiceStation.objects.filter(town_id__in=_station_towns(request.user))
        .select_related("place", "place__village")
        .prefetch_related(
            Prefetch(
                "items",
                queryset=Category.objects.select_related("parent").order_by("sort", "code"),
            )
        )
        .order_by("place__village__code", "place__name")
    )
    return render(
        request,
        "fieldwork/stations.html",
        {
            "stations": stations,
            "radius": round(services.walk_radius_m()),
            "tile_url": getattr(settings, "WANGGE_TILE_URL", ""),
        },
    )


@login_required
def stations_map(request):
    """GeoJSON-ish data for the map: stations and the households outside every circle."""
    towns = _station_towns(request.user)
    stations = ServiceStation.objects.filter(town_id__in=towns).select_related("place")
    radius = services.walk_radius_m()
    households = Household.objects.visible_to(request.user)
    outside = services.households_outside(households, stations, radius)
    return JsonResponse(
        {
            "radius_m": radius,
            "stations": [
                {
                    "id": s.pk,
                    "name": s.place.name,
                    "lat": s.place.latitude,
                    "lon": s.place.longitude,
                    "hours": s.opening_hours,
                }
                for s in stations
            ],
            "outside": [[round(lat, 6), round(lon, 6)] for _pk, lat, lon in outside],
            "households": households.filter(latitude__isnull=False).count(),
        }
    )


# --- Figures -------------------------------------------------------------------


def _scopes(user) -> list:
    """The widest places the user's figures are about: the town, else villages, else grids."""
    scope = scope_for(user)
    if scope.unrestricted:
        return [Scope("town", t.pk, t.name) for t in Town.objects.order_by("code")]
    towns = scope.ids("town")
    if towns:
        return [Scope("town", t.pk, t.name) for t in Town.objects.filter(pk__in=towns)]
    villages = scope.ids("village") | scope.ids("police_village")
    if villages:
        return [Scope("village", v.pk, v.name) for v in Village.objects.filter(pk__in=villages)]
    grids = scope.ids("grid")
    return [Scope("grid", g.pk, g.name) for g in Grid.objects.filter(pk__in=grids)]


@login_required
def coverage(request):
    """This month's visit coverage and inspections for the user's scope."""
    from wangge.dashboard.metrics.fieldwork import inspections as inspection_figures
    from wangge.dashboard.metrics.fieldwork import visit_coverage

    now = timezone.localtime(clock.now())
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (start + timedelta(days=32)).replace(day=1)
    period = Period(start, end)
    sections = [
        {
            "scope": scope,
            "visits": visit_coverage(scope, period),
            "inspections": inspection_figures(scope, period),
        }
        for scope in _scopes(request.user)
    ]
    kinds = {k: PlaceKind(k).label for k in WATCHED_KINDS}
    return render(
        request,
        "fieldwork/coverage.html",
        {"sections": sections, "period": period, "kinds": kinds, "month": start},
    )
