"""'Today's visits' for a grid worker with 100 households in a town of 15,000
households, with two months of door-knock visits (about 85 % of households a month)
and one household in ten tagged vulnerable. Prints the median server time of the
function and of the page (Django's test client, in-process: server time without
the network). Target: ≤ 100 ms for the page.

Run: .venv/bin/python bench/todays_visits.py [HOUSEHOLDS]
"""

import random
import statistics
import sys
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from common import setup_django, small_town, timed

NOW = datetime(2026, 11, 20, 7, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
IN_GRID = 100
RUNS = 15


def build(grids, total: int):
    from wangge.fieldwork.models import Visit
    from wangge.residents.models import Household, Tag

    rng = random.Random(1)
    town = grids[0][0].town
    tag = Tag.objects.create(code="alone_elderly", name="独居老人", vulnerable=True)
    rows = []
    for i in range(total):
        # The first IN_GRID households are the measured grid's; the rest spread over the others.
        grid, _worker = grids[0] if i < IN_GRID else grids[1 + (i - IN_GRID) % (len(grids) - 1)]
        ring = grid.boundary["coordinates"][0]
        x0, y0, x1, y1 = ring[0][0], ring[0][1], ring[2][0], ring[2][1]
        rows.append(
            Household(
                town=town,
                village_id=grid.village_id,
                grid=grid,
                number=f"H{i:06d}",
                address=f"{grid.name}{i}号",
                longitude=rng.uniform(x0, x1),
                latitude=rng.uniform(y0, y1),
            )
        )
    Household.objects.bulk_create(rows, batch_size=2000)
    ids = list(Household.objects.order_by("pk").values_list("pk", "grid_id", "village_id"))
    Household.tags.through.objects.bulk_create(
        [Household.tags.through(household_id=pk, tag=tag) for pk, *_ in ids if rng.random() < 0.1],
        batch_size=2000,
    )
    workers = {grid.pk: worker.pk for grid, worker in grids}
    visits = []
    for pk, grid_id, village_id in ids:
        for month in (0, 1):
            if rng.random() < 0.85:
                visits.append(
                    Visit(
                        town=town,
                        village_id=village_id,
                        grid_id=grid_id,
                        household_id=pk,
                        visited_at=NOW - timedelta(days=30 * month + rng.uniform(0, 30)),
                        visited_by_id=workers[grid_id],
                        nobody_home=rng.random() < 0.08,
                    )
                )
    Visit.objects.bulk_create(visits, batch_size=2000)
    return len(visits)


def median_ms(call) -> float:
    samples = []
    for _ in range(RUNS):
        began = time.perf_counter()
        call()
        samples.append(time.perf_counter() - began)
    return statistics.median(samples) * 1000


def main(total: int = 15_000):
    url = setup_django("todays_visits")
    from django.test import Client

    from wangge.cases import clock
    from wangge.fieldwork.services import todays_visits

    town, grids, *_ = small_town(grids_per_side=13)
    with timed(f"building {total:,} households and their visits"):
        visits = build(grids, total)
    grid, worker = grids[0]
    print(
        f"database: {url.split(':')[0]}; {total:,} households, {visits:,} visits, "
        f"{len(grids)} grids; the worker's grid holds {IN_GRID}"
    )
    due = len(todays_visits(worker, grid=grid, now=NOW)["rows"])
    print(f"households due in the worker's grid: {due}")
    function = median_ms(lambda: todays_visits(worker, grid=grid, now=NOW))
    gps = median_ms(
        lambda: todays_visits(worker, grid=grid, latitude=34.095, longitude=112.005, now=NOW)
    )
    client = Client()
    client.force_login(worker)

    def page():
        with clock.simulated(NOW):
            response = client.get("/fieldwork/", HTTP_HOST="127.0.0.1")
        assert response.status_code == 200, response.status_code

    page_ms = median_ms(page)
    print(f"todays_visits(), from the grid's centre: median {function:.1f} ms")
    print(f"todays_visits(), from the worker's GPS: median {gps:.1f} ms")
    print(f"page /fieldwork/: median {page_ms:.1f} ms (target ≤ 100 ms)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15_000)
