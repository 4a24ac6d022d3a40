"""Benchmark of working-time deadline arithmetic (wangge.cases.worktime).

No database. Starts are spread over 2025–2026 so the runs cross weekends,
春节, 国庆 and their 调休 days; "cold" clears the per-day caches before every call.

    python bench/worktime.py [--calls 20000] [--seed 1]

Target: adding 7 working days (2,940 working minutes) ≤ 1 ms per call, cold.
"""

from __future__ import annotations

import argparse
import datetime
import random
import sys
import time
from zoneinfo import ZoneInfo

from wangge.cases import worktime
from wangge.cases.worktime import add_minutes, minutes_between, traffic_light

SHANGHAI = ZoneInfo("Asia/Shanghai")
SEVEN_DAYS = 7 * 420  # working minutes
TARGET_US = 1000.0


def clear_caches():
    worktime.is_workday.cache_clear()
    worktime._working_periods.cache_clear()


def per_call_us(calls, function, cold=False) -> float:
    """Mean microseconds per call; cold runs clear the caches outside the timing."""
    total = 0.0
    for args in calls:
        if cold:
            clear_caches()
        began = time.perf_counter()
        function(*args)
        total += time.perf_counter() - began
    return total / len(calls) * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    first = datetime.datetime(2025, 1, 1, tzinfo=SHANGHAI)
    span = 720 * 24 * 3600  # seconds: starts stay in 2025–2026
    starts = [first + datetime.timedelta(seconds=rng.uniform(0, span)) for _ in range(args.calls)]
    ends = [start + datetime.timedelta(days=9) for start in starts]
    year_starts = [start for start in starts if start.year == 2025][:1000]  # ends in 2026
    year_ends = [start + datetime.timedelta(days=365) for start in year_starts]

    def add(start):
        return add_minutes(start, SEVEN_DAYS, "working")

    def between(start, end):
        return minutes_between(start, end, "working")

    def light(start, end):
        return traffic_light(start, end, start + (end - start) / 2, "working")

    cold = per_call_us([(s,) for s in starts[:2000]], add, cold=True)
    warm = per_call_us([(s,) for s in starts], add)

    nine_days = per_call_us(list(zip(starts, ends, strict=True)), between)
    year = per_call_us(list(zip(year_starts, year_ends, strict=True)), between)
    lights = per_call_us(list(zip(starts, ends, strict=True)), light)
    print(
        f"add_minutes, 7 working days: {cold:.1f} µs cold, {warm:.1f} µs warm (target ≤ {TARGET_US:g})"
    )
    print(f"minutes_between, working clock, 9 days: {nine_days:.1f} µs; one year: {year:.1f} µs")
    print(f"traffic_light, working clock, 9 days: {lights:.1f} µs")
    ok = cold <= TARGET_US and warm <= TARGET_US
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
