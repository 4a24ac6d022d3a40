"""List pages run a fixed number of queries, however many rows they show (no N+1)."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from wangge.points import services
from wangge.residents.models import Household

PAGES = [
    "points:index",
    "points:shop",
    "points:approvals",
    "points:ratings",
    "points:leaderboard",
]


def _counts(client, user):
    client.force_login(user)
    counts = {}
    for name in PAGES:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(name) + "?year=2026").status_code == 200
        counts[name] = len(queries)
    return counts


def _activity(t, photo, n, prefix):
    for i in range(n):
        h = Household.objects.create(
            town=t.town, village=t.va, grid=t.a1, number=f"A1-{prefix}{i:02d}", address="杨村"
        )
        services.record(t.grid_worker, h, t.rule_small)
        services.redeem(t.grid_worker, h, t.soap, 1)
        services.record(t.grid_worker, h, t.rule_large, evidence=photo())
        services.nominate(t.grid_worker, h, 2026, "孝老爱亲")
    services.rate_year(t.grid_leader, t.va, 2026)


def test_points_pages_do_not_grow_with_rows(client, village_rules, photo):
    t = village_rules
    _activity(t, photo, 2, "9")
    few = _counts(client, t.grid_leader)
    _activity(t, photo, 6, "8")
    assert _counts(client, t.grid_leader) == few
