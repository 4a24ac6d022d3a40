"""Command-centre queue with N open cases: server time per page (target ≤ 200 ms median
at 10,000). The page runs in-process through Django's test client, so the number is
server time without the network. Run: .venv/bin/python bench/queue_page.py [CASES]
"""

import statistics
import sys
import time

from common import setup_django, small_town
from worker_sweep import insert_open_cases


def main(total: int = 10_000):
    url = setup_django("queue")
    from django.test import Client

    town, grids, dispatcher, *_ = small_town()
    insert_open_cases(grids, total, overdue_every=10)
    client = Client()
    client.force_login(dispatcher)
    print(f"database: {url.split(':')[0]}; {total:,} open cases")
    for label, params in [
        ("queue, first page", {}),
        ("queue, overdue only", {"light": "red"}),
        ("queue, search", {"q": "水管"}),
        ("queue, page 50", {"page": 50}),
    ]:
        samples = []
        for _ in range(9):
            began = time.perf_counter()
            response = client.get("/cases/", params, HTTP_HOST="127.0.0.1")
            samples.append(time.perf_counter() - began)
            assert response.status_code == 200, response.status_code
        print(f"{label}: median {statistics.median(samples) * 1000:.0f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
