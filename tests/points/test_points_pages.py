"""Points pages: each shows only the user's scope, and the forms go through the services."""

import pytest
from django.urls import reverse

from wangge.points import services
from wangge.points.models import AwardProposal, Good, PointEntry


def login(client, user):
    client.force_login(user)
    return client


PAGES = ["points:index", "points:shop", "points:approvals", "points:ratings", "points:leaderboard"]


@pytest.mark.parametrize("name", PAGES)
def test_pages_render_for_village_staff(client, village_rules, name):
    response = login(client, village_rules.grid_leader).get(reverse(name))
    assert response.status_code == 200


@pytest.mark.parametrize("name", PAGES)
def test_pages_refuse_roles_without_points(client, village_rules, name):
    assert login(client, village_rules.department).get(reverse(name)).status_code == 403


def test_anonymous_is_sent_to_login(client, village_rules):
    response = client.get(reverse("points:index"))
    assert response.status_code == 302


def test_balances_list_only_the_workers_grid(client, village_rules, now):
    t = village_rules
    services.record(t.grid_leader, t.h_a2, t.rule_small, now=now)
    body = login(client, t.grid_worker).get(reverse("points:index")).content.decode()
    assert "A1-001" in body and "A1-002" in body
    assert "A2-001" not in body and "B1-001" not in body


def test_household_outside_scope_is_404(client, village_rules):
    t = village_rules
    c = login(client, t.grid_worker)
    assert c.get(reverse("points:household", args=[t.h_b1.pk])).status_code == 404
    assert c.get(reverse("points:household", args=[t.h_a1w.pk])).status_code == 200


def test_redeem_form_hands_out_and_reports(client, village_rules, now):
    t = village_rules
    for _ in range(3):
        services.record(t.grid_leader, t.h_a1w, t.rule_small, now=now)
    c = login(client, t.grid_worker)
    response = c.post(
        reverse("points:redeem"),
        {"household": "A1-001", "good": t.soap.pk, "quantity": "2"},
        follow=True,
    )
    assert response.status_code == 200
    assert services.balance_of(t.h_a1w) == 5
    assert Good.objects.get(pk=t.soap.pk).stock == 98
    assert "洗衣粉" in response.content.decode()


def test_redeem_form_refuses_household_outside_scope(client, village_rules):
    t = village_rules
    response = login(client, t.grid_worker_b1).post(
        reverse("points:redeem"),
        {"household": "A1-001", "good": t.soap.pk, "quantity": "1"},
        follow=True,
    )
    assert response.status_code == 200
    assert Good.objects.get(pk=t.soap.pk).stock == 100
    assert not PointEntry.objects.exists()
    # A good of their own village, a household of another grid: refused by number.
    Good.objects.create(town=t.town, village=t.vb, name="大米", unit="袋", price=1, stock=5)
    rice = Good.objects.get(name="大米")
    response = login(client, t.grid_worker_b1).post(
        reverse("points:redeem"),
        {"household": "A1-001", "good": rice.pk, "quantity": "1"},
        follow=True,
    )
    assert "A1-001" in response.content.decode()
    assert Good.objects.get(pk=rice.pk).stock == 5


def test_record_form_and_approval_flow(client, village_rules, photo):
    t = village_rules
    c = login(client, t.grid_worker)
    response = c.post(
        reverse("points:record", args=[t.h_a1w.pk]),
        {"rule": t.rule_large.pk, "note": "救起落水儿童", "evidence": photo()},
    )
    assert response.status_code == 302
    proposal = AwardProposal.objects.get()
    assert not PointEntry.objects.exists()
    c2 = login(client, t.grid_leader)
    c2.post(reverse("points:decide", args=[proposal.pk]), {"decision": "approve"})
    assert services.balance_of(t.h_a1w) == 50


def test_record_form_without_photo_shows_the_reason(client, village_rules):
    t = village_rules
    response = login(client, t.grid_worker).post(
        reverse("points:record", args=[t.h_a1w.pk]), {"rule": t.rule_medium.pk}, follow=True
    )
    assert response.status_code == 200
    assert not PointEntry.objects.exists()
    # The refusal itself, not the form's "evidence photo" label.
    assert "超过10分的须上传佐证照片。" in response.content.decode()


def test_approvals_page_shows_only_the_village_in_scope(client, village_rules, photo):
    from wangge.staff.models import Role, User
    from wangge.staff.services import assign_role

    t = village_rules
    services.record(t.grid_worker, t.h_a1w, t.rule_large, note="救起落水儿童", evidence=photo())
    other = User.objects.create_user("leader_vb", password="x", town=t.town)
    assign_role(other, Role.GRID_LEADER, village=t.vb)
    assert (
        "救起落水儿童"
        in login(client, t.grid_leader).get(reverse("points:approvals")).content.decode()
    )
    assert (
        "救起落水儿童" not in login(client, other).get(reverse("points:approvals")).content.decode()
    )


def test_ratings_page_shows_only_households_in_scope(client, village_rules, now):
    from wangge.points.models import FamilyNomination

    t = village_rules
    services.nominate(t.grid_leader, t.h_a2, 2026, "孝老爱亲模范", now=now)
    FamilyNomination.objects.create(
        town=t.town,
        village=t.vb,
        household=t.h_b1,
        year=2026,
        reason="邻里互助标兵",
        nominated_by=t.admin,
        nominated_at=now,
    )
    body = (
        login(client, t.grid_leader).get(reverse("points:ratings") + "?year=2026").content.decode()
    )
    assert "孝老爱亲模范" in body and "邻里互助标兵" not in body
    body = (
        login(client, t.dispatcher).get(reverse("points:ratings") + "?year=2026").content.decode()
    )
    assert "孝老爱亲模范" in body and "邻里互助标兵" in body


def test_leaderboard_lists_top_households_only_in_scope(client, village_rules, now):
    t = village_rules
    services.record(t.grid_leader, t.h_a2, t.rule_small, now=now)
    services.record(t.grid_leader, t.h_a1w, t.rule_small, now=now)
    body = (
        login(client, t.grid_worker)
        .get(reverse("points:leaderboard") + "?year=2026")
        .content.decode()
    )
    assert "杨村" in body and "庄科村" in body  # villages are compared town-wide
    assert "A1-001" in body and "A2-001" not in body
