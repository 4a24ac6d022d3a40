"""Lifecycle throughput in one process (target ≥ 1,000 transitions/s on SQLite).

Each case goes report → accept → send to town → dispatch → claim → resolve →
verify: seven transitions, each a locked row, an event and notices.
Run: .venv/bin/python bench/lifecycle.py [CASES]
"""

import sys
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from common import setup_django, small_town, timed


def main(cases: int = 500):
    url = setup_django("lifecycle")
    from wangge.cases import lifecycle as lc
    from wangge.cases.intake import report

    town, grids, dispatcher, department, staff = small_town()
    now = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    print(f"database: {url.split(':')[0]}; {cases} cases × 7 transitions")
    with timed("transitions", cases * 7):
        for i in range(cases):
            grid, worker = grids[i % len(grids)]
            t = now + timedelta(minutes=i)
            c = report(
                actor=worker,
                category="MS01",
                title="水管破裂",
                channel="patrol",
                longitude=grid.centroid_lon or 112.005 + (i % 4) * 0.01,
                latitude=34.095 - (i // 4 % 4) * 0.01,
                grid=grid,
                now=t,
            )
            lc.accept(c, worker, now=t)
            lc.send_to_town(c, worker, reason="需派单", now=t)
            lc.dispatch(c, dispatcher, lead=department, now=t)
            lc.claim(c, staff, now=t)
            lc.resolve(c, staff, result="已修复", now=t)
            lc.verify(c, worker, now=t)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
