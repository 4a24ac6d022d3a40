"""The KPI tiles (`figures`): the rates of the counts, the open cases now and the
durations' percentiles (to accept, to reach the scene, to resolve); and the
emergency response of any set of cases (`emergency_response`)."""

from __future__ import annotations

import math
from datetime import datetime

from django.db import connection
from django.db.models import Count, F, Q
from django.utils import timezone

from wangge.cases.choices import Level, Priority
from wangge.dashboard.metrics.counts import EXCLUDED, _counts, _rate, _rates
from wangge.dashboard.metrics.scopes import Period, Scope
from wangge.dashboard.metrics.sql import Minutes, _open, _raw_ranges, _within


def figures(scope: Scope, period: Period, *, now=None) -> dict:
    """The KPI tiles of DESIGN §5 (see docs/figures.md for each definition)."""
    from wangge.dashboard import rollups

    return _figures(scope, period, now or timezone.now(), rollups.rolled(scope))


def _figures(scope: Scope, period: Period, now: datetime, rolled) -> dict:
    return _figures_from(
        scope, period, now, _counts(scope, period, now, None, rolled)[None], rolled
    )


def _figures_from(scope: Scope, period: Period, now: datetime, c: dict, rolled=None) -> dict:
    from wangge.dashboard import rollups

    cases = scope.cases().order_by()
    current = cases.filter(_open()).aggregate(
        open_now=Count("id"), overdue_now=Count("id", filter=Q(due_at__lt=now))
    )
    # A town's clean days from the stamps (narrow rows, one index each), the rest
    # from the case rows.
    clean = rolled.clean_days(period, now) if rolled and scope.kind == "town" else []
    raw = _raw_ranges(period, clean)
    reported = cases.filter(_within("reported_at", raw))

    def sources(raw_rows, value: str) -> list:
        return ([raw_rows] if raw else []) + (
            [rollups.stamp_values(scope, clean, value)] if clean else []
        )

    accept_p = _percentiles(
        sources(reported.annotate(_v=Minutes(F("accepted_at"), F("reported_at"))), "accept_minutes")
    )
    scene_p = _percentiles(
        sources(
            reported.filter(priority=Priority.EMERGENCY).annotate(
                _v=Minutes(F("on_scene_at"), F("reported_at"))
            ),
            "on_scene_minutes",
        ),
        points=(0.5,),
    )
    resolve_p = _percentiles(
        sources(
            cases.filter(_within("resolved_at", raw))
            .exclude(state__in=EXCLUDED)
            .annotate(_v=Minutes(F("resolved_at"), F("reported_at")) - F("paused_minutes")),
            "resolve_minutes",
        )
    )
    result = {
        "reported": c["reported"],
        "accepted": c["accepted"],
        "closed": c["closed"],
        "resolved": c["resolved"],
        "open_now": current["open_now"],
        "overdue_now": current["overdue_now"],
        **_rates(c),
        "urges": c["urges"],
        "rated": c["rated"],
        "accept_minutes_p50": _round(accept_p[0]),
        "accept_minutes_p90": _round(accept_p[1]),
        "on_scene_minutes_p50": _round(scene_p[0]),
        "resolve_hours_p50": _round(resolve_p[0] / 60 if resolve_p[0] is not None else None, 2),
        "resolve_hours_p90": _round(resolve_p[1] / 60 if resolve_p[1] is not None else None, 2),
        "settlement": {level: c[f"level_{level}"] for level in Level.values},
        "emergency": {
            "total": c["emergencies"],
            "accepted": c["emergencies_accepted"],
            "accepted_in_time": c["emergencies_accepted_in_time"],
            "on_scene": c["emergencies_on_scene"],
            "on_scene_in_time": c["emergencies_on_scene_in_time"],
            "accepted_in_time_rate": _rate(c["emergencies_accepted_in_time"], c["emergencies"]),
            "on_scene_in_time_rate": _rate(c["emergencies_on_scene_in_time"], c["emergencies"]),
        },
    }
    return result


def emergency_response(cases) -> dict:
    """Emergencies: how many, and how many were accepted and reached on scene in time (15 min)."""
    emergencies = cases.filter(priority=Priority.EMERGENCY)
    figures = emergencies.aggregate(
        total=Count("id"),
        accepted=Count("id", filter=Q(accepted_at__isnull=False)),
        accepted_in_time=Count("id", filter=Q(accepted_at__lte=F("accept_due_at"))),
        on_scene=Count("id", filter=Q(on_scene_at__isnull=False)),
        on_scene_in_time=Count("id", filter=Q(on_scene_at__lte=F("on_scene_due_at"))),
    )
    figures["accepted_in_time_rate"] = _rate(figures["accepted_in_time"], figures["total"])
    figures["on_scene_in_time_rate"] = _rate(figures["on_scene_in_time"], figures["total"])
    return figures


def _percentiles(sources, points=(0.5, 0.9)) -> list[float | None]:
    """Interpolated percentiles (like percentile_cont) of the `_v` column of one or
    more querysets (taken together: case rows and stamps).

    PostgreSQL aggregates them (percentile_cont); elsewhere one query numbers the
    values in order (a window) and returns the two rows around each position."""
    parts = [
        qs.order_by().filter(_v__isnull=False).values_list("_v").query.sql_with_params()
        for qs in sources
    ]
    if not parts:
        return [None] * len(points)
    inner = " UNION ALL ".join(
        f'SELECT "_v" AS v FROM ({sql}) AS s{i}' for i, (sql, _p) in enumerate(parts)
    )
    params = [p for _sql, ps in parts for p in ps]
    if connection.vendor == "postgresql":
        columns = ", ".join(f"PERCENTILE_CONT({p!r}) WITHIN GROUP (ORDER BY v)" for p in points)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {columns} FROM ({inner}) AS t", params)
            return list(cursor.fetchone())
    # One sort: number the values in order, keep the rows around each position.
    wanted = " OR ".join(
        f"r = CAST({p!r} * (n - 1) AS INTEGER) OR r = CAST({p!r} * (n - 1) AS INTEGER) + 1"
        for p in points
    )
    sql = (
        "SELECT r, n, v FROM (SELECT v, ROW_NUMBER() OVER (ORDER BY v) - 1 AS r, "
        f"COUNT(*) OVER () AS n FROM ({inner}) AS t) AS u WHERE {wanted}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        return [None] * len(points)
    n = rows[0][1]
    at = {r: v for r, _n, v in rows}
    result = []
    for p in points:
        pos = p * (n - 1)
        low = math.floor(pos)
        value = at[low]
        if pos > low and low + 1 in at:
            value += (at[low + 1] - value) * (pos - low)
        result.append(value)
    return result


def _round(value, digits=1):
    return None if value is None else round(value, digits)
