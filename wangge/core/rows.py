"""Statements composed once and run many times: the hot paths' reads and writes.

Every case transition and every intake runs the same few statements — read
the case locked, write its changed columns, add one event, add a handful of
notices, look up who hears of it. Django composes and compiles each of them
anew on every call, which costs more than SQLite takes to run them. Here each
shape is composed once per database (and column list, or scope) and kept;
the values still go through each field's `pre_save` and `get_db_prep_save`,
so what is stored is exactly what `Model.save()` would store.

`update`, `insert` and `insert_many` send no model signals and skip the
model's own `save()`: use them only for models that have neither (cases,
case events, notices).

`prepare` compiles a queryset with stand-in values for the ones that change
between runs (ids, numbers, texts, moments); `Prepared.rows` runs it with
the real values, `Prepared.instances` makes model objects of the rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models
from django.db.models import Model, QuerySet
from django.db.models.constants import OnConflict
from django.db.models.query import get_related_populators

# --- Writes ------------------------------------------------------------------

_WRITES: dict[tuple, tuple[str, list]] = {}


def _fields(model: type[Model], names: Iterable[str]) -> list:
    fields = [model._meta.get_field(name) for name in names]
    for field in fields:
        if hasattr(field, "get_placeholder"):  # e.g. geometry: needs Django's own compiler
            raise TypeError(f"{field} needs its own placeholder")
    return fields


# Fields whose `get_db_prep_save` hands a value of this type on unchanged.
_PLAIN = {
    models.CharField: str,
    models.TextField: str,
    models.FloatField: float,
    models.BooleanField: bool,
    models.IntegerField: int,
    models.SmallIntegerField: int,
    models.BigIntegerField: int,
    models.PositiveIntegerField: int,
    models.PositiveSmallIntegerField: int,
    models.PositiveBigIntegerField: int,
}
# Keys whose own conversion hands an int on unchanged (an auto field's).
_AUTO_KEYS = {"AutoField", "BigAutoField", "SmallAutoField"}


def _value_of(field, *, add: bool) -> Callable[[Model, object], object]:
    """(instance, db) → the field's value as stored: `field.get_db_prep_save(
    field.pre_save(instance, add), db)`, as `save()` computes it, taken straight
    for the plain kinds (a text, a number, a key, an aware moment, NULL) — most
    of a row's fields, whose conversions cost more than the statement itself."""

    def full(instance, db):
        return field.get_db_prep_save(field.pre_save(instance, add), db)

    kind, attname = type(field), field.attname
    plain = _PLAIN.get(kind)
    if kind is models.ForeignKey and field.target_field.get_internal_type() in _AUTO_KEYS:
        plain = int
    if plain is not None and kind.pre_save is models.Field.pre_save:
        if plain is int and kind is not models.ForeignKey:
            internal = field.get_internal_type()

            def number(instance, db):
                value = getattr(instance, attname)
                if value is None:
                    return None
                if type(value) is int:
                    # Typed by the column (on PostgreSQL, int2/int4/int8).
                    return db.ops.adapt_integerfield_value(value, internal)
                return full(instance, db)

            return number

        def value(instance, db):
            value = getattr(instance, attname)
            return value if value is None or type(value) is plain else full(instance, db)

        return value
    if kind is models.DateTimeField and not (field.auto_now or field.auto_now_add):

        def moment(instance, db):
            value = getattr(instance, attname)
            if value is None:
                return None
            if type(value) is datetime and value.tzinfo is not None:
                return db.ops.adapt_datetimefield_value(value)
            return full(instance, db)  # naive or a date: Django's conversion and warning

        return moment
    return full


def _connection():
    """The database itself, not the per-thread proxy `django.db.connection`
    (each attribute read through the proxy costs a thread-local look-up)."""
    return connections[DEFAULT_DB_ALIAS]


def cursor(db=None):
    """A cursor for a statement run again and again: on PostgreSQL one that
    binds its values on the server, so the statement is planned once per
    connection (wangge.core.postgresql); Django's own cursor elsewhere."""
    db = db or _connection()
    bound = getattr(db, "bound_cursor", None)
    return bound() if bound else db.cursor()


def update(instance: Model, names: Sequence[str]) -> None:
    """`instance.save(update_fields=names)`: one row's columns by primary key
    (auto_now columns take the time now, as in `save`)."""
    db = _connection()
    model = type(instance)
    key = (db.vendor, "update", model, tuple(names))
    if key not in _WRITES:
        fields = _fields(model, names)
        qn = db.ops.quote_name
        sets = ", ".join(f"{qn(field.column)} = %s" for field in fields)
        table, pk = qn(model._meta.db_table), qn(model._meta.pk.column)
        sql = f"UPDATE {table} SET {sets} WHERE {pk} = %s"
        _WRITES[key] = (sql, [_value_of(field, add=False) for field in fields], False)
    sql, values, _returning = _WRITES[key]
    params = [value(instance, db) for value in values]
    params.append(instance.pk)
    with cursor(db) as statement:
        statement.execute(sql, params)
        if statement.rowcount != 1:
            raise DatabaseError("Save with update_fields did not affect any rows.")


def _insert_statement(db, model: type[Model], on_conflict=None) -> tuple[str, list, bool]:
    key = (db.vendor, "insert", model, on_conflict)
    if key not in _WRITES:
        meta = model._meta
        if [f for f in meta.db_returning_fields if f is not meta.pk]:
            raise TypeError(f"{model.__name__} returns more than its key on insert")
        names = [f.name for f in meta.local_concrete_fields if f is not meta.auto_field]
        fields = _fields(model, names)
        qn = db.ops.quote_name
        columns = ", ".join(qn(field.column) for field in fields)
        values = ", ".join(["%s"] * len(fields))
        sql = (
            f"{db.ops.insert_statement(on_conflict=on_conflict)} "
            f"{qn(meta.db_table)} ({columns}) VALUES ({values})"
        )
        suffix = db.ops.on_conflict_suffix_sql(fields, on_conflict, None, None)
        if suffix:
            sql = f"{sql} {suffix}"
        returning = on_conflict is None and db.features.can_return_columns_from_insert
        if returning:
            clause, _params = db.ops.return_insert_columns([meta.pk])
            sql = f"{sql} {clause}"
        _WRITES[key] = (sql, [_value_of(field, add=True) for field in fields], returning)
    return _WRITES[key]


def _insert_params(db, instance: Model, values: list) -> list:
    return [value(instance, db) for value in values]


def insert(instance: Model) -> Model:
    """`instance.save()` of a new row: inserts it and sets its primary key."""
    db = _connection()
    model = type(instance)
    sql, values, returning = _insert_statement(db, model)
    params = _insert_params(db, instance, values)
    with cursor(db) as statement:
        statement.execute(sql, params)
        if returning:
            pk = statement.fetchone()[0]
        else:
            pk = db.ops.last_insert_id(statement, model._meta.db_table, model._meta.pk.column)
    instance.pk = pk
    instance._state.adding = False
    instance._state.db = db.alias
    return instance


def insert_many(instances: Sequence[Model], *, ignore_conflicts: bool = False) -> None:
    """New rows of one model, their keys not read back (`bulk_create` without them)."""
    if not instances:
        return
    db = _connection()
    model = type(instances[0])
    on_conflict = OnConflict.IGNORE if ignore_conflicts else None
    sql, values, returning = _insert_statement(db, model, on_conflict)
    if returning:  # only when conflicts are not ignored: the key is not wanted here
        sql = sql[: sql.rindex(" RETURNING ")]
    with cursor(db) as statement:
        statement.executemany(sql, [_insert_params(db, instance, values) for instance in instances])


# --- Reads -------------------------------------------------------------------

# Stand-ins while compiling, one per kind of value; never real values.
_INT = -7_340_033
_FLOAT = -7_340_033.25
_MOMENT = datetime(1901, 2, 3, 4, 5, 6, 789, tzinfo=UTC)
_TEXT = "\x00wangge stand-in "


def _stand_in(kind: type, index: int):
    if kind is int:
        return _INT - index
    if kind is float:
        return _FLOAT - index
    if kind is datetime:
        return _MOMENT.replace(microsecond=_MOMENT.microsecond + index)
    if kind is str:
        return f"{_TEXT}{index}"
    raise TypeError(f"no stand-in for {kind}")


@dataclass(frozen=True)
class Prepared:
    sql: str
    params: tuple
    slots: tuple[tuple[int, ...], ...]  # where each value goes in params
    kinds: tuple[type, ...]
    compiler: object
    converters: dict
    model: type[Model] | None  # a queryset of objects (not of values)
    init_list: list[str]  # the model's columns in the row …
    span: tuple[int, int]  # … at these positions
    populators: list  # the objects `select_related` joined

    def _params(self, db, values: Sequence) -> list:
        params = list(self.params)
        for positions, kind, value in zip(self.slots, self.kinds, values, strict=True):
            if kind is datetime:
                value = db.ops.adapt_datetimefield_value(value)
            for position in positions:
                params[position] = value
        return params

    def rows(self, *values) -> list[tuple]:
        """The rows, each value converted as the queryset would."""
        db = _connection()
        with cursor(db) as statement:
            statement.execute(self.sql, self._params(db, values))
            rows = statement.fetchall()
        if self.converters and rows:
            rows = [tuple(row) for row in self.compiler.apply_converters(rows, self.converters)]
        return rows

    def instances(self, *values) -> list[Model]:
        """The model objects, with the related ones `select_related` joined (as
        Django's own ModelIterable makes them)."""
        start, end = self.span
        found = []
        for row in self.rows(*values):
            instance = self.model.from_db(DEFAULT_DB_ALIAS, self.init_list, row[start:end])
            for populator in self.populators:
                populator.populate(row, instance)
            found.append(instance)
        return found

    def first(self, *values) -> Model | None:
        """The first object, or None."""
        found = self.instances(*values)
        return found[0] if found else None


_READS: dict[tuple, Prepared | None] = {}


def prepare(key, build: Callable[..., QuerySet], kinds: Sequence[type]) -> Prepared | None:
    """The queryset `build(*stand_ins)` compiled once per `key` (and database).

    `kinds` gives the type of each value (int, float, str or datetime);
    `build` must use each only as a plain lookup value. None when the queryset
    can match nothing at all (e.g. a scope that shows nothing)."""
    db = _connection()
    full_key = (db.vendor, key)
    try:
        return _READS[full_key]
    except KeyError:
        pass
    if len(_READS) > 1000:  # shapes are few; stay bounded anyway
        _READS.clear()  # (another thread's statement in hand stays valid)
    statement = _READS[full_key] = _compile(db, build, tuple(kinds))
    return statement


def _compile(db, build, kinds) -> Prepared | None:
    stand_ins = [_stand_in(kind, i) for i, kind in enumerate(kinds)]
    compiler = build(*stand_ins).query.get_compiler(db.alias)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return None
    params = list(params)
    slots = []
    for kind, stand_in in zip(kinds, stand_ins, strict=True):
        adapted = db.ops.adapt_datetimefield_value(stand_in) if kind is datetime else stand_in
        positions = tuple(i for i, param in enumerate(params) if param == adapted)
        if not positions:
            raise TypeError(f"value {stand_in!r} is not a plain lookup value of the query")
        slots.append(positions)
    select, klass_info = compiler.select, compiler.klass_info
    model, init_list, span, populators = None, [], (0, 0), []
    if klass_info is not None:
        model = klass_info["model"]
        fields = klass_info["select_fields"]
        span = (fields[0], fields[-1] + 1)
        init_list = [column[0].target.attname for column in select[span[0] : span[1]]]
        populators = get_related_populators(klass_info, select, db.alias)
    return Prepared(
        sql=sql,
        params=tuple(params),
        slots=tuple(slots),
        kinds=kinds,
        compiler=compiler,
        converters=compiler.get_converters(
            [column for column, _, _ in select[: compiler.col_count]]
        ),
        model=model,
        init_list=init_list,
        span=span,
        populators=populators,
    )
