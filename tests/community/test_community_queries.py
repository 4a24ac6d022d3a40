"""Community list pages run a fixed number of queries, however many rows they show."""

from datetime import date

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from wangge.community import services

SCORES = {"politics": 18, "ability": 17, "results": 16, "conduct": 19, "recognition": 18}


def _add(t, n, offset):
    for i in range(n):
        cadre = services.register_cadre(
            t.grid_leader,
            t.va,
            name=f"后备{offset + i}",
            gender="male",
            birth_year=1990,
            education="senior",
            background="veteran",
            registered_on=date(2025, 1, 1),
        )
        services.assess(t.instructor, cadre, scores=SCORES, comment="好")
        services.create_project(
            t.grid_leader,
            t.va,
            title=f"整治{offset + i}",
            started_on=date(2025, 1, 1),
            due_on=date(2025, 6, 1),
            targets=[("拆除违建", "间", 10), ("清理垃圾", "立方米", 50)],
        )


def _counts(client, user):
    client.force_login(user)
    counts = {}
    for name in ("community:cadres", "community:projects"):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(name)).status_code == 200
        counts[name] = len(queries)
    return counts


def test_lists_do_not_grow_with_rows(client, town):
    _add(town, 2, 0)
    few = _counts(client, town.instructor)
    _add(town, 6, 10)
    assert _counts(client, town.instructor) == few
