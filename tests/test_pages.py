"""Pages are scoped: another grid's household is a 404, not a 403."""

import pytest
from django.urls import reverse


@pytest.mark.parametrize(
    "role",
    [
        "grid_worker",
        "grid_helper",
        "grid_leader",
        "instructor",
        "police",
        "dispatcher",
        "department",
        "leader",
        "admin",
        "outsider",
    ],
)
def test_every_role_has_a_home_page(client, town, role):
    client.force_login(getattr(town, role))
    response = client.get(reverse("home"))
    assert response.status_code == 200


def test_home_counts_only_what_the_user_may_see(client, town):
    client.force_login(town.grid_worker)
    response = client.get(reverse("home"))
    assert response.context["counts"]["households"] == 2
    assert list(response.context["grids"]) == [town.a1]


def test_household_list_is_scoped(client, town):
    client.force_login(town.grid_worker)
    page = client.get(reverse("residents:households")).content.decode()
    assert "A1-001" in page and "A2-001" not in page and "C1-001" not in page


def test_household_of_another_grid_is_not_found(client, town):
    client.force_login(town.grid_worker)
    assert client.get(reverse("residents:household", args=[town.h_a2.pk])).status_code == 404
    assert client.get(reverse("residents:household", args=[town.h_a1w.pk])).status_code == 200


def test_household_page_shows_masked_numbers_only(client, town):
    client.force_login(town.grid_worker)
    page = client.get(reverse("residents:household", args=[town.h_a1w.pk])).content.decode()
    assert "4103**********0017" in page
    assert "410325196503120017" not in page
    assert "13837900001" not in page


def test_household_list_query_count_is_constant(client, town, django_assert_max_num_queries):
    client.force_login(town.dispatcher)
    with django_assert_max_num_queries(12):
        client.get(reverse("residents:households"))


def test_admin_is_scoped_for_town_admins(client, town):
    client.force_login(town.admin)
    page = client.get(reverse("admin:residents_household_changelist")).content.decode()
    assert "A1-001" in page and "C1-001" not in page
    response = client.get(reverse("admin:residents_household_change", args=[town.h_c1.pk]))
    assert response.status_code == 302  # Django admin: "doesn't exist", back to the index
    response = client.get(reverse("admin:residents_household_change", args=[town.h_b1.pk]))
    assert response.status_code == 200


def test_admin_foreign_key_choices_are_scoped(client, town):
    client.force_login(town.admin)
    response = client.get(reverse("admin:residents_household_add"))
    grids = list(response.context["adminform"].form.fields["grid"].queryset)
    assert town.c1 not in grids and town.a1 in grids


def test_login_page_has_csrf_protection(client, town):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(
        reverse("login"), {"username": "dispatcher", "password": "pw-dispatcher"}
    )
    assert response.status_code == 403


def test_home_query_count_is_bounded(client, town, make_case, django_assert_max_num_queries):
    for i in range(5):
        make_case(title=f"事项{i}")
    client.force_login(town.dispatcher)
    with django_assert_max_num_queries(16):
        response = client.get(reverse("home"))
    assert response.context["work"]["open"] == 5
