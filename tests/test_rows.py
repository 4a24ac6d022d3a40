"""Statements composed once (wangge.core.rows): they store and read exactly what the ORM does."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import DatabaseError, connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from wangge.cases.models import Case, CaseEvent, Notice
from wangge.core import rows
from wangge.staff.models import RoleAssignment

SH = ZoneInfo("Asia/Shanghai")
MON_9 = datetime(2026, 11, 23, 9, 0, tzinfo=SH)


def _columns(instance) -> dict:
    return {
        f.attname: getattr(instance, f.attname)
        for f in type(instance)._meta.concrete_fields
        if not f.primary_key
    }


def test_update_stores_what_save_would_and_touches_auto_now(make_case):
    case = make_case()
    before = Case.objects.get(pk=case.pk).updated_at
    case.title = "改了标题"
    case.sla_flags = {"accept": "warned", "note": "中文"}
    case.resolve_due_at = MON_9 + timedelta(days=2)
    case.grid_id = None
    rows.update(case, ["title", "sla_flags", "resolve_due_at", "grid_id", "updated_at"])
    stored = Case.objects.get(pk=case.pk)
    assert stored.title == "改了标题"
    assert stored.sla_flags == {"accept": "warned", "note": "中文"}
    assert stored.resolve_due_at == MON_9 + timedelta(days=2)
    assert stored.grid_id is None
    assert stored.updated_at > before and stored.updated_at == case.updated_at


def test_update_of_a_missing_row_fails_loudly(make_case):
    case = make_case()
    Case.objects.filter(pk=case.pk).update(likely_duplicate_of=None)
    ghost = Case.objects.get(pk=case.pk)
    ghost.pk = 10_000_000
    with pytest.raises(DatabaseError):
        rows.update(ghost, ["title"])


def test_insert_stores_the_same_row_as_the_orm(make_case, town):
    case = make_case()
    fields = dict(
        town_id=case.town_id,
        case=case,
        at=MON_9,
        actor=town.grid_worker,
        action="urge",
        from_state="reported",
        to_state="reported",
        level="group",
        note="催办：请尽快处理",
        data={"milestone": "accept", "at": MON_9.isoformat()},
        internal=True,
    )
    ours = rows.insert(CaseEvent(**fields))
    theirs = CaseEvent.objects.create(**fields)
    assert ours.pk is not None and ours.pk != theirs.pk
    assert not ours._state.adding
    assert _columns(CaseEvent.objects.get(pk=ours.pk)) == _columns(
        CaseEvent.objects.get(pk=theirs.pk)
    )


@pytest.mark.parametrize("add", [True, False])
def test_each_column_is_the_value_django_would_store(make_case, add):
    """The shortcuts for plain values give what `get_db_prep_save(pre_save(…))` gives,
    and anything else (a naive moment, a choice, a bool or int in the wrong column,
    JSON) goes through Django's own conversion."""
    from wangge.cases.choices import State

    case = make_case()
    odd = Case.objects.get(pk=case.pk)
    odd.title = State.REPORTED  # a choice, not a plain str
    odd.latitude = 34  # an int in a float column: Django makes it 34.0
    odd.rework_count = True  # a bool in an integer column: Django makes it 1
    odd.accept_due_at = MON_9.replace(tzinfo=None)  # naive: Django warns and converts
    odd.resolve_due_at = MON_9.astimezone(ZoneInfo("UTC"))
    odd.closed_at = None
    odd.grid_id = None
    odd.sla_flags = {"中文": [1, 2.5, None]}
    event = CaseEvent(town_id=case.town_id, case=case, at=MON_9, data={"a": 1})
    notice = Notice(
        town_id=case.town_id, recipient_id=7, case=case, kind="x", text="", created_at=MON_9
    )
    instances = [case, odd, case.events.get(), event, *Notice.objects.filter(case=case), notice]
    with pytest.warns(RuntimeWarning, match="naive datetime"):
        for instance in instances:
            fields = [
                f
                for f in type(instance)._meta.local_concrete_fields
                if not f.primary_key and not getattr(f, "auto_now", False)
            ]
            ours = [rows._value_of(f, add=add)(instance, connection) for f in fields]
            theirs = [f.get_db_prep_save(f.pre_save(instance, add), connection) for f in fields]
            assert [_comparable(v) for v in ours] == [_comparable(v) for v in theirs]
            assert [type(v) for v in ours] == [type(v) for v in theirs]


def _comparable(value):
    # Django wraps JSON for psycopg (a new wrapper each time): compare what it holds.
    return getattr(value, "obj", value)


def test_insert_many_skips_rows_that_exist_when_told(make_case, town):
    case = make_case()
    event = case.events.get()
    Notice.objects.filter(event=event).delete()

    def notice(user, text):
        return Notice(
            town_id=case.town_id,
            recipient=user,
            case=case,
            event=event,
            kind="report",
            text=text,
            created_at=MON_9,
        )

    rows.insert_many([notice(town.grid_worker, "第一次")], ignore_conflicts=True)
    rows.insert_many(
        [notice(town.grid_worker, "第二次"), notice(town.grid_leader, "给组长")],
        ignore_conflicts=True,
    )
    stored = dict(Notice.objects.filter(event=event).values_list("recipient_id", "text"))
    assert stored == {town.grid_worker.pk: "第一次", town.grid_leader.pk: "给组长"}
    with pytest.raises(DatabaseError):  # not told: the duplicate is an error
        rows.insert_many([notice(town.grid_worker, "第三次")])


def test_prepared_read_answers_as_the_queryset_for_every_kind_of_value(make_case):
    made = [
        make_case(lat=34.101 + i * 0.001, now=MON_9 + timedelta(hours=i), title=f"第{i}件")
        for i in range(5)
    ]

    def build(town_id, since, south, title):
        return (
            Case.objects.filter(town_id=town_id, reported_at__gte=since, latitude__gte=south)
            .exclude(title=title)
            .order_by("reported_at")
            .values_list("pk", "reported_at", "latitude")
        )

    statement = rows.prepare("test: cases since", build, [int, datetime, float, str])
    for since, south, title in [
        (MON_9, 34.0, ""),
        (MON_9 + timedelta(hours=2), 34.0, "第3件"),
        (MON_9 + timedelta(minutes=90), 34.1035, "第4件"),
        (MON_9 + timedelta(days=1), 34.0, ""),
    ]:
        expected = list(build(made[0].town_id, since, south, title))
        assert statement.rows(made[0].town_id, since, south, title) == expected


def test_prepared_read_makes_objects_with_what_select_related_joined(town):
    def build(user_id):
        return RoleAssignment.objects.filter(user_id=user_id).select_related("grid", "town")

    statement = rows.prepare("test: assignments", build, [int])
    with CaptureQueriesContext(connection) as queries:
        (found,) = statement.instances(town.grid_worker.pk)
        assert found.grid.name == town.a1.name  # joined: no second query
        assert found.role == "grid_worker"
    assert len(queries) == 1
    assert statement.instances(town.outsider.pk + 10_000) == []


def test_prepare_compiles_once_per_key_and_refuses_values_it_cannot_place(town):
    calls = []

    def build(user_id):
        calls.append(user_id)
        return RoleAssignment.objects.filter(user_id=user_id)

    first = rows.prepare("test: once", build, [int])
    assert rows.prepare("test: once", build, [int]) is first and len(calls) == 1
    # A query that can match nothing at all has no statement.
    assert rows.prepare("test: nothing", lambda ids: RoleAssignment.objects.none(), [int]) is None
    # A value used other than as a plain lookup value cannot be swapped in later.
    with pytest.raises(TypeError):
        rows.prepare(
            "test: not placed",
            lambda user_id: RoleAssignment.objects.filter(Q(user_id__gt=0)),
            [int],
        )


def test_on_postgresql_a_hot_statement_is_planned_once_per_connection(town):
    """Server-side binding: after `prepare_threshold` runs psycopg prepares the
    statement, and later runs reuse the plan. Elsewhere, Django's own cursor."""
    statement = rows.prepare(
        "test: roles of a user",
        lambda pk: RoleAssignment.objects.filter(user_id=pk).order_by("pk").values_list("role"),
        [int],
    )
    user = town.grid_worker
    expected = list(RoleAssignment.objects.filter(user=user).order_by("pk").values_list("role"))
    with CaptureQueriesContext(connection) as captured:
        for _ in range(8):
            assert statement.rows(user.pk) == expected
    assert len(captured.captured_queries) == 8  # still seen by Django's query log
    if connection.vendor != "postgresql":
        with rows.cursor() as cursor:
            assert type(cursor.cursor) is type(connection.cursor().cursor)
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%staff_roleassignment%user_id%"],
        )
        assert cursor.fetchone()[0] >= 1
    with rows.cursor() as bound, connection.cursor() as plain:
        assert type(bound.cursor).__name__ == "BoundCursor"  # a server-binding cursor
        assert type(plain.cursor).__name__ == "Cursor"  # Django's own, values in the text


@pytest.mark.django_db(transaction=True)
def test_a_statement_prepared_before_another_process_migrated_still_runs():
    """A column a prepared statement returns changes type under it (a migration run
    by another process): outside a transaction the statement runs again at
    once; inside one it fails, and works again after the rollback."""
    from django.db import transaction

    select = "SELECT id, name FROM wangge_probe WHERE id = %s"
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE wangge_probe (id integer PRIMARY KEY, name varchar(10))")
        cursor.execute("INSERT INTO wangge_probe VALUES (1, '一号')")
    try:

        def run():
            with rows.cursor() as cursor:
                cursor.execute(select, [1])
                return cursor.fetchall()

        for _ in range(7):  # past psycopg's prepare_threshold
            assert run() == [(1, "一号")]
        _alter_elsewhere(_WIDER % 100)
        assert run() == [(1, "一号")]
        for _ in range(7):
            assert run() == [(1, "一号")]
        _alter_elsewhere(_WIDER % 200)
        if connection.vendor == "postgresql":
            with pytest.raises(DatabaseError), transaction.atomic():
                run()
        assert run() == [(1, "一号")]
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE wangge_probe")


# SQLite cannot change a column's type; a new column changes its schema all the same.
_WIDER = "ALTER TABLE wangge_probe ALTER COLUMN name TYPE varchar(%d)"
_SQLITE_WIDER = "ALTER TABLE wangge_probe ADD COLUMN note%d text"


def _alter_elsewhere(statement: str) -> None:
    """Run DDL on a connection of its own, as another process's migration would."""
    from django.db import connections

    if connection.vendor == "sqlite":
        statement = _SQLITE_WIDER % int(statement.rsplit("(", 1)[1].rstrip(")"))
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute(statement)
    finally:
        other.close()
