"""Points pages: bad filters never give a server error, evidence photos are served
only inside the user's area, and the leaderboard ranks inside the user's area."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from wangge.points import services
from wangge.points.models import AwardProposal, EntryKind, PointEntry
from wangge.residents.models import Household
from wangge.staff.models import Role, User
from wangge.staff.services import assign_role

SH = ZoneInfo("Asia/Shanghai")


def login(client, user):
    client.force_login(user)
    return client


@pytest.mark.parametrize("name", ["points:index", "points:shop", "points:ratings"])
@pytest.mark.parametrize("village", ["9999999999999999999999999", "²", "-1", "0", "x"])
def test_village_filter_that_cannot_be_an_id_is_ignored(client, village_rules, name, village):
    t = village_rules
    response = login(client, t.grid_leader).get(reverse(name), {"village": village})
    assert response.status_code == 200


def test_index_village_filter_still_filters(client, village_rules):
    t = village_rules
    c = login(client, t.leader)
    body = c.get(reverse("points:index"), {"village": t.vb.pk}).content.decode()
    assert "B1-001" in body and "A1-001" not in body
    body = c.get(reverse("points:index"), {"village": "9" * 25}).content.decode()
    assert "B1-001" in body and "A1-001" in body


@pytest.mark.parametrize("quantity", ["²", "9" * 25, "--1"])
def test_redeem_with_a_strange_quantity_changes_nothing(client, village_rules, now, quantity):
    t = village_rules
    for _ in range(3):
        services.record(t.grid_leader, t.h_a1w, t.rule_small, now=now)
    response = login(client, t.grid_worker).post(
        reverse("points:redeem"),
        {"household": "A1-001", "good": t.soap.pk, "quantity": quantity},
        follow=True,
    )
    assert response.status_code == 200
    assert services.balance_of(t.h_a1w) == 15
    assert not PointEntry.objects.filter(kind=EntryKind.REDEMPTION).exists()


def test_entry_photo_is_served_only_inside_the_area(client, village_rules, photo, now):
    t = village_rules
    upload = photo()
    entry = services.record(t.grid_worker, t.h_a1w, t.rule_medium, evidence=upload, now=now)
    assert isinstance(entry, PointEntry) and entry.evidence
    url = reverse("points:entry_photo", args=[entry.pk])

    page = login(client, t.grid_worker).get(reverse("points:household", args=[t.h_a1w.pk]))
    body = page.content.decode()
    assert f'href="{url}"' in body and "/media/" not in body

    response = login(client, t.grid_worker).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    upload.seek(0)
    assert b"".join(response.streaming_content) == upload.read()

    assert login(client, t.grid_leader).get(url).status_code == 200
    assert login(client, t.grid_worker_b1).get(url).status_code == 404
    other = User.objects.create_user("leader_vb", password="x", town=t.town)
    assign_role(other, Role.GRID_LEADER, village=t.vb)
    assert login(client, other).get(url).status_code == 404


def test_entry_without_photo_is_404(client, village_rules, now):
    t = village_rules
    entry = services.record(t.grid_leader, t.h_a1w, t.rule_small, now=now)
    url = reverse("points:entry_photo", args=[entry.pk])
    assert login(client, t.grid_leader).get(url).status_code == 404


def test_proposal_photo_is_served_only_inside_the_area(client, village_rules, photo, now):
    t = village_rules
    upload = photo()
    services.record(t.grid_worker, t.h_a1w, t.rule_large, evidence=upload, now=now)
    proposal = AwardProposal.objects.get()
    url = reverse("points:proposal_photo", args=[proposal.pk])

    body = login(client, t.grid_leader).get(reverse("points:approvals")).content.decode()
    assert f'href="{url}"' in body and "/media/" not in body

    response = login(client, t.grid_leader).get(url)
    assert response.status_code == 200
    upload.seek(0)
    assert b"".join(response.streaming_content) == upload.read()

    other = User.objects.create_user("leader_vb", password="x", town=t.town)
    assign_role(other, Role.GRID_LEADER, village=t.vb)
    assert login(client, other).get(url).status_code == 404
    # Approved, the ledger line carries the same photo, served under the same rule.
    services.decide(t.grid_leader, proposal, approve=True, now=now)
    entry = PointEntry.objects.get()
    entry_url = reverse("points:entry_photo", args=[entry.pk])
    assert login(client, t.grid_leader).get(entry_url).status_code == 200
    assert login(client, other).get(entry_url).status_code == 404


def test_leaderboard_ranks_inside_the_workers_grid(client, village_rules, now):
    """210 households of another grid outscore the worker's: the worker still sees
    the top of their own grid (ranked there, not cut from the town's top 200)."""
    t = village_rules
    others = Household.objects.bulk_create(
        Household(
            town=t.town,
            village=t.va,
            grid=t.a2,
            number=f"A2-{n:03d}",
            address=f"杨村A2-{n:03d}号",
        )
        for n in range(100, 310)
    )
    created = datetime(2026, 11, 1, 9, 0, tzinfo=SH)
    PointEntry.objects.bulk_create(
        PointEntry(
            town=t.town,
            village=t.va,
            household=h,
            kind=EntryKind.AWARD,
            rule=t.rule_medium,
            points=20,
            nominal_points=20,
            occurred_on=date(2026, 11, 1),
            proposed_by=t.grid_leader,
            created_at=created,
        )
        for h in others
    )
    services.record(t.grid_leader, t.h_a1w, t.rule_small, now=now)
    services.record(t.grid_leader, t.h_a1e, t.rule_small, now=now)
    services.record(t.grid_leader, t.h_a1e, t.rule_small, now=now)

    body = (
        login(client, t.grid_worker)
        .get(reverse("points:leaderboard"), {"year": "2026"})
        .content.decode()
    )
    assert "A1-001" in body and "A1-002" in body
    assert "A2-1" not in body and "A2-2" not in body
    assert body.index("A1-002") < body.index("A1-001")  # 10 points before 5

    # The village leader sees the village's top ten: all of the other grid's.
    body = (
        login(client, t.grid_leader)
        .get(reverse("points:leaderboard"), {"year": "2026"})
        .content.decode()
    )
    assert body.count("A2-") >= 10 and "A1-001" not in body


def test_leaderboard_with_a_strange_year_says_why(client, village_rules):
    t = village_rules
    response = login(client, t.grid_leader).get(
        reverse("points:leaderboard"), {"year": "9" * 25}, follow=True
    )
    assert response.status_code == 200
