"""Daily roll-ups of case volume (reported and closed per local day), kept exact.

`refresh_rollups()` recomputes, from the case rows, every day touched by a case
updated since the last run (a case's report day and close day), and moves the
watermark. Reading (`daily_volume`) takes a day from the roll-up only when it
lies in the rolled range and no case updated since the watermark touches it;
every other day (today, yesterday's late changes, a case placed in another
grid) is counted from the case rows. So a roll-up never makes a figure drift:
at worst it saves less work. The worker calls `refresh_rollups()` now and then;
nothing depends on it having run.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.db.models import Count, Max, Min, Q, Sum
from django.utils import timezone

from wangge.cases.choices import State
from wangge.dashboard.models import DailyCaseCount, RollupState

NAME = "daily_volume"
# A transaction committed this long after it stamped `updated_at` is still seen.
MARGIN = timedelta(minutes=10)
# Towns and villages; a grid holds few enough cases to count from the rows.
KINDS = (("town", "town_id"), ("village", "village_id"))


def _metrics():
    from wangge.dashboard import metrics

    return metrics


def _day_ranges(days) -> Q:
    """A filter on reported_at/closed_at placeholders: contiguous runs of days."""
    metrics = _metrics()
    runs: list[tuple[date, date]] = []
    for day in sorted(days):
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return [(metrics._midnight(a), metrics._midnight(b + timedelta(days=1))) for a, b in runs]


def _range_q(field: str, ranges) -> Q:
    q = Q(pk__in=[])
    for start, end in ranges:
        q |= Q(**{f"{field}__gte": start, f"{field}__lt": end})
    return q


def _touched_days(cases) -> set[date]:
    """The local days of report and closing of these cases."""
    metrics = _metrics()
    days: set[date] = set()
    for field in ("reported_at", "closed_at"):
        days |= {
            date.fromisoformat(str(d))
            for d in cases.exclude(**{field: None})
            .annotate(d=metrics.LocalDay(field))
            .values_list("d", flat=True)
            .distinct()
            .order_by()
        }
    return days


def _compute(days) -> list[DailyCaseCount]:
    """The roll-up rows of these days, from the case rows."""
    from wangge.cases.models import Case

    metrics = _metrics()
    ranges = _day_ranges(days)
    rows: dict[tuple, DailyCaseCount] = {}
    for field, attr in (("reported_at", "reported"), ("closed_at", "closed")):
        qs = Case.objects.order_by().filter(_range_q(field, ranges))
        if attr == "closed":
            qs = qs.filter(state=State.CLOSED)
        for kind, column in KINDS:
            grouped = (
                qs.exclude(**{column: None})
                .annotate(d=metrics.LocalDay(field))
                .values_list("town_id", column, "d")
                .annotate(n=Count("id"))
            )
            for town_id, key, day, n in grouped:
                day = date.fromisoformat(str(day))
                row = rows.get((kind, key, day))
                if row is None:
                    row = rows[(kind, key, day)] = DailyCaseCount(
                        town_id=town_id, kind=kind, key=key, day=day
                    )
                setattr(row, attr, n)
    return list(rows.values())


def refresh_rollups(*, full: bool = False) -> int:
    """Bring the roll-ups up to date; returns how many days were recomputed."""
    from wangge.cases.models import Case

    metrics = _metrics()
    run_started = timezone.now()
    with transaction.atomic():
        state, _created = RollupState.objects.select_for_update().get_or_create(name=NAME)
        today = timezone.localtime(run_started, metrics._tz()).date()
        if full or state.watermark is None:
            bounds = Case.objects.order_by().aggregate(
                first=Min("reported_at"), last=Max("reported_at")
            )
            if bounds["first"] is None:
                days: set[date] = set()
                first = last = today
            else:
                first = timezone.localtime(bounds["first"], metrics._tz()).date()
                last = today
                days = {first + timedelta(days=i) for i in range((last - first).days + 1)}
            DailyCaseCount.objects.all().delete()
        else:
            days = _touched_days(Case.objects.filter(updated_at__gte=state.watermark))
            first = min([state.first_day, *days]) if state.first_day else min(days, default=today)
            last = max([state.last_day or today, today])
            DailyCaseCount.objects.filter(day__in=days).delete()
        for chunk_start in range(0, len(days), 200):
            chunk = sorted(days)[chunk_start : chunk_start + 200]
            DailyCaseCount.objects.bulk_create(_compute(chunk), batch_size=2000)
        state.watermark = run_started - MARGIN
        state.first_day, state.last_day = first, last
        state.refreshed_at = run_started
        state.save()
    return len(days)


def _rollup_filter(scope) -> Q | None:
    if scope.kind in ("town", "village") and not scope.only:
        return Q(kind=scope.kind, key=scope.id)
    return None  # grids, workers, departments and police views: from the case rows


def daily_volume(scope, period) -> list[dict]:
    """[{"day", "reported", "closed"}] for every day of the period: rolled-up days
    from the roll-up, the others from the case rows."""
    metrics = _metrics()
    days = period.days()
    rolled: dict[str, dict] = {}
    raw_days = set(days)
    state = RollupState.objects.filter(name=NAME).first()
    condition = _rollup_filter(scope)
    if state and state.watermark and condition is not None and days:
        from wangge.cases.models import Case

        # Over the whole town, not the scope: a case moved to another village
        # since the watermark leaves its old village's day stale too.
        dirty = _touched_days(
            Case.objects.filter(town_id=scope.town_id, updated_at__gte=state.watermark)
        )
        usable = {
            d
            for d in days
            if state.first_day <= d <= state.last_day
            and d not in dirty
            # A day only partly inside the period is counted from the rows.
            and metrics._midnight(d) >= period.start
            and metrics._midnight(d + timedelta(days=1)) <= period.end
        }
        if usable:
            rows = (
                DailyCaseCount.objects.filter(condition, day__gte=min(usable), day__lte=max(usable))
                .values("day")
                .annotate(reported=Sum("reported"), closed=Sum("closed"))
                .order_by()
            )
            for row in rows:
                if row["day"] in usable:
                    rolled[str(row["day"])] = {"reported": row["reported"], "closed": row["closed"]}
            raw_days -= usable
    raw: dict[str, dict] = {}
    if raw_days:
        ranges = [
            (max(start, period.start), min(end, period.end)) for start, end in _day_ranges(raw_days)
        ]
        raw = metrics._raw_daily(scope.cases(), period, ranges=ranges)
    zero = {"reported": 0, "closed": 0}
    return [{"day": str(d), **(rolled.get(str(d)) or raw.get(str(d)) or zero)} for d in days]
