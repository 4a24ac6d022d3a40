"""The one-screen JSON (`metrics.screen`) at scale: median and p90 per scope.

    DATABASE_URL=sqlite:////tmp/wangge-bench.sqlite3 .venv/bin/python bench/figures.py
    DATABASE_URL=postgres://wangge:wangge@127.0.0.1:5432/wangge_bench .venv/bin/python bench/figures.py

Uses the database bench/scale.py filled (and fills it first when it holds
fewer than --cases cases). Refreshes the daily roll-ups (timed), then calls
`screen()` for the town, its busiest village and its busiest grid, `--repeat`
times each after one warm-up call, for each period asked (default: month and
year), and prints median and p90 in milliseconds. Targets (issue 5, reported,
not asserted): ≤ 150 ms median at 1,000,000 cases on SQLite and PostgreSQL;
≤ 500 ms at 10,000,000 on PostgreSQL.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import scale  # noqa: E402


def timings(call, repeat: int) -> list[float]:
    call()  # warm-up: caches, connection, SQLite pages
    result = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        result.append((time.perf_counter() - started) * 1000)
    return result


def summary(values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return f"median {statistics.median(ordered):7.1f} ms   p90 {p90:7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--periods", default="month,year")
    parser.add_argument("--no-rollups", action="store_true", help="read every day from the rows")
    args = parser.parse_args()
    database = os.environ.get("DATABASE_URL", scale.DEFAULT_DATABASE)
    scale.setup(database)
    from django.db import connection
    from django.db.models import Count
    from django.utils import timezone

    from wangge.cases.models import Case
    from wangge.dashboard import metrics
    from wangge.dashboard.models import RollupState
    from wangge.dashboard.rollups import NAME, refresh_rollups

    print(f"database: {connection.vendor} {database.split('@')[-1]}")
    town = scale.demo_town()
    have = Case.objects.filter(town=town).count()
    if have < args.cases:
        print(f"{have:,} cases; adding {args.cases - have:,} (bench/scale.py)")
        indexes = scale.Indexes([Case._meta.db_table, "cases_caseevent"])
        indexes.drop()
        scale.load(town, args.cases - have, 5, timezone.now().replace(microsecond=0))
        indexes.build()
        have = Case.objects.filter(town=town).count()
    print(f"cases: {have:,}")
    if args.no_rollups:
        RollupState.objects.all().delete()
        print("roll-ups: off (every day from the case rows)")
    else:
        state = RollupState.objects.filter(name=NAME).first()
        started = time.perf_counter()
        days = refresh_rollups(full=state is None)
        kind = "full" if state is None else "incremental"
        print(f"roll-ups ({kind}, {days} days): {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        days = refresh_rollups()
        print(f"roll-ups again (incremental, {days} days): {time.perf_counter() - started:.2f} s")

    busiest = (
        Case.objects.filter(town=town)
        .values("village_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    grid = (
        Case.objects.filter(village_id=busiest["village_id"])
        .values("grid_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    scopes = [
        metrics.make_scope("town", town.pk),
        metrics.make_scope("village", busiest["village_id"]),
        metrics.make_scope("grid", grid["grid_id"]),
    ]
    cpu = time.process_time()
    for text in args.periods.split(","):
        period = metrics.Period.parse(text)
        for scope in scopes:
            values = timings(lambda s=scope, p=period: metrics.screen(s, p), args.repeat)
            print(f"screen  {text:6} {scope.kind:8} {summary(values)}")
        values = timings(lambda p=period: metrics.figures(scopes[0], p), args.repeat)
        print(f"figures {text:6} {'town':8} {summary(values)}")
    print(
        f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
        f"this process's CPU {time.process_time() - cpu:.1f} s)"
    )


if __name__ == "__main__":
    main()
