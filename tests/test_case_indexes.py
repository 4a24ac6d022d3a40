"""The case table's indexes: the columns empty at intake are indexed only where they
are set, and the queries that need those indexes still reach them on both databases."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import OperationalError, connection, transaction

from wangge.cases.models import Case
from wangge.dashboard.metrics.sql import _within

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 11, 2, tzinfo=ZoneInfo("Asia/Shanghai"))


def _uses(queryset, index: str) -> bool:
    """Whether the database can answer the query through `index`: SQLite refuses a
    query it cannot answer from an index named in INDEXED BY; PostgreSQL, with the
    table's other indexes dropped (rolled back after) and a full scan the last
    resort, names the index in its plan."""
    sql, params = queryset.query.sql_with_params()
    table = f'FROM "{Case._meta.db_table}"'
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            others = [name for name, info in _indexes(unique=False).items() if name != index]
            cursor.execute("DROP INDEX " + ", ".join(f'"{name}"' for name in others))
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, params)
            plan = " ".join(str(row) for row in cursor.fetchall())
            transaction.set_rollback(True)
            return index in plan
        try:
            cursor.execute(
                "EXPLAIN QUERY PLAN " + sql.replace(table, f'{table} INDEXED BY "{index}"', 1),
                params,
            )
        except OperationalError:  # "no query solution"
            return False
        return True


def _indexes(unique=True) -> dict[str, dict]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Case._meta.db_table)
    return {
        name: info
        for name, info in constraints.items()
        if info["index"] and (unique or not (info["unique"] or info["primary_key"]))
    }


def test_a_report_touches_no_index_of_a_column_it_leaves_empty():
    """Every index naming a column that is empty at intake is partial (its rows
    have the column), so a new case costs no entry in it."""
    empty_at_intake = {
        "closed_at",
        "resolved_at",
        "resolve_due_at",
        "rated_at",
        "owner_user_id",
        "owner_department_id",
        "lead_department_id",
        "duplicate_of_id",
        "likely_duplicate_of_id",
        "reporter_resident_id",
    }
    indexes = _indexes()
    named = {name for name, info in indexes.items() if empty_at_intake & set(info["columns"])}
    assert len(named) >= 18
    conditions = {index.name: index.condition for index in Case._meta.indexes}
    for name in named:
        assert conditions.get(name) is not None, name
    # The links keep an index that starts with them.
    for link in ("town_id", "village_id", "grid_id", "category_id"):
        assert any(info["columns"][0] == link for info in indexes.values()), link


@pytest.mark.parametrize(
    ("flow", "index"),
    [
        ("closed_at", "case_village_closed"),
        ("resolved_at", "case_village_resolved"),
        ("rated_at", "case_village_rated"),
        ("resolve_due_at", "case_village_resolve_due"),
    ],
)
def test_a_figure_over_several_ranges_reads_the_partial_index(flow, index):
    """The figures ask for a flow in one or several ranges of days: a range says the
    column is set, so the partial index serves it."""
    ranges = [(DAY, DAY + timedelta(days=3)), (DAY + timedelta(days=5), DAY + timedelta(days=6))]
    for some in (ranges[:1], ranges):
        assert _uses(Case.objects.filter(_within(flow, some), village_id=7), index), some
    # What SQLite cannot use is refused (the check can fail).
    assert not _uses(Case.objects.filter(village_id=7), index)


@pytest.mark.parametrize(
    ("link", "index"),
    [
        ("owner_user_id", "case_owner_user"),
        ("owner_department_id", "case_owner_department"),
        ("reporter_resident_id", "case_reporter_resident"),
        ("duplicate_of_id", "case_duplicate_of"),
        ("likely_duplicate_of_id", "case_likely_duplicate_of"),
    ],
)
def test_a_link_is_followed_through_its_partial_index(link, index):
    """Who owns what, a resident's cases, a case's duplicates (and deleting a user
    or a resident, which sets these links to NULL) use the partial index."""
    assert _uses(Case.objects.filter(**{link: 5}), index)
    assert _uses(Case.objects.filter(**{f"{link}__in": [5, 6]}), index)
