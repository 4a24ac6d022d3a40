"""The counts behind the rates (`COUNT_KEYS`) of a scope and period, grouped by a
case column: from the case rows, and from the roll-ups on their clean days
(`_counts`); and the rates and the composite score made of them."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact

from wangge.cases.choices import Level, Priority, Rating, State
from wangge.dashboard.metrics.scopes import Period, Scope
from wangge.dashboard.metrics.sql import Unindexed, _fetch, _plain, _raw_ranges, _within

DEFAULT_SCORE_WEIGHTS = {"response": 0.1, "resolution": 0.5, "satisfaction": 0.4}
EXCLUDED = (State.REJECTED, State.MERGED, State.CANCELLED)


COUNT_KEYS = (
    "reported",
    "cancelled",
    "rejected",
    "merged",
    "accepted",
    "accepted_in_time",
    "cohort_closed",
    "urges",
    "closed",
    "reworked",
    "extended",
    "returned",
    "level_group",
    "level_village",
    "level_town",
    "level_county",
    "resolved",
    "resolved_in_time",
    "overdue_unresolved",
    "rated",
    "rated_satisfied",
    "emergencies",
    "emergencies_accepted",
    "emergencies_accepted_in_time",
    "emergencies_on_scene",
    "emergencies_on_scene_in_time",
)


def _families(end: datetime | None) -> list[tuple[str, Q, dict]]:
    """The five families of counts: (the time that puts a case in a period, which
    cases count, their aggregates) — the cohort by `reported_at`, then closed,
    resolved, unresolved by the resolve deadline, rated.

    `end` is the period's end (cohort cases closed before it; due cases not
    resolved by it). None counts them as of now, as the roll-ups store them;
    `_counts` then corrects by the few closed or resolved after the end."""
    closed_by = Q(state=State.CLOSED)
    unresolved = Q(resolved_at__isnull=True)
    if end is not None:
        closed_by &= Q(closed_at__lt=end)
        unresolved |= Q(resolved_at__gte=end)
    emergency = Q(priority=Priority.EMERGENCY)
    return [
        (
            "reported_at",
            Q(),
            {
                "reported": Count("id"),
                "cancelled": Count("id", filter=Q(state=State.CANCELLED)),
                "rejected": Count("id", filter=Q(state=State.REJECTED)),
                "merged": Count("id", filter=Q(state=State.MERGED)),
                "accepted": Count("id", filter=Q(accepted_at__isnull=False)),
                "accepted_in_time": Count(
                    "id", filter=Q(accepted_at__lte=F("accept_due_at")) & ~Q(state=State.CANCELLED)
                ),
                "cohort_closed": Count("id", filter=closed_by),
                "urges": Coalesce(Sum("urge_count"), 0),
                # The cohort's emergencies, as emergency_response() counts them.
                "emergencies": Count("id", filter=emergency),
                "emergencies_accepted": Count(
                    "id", filter=emergency & Q(accepted_at__isnull=False)
                ),
                "emergencies_accepted_in_time": Count(
                    "id", filter=emergency & Q(accepted_at__lte=F("accept_due_at"))
                ),
                "emergencies_on_scene": Count(
                    "id", filter=emergency & Q(on_scene_at__isnull=False)
                ),
                "emergencies_on_scene_in_time": Count(
                    "id", filter=emergency & Q(on_scene_at__lte=F("on_scene_due_at"))
                ),
            },
        ),
        (
            "closed_at",
            Q(state=State.CLOSED),
            {
                "closed": Count("id"),
                "reworked": Count("id", filter=Q(rework_count__gt=0)),
                "extended": Count("id", filter=Q(extension_count__gt=0)),
                "returned": Count("id", filter=Q(return_count__gt=0)),
                **{
                    f"level_{level}": Count("id", filter=Q(closed_level=level))
                    for level in Level.values
                },
            },
        ),
        (
            "resolved_at",
            ~Q(state__in=EXCLUDED),
            {
                "resolved": Count("id"),
                "resolved_in_time": Count("id", filter=Q(resolved_at__lte=F("resolve_due_at"))),
            },
        ),
        (
            "resolve_due_at",
            ~Q(state__in=(*EXCLUDED, State.SUSPENDED)) & unresolved,
            {"overdue_unresolved": Count("id")},
        ),
        (
            "rated_at",
            ~Q(rating=""),
            {
                "rated": Count("id"),
                "rated_satisfied": Count(
                    "id", filter=Q(rating__in=(Rating.SATISFIED, Rating.BASIC))
                ),
            },
        ),
    ]


def _grouped(queryset, group, aggregates: dict) -> dict:
    """Aggregates of a queryset per value of `group` (a column, a tuple of
    columns, or None: one row under None)."""
    if group is None:
        return {None: queryset.aggregate(**aggregates)}
    fields = (group,) if isinstance(group, str) else tuple(group)
    keys = {f"_k{i}": _plain(f) for i, f in enumerate(fields)}
    # Plain integers: fetched with the cursor, without the ORM's per-row
    # conversion (thousands of (grid, department) rows for a town).
    names, rows = _fetch(queryset.annotate(**keys).values(*keys).annotate(**aggregates))
    width = len(keys)
    names = names[width:]
    if isinstance(group, str):
        return {row[0]: dict(zip(names, row[1:], strict=True)) for row in rows}
    return {row[:width]: dict(zip(names, row[width:], strict=True)) for row in rows}


def _counts(scope: Scope, period: Period, now: datetime, group=None, rolled=None) -> dict:
    """The counts every rate is made of, per value of `group` (a case column or a
    tuple of them; None: all under None).

    Each family (`_families`) is counted from the case rows on the days the
    roll-ups cannot answer for, and from `DailyFlowCount` on the clean days
    (`rolled`, from `rollups.rolled(scope)`), less the cohort cases closed and
    plus the due cases resolved after the period's end (the roll-ups count
    both as of now)."""
    from wangge.dashboard import rollups

    cases = scope.cases().order_by()
    horizon = min(period.end, now)
    rows = rollups.flow_rows(scope, group) if rolled is not None else None
    clean = rolled.clean_days(period, now) if rows is not None else []
    raw = _raw_ranges(period, clean)
    parts = []
    for field_name, which, aggregates in _families(period.end):
        ranges = raw
        if field_name == "resolve_due_at":  # overdue by now: a deadline still ahead is not
            ranges = [(a, min(b, horizon)) for a, b in raw if a < horizon]
        if ranges:
            parts.append(
                _grouped(cases.filter(which, _within(field_name, ranges)), group, aggregates)
            )
    if clean:
        parts.append(rollups.flow_counts(rows, clean))
        days = rollups.day_ranges(clean)
        # Index on the late time (few rows), not on the period's (every row).
        late_closed = cases.filter(
            _within("reported_at", days, indexed=False),
            Exact(Unindexed("state"), State.CLOSED),
            closed_at__gte=period.end,
        )
        late_resolved = cases.filter(
            _within("resolve_due_at", days, indexed=False),
            ~Q(state__in=(*EXCLUDED, State.SUSPENDED)),
            resolved_at__gte=period.end,
        )
        closed = _grouped(late_closed, group, {"cohort_closed": Count("id")})
        parts.append({k: {"cohort_closed": -(v["cohort_closed"] or 0)} for k, v in closed.items()})
        parts.append(_grouped(late_resolved, group, {"overdue_unresolved": Count("id")}))
    result: dict = {}
    for part in parts:
        for key, values in part.items():
            row = result.setdefault(key, dict.fromkeys(COUNT_KEYS, 0))
            for name, value in values.items():
                row[name] += value or 0
    if group is None and None not in result:
        result[None] = dict.fromkeys(COUNT_KEYS, 0)
    return result


def _sum_counts(rows) -> dict:
    total = dict.fromkeys(COUNT_KEYS, 0)
    for row in rows:
        for key in COUNT_KEYS:
            total[key] += row[key]
    return total


def score_weights() -> dict:
    weights = getattr(settings, "WANGGE_SCORE_WEIGHTS", None) or DEFAULT_SCORE_WEIGHTS
    return {k: float(weights.get(k, 0)) for k in DEFAULT_SCORE_WEIGHTS}


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _rates(c: dict) -> dict:
    """Rates from counts (DESIGN §5); None where the denominator is 0."""
    rates = {
        "response_rate": _rate(c["accepted_in_time"], c["reported"] - c["cancelled"]),
        "on_time_rate": _rate(c["resolved_in_time"], c["resolved"] + c["overdue_unresolved"]),
        "closure_rate": _rate(
            c["cohort_closed"], c["reported"] - c["rejected"] - c["merged"] - c["cancelled"]
        ),
        "rework_rate": _rate(c["reworked"], c["closed"]),
        "extension_rate": _rate(c["extended"], c["closed"]),
        "return_rate": _rate(c["returned"], c["closed"]),
        "satisfaction_rate": _rate(c["rated_satisfied"], c["rated"]),
    }
    rates["composite_score"] = composite(rates)
    return rates


def composite(rates: dict) -> float | None:
    """0..100: weights × (response, resolution = closure rate, satisfaction).

    A part without data (None) is left out and the other weights rescaled."""
    weights = score_weights()
    parts = {
        "response": rates.get("response_rate"),
        "resolution": rates.get("closure_rate"),
        "satisfaction": rates.get("satisfaction_rate"),
    }
    total = sum(weights[k] for k, v in parts.items() if v is not None)
    if not total:
        return None
    return round(100 * sum(weights[k] * v for k, v in parts.items() if v is not None) / total, 1)
