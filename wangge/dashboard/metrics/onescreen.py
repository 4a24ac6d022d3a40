"""The one-screen page's data (`screen`), assembled from the other modules, and
the live lists it shows: open cases per grid (`grid_load`), pins for the map
(`case_points`) and the feed of new and newly-overdue cases (`feed`)."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, F
from django.utils import timezone

from wangge.dashboard.metrics.breakdowns import (
    YOY_GROUPS,
    _category_map,
    _screen_reports,
    year_over_year,
)
from wangge.dashboard.metrics.counts import _counts, _sum_counts
from wangge.dashboard.metrics.leagues import _department_league, _grid_league
from wangge.dashboard.metrics.scopes import Period, Scope, _midnight, _tz, children
from wangge.dashboard.metrics.sql import _in, _light_expression, _open
from wangge.dashboard.metrics.tiles import _figures, _figures_from


def screen(scope: Scope, period: Period, *, now=None) -> dict:
    """Everything the one-screen page needs, in one JSON-able dict."""
    from wangge.dashboard import rollups

    now = now or timezone.now()
    end_day = timezone.localtime(min(period.end, now) - timedelta(microseconds=1), _tz()).date()
    last_90 = Period(
        _midnight(end_day - timedelta(days=89)),
        min(period.end, _midnight(end_day + timedelta(days=1))),
    )
    today = Period.parse("today", now=now)
    rolled = rollups.rolled(scope)
    # The per-grid counts serve the totals, the grid and the worker leagues.
    grid_counts = _counts(scope, period, now, "grid_id", rolled)
    if scope.kind in ("town", "village", "grid", "worker"):
        # Every case of these scopes lies in one of their grids (or in none):
        # the town total is the grid rows plus the ungridded row.
        totals = _sum_counts(grid_counts.values())
    else:
        totals = _counts(scope, period, now, None, rolled)[None]
    by_place = "village" if scope.kind in ("town", "department") else "grid"
    leagues = {
        "grid": _grid_league(scope, period, now, "grid", grid_counts),
        "worker": _grid_league(scope, period, now, "worker", grid_counts),
    }
    if scope.kind in ("town", "department"):
        leagues["department"] = _department_league(scope, period, now, rolled=rolled)
    categories = _category_map()
    breakdowns, this_year = _screen_reports(scope, period, by_place, now, rolled, categories)
    yoy = year_over_year(
        scope, period, parts=("last",), now=now, rolled=rolled, categories=categories
    )
    for group in YOY_GROUPS:
        yoy[group]["this"] = this_year[group]
    return {
        "scope": scope.as_dict(),
        "period": period.as_dict(),
        "now": timezone.localtime(now, _tz()).isoformat(),
        "figures": _figures_from(scope, period, now, totals, rolled),
        "today": _figures(scope, today, now, rolled),
        "daily_volume": rollups.daily_volume(scope, last_90, rolled, now=now),
        "breakdowns": breakdowns,
        "year_over_year": yoy,
        "grid_load": grid_load(scope, now=now),
        "league": leagues,
        "feed": feed(scope, now=now),
        "children": children(scope),
    }


def grid_load(scope: Scope, *, now=None) -> list[dict]:
    """Per grid in scope, its open cases now: {"grid","code","name","open","overdue","yellow","light"}."""
    from wangge.cases.sla import light_q

    now = now or timezone.now()
    grids = list(scope.grids().values("pk", "code", "name"))
    rows = {
        row["grid_id"]: row
        for row in scope.cases()
        .order_by()
        .filter(_open(), grid_id__in=[g["pk"] for g in grids])
        .values("grid_id")
        .annotate(
            open=Count("id"),
            overdue=Count("id", filter=light_q("red", now)),
            yellow=Count("id", filter=light_q("yellow", now)),
        )
    }
    result = []
    for g in grids:
        row = rows.get(g["pk"], {"open": 0, "overdue": 0, "yellow": 0})
        light = "red" if row["overdue"] else "yellow" if row["yellow"] else "green"
        result.append(
            {
                "grid": g["pk"],
                "code": g["code"],
                "name": g["name"],
                "open": row["open"],
                "overdue": row["overdue"],
                "yellow": row["yellow"],
                "light": light,
            }
        )
    return result


def case_points(scope: Scope, period: Period, limit: int = 5000, *, now=None) -> list[dict]:
    """Newest cases reported in the period with a location:
    [{"id","number","lat","lon","light","state"}] for pins and the heat map."""
    now = now or timezone.now()
    rows = (
        scope.cases()
        .filter(_in("reported_at", period), latitude__isnull=False, longitude__isnull=False)
        .annotate(light=_light_expression(now))
        .order_by("-reported_at")
        .values("id", "number", "latitude", "longitude", "light", "state")[: max(0, int(limit))]
    )
    return [
        {
            "id": r["id"],
            "number": r["number"],
            "lat": r["latitude"],
            "lon": r["longitude"],
            "light": r["light"] or None,
            "state": r["state"],
        }
        for r in rows
    ]


def feed(scope: Scope, *, since=None, limit: int = 30, now=None) -> list[dict]:
    """Newest new and newly-overdue cases (since `since`, default the last 24 hours):
    {"id","number","title","kind": "new"|"overdue","at","light","village","grid"}."""
    now = now or timezone.now()
    since = since or now - timedelta(hours=24)
    limit = max(0, int(limit))
    from wangge.dashboard.reports import mask_text

    fields = ("id", "number", "title", "village__name", "grid__name", "light")
    base = scope.cases().annotate(light=_light_expression(now))
    new = base.filter(reported_at__gte=since, reported_at__lte=now).order_by("-reported_at")
    overdue = base.filter(_open(), due_at__gte=since, due_at__lt=now).order_by("-due_at")
    items = [{**row, "kind": "new"} for row in new.values(*fields, at=F("reported_at"))[:limit]] + [
        {**row, "kind": "overdue"} for row in overdue.values(*fields, at=F("due_at"))[:limit]
    ]
    items.sort(key=lambda r: (r["at"], r["id"]), reverse=True)
    return [
        {
            "id": r["id"],
            "number": r["number"],
            "title": mask_text(r["title"]),  # a title may hold a phone or ID number
            "kind": r["kind"],
            "at": timezone.localtime(r["at"], _tz()).isoformat(),
            "light": r["light"] or None,
            "village": r["village__name"],
            "grid": r["grid__name"],
        }
        for r in items[:limit]
    ]
