"""Who may ask for which figures: metrics.scope_for, decided by wangge.staff.scope."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from wangge.dashboard.metrics import scope_for

pytestmark = pytest.mark.django_db

NOVEMBER = __import__("datetime").datetime(
    2026, 11, 1, tzinfo=__import__("zoneinfo").ZoneInfo("Asia/Shanghai")
)


def test_default_scope_is_the_users_widest(town):
    assert scope_for(town.dispatcher, None).param == f"town:{town.town.pk}"
    assert scope_for(town.leader, None).param == f"town:{town.town.pk}"
    assert scope_for(town.grid_leader, None).param == f"village:{town.va.pk}"
    assert scope_for(town.grid_worker, None).param == f"grid:{town.a1.pk}"
    assert scope_for(town.department, None).param == f"department:{town.pcs.pk}"
    assert scope_for(town.police, None).param == f"village:{town.va.pk}"
    scope = scope_for(town.dispatcher, None)
    assert (scope.kind, scope.name, scope.town_id) == ("town", "德亭镇", town.town.pk)


def test_grid_worker_sees_their_grid_and_themselves_only(town):
    worker = town.grid_worker
    assert scope_for(worker, f"grid:{town.a1.pk}").id == town.a1.pk
    mine = scope_for(worker, f"worker:{worker.pk}")
    assert mine.grid_ids == (town.a1.pk,)
    for param in (
        f"grid:{town.a2.pk}",
        f"grid:{town.b1.pk}",
        f"village:{town.va.pk}",
        f"town:{town.town.pk}",
        f"department:{town.pcs.pk}",
        f"worker:{town.grid_worker_b1.pk}",
    ):
        with pytest.raises(Http404):
            scope_for(worker, param)


def test_village_roles_see_their_village_and_its_grids(town):
    leader = town.grid_leader
    assert scope_for(leader, f"village:{town.va.pk}").kind == "village"
    assert scope_for(leader, f"grid:{town.a2.pk}").kind == "grid"
    assert scope_for(leader, f"worker:{town.grid_worker.pk}").kind == "worker"
    for param in (f"village:{town.vb.pk}", f"grid:{town.b1.pk}", f"town:{town.town.pk}"):
        with pytest.raises(Http404):
            scope_for(leader, param)


def test_instructor_sees_the_grid_they_oversee(town):
    assert scope_for(town.instructor, None).param == f"grid:{town.a2.pk}"
    with pytest.raises(Http404):
        scope_for(town.instructor, f"grid:{town.a1.pk}")


def test_department_sees_itself_only(town):
    assert scope_for(town.department, f"department:{town.pcs.pk}").name == "德亭派出所"
    for param in (f"department:{town.yjb.pk}", f"town:{town.town.pk}", f"grid:{town.a1.pk}"):
        with pytest.raises(Http404):
            scope_for(town.department, param)


def test_town_roles_see_anything_in_their_town_not_another(town):
    for user in (town.dispatcher, town.leader, town.admin):
        for param in (
            f"town:{town.town.pk}",
            f"village:{town.vb.pk}",
            f"grid:{town.b2.pk}",
            f"department:{town.yjb.pk}",
            f"worker:{town.grid_worker_b1.pk}",
        ):
            assert scope_for(user, param).param == param
        for param in (f"town:{town.other_town.pk}", f"village:{town.vc.pk}", f"grid:{town.c1.pk}"):
            with pytest.raises(Http404):
                scope_for(user, param)


def test_county_leader_sees_both_towns(town):
    assert scope_for(town.county_leader, f"town:{town.other_town.pk}").kind == "town"
    assert scope_for(town.county_leader, f"grid:{town.c1.pk}").kind == "grid"


def test_outsider_and_anonymous_have_no_figures(town):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        scope_for(town.outsider, None)
    with pytest.raises(Http404):  # a scope they may not see is "not found"
        scope_for(town.outsider, f"town:{town.town.pk}")
    with pytest.raises(PermissionDenied):
        scope_for(AnonymousUser(), None)


@pytest.mark.parametrize("param", ["town", "town:", "city:1", "grid:x", "grid:1:2", "village:-1"])
def test_malformed_param_is_a_clear_error(town, param):
    with pytest.raises(ValueError, match="town:"):
        scope_for(town.dispatcher, param)


def test_unknown_ids_are_not_found(town):
    with pytest.raises(Http404):
        scope_for(town.dispatcher, "grid:999999")
    # Someone who works no grid is not a worker scope.
    with pytest.raises(Http404):
        scope_for(town.dispatcher, f"worker:{town.dispatcher.pk}")


def test_police_see_only_police_matters_of_their_beat(town, make_case):
    from wangge.dashboard.metrics import Period, feed, figures
    from wangge.dashboard.reports import write_cases_csv

    ordinary = make_case("MS01")  # a burst pipe in grid A1 (village A, the beat's)
    scope = scope_for(town.police, None)
    assert scope.param == f"village:{town.va.pk}" and scope.only == "police"
    assert not scope.cases().filter(pk=ordinary.pk).exists()
    assert figures(scope, Period.parse("year"))["reported"] == 0
    assert feed(scope, since=NOVEMBER) == []
    grid = scope_for(town.police, f"grid:{town.a1.pk}")
    assert grid.only == "police" and not grid.cases().exists()
    # The village's own leader sees it all.
    assert scope_for(town.grid_leader, None).cases().filter(pk=ordinary.pk).exists()
    import io

    out = io.StringIO()
    write_cases_csv(scope, Period.parse("year"), out)
    assert ordinary.number not in out.getvalue()


def test_feed_titles_are_masked(town, make_case):
    from wangge.dashboard.metrics import feed

    case = make_case("MS01")
    type(case).objects.filter(pk=case.pk).update(title="邻里纠纷 13837900001")
    rows = feed(scope_for(town.grid_leader, None), since=NOVEMBER)
    assert rows and {row["id"] for row in rows} == {case.pk}
    assert all("13837900001" not in r["title"] and "邻里纠纷" in r["title"] for r in rows)


@pytest.mark.parametrize("text", ["0001", "0002-01", "9999", "0001-01-01..0001-01-05"])
def test_periods_outside_the_towns_years_are_refused(text):
    from wangge.dashboard.metrics import Period

    with pytest.raises(ValueError, match="2026-11"):
        Period.parse(text)
