"""Door-knock visits: who is due, in which order, and recording a visit with findings."""

from datetime import timedelta

import pytest

from wangge.cases.choices import Channel
from wangge.cases.models import Case
from wangge.fieldwork import services
from wangge.fieldwork.models import Visit, VisitPlan
from wangge.fieldwork.services import FieldworkError, NotFound, record_visit, todays_visits


def visit(f, household, days_ago, *, nobody_home=False):
    return record_visit(
        f.grid_worker,
        household,
        nobody_home=nobody_home,
        visited_at=f.now - timedelta(days=days_ago),
        now=f.now,
    )


def numbers(result):
    return [r.household.number for r in result["rows"]]


def test_distance_is_haversine():
    # One hundredth of a degree of latitude is about 1.11 km anywhere.
    assert services.distance_m(34.10, 112.0, 34.11, 112.0) == pytest.approx(1111.9, abs=1)
    # Along a parallel at 34.1°N it shrinks by cos(latitude).
    assert services.distance_m(34.1, 112.0, 34.1, 112.01) == pytest.approx(920.6, abs=1)


def test_vulnerable_first_then_longest_unvisited_then_nearest(field):
    f = field
    visit(f, f.h_a1w, 40)  # due, last seen 5 weeks ago
    visit(f, f.h_a1e, 3)  # not due
    # Never visited: h_near, h_far, h_old (vulnerable).
    result = todays_visits(f.grid_worker, grid=f.a1, now=f.now)
    assert numbers(result) == ["A1-005", "A1-003", "A1-004", "A1-001"]
    assert result["rows"][0].vulnerable
    assert result["due"] == 4
    assert result["households"] == 5
    assert result["window_now"]["label"] == "早饭时间"


def test_distance_from_the_workers_position(field):
    f = field
    # None visited yet: after the vulnerable one, nearest first from the north-east corner.
    result = todays_visits(
        f.grid_worker, grid=f.a1, latitude=34.1094, longitude=112.0094, now=f.now
    )
    assert numbers(result) == ["A1-005", "A1-004", "A1-002", "A1-003", "A1-001"]
    assert result["rows"][1].distance_m < 20
    assert result["from_gps"]


def test_nobody_home_keeps_the_household_due(field):
    f = field
    visit(f, f.h_near, 1, nobody_home=True)
    assert "A1-003" in numbers(todays_visits(f.grid_worker, grid=f.a1, now=f.now))
    visit(f, f.h_near, 0)
    assert "A1-003" not in numbers(todays_visits(f.grid_worker, grid=f.a1, now=f.now))


def test_the_grid_plan_sets_the_interval(field):
    f = field
    for h in (f.h_a1w, f.h_a1e, f.h_near, f.h_far, f.h_old):
        visit(f, h, 10)
    assert todays_visits(f.grid_worker, grid=f.a1, now=f.now)["due"] == 0
    VisitPlan.objects.create(town=f.town, grid=f.a1, interval_days=7)
    assert todays_visits(f.grid_worker, grid=f.a1, now=f.now)["due"] == 5


def test_grid_worker_sees_only_their_grid(field):
    f = field
    # Asking for another grid's list shows none of its households.
    assert todays_visits(f.grid_worker, grid=f.b1, now=f.now)["rows"] == []
    with pytest.raises(NotFound):
        record_visit(f.grid_worker, f.h_b1, now=f.now)
    assert not Visit.objects.exists()


def test_visit_in_window_and_gps(field):
    f = field
    v = record_visit(
        f.grid_worker,
        f.h_a1w,
        latitude="34.10501",
        longitude="112.00201",
        mediator="贾洁",
        supervisor="闫靖仁",
        notes="家中老人身体健康",
        now=f.now,
    )
    assert v.in_window and v.latitude == pytest.approx(34.10501)
    assert (v.grid_id, v.village_id, v.town_id) == (f.a1.pk, f.va.pk, f.town.pk)
    late = record_visit(f.grid_worker, f.h_a1e, now=f.now + timedelta(hours=3))  # 10:00
    assert not late.in_window


def test_findings_open_cases_linked_to_the_visit(field, catalogue):
    f = field
    v = record_visit(
        f.grid_worker,
        f.h_old,
        findings=[
            {"category": "MS01", "title": "自来水停水三天", "description": "独居老人家中无水"},
            {"category": "AQ05", "title": "房屋后墙开裂"},
        ],
        now=f.now,
    )
    cases = list(v.cases.order_by("number"))
    assert [c.title for c in cases] == ["自来水停水三天", "房屋后墙开裂"]
    assert {c.channel for c in cases} == {Channel.VISIT}
    assert {c.grid_id for c in cases} == {f.a1.pk}
    assert cases[0].visits.get() == v


def test_bad_finding_changes_nothing(field, catalogue):
    f = field
    with pytest.raises(FieldworkError) as error:
        record_visit(
            f.grid_worker, f.h_old, findings=[{"category": "MS01", "title": " "}], now=f.now
        )
    assert error.value.field == "finding"
    from wangge.cases.errors import CaseError

    with pytest.raises(CaseError):
        record_visit(
            f.grid_worker, f.h_old, findings=[{"category": "NOPE", "title": "x"}], now=f.now
        )
    assert not Visit.objects.exists() and not Case.objects.exists()


def test_refusals(field):
    f = field
    with pytest.raises(FieldworkError, match="晚于当前时间|future"):
        record_visit(f.grid_worker, f.h_a1w, visited_at=f.now + timedelta(days=1), now=f.now)
    with pytest.raises(FieldworkError):
        record_visit(f.grid_worker, f.h_a1w, latitude="abc", longitude="1", now=f.now)
    with pytest.raises(FieldworkError):
        record_visit(
            f.grid_worker, f.h_a1w, nobody_home=True, findings=[{"category": "MS01", "title": "x"}]
        )
    # Police see the village's households but do not record visits.
    with pytest.raises(FieldworkError):
        record_visit(f.police, f.h_a1w, now=f.now)
    assert not Visit.objects.exists()


def test_a_members_vulnerable_tag_counts(field):
    f = field
    from wangge.residents.models import Tag

    child = Tag.objects.create(code="left_behind_child", name="留守儿童", vulnerable=True)
    f.r_a1e.tags.add(child)  # a member of A1-002, not the household itself
    veteran = Tag.objects.create(code="veteran", name="退役军人", vulnerable=False)
    f.h_far.tags.add(veteran)
    result = todays_visits(f.grid_worker, grid=f.a1, now=f.now)
    flagged = {r.household.number for r in result["rows"] if r.vulnerable}
    assert flagged == {"A1-002", "A1-005"}


def test_visiting_windows(field):
    from datetime import datetime

    from .conftest import SH

    windows = services.default_windows()
    assert (
        services.window_of(datetime(2026, 11, 20, 6, 30, tzinfo=SH), windows)["label"] == "早饭时间"
    )
    assert services.window_of(datetime(2026, 11, 20, 7, 30, tzinfo=SH), windows) is None
    assert (
        services.window_of(datetime(2026, 11, 20, 13, 0, tzinfo=SH), windows)["label"] == "午饭时间"
    )
    # 23:30 UTC is 07:30 the next morning in Shanghai: outside the breakfast hour.
    from datetime import UTC

    assert services.window_of(datetime(2026, 11, 19, 22, 45, tzinfo=UTC), windows) is not None
    assert services.window_of(datetime(2026, 11, 19, 23, 30, tzinfo=UTC), windows) is None
    # A broken window in a hand-edited plan is skipped, not an error.
    assert services.window_of(datetime(2026, 11, 20, 6, 45, tzinfo=SH), [{"label": "x"}]) is None


def test_todays_visits_queries_do_not_grow_with_households(field, django_assert_max_num_queries):
    f = field
    from wangge.residents.models import Household

    Household.objects.bulk_create(
        [
            Household(
                town=f.town,
                village=f.va,
                grid=f.a1,
                number=f"A1-{100 + i}",
                address="杨村",
                latitude=34.101 + i / 10_000,
                longitude=112.001,
            )
            for i in range(60)
        ]
    )
    with django_assert_max_num_queries(8):
        result = todays_visits(f.grid_worker, grid=f.a1, now=f.now)
    assert result["due"] == 65
