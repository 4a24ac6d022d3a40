"""Field-work figures against a hand-counted fixture (November 2026)."""

from datetime import datetime

import pytest

from wangge.dashboard.metrics import Period, Scope, make_scope
from wangge.dashboard.metrics.fieldwork import inspections, visit_coverage
from wangge.fieldwork.models import SealState
from wangge.fieldwork.services import check_in, record_visit

from .conftest import SH

NOVEMBER = Period(datetime(2026, 11, 1, tzinfo=SH), datetime(2026, 12, 1, tzinfo=SH))


def at(month, day, hour=7):
    return datetime(2026, month, day, hour, 0, tzinfo=SH)


@pytest.fixture
def visited(field, catalogue):
    f = field
    end = at(12, 1, 9)

    def visit(user, household, when, **kwargs):
        return record_visit(user, household, visited_at=when, now=end, **kwargs)

    visit(f.grid_worker, f.h_far, at(10, 25))  # before the period
    visit(f.grid_worker, f.h_a1w, at(11, 3))
    visit(f.grid_worker, f.h_a1e, at(11, 4), nobody_home=True)
    visit(f.grid_worker, f.h_near, at(11, 5))
    visit(f.grid_worker, f.h_near, at(11, 18, 12))
    visit(
        f.grid_worker_b1,
        f.h_b1,
        at(11, 30),
        findings=[{"category": "JF01", "title": "宅基地边界纠纷"}],
    )
    visit(f.grid_worker, f.h_old, at(12, 1, 0))  # the period is half-open: not counted
    return f


def test_visit_coverage_town(visited):
    f = visited
    figures = visit_coverage(Scope("town", f.town.pk, f.town.name), NOVEMBER)
    # 7 households in the town (the other town's one is not counted); met in November:
    # A1-001, A1-003 (twice), B1-001. A1-002 had nobody at home; A1-004 was in October.
    assert (figures["households"], figures["visited"]) == (7, 3)
    assert figures["coverage"] == pytest.approx(3 / 7, abs=1e-4)
    assert (figures["visits"], figures["nobody_home"], figures["findings"]) == (5, 1, 1)
    by_grid = {row["id"]: (row["households"], row["visited"]) for row in figures["by_grid"]}
    assert by_grid == {f.a1.pk: (5, 2), f.a2.pk: (1, 0), f.b1.pk: (1, 1)}
    by_village = {row["name"]: row["coverage"] for row in figures["by_village"]}
    assert by_village == {"杨村": pytest.approx(2 / 6, abs=1e-4), "庄科村": 1.0}


def test_visit_coverage_narrower_scopes(visited):
    f = visited
    grid = visit_coverage(Scope("grid", f.a1.pk, ""), NOVEMBER)
    assert (grid["households"], grid["visited"], grid["coverage"]) == (5, 2, 0.4)
    worker = visit_coverage(Scope("worker", f.grid_worker.pk, ""), NOVEMBER)
    assert (worker["households"], worker["visited"]) == (5, 2)
    # The dashboard's own worker scope names the grids: the same figures.
    made = visit_coverage(make_scope("worker", f.grid_worker.pk), NOVEMBER)
    assert (made["households"], made["visited"]) == (5, 2)
    # An instructor's grid (A2) counts as theirs, as in the case figures.
    instructor = visit_coverage(make_scope("worker", f.instructor.pk), NOVEMBER)
    assert (instructor["households"], instructor["visited"]) == (1, 0)
    village = visit_coverage(Scope("village", f.vb.pk, ""), NOVEMBER)
    assert (village["households"], village["visited"]) == (1, 1)
    department = visit_coverage(Scope("department", f.pcs.pk, ""), NOVEMBER)
    assert (department["households"], department["coverage"]) == (0, None)


@pytest.fixture
def inspected(field, catalogue):
    f = field

    def inspect(user, place, when, **kwargs):
        return check_in(
            user,
            place.watch,
            latitude=place.latitude,
            longitude=place.longitude,
            now=when,
            **kwargs,
        )

    inspect(f.grid_worker, f.adit, at(10, 15), seal_state=SealState.SEALED)
    inspect(f.grid_worker, f.adit, at(11, 10), seal_state=SealState.SEALED)
    inspect(f.grid_worker, f.venue, at(9, 20))
    inspect(f.grid_worker, f.venue, at(11, 12), finding={"category": "AQ01", "title": "灭火器过期"})
    inspect(f.grid_worker_b1, f.adit_b1, at(11, 20), seal_state=SealState.BREACHED)
    return f


def test_inspections_town(inspected):
    f = inspected
    figures = inspections(Scope("town", f.town.pk, ""), NOVEMBER)
    # Adit A1: last seen 15 Oct, more than 30 days before 1 Dec → due; seen 10 Nov → on schedule.
    # Venue A1: seen 20 Sep, within 90 days of 1 Dec → not due (seen again, with a finding).
    # Adit B1: never seen → due; seen 20 Nov, seal breached → on schedule, a finding.
    # Enterprise B2: never seen → due, not seen.
    assert {k: figures[k] for k in ("places", "due", "on_schedule", "inspected")} == {
        "places": 4,
        "due": 3,
        "on_schedule": 2,
        "inspected": 3,
    }
    assert (figures["inspections"], figures["findings"], figures["seal_breaches"]) == (3, 2, 1)
    assert figures["on_schedule_rate"] == pytest.approx(2 / 3, abs=1e-4)
    assert figures["sealed_adits_breached_now"] == 1
    adits = figures["by_kind"]["sealed_adit"]
    assert (adits["places"], adits["due"], adits["on_schedule"], adits["seal_breaches"]) == (
        2,
        2,
        2,
        1,
    )
    assert figures["by_kind"]["enterprise"]["due"] == 1


def test_inspections_grid_and_schedule(inspected):
    f = inspected
    grid = inspections(Scope("grid", f.a1.pk, ""), NOVEMBER)
    assert (grid["places"], grid["due"], grid["on_schedule"], grid["findings"]) == (2, 1, 1, 1)
    assert grid["seal_breaches"] == 0
    # A venue schedule of 60 days makes the venue due as well (20 Sep + 60 d < 1 Dec).
    from wangge.fieldwork.models import InspectionSchedule

    InspectionSchedule.objects.create(town=f.town, kind="service_venue", interval_days=60)
    grid = inspections(Scope("grid", f.a1.pk, ""), NOVEMBER)
    assert (grid["due"], grid["on_schedule"]) == (2, 2)
