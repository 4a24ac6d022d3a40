"""The home page counts the day's field work for the people doing it."""

from django.urls import reverse

from wangge.core.home import field_counts
from wangge.points import services
from wangge.points.models import AwardProposal


def _field(client, user):
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response.context["field"]


def test_a_grid_worker_sees_the_doors_still_to_knock_on(client, town):
    # Both households of grid A1 are due: nobody has visited them yet.
    assert _field(client, town.grid_worker)["visits_due"] == 2
    assert _field(client, town.grid_worker_b1)["visits_due"] == 1


def test_a_grid_leader_sees_large_awards_waiting_for_them(client, town, village_rules, photo):
    services.record(town.grid_worker, town.h_a1w, town.rule_large, evidence=photo())
    assert AwardProposal.objects.count() == 1
    assert _field(client, town.grid_leader)["awards_waiting"] == 1
    # … but not their own proposals, which someone else must approve.
    services.record(town.grid_leader, town.h_a1e, town.rule_large, evidence=photo())
    assert _field(client, town.grid_leader)["awards_waiting"] == 1


def test_roles_without_field_work_see_no_field_counts(town):
    assert field_counts(town.dispatcher, {"dispatcher"}, None) == {}
    assert field_counts(town.police, {"police"}, None) == {}
