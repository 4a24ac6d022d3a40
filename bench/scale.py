"""Scale generator: N cases (default 1,000,000) with their events, spread over
five years and every grid of the demo town (test data: bulk inserts).

    DATABASE_URL=sqlite:////tmp/wangge-bench.sqlite3 .venv/bin/python bench/scale.py [--cases N]
    DATABASE_URL=postgres://wangge:wangge@127.0.0.1:5432/wangge_bench .venv/bin/python bench/scale.py

Builds the demo town (households, staff, places; no lifecycle cases) when the
database has none, then appends N synthetic cases ending at the present: the
old ones settled (closed, some rejected, merged or cancelled, rated, reworked,
urged), the last days' still open with their deadlines and traffic lights.
Each case gets its events (reported, accepted, dispatched, claimed, resolved,
closed …). The indexes of the two tables are dropped during the load and
rebuilt after it. Target (issue 5): ≤ 3 minutes for 1,000,000 cases.
Prints the seconds of each step. `--rollups` also fills the daily roll-ups.
"""

import argparse
import json
import os
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE = "sqlite:////tmp/wangge-bench.sqlite3"
YEARS = 5
CHUNK = 50_000
# Hours of the day, weighted like a town's day (few reports at night).
HOUR_WEIGHTS = [1, 1, 1, 1, 1, 2, 4, 8, 12, 14, 13, 11, 8, 9, 11, 12, 11, 9, 7, 6, 5, 3, 2, 1]
CHANNELS = [
    ("patrol", 30),
    ("visit", 18),
    ("hotline", 15),
    ("web", 12),
    ("inspection", 8),
    ("api", 6),
    ("open311", 3),
    ("police_directive", 4),
    ("video_alarm", 4),
]
# Allowed minutes (calendar approximations of DESIGN §4) per priority:
# accept, resolve.
ALLOWED = {
    "emergency": (15, 24 * 60),
    "urgent": (240, 2 * 1440),
    "normal": (1440, 7 * 1440),
    "service": (1440, 5 * 1440),
}
LEVELS = [("group", 58), ("village", 26), ("town", 15), ("county", 1)]


def setup(database: str) -> None:
    os.environ["DATABASE_URL"] = database
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wangge.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def demo_town():
    from wangge.demo.build import build_demo, demo_town

    town = demo_town()
    if town is None:
        started = time.perf_counter()
        town = build_demo(seed=1)
        print(f"demo town built: {time.perf_counter() - started:.1f} s")
    return town


def weighted(pairs):
    values = [v for v, _w in pairs]
    weights = [w for _v, w in pairs]
    return values, weights


def plan(town, total: int, seed: int, now: datetime):
    """Yield (case row dict, events) for `total` cases, oldest first."""
    from wangge.cases.models import Category
    from wangge.grids.models import Grid
    from wangge.staff.models import Department

    rng = random.Random(seed)
    grids = list(
        Grid.objects.filter(town=town).values_list(
            "pk", "village_id", "centroid_lat", "centroid_lon"
        )
    )
    departments = list(Department.objects.filter(town=town).values_list("pk", flat=True))
    leaves = list(
        Category.objects.filter(parent__isnull=False, active=True).values_list(
            "pk", "default_priority", "kind"
        )
    )
    # Problems three times as often as service requests; emergencies rare.
    weights = [
        (0.3 if prio == "emergency" else 3.0 if kind == "problem" else 1.0)
        for _pk, prio, kind in leaves
    ]
    channels, channel_weights = weighted(CHANNELS)
    levels, level_weights = weighted(LEVELS)
    span = YEARS * 365 * 86400
    start = now.timestamp() - span
    # Sorted report moments: a uniform day, a weighted hour, a random minute.
    days = sorted(rng.randrange(YEARS * 365) for _ in range(total))
    hours = rng.choices(range(24), HOUR_WEIGHTS, k=total)
    grid_picks = rng.choices(grids, k=total)
    category_picks = rng.choices(leaves, weights, k=total)
    channel_picks = rng.choices(channels, channel_weights, k=total)
    level_picks = rng.choices(levels, level_weights, k=total)
    now_ts = now.timestamp()
    day0 = start - (start + 8 * 3600) % 86400  # local midnight (UTC+8)
    for i in range(total):
        reported = day0 + days[i] * 86400 + hours[i] * 3600 + rng.randrange(3600)
        if reported >= now_ts:
            reported = now_ts - rng.randrange(1, 3600)
        grid_id, village_id, lat, lon = grid_picks[i]
        category_id, priority, _kind = category_picks[i]
        accept_allowed, resolve_allowed = ALLOWED[priority]
        late = rng.random()
        accept_delay = accept_allowed * (
            rng.uniform(1.05, 3) if late < 0.08 else rng.uniform(0.05, 0.9)
        )
        resolve_delay = resolve_allowed * (
            rng.uniform(1.02, 2) if late > 0.88 else rng.uniform(0.05, 0.95)
        )
        level = level_picks[i]
        row = {
            "reported_at": reported,
            "grid_id": grid_id,
            "village_id": village_id,
            "latitude": lat + rng.uniform(-0.004, 0.004),
            "longitude": lon + rng.uniform(-0.004, 0.004),
            "category_id": category_id,
            "priority": priority,
            "channel": channel_picks[i],
            "level": level,
            "accept_due_at": reported + accept_allowed * 60,
        }
        events = [("report", "", "reported", reported)]
        fate = rng.random()
        if fate < 0.015:
            row["state"] = "cancelled"
            events.append(("cancel", "reported", "cancelled", reported + 300))
            yield row, events
            continue
        accepted = reported + accept_delay * 60
        if accepted >= now_ts:
            row["state"] = "reported"
            row["due_at"] = row["accept_due_at"]
            row["yellow_at"] = reported + accept_allowed * 48
            yield row, events
            continue
        if fate < 0.045:
            row["state"] = "rejected"
            events.append(("reject", "reported", "rejected", accepted))
            yield row, events
            continue
        if fate < 0.06 and i:
            row["state"] = "merged"
            row["duplicate_of"] = -1  # the previous case
            events.append(("merge", "reported", "merged", accepted))
            yield row, events
            continue
        row["accepted_at"] = accepted
        events.append(("accept", "reported", "accepted", accepted))
        if priority == "emergency":
            row["on_scene_due_at"] = reported + 15 * 60
            row["on_scene_at"] = accepted + rng.uniform(3, 14) * 60
        row["resolve_due_at"] = accepted + resolve_allowed * 60
        if level in ("town", "county") and departments:
            dispatched = accepted + rng.uniform(10, 90) * 60
            claimed = dispatched + rng.uniform(10, 90) * 60
            row["lead_department_id"] = rng.choice(departments)
            row["dispatched_at"], row["claimed_at"] = dispatched, claimed
            events.append(("dispatch", "accepted", "dispatched", dispatched))
            events.append(("claim", "dispatched", "claimed", claimed))
            if rng.random() < 0.05:
                row["return_count"] = 1
            if rng.random() < 0.08:
                row["extension_count"] = 1
        if rng.random() < 0.05:
            row["urge_count"] = rng.randint(1, 3)
        resolved = accepted + resolve_delay * 60
        if resolved >= now_ts:
            row["state"] = "claimed" if "claimed_at" in row else "accepted"
            row["due_at"] = row["resolve_due_at"]
            row["yellow_at"] = accepted + resolve_allowed * 48
            yield row, events
            continue
        if rng.random() < 0.04:
            row["rework_count"] = 1
            events.append(("resolve", row.get("state", "accepted"), "resolved", resolved))
            events.append(("rework", "resolved", "accepted", resolved + 3600))
            resolved += 4 * 3600
        row["resolved_at"] = resolved
        row["close_due_at"] = resolved + 1440 * 60
        events.append(
            ("resolve", "claimed" if "claimed_at" in row else "accepted", "resolved", resolved)
        )
        closed = resolved + rng.uniform(0.5, 20) * 3600
        if closed >= now_ts:
            row["state"] = "resolved"
            row["due_at"] = row["close_due_at"]
            row["yellow_at"] = resolved + 1440 * 48
            yield row, events
            continue
        row["state"] = "closed"
        row["closed_at"] = closed
        row["closed_level"] = level
        rated = rng.random() < 0.7
        if rated:
            row["rating"] = rng.choices(("satisfied", "basic", "unsatisfied"), (85, 12, 3))[0]
            row["rated_at"] = closed
            events.append(("rate", "resolved", "closed", closed))
        else:
            events.append(("verify", "resolved", "closed", closed))
        yield row, events


_DAYS: dict[int, str] = {}


def stamp(ts, vendor):
    """An epoch second as the database's UTC text (fast: day strings are cached)."""
    if ts is None:
        return None
    ts = int(ts)
    day, second = divmod(ts, 86400)
    text = _DAYS.get(day)
    if text is None:
        text = _DAYS[day] = datetime.fromtimestamp(day * 86400, UTC).strftime("%Y-%m-%d")
    hour, rest = divmod(second, 3600)
    minute, sec = divmod(rest, 60)
    tail = "+00" if vendor == "postgresql" else ""
    return f"{text} {hour:02d}:{minute:02d}:{sec:02d}{tail}"


TIME_FIELDS = (
    "reported_at",
    "accept_due_at",
    "accepted_at",
    "on_scene_due_at",
    "on_scene_at",
    "dispatched_at",
    "claimed_at",
    "resolve_due_at",
    "resolved_at",
    "close_due_at",
    "closed_at",
    "due_at",
    "yellow_at",
    "rated_at",
)


def case_columns():
    from wangge.cases.models import Case

    fields = [f for f in Case._meta.concrete_fields]
    defaults = {}
    for f in fields:
        if f.has_default() and not callable(f.default):
            value = f.default
            defaults[f.column] = json.dumps(value) if isinstance(value, (dict, list)) else value
        elif f.null:
            defaults[f.column] = None
        else:
            defaults[f.column] = ""
    return [f.column for f in fields], defaults


def event_columns():
    return [
        "town_id",
        "case_id",
        "at",
        "actor_label",
        "action",
        "from_state",
        "to_state",
        "level",
        "note",
        "data",
        "internal",
    ]


class Indexes:
    """Drop the secondary indexes of some tables for a bulk load, and rebuild them."""

    def __init__(self, tables):
        from django.db import connection

        self.statements = []
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                for table in tables:
                    cursor.execute(
                        "SELECT name, sql FROM sqlite_master WHERE type='index' AND tbl_name=%s "
                        "AND sql IS NOT NULL",
                        [table],
                    )
                    self.statements += cursor.fetchall()
            else:
                cursor.execute(
                    "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = ANY(%s) "
                    "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
                    [list(tables)],
                )
                self.statements += cursor.fetchall()

    def drop(self):
        from django.db import connection

        with connection.cursor() as cursor:
            for name, _sql in self.statements:
                cursor.execute(f'DROP INDEX IF EXISTS "{name}"')

    def build(self):
        from django.db import connection

        with connection.cursor() as cursor:
            for _name, sql in self.statements:
                cursor.execute(sql)
            cursor.execute("ANALYZE")


def load(town, total: int, seed: int, now: datetime) -> int:
    from django.db import connection, transaction

    from wangge.cases.models import Case, CaseEvent

    vendor = connection.vendor
    columns, defaults = case_columns()
    ecolumns = event_columns()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {Case._meta.db_table}")
        first_id = cursor.fetchone()[0] + 1
    base = dict(defaults)
    base.update(
        town_id=town.pk,
        title="",
        sla_clock="calendar",
        state="reported",
        sla_starts="{}",
        sla_flags="{}",
        updated_at=stamp(now.timestamp(), vendor),
    )
    prefix = f"{town.case_prefix}S"
    case_rows, event_rows = [], []
    case_sql = (
        f"INSERT INTO {Case._meta.db_table} ({', '.join(columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    event_sql = (
        f"INSERT INTO {CaseEvent._meta.db_table} ({', '.join(ecolumns)}) "
        f"VALUES ({', '.join(['%s'] * len(ecolumns))})"
    )

    def flush():
        with connection.cursor() as cursor:
            if vendor == "postgresql":
                raw = cursor.cursor
                with raw.copy(
                    f"COPY {Case._meta.db_table} ({', '.join(columns)}) FROM STDIN"
                ) as copy:
                    for row in case_rows:
                        copy.write_row(row)
                with raw.copy(
                    f"COPY {CaseEvent._meta.db_table} ({', '.join(ecolumns)}) FROM STDIN"
                ) as copy:
                    for row in event_rows:
                        copy.write_row(row)
            else:
                raw = connection.connection
                raw.executemany(case_sql.replace("%s", "?"), case_rows)
                raw.executemany(event_sql.replace("%s", "?"), event_rows)
        case_rows.clear()
        event_rows.clear()

    titles = {}
    from wangge.cases.models import Category

    for pk, name in Category.objects.values_list("pk", "name"):
        titles[pk] = name
    events_total = 0
    if vendor == "sqlite":
        # Test data, consistent by construction: no per-row foreign-key checks.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA foreign_keys = OFF")
            cursor.execute("PRAGMA synchronous = OFF")
            cursor.execute("PRAGMA cache_size = -400000")
    with transaction.atomic():
        pos = {column: index for index, column in enumerate(columns)}
        template = [base[c] for c in columns]
        at = {key: pos[key] for key in pos}
        times = frozenset(TIME_FIELDS)
        for offset, (row, events) in enumerate(plan(town, total, seed, now)):
            case_id = first_id + offset
            values = template.copy()
            for key, value in row.items():
                if key in times:
                    values[at[key]] = stamp(value, vendor)
                elif key == "duplicate_of":
                    values[at["duplicate_of_id"]] = case_id - 1
                else:
                    values[at[key]] = value
            values[at["id"]] = case_id
            values[at["number"]] = f"{prefix}{case_id:09d}"
            values[at["receipt_code"]] = f"S{case_id:012d}"
            values[at["title"]] = titles[row["category_id"]]
            values[at["updated_at"]] = values[at["reported_at"]]
            case_rows.append(values)
            level = row["level"]
            for action, before, after, moment in events:
                event_rows.append(
                    (
                        town.pk,
                        case_id,
                        stamp(moment, vendor),
                        "bench",
                        action,
                        before,
                        after,
                        level,
                        "",
                        "{}",
                        False,
                    )
                )
            events_total += len(events)
            if len(case_rows) >= CHUNK:
                flush()
        flush()
    if vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA synchronous = NORMAL")
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{Case._meta.db_table}', 'id'), "
                f"(SELECT MAX(id) FROM {Case._meta.db_table}))"
            )
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{CaseEvent._meta.db_table}', 'id'), "
                f"(SELECT MAX(id) FROM {CaseEvent._meta.db_table}))"
            )
    return events_total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--rollups", action="store_true", help="fill the daily roll-ups after")
    args = parser.parse_args()
    database = os.environ.get("DATABASE_URL", DEFAULT_DATABASE)
    setup(database)
    from django.utils import timezone

    from wangge.cases.models import Case, CaseEvent

    print(f"database: {database.split('@')[-1]}")
    town = demo_town()
    now = timezone.now().replace(microsecond=0)
    started = time.perf_counter()
    cpu = time.process_time()
    indexes = Indexes([Case._meta.db_table, CaseEvent._meta.db_table])
    indexes.drop()
    events = load(town, args.cases, args.seed, now)
    loaded = time.perf_counter()
    print(f"inserted {args.cases:,} cases and {events:,} events: {loaded - started:.1f} s")
    indexes.build()
    built = time.perf_counter()
    print(f"indexes rebuilt and analysed: {built - loaded:.1f} s")
    if args.rollups:
        from wangge.dashboard.rollups import refresh_rollups

        days = refresh_rollups(full=True)
        print(f"daily roll-ups ({days} days): {time.perf_counter() - built:.1f} s")
    print(
        f"total: {time.perf_counter() - started:.1f} s for {args.cases:,} cases "
        f"(this process's CPU: {time.process_time() - cpu:.1f} s; load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )
    print(f"cases in the database: {Case.objects.count():,}")


if __name__ == "__main__":
    main()
