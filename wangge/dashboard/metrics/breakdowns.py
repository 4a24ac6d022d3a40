"""Cases reported in a period, broken down: per day (`daily_volume`), per category,
channel, hour, place or priority (`breakdown`), and per figure group against a
year earlier (`year_over_year`)."""

from __future__ import annotations

from datetime import date, datetime

from django.db.models import Count, F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.cases.choices import Channel, Priority, State
from wangge.dashboard.metrics.scopes import Period, Scope
from wangge.dashboard.metrics.sql import LocalDay, LocalHour, _in, _plain, _raw_ranges, _within

BREAKDOWNS = ("category", "channel", "hour", "grid", "village", "priority")
YOY_GROUPS = ("petition", "public_order")


def daily_volume(scope: Scope, period: Period, *, now=None) -> list[dict]:
    """[{"day": "2026-11-01", "reported": n, "closed": n}], every day present."""
    from wangge.dashboard import rollups

    return rollups.daily_volume(scope, period, now=now)


def _raw_daily(cases, period: Period, ranges=None) -> dict[str, dict]:
    """Reported and closed per local day, straight from the case rows (within
    `ranges` of [start, end) when given, else the whole period)."""
    cases = cases.order_by()
    out: dict[str, dict] = {}
    for field_name, key in (("reported_at", "reported"), ("closed_at", "closed")):
        qs = cases.filter(_within(field_name, ranges or [(period.start, period.end)]))
        if key == "closed":
            qs = qs.filter(state=State.CLOSED)
        rows = qs.annotate(day=LocalDay(field_name)).values("day").annotate(n=Count("id"))
        for row in rows:
            out.setdefault(str(row["day"]), {"reported": 0, "closed": 0})[key] = row["n"]
    return out


def breakdown(scope: Scope, period: Period, by: str) -> list[dict]:
    """by in category/channel/hour/grid/village/priority: [{"key","label","count"}],
    cases reported in the period; largest first (hours: all 24, in order)."""
    if by not in BREAKDOWNS:
        raise ValueError(_("Unknown breakdown “%(by)s”.") % {"by": by})
    cases = scope.cases().order_by().filter(_in("reported_at", period))
    if by == "hour":
        return _labelled(
            by,
            list(
                cases.annotate(k=LocalHour("reported_at")).values_list("k").annotate(n=Count("id"))
            ),
        )
    if by == "category":
        key_expr = Coalesce("category__parent_id", "category_id")
    else:
        # channel, priority; grid and village ids as plain expressions (see _plain)
        key_expr = _plain(f"{by}_id") if by in ("grid", "village") else F(by)
    rows = list(
        cases.annotate(k=key_expr).values_list("k").annotate(n=Count("id")).order_by("-n", "k")
    )
    return _labelled(by, rows)


def _labelled(by: str, rows: list[tuple]) -> list[dict]:
    """[(key, count)] largest first as breakdown rows with their labels."""
    from wangge.cases.models import Category
    from wangge.grids.models import Grid, Village

    if by == "hour":
        counts = dict(rows)
        return [{"key": h, "label": f"{h:02d}", "count": counts.get(h, 0)} for h in range(24)]
    keys = [k for k, _n in rows if k is not None]
    if by == "category":
        labels = dict(Category.objects.filter(pk__in=keys).values_list("pk", "name"))
    elif by == "grid":
        labels = dict(Grid.objects.filter(pk__in=keys).values_list("pk", "name"))
    elif by == "village":
        labels = dict(Village.objects.filter(pk__in=keys).values_list("pk", "name"))
    elif by == "channel":
        labels = {k: str(Channel(k).label) if k in Channel.values else k for k in keys}
    else:
        labels = {k: str(Priority(k).label) if k in Priority.values else k for k in keys}
    return [
        {"key": k, "label": labels.get(k, "") if k is not None else "", "count": n} for k, n in rows
    ]


def _town_clean(scope: Scope, period: Period, now: datetime, rolled) -> list[date]:
    """The clean days of a town's period (DailyBreakdown and the stamps are per town)."""
    return rolled.clean_days(period, now) if rolled is not None and scope.kind == "town" else []


def _category_map() -> dict[int, tuple[int, str]]:
    """Every category: (its top-level category, its figure group)."""
    from wangge.cases.models import Category

    return {
        pk: (parent or pk, group)
        for pk, parent, group in Category.objects.values_list("pk", "parent_id", "figure_group")
    }


def _ordered(counts: dict) -> list[tuple]:
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0] is None, kv[0] or 0))


def _screen_reports(
    scope: Scope, period: Period, place: str, now: datetime, rolled, categories: dict
) -> tuple[dict, dict]:
    """The screen's breakdowns (category, channel, hour, place) as `breakdown` gives
    them, and this period's year-over-year counts: a town's clean days from
    DailyBreakdown, the rest from two grouped queries of the case rows (by the
    case's category; by channel × hour × place: a few thousand rows at most)."""
    from wangge.dashboard import rollups

    clean = _town_clean(scope, period, now, rolled)
    raw = _raw_ranges(period, clean)
    totals: dict[str, dict] = {"category": {}, "channel": {}, "hour": {}, place: {}}

    def add(by: str, key, n: int) -> None:
        totals[by][key] = totals[by].get(key, 0) + n

    if clean:
        for by, counts in rollups.reported_by(scope, clean).items():
            for key, n in counts.items():
                add(by, key if by == "channel" else int(key) if key else None, n)
    reported = scope.cases().order_by().filter(_within("reported_at", raw))
    for key, n in (
        reported.annotate(k=_plain("category_id")).values_list("k").annotate(n=Count("id"))
    ):
        add("category", key, n)
    rows = (
        reported.annotate(c=F("channel"), h=LocalHour("reported_at"), p=_plain(f"{place}_id"))
        .values_list("c", "h", "p")
        .annotate(n=Count("id"))
    )
    for channel, hour, key, n in rows:
        add("channel", channel, n)
        add("hour", hour, n)
        add(place, key, n)
    by_top: dict = {}
    this = dict.fromkeys(YOY_GROUPS, 0)
    for key, n in totals.pop("category").items():
        top, group = categories.get(key, (key, ""))
        by_top[top] = by_top.get(top, 0) + n
        if group in this:
            this[group] += n
    result = {"category": _labelled("category", _ordered(by_top))}
    result.update({by: _labelled(by, _ordered(counts)) for by, counts in totals.items()})
    return result, this


def year_over_year(
    scope: Scope, period: Period, *, parts=("this", "last"), now=None, rolled=None, categories=None
) -> dict:
    """{"petition": {"this": n, "last": n}, "public_order": {...}}: cases reported in
    the period whose category counts in that figure group, and a year earlier."""
    from wangge.dashboard import rollups

    now = now or timezone.now()
    result = {group: {"this": 0, "last": 0} for group in YOY_GROUPS}
    for key, p in (("this", period), ("last", period.previous_year())):
        if key not in parts:
            continue
        clean = _town_clean(scope, p, now, rolled)
        if clean:
            categories = categories if categories is not None else _category_map()
            for category, n in rollups.reported_by(scope, clean, ("category",))["category"].items():
                group = categories.get(int(category), (0, ""))[1]
                if group in result:
                    result[group][key] += n
        found = (
            scope.cases()
            .order_by()
            .filter(_within("reported_at", _raw_ranges(p, clean)))
            .aggregate(
                **{
                    group: Count("id", filter=Q(category__figure_group=group))
                    for group in YOY_GROUPS
                }
            )
        )
        for group in YOY_GROUPS:
            result[group][key] += found[group] or 0
    return result
