"""One scope for every list: who sees which households, residents, grids and units."""

import pytest
from django.contrib.auth.models import AnonymousUser

from wangge.grids.models import Grid, Place, Town, Village
from wangge.residents.models import Household, Resident
from wangge.staff.models import Department, PoliceBeat, User


def numbers(user):
    return set(Household.objects.visible_to(user).values_list("number", flat=True))


def test_grid_worker_sees_only_their_grids_households(town):
    assert numbers(town.grid_worker) == {"A1-001", "A1-002"}
    assert set(Resident.objects.visible_to(town.grid_worker)) == {town.r_a1w, town.r_a1e}


def test_grid_worker_sees_their_grid_village_and_town_records_only(town):
    assert set(Grid.objects.visible_to(town.grid_worker)) == {town.a1}
    assert set(Village.objects.visible_to(town.grid_worker)) == {town.va}
    assert set(Town.objects.visible_to(town.grid_worker)) == {town.town}


def test_grid_worker_cannot_see_other_grid(town):
    assert not Household.objects.visible_to(town.grid_worker).filter(pk=town.h_a2.pk).exists()
    assert not Household.objects.visible_to(town.grid_worker_b1).filter(grid=town.a1).exists()


def test_grid_helper_sees_only_their_micro_grid(town):
    assert numbers(town.grid_helper) == {"A1-002"}
    assert set(Grid.objects.visible_to(town.grid_helper)) == {town.a1}


def test_grid_leader_sees_the_whole_village(town):
    assert numbers(town.grid_leader) == {"A1-001", "A1-002", "A2-001"}
    assert set(Grid.objects.visible_to(town.grid_leader)) == {town.a1, town.a2}


def test_grid_instructor_sees_assigned_grids(town):
    assert numbers(town.instructor) == {"A2-001"}


def test_police_see_the_villages_of_their_beat(town):
    assert numbers(town.police) == {"A1-001", "A1-002", "A2-001"}
    assert set(PoliceBeat.objects.visible_to(town.police)) == {town.beat}


@pytest.mark.parametrize("role", ["dispatcher", "leader", "admin"])
def test_town_roles_see_the_whole_town_and_nothing_outside(town, role):
    user = getattr(town, role)
    assert numbers(user) == {"A1-001", "A1-002", "A2-001", "B1-001"}
    assert set(Department.objects.visible_to(user)) == {town.pcs, town.yjb}


def test_county_leader_sees_every_town_of_the_county(town):
    assert numbers(town.county_leader) == {"A1-001", "A1-002", "A2-001", "B1-001", "C1-001"}


def test_department_sees_its_unit_and_no_households(town):
    assert numbers(town.department) == set()
    assert set(Department.objects.visible_to(town.department)) == {town.pcs}


@pytest.mark.parametrize(
    "model", [Town, Village, Grid, Place, Household, Resident, Department, PoliceBeat, User]
)
def test_outsider_and_anonymous_see_nothing(town, model):
    assert not model.objects.visible_to(town.outsider).exists()
    assert not model.objects.visible_to(AnonymousUser()).exists()


def test_inactive_user_sees_nothing(town):
    town.dispatcher.is_active = False
    town.dispatcher.save()
    user = User.objects.get(pk=town.dispatcher.pk)
    assert numbers(user) == set()


def test_superuser_sees_everything(town):
    root = User.objects.create_superuser("root", password="x")
    assert Household.objects.visible_to(root).count() == Household.objects.count()
