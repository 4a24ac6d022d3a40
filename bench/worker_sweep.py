"""Worker sweep at scale: N open cases of which 1 % are overdue.

Targets (issue 3): finding the overdue ones ≤ 200 ms with 1,000,000 open
cases; escalating all 10,000 ≤ 20 s. The open cases are bulk-inserted
(test data); the escalations go through the lifecycle like any other.
Run: .venv/bin/python bench/worker_sweep.py [CASES]
"""

import statistics
import sys
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from common import setup_django, small_town, timed

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def insert_open_cases(grids, total: int, overdue_every: int = 100) -> None:
    """Bulk-insert `total` reported cases (test data) copied from one real report;
    every `overdue_every`-th is overdue."""
    from django.db import connection, transaction

    from wangge.cases.intake import report
    from wangge.cases.models import Case

    now = NOW
    grid, worker = grids[0]
    template = report(
        actor=worker, category="MS01", title="水管破裂", channel="patrol", grid=grid, now=now
    )
    fields = [f for f in Case._meta.concrete_fields if not f.primary_key]
    columns = [f.column for f in fields]
    base = {f.column: f.get_db_prep_save(getattr(template, f.attname), connection) for f in fields}
    later = now + timedelta(days=30)
    past = now - timedelta(days=1)
    prep = Case._meta.get_field("next_check_at")

    def rows(start, stop):
        for i in range(start, stop):
            row = dict(base)
            row["number"] = f"BM{i:010d}"
            row["receipt_code"] = f"r{i:014d}"
            due = past if i % overdue_every == 0 else later
            row["accept_due_at"] = prep.get_db_prep_save(due, connection)
            row["next_check_at"] = row["accept_due_at"]
            row["due_at"] = row["accept_due_at"]
            row["yellow_at"] = prep.get_db_prep_save(due - timedelta(hours=2), connection)
            row["grid_id"] = grids[i % len(grids)][0].pk
            row["village_id"] = grids[i % len(grids)][0].village_id
            yield tuple(row[c] for c in columns)

    sql = "INSERT INTO cases_case ({}) VALUES ({})".format(
        ", ".join(connection.ops.quote_name(c) for c in columns), ", ".join(["%s"] * len(columns))
    )
    with timed("bulk insert", total):
        batch = 20_000
        for start in range(0, total, batch):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.executemany(sql, list(rows(start, min(total, start + batch))))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE" if connection.vendor == "sqlite" else "ANALYZE cases_case")


def main(total: int = 1_000_000):
    url = setup_django("worker")
    from wangge.cases.worker import due_case_ids, sweep

    town, grids, *_ = small_town()
    print(f"database: {url.split(':')[0]}; {total:,} open cases, 1 % overdue")
    insert_open_cases(grids, total)
    now = NOW
    moment = now + timedelta(minutes=1)
    samples = []
    for _ in range(7):
        began = time.perf_counter()
        found = due_case_ids(moment, limit=total)
        samples.append(time.perf_counter() - began)
    print(f"find overdue: {len(found):,} cases, median {statistics.median(samples) * 1000:.1f} ms")

    with timed("escalate all overdue", len(found)):
        done = 0
        while True:
            result = sweep(now=moment, limit=2000)
            done += result.escalated
            if result.checked == 0:
                break
    print(f"escalated {done:,}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
