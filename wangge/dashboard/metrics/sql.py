"""SQL building blocks of the figures: local days and hours, minutes between two
times, the traffic light, and the filters written so that SQLite keeps to the
right index (`_plain`, `_open`, `Unindexed`, `_within`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import (
    BooleanField,
    CharField,
    DateField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    IntegerField,
    Q,
    Value,
    When,
)
from django.db.models import Case as When_
from django.db.models.expressions import RawSQL
from django.db.models.lookups import GreaterThanOrEqual, LessThan

from wangge.cases.choices import OPEN_STATES
from wangge.core.sql import Unindexed
from wangge.dashboard.metrics.scopes import Period, _midnight, _tz

# In the order of the partial index `case_open_state` (SQLite matches the list as written).
OPEN = sorted(OPEN_STATES)


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


def _fetch(queryset) -> tuple[list[str], list[tuple]]:
    """A values() queryset's column names and rows, straight from the cursor."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [d[0] for d in cursor.description], cursor.fetchall()
