"""Roll-ups of the case rows per local day, kept exact.

Four tables, all refreshed together by `refresh_rollups()`:

* `DailyCaseCount` — reported and closed per town and village (the daily series);
* `DailyFlowCount` — every count behind the rates (`metrics.COUNT_KEYS`) per
  village, grid and lead department, each family on its own day (cohort: report
  day; closed, resolved, rated: that day; unresolved: the resolve deadline's day);
* `DailyBreakdown` — a town's reports per category, channel, hour and village;
* `CaseStamp` — per case, the days it was counted on and its durations (the
  town's percentiles read these narrow rows instead of the case rows).

A refresh recomputes from the case rows every day *touched* by a case updated
since the last watermark — its days now and the days it was counted on before
(its stamp: a rework moves the resolve day, an extension the deadline) — plus
the days that came into the rolled range since the last run, then moves the
watermark to the run's start less 10 minutes (a transaction that committed
late is still seen).

Reading (`Rolled.clean_days`) takes a day from the roll-ups only when it lies
in the rolled range, is wholly inside the period and before now, and no case of
the town updated since the watermark touches it; every other day (today,
days touched by recent changes) is counted from the case rows. So a roll-up
never makes a figure drift: at worst it saves less work. The worker calls
`refresh_rollups()` every few minutes; nothing depends on it having run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Count, F, Min, Q, Sum, Value
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from wangge.cases.choices import Priority, State
from wangge.dashboard.models import (
    CaseStamp,
    DailyBreakdown,
    DailyCaseCount,
    DailyFlowCount,
    RollupState,
)

NAME = "figures"
# A transaction committed this long after it stamped `updated_at` is still seen.
MARGIN = timedelta(minutes=10)
# Days recomputed per statement in a full rebuild.
CHUNK_DAYS = 120
ID_CHUNK = 5000  # changed cases handled at once (SQLite's limit on parameters)
# The case's day columns a stamp keeps, and the stamp's name for each.
DAY_FIELDS = {
    "reported_at": "reported_day",
    "closed_at": "closed_day",
    "resolved_at": "resolved_day",
    "resolve_due_at": "due_day",
    "rated_at": "rated_day",
}
# A case's grouping column and the roll-up's.
FLOW_COLUMNS = {
    "village_id": "village_id",
    "grid_id": "grid_id",
    "lead_department_id": "department_id",
}


def _metrics():
    from wangge.dashboard import metrics

    return metrics


def day_runs(days) -> list[tuple[date, date]]:
    """Sorted days as contiguous runs [(first, last)]."""
    runs: list[tuple[date, date]] = []
    for day in sorted(days):
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def day_ranges(days) -> list[tuple[datetime, datetime]]:
    """Days as [start, end) intervals of aware datetimes, one per contiguous run."""
    midnight = _metrics()._midnight
    return [(midnight(a), midnight(b + timedelta(days=1))) for a, b in day_runs(days)]


def _days_q(field: str, days) -> Q:
    """A filter on a DateField: the days, as ranges."""
    q = Q(pk__in=[])
    for first, last in day_runs(days):
        q |= Q(**{f"{field}__gte": first, f"{field}__lte": last})
    return q


# --- Reading ------------------------------------------------------------------------


@dataclass(frozen=True)
class Rolled:
    """What the roll-ups may answer for one town now."""

    state: RollupState
    dirty: frozenset[date]

    def clean_days(self, period, now) -> list[date]:
        """The period's days to read from the roll-ups: in the rolled range, wholly
        inside the period and before now, and untouched since the watermark."""
        midnight = _metrics()._midnight
        horizon = min(period.end, now)
        return [
            d
            for d in period.days()
            if self.state.first_day <= d <= self.state.last_day
            and d not in self.dirty
            and midnight(d) >= period.start
            and midnight(d + timedelta(days=1)) <= horizon
        ]


def rolled(scope) -> Rolled | None:
    """The roll-ups' state for the scope's town, or None when they cannot answer
    for it (never refreshed; a police view, counted from its own rows)."""
    if scope.only or scope.town_id is None:
        return None
    state = RollupState.objects.filter(name=NAME).first()
    if state is None or state.watermark is None or state.first_day is None:
        return None
    towns = [scope.town_id]
    if scope.kind == "worker":  # a worker's grids may lie in more than one town
        from wangge.grids.models import Grid

        towns = list(Grid.objects.filter(pk__in=scope.grid_ids).values_list("town_id", flat=True))
    changed = _cases().filter(updated_at__gte=state.watermark, town_id__in=towns)
    return Rolled(state, frozenset(day for _town, day in _touched(changed)))


def _cases():
    from wangge.cases.models import Case

    return Case.objects.order_by()


def _touched(cases) -> set[tuple[int, date]]:
    """(town, local day) of each day these cases are counted on now or were counted
    on at the last refresh (their stamps), in one query (a UNION of the day columns)."""
    metrics = _metrics()
    parts = [
        cases.exclude(**{field: None})
        .annotate(_d=metrics.LocalDate(field))
        .values_list("town_id", "_d")
        for field in DAY_FIELDS
    ]
    stamps = CaseStamp.objects.order_by().filter(case_id__in=cases.values("id"))
    parts += [
        stamps.exclude(**{column: None}).annotate(_d=F(column)).values_list("town_id", "_d")
        for column in DAY_FIELDS.values()
    ]
    return {(town, _as_date(d)) for town, d in parts[0].union(*parts[1:])}


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


@dataclass(frozen=True)
class FlowRows:
    """A scope's DailyFlowCount rows, and the roll-up column for a grouping."""

    q: Q
    column: str | None


def flow_rows(scope, group) -> FlowRows | None:
    """Where the roll-ups hold the counts of `metrics._counts(scope, …, group)`, or
    None when they do not (a department's grids, a place's departments, pairs):
    those are counted from the case rows."""
    place = {"town": "town_id", "village": "village_id", "grid": "grid_id"}
    if scope.kind in (*place, "worker") and group in (None, "grid_id", "village_id"):
        if scope.kind == "worker":
            where = Q(grid_id__in=scope.grid_ids)
        else:
            where = Q(**{place[scope.kind]: scope.id})
        return FlowRows(where & Q(kind=DailyFlowCount.Kind.PLACE), group)
    if scope.kind in ("town", "department") and group in (None, "lead_department_id"):
        column = "town_id" if scope.kind == "town" else "department_id"
        where = Q(**{column: scope.id}, kind=DailyFlowCount.Kind.DEPARTMENT)
        return FlowRows(where, group and "department_id")
    return None


def flow_counts(rows: FlowRows, days) -> dict:
    """Summed DailyFlowCount rows on these days, grouped as `metrics._counts` groups."""
    metrics = _metrics()
    queryset = DailyFlowCount.objects.order_by().filter(rows.q, _days_q("day", days))
    return metrics._grouped(queryset, rows.column, {k: Sum(k) for k in metrics.COUNT_KEYS})


def reported_by(scope, days, only=None) -> dict[str, dict[str, int]]:
    """A town's reports on these days per category (the case's own), channel, hour
    and village (or only those named): {"category": {"12": n}, "hour": {"8": n},
    "village": {"3": n, "": n}, ...}."""
    wanted = only or DailyBreakdown.By.values
    result: dict[str, dict[str, int]] = {by: {} for by in wanted}
    rows = (
        DailyBreakdown.objects.order_by()
        .filter(_days_q("day", days), town_id=scope.id, by__in=wanted)
        .values_list("by", "key")
        .annotate(n=Sum("count"))
    )
    for by, key, n in rows:
        result[by][key] = n
    return result


def stamp_values(scope, days, value: str):
    """The stamped durations (`accept_minutes`, `on_scene_minutes`,
    `resolve_minutes`) of the town's cases on these days, as a queryset of `_v`."""
    day = "resolved_day" if value == "resolve_minutes" else "reported_day"
    return (
        CaseStamp.objects.order_by()
        .filter(_days_q(day, days), town_id=scope.id, **{f"{value}__isnull": False})
        .annotate(_v=F(value))
    )


# --- Refreshing ---------------------------------------------------------------------


def refresh_rollups(*, full: bool = False) -> int:
    """Bring the roll-ups up to date; returns how many days were recomputed."""
    from wangge.cases.models import Case
    from wangge.grids.models import Town

    metrics = _metrics()
    run_started = timezone.now()
    today = timezone.localtime(run_started, metrics._tz()).date()
    with transaction.atomic():
        state, _created = RollupState.objects.select_for_update().get_or_create(name=NAME)
        if full or state.watermark is None or state.first_day is None:
            first = Case.objects.order_by().aggregate(first=Min("reported_at"))["first"]
            days: set[date] = set()
            if first is None:
                first = today
            else:
                first = timezone.localtime(first, metrics._tz()).date()
                days = {first + timedelta(days=i) for i in range((today - first).days + 1)}
            for model in (DailyCaseCount, DailyFlowCount, DailyBreakdown, CaseStamp):
                model.objects.all().delete()
            _stamp(Case.objects.all())
            towns = {town: days for town in Town.objects.values_list("pk", flat=True)}
        else:
            first = state.first_day
            # Days that came into the rolled range since the last run, for every town.
            new = {
                state.last_day + timedelta(days=i + 1) for i in range((today - state.last_day).days)
            }
            towns = {town: set(new) for town in Town.objects.values_list("pk", flat=True)}
            # The cases changed since the last run, read once: on PostgreSQL each
            # statement sees what committed before it, and a case changed after
            # this read must keep its stamp (its old days) for the next run.
            changed = list(
                _cases().filter(updated_at__gte=state.watermark).values_list("pk", flat=True)
            )
            for start in range(0, len(changed), ID_CHUNK):
                chunk = _cases().filter(pk__in=changed[start : start + ID_CHUNK])
                for town, day in _touched(chunk):
                    if day <= today:
                        towns.setdefault(town, set()).add(day)
                        first = min(first, day)
                CaseStamp.objects.filter(case_id__in=changed[start : start + ID_CHUNK]).delete()
                _stamp(chunk)
        for town, town_days in towns.items():
            ordered = sorted(town_days)
            for start in range(0, len(ordered), CHUNK_DAYS):
                _recompute(town, ordered[start : start + CHUNK_DAYS])
        state.watermark = run_started - MARGIN
        state.first_day, state.last_day = first, today
        state.refreshed_at = run_started
        state.save()
    return len(set().union(*towns.values())) if towns else 0


def _recompute(town: int, days: list[date]) -> None:
    """Replace the town's roll-up rows of these days by counts from the case rows."""
    for model in (DailyCaseCount, DailyFlowCount, DailyBreakdown):
        model.objects.filter(_days_q("day", days), town_id=town).delete()
    cases = _cases().filter(town_id=town)
    _insert_volume(town, cases, days)
    _insert_flows(cases, days)
    _insert_breakdowns(town, cases, days)


def _within_days(field: str, days) -> Q:
    return _metrics()._within(field, day_ranges(days))


def _insert_volume(town: int, cases, days) -> None:
    metrics = _metrics()
    rows: dict[tuple, DailyCaseCount] = {}
    for field, attr in (("reported_at", "reported"), ("closed_at", "closed")):
        qs = cases.filter(_within_days(field, days))
        if attr == "closed":
            qs = qs.filter(state=State.CLOSED)
        for kind, column in (("town", "town_id"), ("village", "village_id")):
            grouped = (
                qs.exclude(**{column: None})
                .annotate(_d=metrics.LocalDate(field), _key=metrics._plain(column))
                .values_list("_key", "_d")
                .annotate(n=Count("id"))
            )
            for key, day, n in grouped:
                day = _as_date(day)
                row = rows.get((kind, key, day))
                if row is None:
                    row = rows[(kind, key, day)] = DailyCaseCount(
                        town_id=town, kind=kind, key=key, day=day
                    )
                setattr(row, attr, n)
    DailyCaseCount.objects.bulk_create(rows.values(), batch_size=2000)


def _execute(sql: str, params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _insert_flows(cases, days) -> None:
    """Two INSERT … SELECTs (place rows, department rows): each family grouped by
    day and key, the families added up per key."""
    metrics = _metrics()
    kinds = {
        DailyFlowCount.Kind.PLACE: (
            cases,
            {
                "_v": ("village_id", metrics._plain("village_id")),
                "_g": ("grid_id", metrics._plain("grid_id")),
            },
        ),
        DailyFlowCount.Kind.DEPARTMENT: (
            cases.exclude(lead_department_id=None),
            {"_dp": ("department_id", metrics._plain("lead_department_id"))},
        ),
    }
    qn = connection.ops.quote_name
    table = qn(DailyFlowCount._meta.db_table)
    for kind, (rows, keys) in kinds.items():
        parts = []
        for field, which, aggregates in metrics._families(None):
            counts = {k: aggregates.get(k, Value(0)) for k in metrics.COUNT_KEYS}
            qs = (
                rows.filter(which, _within_days(field, days))
                .annotate(
                    _day=metrics.LocalDate(field),
                    _t=metrics._plain("town_id"),
                    **{alias: expression for alias, (_c, expression) in keys.items()},
                )
                .values("_day", "_t", *keys)
                .annotate(**counts)
            )
            parts.append(qs.query.sql_with_params())
        union = " UNION ALL ".join(
            f"SELECT * FROM ({sql}) AS f{i}" for i, (sql, _p) in enumerate(parts)
        )
        group = ", ".join(["_day", "_t", *keys])
        sums = ", ".join(f"SUM({qn(k)})" for k in metrics.COUNT_KEYS)
        columns = [column for column, _e in keys.values()]
        targets = ", ".join(
            qn(c) for c in ("kind", "day", "town_id", *columns, *metrics.COUNT_KEYS)
        )
        _execute(
            f"INSERT INTO {table} ({targets}) SELECT %s, {group}, {sums} "
            f"FROM ({union}) AS u GROUP BY {group}",
            [kind.value, *(p for _sql, params in parts for p in params)],
        )


def _insert_breakdowns(town: int, cases, days) -> None:
    """One INSERT … SELECT of the reports per day by category, channel, hour, village."""
    from django.db.models import CharField

    metrics = _metrics()
    reported = cases.filter(_within_days("reported_at", days))
    keys = {
        "category": Cast("category_id", CharField()),
        "channel": F("channel"),
        "hour": Cast(metrics.LocalHour("reported_at"), CharField()),
        "village": Coalesce(Cast("village_id", CharField()), Value("")),
    }
    parts = [
        reported.annotate(_day=metrics.LocalDate("reported_at"), _by=Value(by), _key=key)
        .values("_day", "_by", "_key")
        .annotate(n=Count("id"))
        .query.sql_with_params()
        for by, key in keys.items()
    ]
    qn = connection.ops.quote_name
    union = " UNION ALL ".join(
        f"SELECT * FROM ({sql}) AS f{i}" for i, (sql, _p) in enumerate(parts)
    )
    table = qn(DailyBreakdown._meta.db_table)
    _execute(
        f"INSERT INTO {table} (town_id, day, {qn('by')}, {qn('key')}, {qn('count')}) "
        f"SELECT %s, _day, _by, _key, n FROM ({union}) AS u",
        [town, *(p for _sql, params in parts for p in params)],
    )


def _stamp(cases) -> None:
    """Write the stamps of these cases (none of them may have one)."""
    from django.db.models import Case as When_
    from django.db.models import When

    metrics = _metrics()
    settled = ~Q(state__in=metrics.EXCLUDED)
    values = {
        "case_id": F("id"),
        "town_id": F("town_id"),
        **{column: metrics.LocalDate(field) for field, column in DAY_FIELDS.items()},
        "accept_minutes": metrics.Minutes(F("accepted_at"), F("reported_at")),
        "on_scene_minutes": When_(
            When(
                priority=Priority.EMERGENCY,
                then=metrics.Minutes(F("on_scene_at"), F("reported_at")),
            )
        ),
        "resolve_minutes": When_(
            When(
                settled,
                then=metrics.Minutes(F("resolved_at"), F("reported_at")) - F("paused_minutes"),
            )
        ),
    }
    qs = cases.order_by().annotate(**{f"_{k}": v for k, v in values.items()})
    sql, params = qs.values_list(*(f"_{k}" for k in values)).query.sql_with_params()
    qn = connection.ops.quote_name
    table = qn(CaseStamp._meta.db_table)
    _execute(f"INSERT INTO {table} ({', '.join(qn(k) for k in values)}) {sql}", params)


ASK = object()


def daily_volume(scope, period, rolled_now=ASK, *, now=None) -> list[dict]:
    """[{"day", "reported", "closed"}] for every day of the period: clean days of a
    town or village from the roll-up, the others from the case rows. `rolled_now`:
    what `rolled(scope)` answered (asked when not given)."""
    metrics = _metrics()
    now = now or timezone.now()
    if rolled_now is ASK:
        rolled_now = rolled(scope)
    days = period.days()
    rolled_days: dict[str, dict] = {}
    clean = []
    if rolled_now is not None and scope.kind in ("town", "village"):
        clean = rolled_now.clean_days(period, now)
    if clean:
        rows = (
            DailyCaseCount.objects.order_by()
            .filter(_days_q("day", clean), kind=scope.kind, key=scope.id)
            .values_list("day", "reported", "closed")
        )
        for day, reported, closed in rows:
            rolled_days[str(day)] = {"reported": reported, "closed": closed}
        for day in clean:
            rolled_days.setdefault(str(day), {"reported": 0, "closed": 0})
    raw: dict[str, dict] = {}
    ranges = metrics._raw_ranges(period, clean)
    if ranges:
        raw = metrics._raw_daily(scope.cases(), period, ranges=ranges)
    zero = {"reported": 0, "closed": 0}
    return [{"day": str(d), **(rolled_days.get(str(d)) or raw.get(str(d)) or zero)} for d in days]
