"""The figures (DESIGN §5), defined once, computed with SQL aggregates.

Pages, reports, the API and `wangge summary` all call these functions. Every
figure is a function of a `Period` (half-open, Asia/Shanghai) and a `Scope`
(town, village, grid, department or grid worker); `scope_for(user, param)`
decides which scopes a user may ask for. No function loops over cases in
Python: counts, rates' parts and percentiles come from SQL; Python only
combines a handful of grouped rows. Definitions: docs/figures.md.

Return values are JSON-able dicts and lists with keys, never translated labels
of their own (labels of categories, villages and grids come from the database;
channels and priorities carry the cases app's choice labels).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import (
    BooleanField,
    CharField,
    Count,
    DateField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    IntegerField,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models import Case as When_
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact, GreaterThanOrEqual, LessThan
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.cases.choices import OPEN_STATES, Channel, Level, Priority, Rating, State

DEFAULT_SCORE_WEIGHTS = {"response": 0.1, "resolution": 0.5, "satisfaction": 0.4}
GRADES = [(90, "A"), (75, "B"), (60, "C"), (40, "D")]
SCOPE_KINDS = ("town", "village", "grid", "department", "worker")
BREAKDOWNS = ("category", "channel", "hour", "grid", "village", "priority")
LEAGUES = ("department", "worker", "grid", "village")
YOY_GROUPS = ("petition", "public_order")
EXCLUDED = (State.REJECTED, State.MERGED, State.CANCELLED)
# In the order of the partial index `case_open_state` (SQLite matches the list as written).
OPEN = sorted(OPEN_STATES)
MAX_DAYS = 3660


def _tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _local_now(now=None) -> datetime:
    return timezone.localtime(now or timezone.now(), _tz())


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=_tz())


# --- Periods -------------------------------------------------------------------


FIRST_YEAR = 2000  # no town kept cases in wangge before this


@dataclass(frozen=True)
class Period:
    """A half-open interval [start, end) of aware datetimes in Asia/Shanghai."""

    start: datetime
    end: datetime
    text: str = field(default="", compare=False)

    @classmethod
    def parse(cls, text: str | None, *, now=None) -> Period:
        """ "today", "month" (default: this month so far), "year", "90d", "2026-11",
        "2026", "2026-11-01..2026-11-27" (inclusive days). ValueError with a
        translated message on bad input."""
        local = _local_now(now)
        today = local.date()
        raw = (text or "month").strip().lower()
        try:
            if raw == "today":
                return cls(_midnight(today), local, raw)
            if raw == "month":
                return cls(_midnight(today.replace(day=1)), local, raw)
            if raw == "year":
                return cls(_midnight(today.replace(month=1, day=1)), local, raw)
            if m := re.fullmatch(r"(\d{1,4})d", raw):
                days = int(m[1])
                if not 1 <= days <= MAX_DAYS:
                    raise ValueError
                return cls(_midnight(today - timedelta(days=days - 1)), local, raw)
            years = [] if raw.endswith("d") else [int(y) for y in re.findall(r"\d{4}", raw)]
            if any(not FIRST_YEAR <= year <= today.year + 1 for year in years):
                raise ValueError  # a typo like 0001 or 9999, not a period of the town
            if m := re.fullmatch(r"(\d{4})-(\d{1,2})", raw):
                first = date(int(m[1]), int(m[2]), 1)
                following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
                return cls(_midnight(first), _midnight(following), f"{first:%Y-%m}")
            if re.fullmatch(r"\d{4}", raw):
                year = int(raw)
                return cls(_midnight(date(year, 1, 1)), _midnight(date(year + 1, 1, 1)), raw)
            if m := re.fullmatch(r"(\d{4}-\d{1,2}-\d{1,2})\.\.(\d{4}-\d{1,2}-\d{1,2})", raw):
                first = date(*map(int, m[1].split("-")))
                last = date(*map(int, m[2].split("-")))
                if last < first or (last - first).days >= MAX_DAYS:
                    raise ValueError
                return cls(
                    _midnight(first), _midnight(last + timedelta(days=1)), f"{first}..{last}"
                )
        except (ValueError, OverflowError):
            pass
        raise ValueError(
            _(
                "Unknown period “%(text)s”: use today, month, year, 90d, 2026-11, 2026 "
                "or 2026-11-01..2026-11-27."
            )
            % {"text": text}
        )

    @property
    def param(self) -> str:
        """The text form, for URLs."""
        if self.text:
            return self.text
        last = timezone.localtime(self.end - timedelta(microseconds=1), _tz()).date()
        return f"{timezone.localtime(self.start, _tz()).date()}..{last}"

    def previous_year(self) -> Period:
        """The same interval one year earlier (29 February becomes the 28th)."""

        def back(moment: datetime) -> datetime:
            local = timezone.localtime(moment, _tz())
            try:
                return local.replace(year=local.year - 1)
            except ValueError:
                return local.replace(year=local.year - 1, day=28)

        return Period(back(self.start), back(self.end))

    def days(self) -> list[date]:
        first = timezone.localtime(self.start, _tz()).date()
        last = timezone.localtime(self.end - timedelta(microseconds=1), _tz()).date()
        return [first + timedelta(days=i) for i in range((last - first).days + 1)]

    def as_dict(self) -> dict:
        return {"param": self.param, "start": self.start.isoformat(), "end": self.end.isoformat()}


# --- Scopes --------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Whose figures: kind "town" | "village" | "grid" | "department" | "worker".

    A worker's scope is the grids they work as grid worker (or instructor)."""

    kind: str
    id: int
    name: str
    town_id: int | None = None
    grid_ids: tuple[int, ...] = ()
    # "police": community police see a village's or grid's figures of the cases
    # they may see there (emergencies and police matters), as on the case pages.
    only: str = ""

    @property
    def param(self) -> str:
        """e.g. "village:12"."""
        return f"{self.kind}:{self.id}"

    def q(self) -> Q:
        if self.kind == "town":
            place = Q(town_id=self.id)
        elif self.kind == "village":
            place = Q(village_id=self.id)
        elif self.kind == "grid":
            place = Q(grid_id=self.id)
        elif self.kind == "department":
            place = Q(lead_department_id=self.id)
        else:
            place = Q(grid_id__in=self.grid_ids)
        if self.only == "police":
            place &= Q(priority=Priority.EMERGENCY) | Q(category__police_relevant=True)
        return place

    def cases(self, queryset=None):
        """Narrow a Case queryset (default: all cases) to this scope."""
        from wangge.cases.models import Case

        if queryset is None:
            queryset = Case.objects.all()
        return queryset.filter(self.q())

    def grids(self):
        """The grids this scope covers (a department: the grids of its town)."""
        from wangge.grids.models import Grid

        grids = Grid.objects.order_by("code")
        if self.kind == "village":
            return grids.filter(village_id=self.id)
        if self.kind == "grid":
            return grids.filter(pk=self.id)
        if self.kind == "worker":
            return grids.filter(pk__in=self.grid_ids)
        return grids.filter(town_id=self.town_id)

    def as_dict(self) -> dict:
        return {"kind": self.kind, "id": self.id, "name": self.name, "param": self.param}


def _worker_grids(user_id: int) -> tuple[int, ...]:
    from wangge.staff.models import Role, RoleAssignment

    return tuple(
        sorted(
            RoleAssignment.objects.filter(
                user_id=user_id,
                role__in=(Role.GRID_WORKER, Role.GRID_INSTRUCTOR),
                grid__isnull=False,
            ).values_list("grid_id", flat=True)
        )
    )


def make_scope(kind: str, id: int) -> Scope:
    """The scope of one place, unit or worker (no permission check). Http404 when missing."""
    from wangge.grids.models import Grid, Town, Village
    from wangge.staff.models import Department, User

    models = {"town": Town, "village": Village, "grid": Grid, "department": Department}
    if kind in models:
        obj = models[kind].objects.filter(pk=id).first()
        if obj is None:
            raise Http404(_("No such scope."))
        town_id = obj.pk if kind == "town" else obj.town_id
        return Scope(kind, obj.pk, obj.name, town_id)
    if kind == "worker":
        user = User.objects.filter(pk=id).first()
        grids = _worker_grids(id) if user else ()
        if not grids:
            raise Http404(_("No such scope."))
        return Scope(kind, user.pk, str(user), user.town_id, grids)
    raise ValueError(_("Unknown scope “%(kind)s”.") % {"kind": kind})


def _parse_scope_param(param: str) -> tuple[str, int]:
    kind, _sep, ident = (param or "").partition(":")
    if kind not in SCOPE_KINDS or not ident.isdigit():
        raise ValueError(
            _(
                "Unknown scope “%(param)s”: use town:ID, village:ID, grid:ID, department:ID or worker:ID."
            )
            % {"param": param}
        )
    return kind, int(ident)


def may_see(user, scope: Scope, *, as_police: bool = True) -> bool:
    """Whether the user may ask for this scope's figures (decided from wangge.staff.scope).

    `as_police=False` leaves out what community police see through their beat."""
    from wangge.grids.models import Grid
    from wangge.staff.scope import scope_for as staff_scope

    s = staff_scope(user)
    if s.unrestricted:
        return True
    towns = s.ids("town")
    villages = s.ids("village") | (s.ids("police_village") if as_police else frozenset())
    grids = s.ids("grid")
    if scope.kind == "town":
        return scope.id in towns
    if scope.kind == "village":
        return scope.town_id in towns or scope.id in villages
    if scope.kind == "department":
        return scope.town_id in towns or scope.id in s.ids("department")
    if scope.kind == "grid":
        grid_ids = {scope.id}
    elif scope.kind == "worker":
        if user.pk == scope.id:
            return True
        grid_ids = set(scope.grid_ids)
    else:
        return False
    rows = Grid.objects.filter(pk__in=grid_ids).values_list("pk", "village_id", "town_id")
    return bool(rows) and all(
        pk in grids or village in villages or town in towns for pk, village, town in rows
    )


def scope_for(user, param: str | None) -> Scope:
    """The scope `param` names ("village:12"), or the user's own widest scope when None.

    Raises Http404 when it names nothing or nothing the user may see (as any
    row outside a scope), PermissionDenied when the user has no figures at all,
    ValueError on a malformed param. Community police get a village's or grid's
    figures of police matters only (`Scope.only`)."""
    if user is None or not user.is_authenticated:
        raise PermissionDenied
    if param:
        scope = make_scope(*_parse_scope_param(param))
        if not may_see(user, scope):
            # Outside the user's scope is "not found", as everywhere: no hint it exists.
            raise Http404(_("You may not see the figures of this scope."))
        return _for_police(user, scope)
    return _for_police(user, _own_scope(user))


def _for_police(user, scope: Scope) -> Scope:
    """Narrow a scope the user sees only through a police beat to police matters."""
    if may_see(user, scope, as_police=False):
        return scope
    return replace(scope, only="police")


def _own_scope(user) -> Scope:
    from wangge.grids.models import Town
    from wangge.staff.scope import scope_for as staff_scope

    s = staff_scope(user)
    if s.unrestricted:
        town_id = user.town_id or Town.objects.order_by("pk").values_list("pk", flat=True).first()
        if town_id is None:
            raise PermissionDenied(_("You have no figures to see."))
        return make_scope("town", town_id)
    for kind, ids in (
        ("town", s.ids("town")),
        ("village", s.ids("village") | s.ids("police_village")),
        ("department", s.ids("department")),
    ):
        if ids:
            return make_scope(kind, min(ids))
    grids = s.ids("grid")
    if len(grids) == 1:
        return make_scope("grid", next(iter(grids)))
    if grids and _worker_grids(user.pk):
        return make_scope("worker", user.pk)
    if grids:
        return make_scope("grid", min(grids))
    raise PermissionDenied(_("You have no figures to see."))


def children(scope: Scope) -> list[dict]:
    """What a scope drills down to: the villages of a town, the grids of a village."""
    from wangge.grids.models import Grid, Village

    if scope.kind == "town":
        rows = Village.objects.filter(town_id=scope.id).order_by("code")
        return [
            {"kind": "village", "id": v.pk, "name": v.name, "param": f"village:{v.pk}"}
            for v in rows
        ]
    if scope.kind in ("village", "worker"):
        rows = scope.grids() if scope.kind == "worker" else Grid.objects.filter(village_id=scope.id)
        return [
            {"kind": "grid", "id": g.pk, "name": g.name, "code": g.code, "param": f"grid:{g.pk}"}
            for g in rows.order_by("code")
        ]
    return []


# --- SQL helpers ---------------------------------------------------------------


def _offset_modifier() -> str:
    offset = datetime.now(_tz()).utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    return f"{'+' if minutes >= 0 else '-'}{abs(minutes)} minutes"


class LocalDay(Func):
    """The local calendar day of a datetime column, as 'YYYY-MM-DD' text."""

    output_field = CharField()

    def as_sqlite(self, compiler, conn, **extra):
        return self.as_sql(
            compiler, conn, template=f"date(%(expressions)s, '{_offset_modifier()}')", **extra
        )

    def as_postgresql(self, compiler, conn, **extra):
        zone = settings.TIME_ZONE.replace("'", "")
        return self.as_sql(
            compiler,
            conn,
            template=f"to_char(%(expressions)s AT TIME ZONE '{zone}', 'YYYY-MM-DD')",
            **extra,
        )


class LocalDate(LocalDay):
    """The local calendar day of a datetime column, as a date."""

    output_field = DateField()

    def as_postgresql(self, compiler, conn, **extra):
        zone = settings.TIME_ZONE.replace("'", "")
        return self.as_sql(
            compiler, conn, template=f"(%(expressions)s AT TIME ZONE '{zone}')::date", **extra
        )


class Unindexed(Func):
    """A column SQLite must not pick an index for (`+column`): a filter that names
    two indexed times lets it scan the narrower one."""

    template = "%(expressions)s"

    def as_sqlite(self, compiler, conn, **extra):
        return self.as_sql(compiler, conn, template="+%(expressions)s", **extra)


class LocalHour(Func):
    output_field = IntegerField()

    def as_sqlite(self, compiler, conn, **extra):
        return self.as_sql(
            compiler,
            conn,
            template=f"CAST(substr(datetime(%(expressions)s, '{_offset_modifier()}'), 12, 2) AS INTEGER)",
            **extra,
        )

    def as_postgresql(self, compiler, conn, **extra):
        zone = settings.TIME_ZONE.replace("'", "")
        return self.as_sql(
            compiler,
            conn,
            template=f"CAST(EXTRACT(HOUR FROM %(expressions)s AT TIME ZONE '{zone}') AS INTEGER)",
            **extra,
        )


class Minutes(Func):
    """Minutes from the second datetime to the first (a float)."""

    arity = 2
    output_field = FloatField()

    def as_sqlite(self, compiler, conn, **extra):
        return self.as_sql(
            compiler,
            conn,
            template="((julianday(%(expressions)s) - julianday(%(second)s)) * 1440.0)",
            **extra,
        )

    def as_sql(self, compiler, conn, template=None, **extra):
        first, second = self.get_source_expressions()
        a_sql, a_params = compiler.compile(first)
        b_sql, b_params = compiler.compile(second)
        if template and "%(second)s" in template:
            sql = template.replace("%(expressions)s", a_sql).replace("%(second)s", b_sql)
        else:
            sql = f"(EXTRACT(EPOCH FROM ({a_sql} - {b_sql})) / 60.0)"
        return sql, (*a_params, *b_params)


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


def _plain(field: str):
    """An id column as an expression: grouping by it cannot make SQLite walk a
    whole (grid, reported_at) index for its order instead of the period's range."""
    return ExpressionWrapper(F(field) + 0, output_field=IntegerField())


def _open():
    """Open cases, written out as literals: SQLite uses the partial index
    `case_open_state` only for the very same condition, never for bound parameters."""
    from wangge.cases.models import Case

    states = ", ".join(f"'{state}'" for state in OPEN)  # our own constants
    return RawSQL(f'"{Case._meta.db_table}"."state" IN ({states})', [], output_field=BooleanField())


def _in(field: str, period: Period) -> Q:
    return Q(**{f"{field}__gte": period.start, f"{field}__lt": period.end})


def _within(field: str, ranges, *, indexed: bool = True) -> Q:
    """The column in any of the [start, end) ranges (`indexed=False`: see Unindexed)."""
    column = F(field) if indexed else Unindexed(field)
    q = Q(pk__in=[])
    for start, end in ranges:
        q |= Q(GreaterThanOrEqual(column, start), LessThan(column, end))
    return q


def _raw_ranges(period: Period, clean) -> list[tuple[datetime, datetime]]:
    """The parts of the period outside the clean (rolled-up) days, as [start, end)."""
    if not clean:
        return [(period.start, period.end)]
    ranges = []
    cursor = period.start
    for first, last in _day_runs(clean):
        if _midnight(first) > cursor:
            ranges.append((cursor, _midnight(first)))
        cursor = _midnight(last + timedelta(days=1))
    if cursor < period.end:
        ranges.append((cursor, period.end))
    return ranges


def _day_runs(days):
    from wangge.dashboard.rollups import day_runs

    return day_runs(days)


def _light_expression(now: datetime):
    from wangge.cases.sla import light_q

    return When_(
        When(light_q("red", now), then=Value("red")),
        When(light_q("yellow", now), then=Value("yellow")),
        When(light_q("green", now), then=Value("green")),
        default=Value(""),
        output_field=CharField(),
    )


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _round(value, digits=1):
    return None if value is None else round(value, digits)


# --- Counts behind the rates -------------------------------------------------------

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


def _fetch(queryset) -> tuple[list[str], list[tuple]]:
    """A values() queryset's column names and rows, straight from the cursor."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [d[0] for d in cursor.description], cursor.fetchall()


def _sum_counts(rows) -> dict:
    total = dict.fromkeys(COUNT_KEYS, 0)
    for row in rows:
        for key in COUNT_KEYS:
            total[key] += row[key]
    return total


def score_weights() -> dict:
    weights = getattr(settings, "WANGGE_SCORE_WEIGHTS", None) or DEFAULT_SCORE_WEIGHTS
    return {k: float(weights.get(k, 0)) for k in DEFAULT_SCORE_WEIGHTS}


def grade(score: float | None) -> str | None:
    if score is None:
        return None
    for floor, letter in GRADES:
        if score >= floor:
            return letter
    return "E"


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


# --- Public figures ----------------------------------------------------------------


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


def _league_row(ident, name, c: dict, **extra) -> dict:
    rates = _rates(c)
    score = rates["composite_score"]
    return {
        "id": ident,
        "name": name,
        **extra,
        "score": score,
        "grade": grade(score),
        "reported": c["reported"],
        "closed": c["closed"],
        **{k: v for k, v in rates.items() if k != "composite_score"},
    }


def _sort_league(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda r: (r["score"] is None, -(r["score"] or 0), str(r["name"])))


def league(scope: Scope, period: Period, of: str, *, now=None) -> list[dict]:
    """of in department/worker/grid/village: rows with score (0..100) and grade, best first.

    Village rows also carry `code`, `open_now` and `overdue_now` (as `figures`
    gives them for that village); each league is one set of grouped queries."""
    if of not in LEAGUES:
        raise ValueError(_("Unknown league “%(of)s”.") % {"of": of})
    from wangge.dashboard import rollups

    now = now or timezone.now()
    rolled = rollups.rolled(scope)
    if of == "department":
        return _department_league(scope, period, now, rolled=rolled)
    if of == "village":
        return _village_league(scope, period, now, rolled)
    return _grid_league(scope, period, now, of, _counts(scope, period, now, "grid_id", rolled))


def _department_league(
    scope: Scope, period: Period, now: datetime, counts: dict | None = None, *, rolled=None
) -> list[dict]:
    from wangge.staff.models import Department

    departments = Department.objects.filter(town_id=scope.town_id).order_by("code")
    if scope.kind == "department":
        departments = departments.filter(pk=scope.id)
    if counts is None:
        counts = _counts(scope, period, now, "lead_department_id", rolled)
    empty = dict.fromkeys(COUNT_KEYS, 0)
    return _sort_league([_league_row(d.pk, d.name, counts.get(d.pk, empty)) for d in departments])


def _village_league(scope: Scope, period: Period, now: datetime, rolled) -> list[dict]:
    """Per village of the scope (a town's or a department's: the town's villages;
    a grid's or a worker's: the villages of those grids): the counts of the
    scope's cases in that village, grouped in one pass per flow."""
    from wangge.grids.models import Village

    villages = Village.objects.order_by("code")
    if scope.kind == "village":
        villages = villages.filter(pk=scope.id)
    elif scope.kind in ("grid", "worker"):
        villages = villages.filter(pk__in=scope.grids().values("village_id"))
    else:
        villages = villages.filter(town_id=scope.town_id)
    villages = list(villages.values("pk", "code", "name"))
    counts = _counts(scope, period, now, "village_id", rolled)
    current = {
        row["_k"]: row
        for row in scope.cases()
        .order_by()
        .filter(_open())
        .annotate(_k=_plain("village_id"))
        .values("_k")
        .annotate(open_now=Count("id"), overdue_now=Count("id", filter=Q(due_at__lt=now)))
    }
    empty = dict.fromkeys(COUNT_KEYS, 0)
    rows = []
    for v in villages:
        now_row = current.get(v["pk"], {})
        rows.append(
            _league_row(
                v["pk"],
                v["name"],
                counts.get(v["pk"], empty),
                code=v["code"],
                open_now=now_row.get("open_now", 0),
                overdue_now=now_row.get("overdue_now", 0),
            )
        )
    return _sort_league(rows)


def _grid_league(scope: Scope, period: Period, now: datetime, of: str, counts: dict) -> list[dict]:
    from wangge.staff.models import Role, RoleAssignment

    empty = dict.fromkeys(COUNT_KEYS, 0)
    grids = list(scope.grids().values("pk", "code", "name"))
    if of == "grid":
        return _sort_league(
            [
                _league_row(g["pk"], g["name"], counts.get(g["pk"], empty), code=g["code"])
                for g in grids
            ]
        )
    workers: dict[int, dict] = {}
    assignments = RoleAssignment.objects.filter(
        role=Role.GRID_WORKER, grid_id__in=[g["pk"] for g in grids]
    ).values_list("user_id", "user__full_name", "user__username", "grid_id")
    for user_id, full_name, username, grid_id in assignments:
        entry = workers.setdefault(user_id, {"name": full_name or username, "grids": []})
        entry["grids"].append(grid_id)
    return _sort_league(
        [
            _league_row(
                user_id,
                w["name"],
                _sum_counts(counts.get(g, empty) for g in w["grids"]),
                grids=sorted(w["grids"]),
            )
            for user_id, w in workers.items()
        ]
    )


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
