"""Daily roll-ups agree with the case rows, before and after changes."""

from datetime import timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone

from wangge.cases import lifecycle as lc
from wangge.cases.rules import REPORTER
from wangge.dashboard import metrics as m
from wangge.dashboard.models import DailyCaseCount, RollupState
from wangge.dashboard.rollups import daily_volume, refresh_rollups

from .conftest import A1, B1, at

pytestmark = pytest.mark.django_db


def raw_series(scope, period):
    raw = m._raw_daily(scope.cases(), period)
    return [{"day": str(d), **raw.get(str(d), {"reported": 0, "closed": 0})} for d in period.days()]


def settle():
    """Make every case row look written an hour ago (before the next watermark)."""
    from wangge.cases.models import Case

    Case.objects.update(updated_at=timezone.now() - timedelta(hours=1))


def scopes(town):
    return [
        m.make_scope("town", town.town.pk),
        m.make_scope("village", town.va.pk),
        m.make_scope("village", town.vb.pk),
        m.make_scope("grid", town.a1.pk),
        m.make_scope("department", town.pcs.pk),
    ]


def test_rollup_totals_equal_raw_counts(town, november):
    assert refresh_rollups() > 0
    state = RollupState.objects.get()
    assert state.watermark is not None
    period = m.Period.parse("2026-10-01..2026-11-30")
    for scope in scopes(town):
        assert daily_volume(scope, period) == raw_series(scope, period)
    # The table itself: per town and per village, the same totals as the rows.
    from wangge.cases.models import Case

    for kind, column in (("town", "town_id"), ("village", "village_id")):
        rolled = {
            key: (reported, closed)
            for key, reported, closed in DailyCaseCount.objects.filter(kind=kind)
            .values_list("key")
            .annotate(Sum("reported"), Sum("closed"))
        }
        for key in rolled:
            cases = Case.objects.filter(**{column: key})
            assert rolled[key] == (cases.count(), cases.filter(state="closed").count())
    assert rolled  # villages were rolled


def test_rolled_days_are_really_read_from_the_rollup(town, november):
    settle()
    refresh_rollups()
    # Make the rolled-up table lie about a day: the series shows the lie, which
    # proves the day came from the roll-up and not from the rows.
    DailyCaseCount.objects.filter(kind="town", day="2026-11-02").update(reported=99)
    period = m.Period.parse("2026-11-01..2026-11-05")
    series = daily_volume(m.make_scope("town", town.town.pk), period)
    assert series[1] == {"day": "2026-11-02", "reported": 99, "closed": 1}


def test_changes_after_the_refresh_stay_exact(town, november, make_case):
    settle()
    refresh_rollups()
    # Rows touched since the watermark make their days count from the rows.
    period = m.Period.parse("2026-11")
    town_scope = m.make_scope("town", town.town.pk)
    # A new case on an old day, and an old case closed now.
    make_case("MS01", now=at(3, 9), title="新报旧事")
    lc.resolve_on_site(november.e5, town.grid_worker, result="已处置", now=at(27, 10))
    lc.rate(november.e5, REPORTER, rating="satisfied", now=at(27, 11))
    make_case("MS02", now=at(4, 9), lon=B1[0], lat=B1[1], actor=town.grid_worker_b1, title="停电")
    for scope in scopes(town):
        assert daily_volume(scope, period) == raw_series(scope, period)
    before = daily_volume(town_scope, period)
    assert before[2]["reported"] == 1  # 3 Nov: the late report
    # The next refresh folds them in; the series is unchanged.
    assert refresh_rollups() >= 3
    assert daily_volume(town_scope, period) == before
    assert daily_volume(town_scope, period) == raw_series(town_scope, period)


def test_partial_days_and_empty_database(town):
    assert refresh_rollups() == 0
    period = m.Period.parse("today", now=at(27, 15))
    assert daily_volume(m.make_scope("town", town.town.pk), period) == [
        {"day": "2026-11-27", "reported": 0, "closed": 0}
    ]


def test_a_case_placed_later_moves_between_villages(town, make_case):
    case = make_case("MS01", now=at(5, 9), lon=A1[0], lat=A1[1])
    settle()
    refresh_rollups()
    period = m.Period.parse("2026-11")
    village_a = m.make_scope("village", town.va.pk)
    assert daily_volume(village_a, period)[4]["reported"] == 1
    # The case is moved to B1's village (as the dispatcher placing it would).
    from wangge.cases.models import Case

    Case.objects.filter(pk=case.pk).update(village=town.vb, grid=town.b1, updated_at=timezone.now())
    assert daily_volume(village_a, period)[4]["reported"] == 0
    for scope in scopes(town):
        assert daily_volume(scope, period) == raw_series(scope, period)
