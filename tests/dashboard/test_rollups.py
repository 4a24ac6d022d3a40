"""Daily roll-ups agree with the case rows, before and after changes."""

from datetime import date, timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone

from wangge.cases import lifecycle as lc
from wangge.cases.rules import REPORTER
from wangge.dashboard import metrics as m
from wangge.dashboard import rollups
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


# --- The counts behind the rates, the breakdowns and the percentiles ----------------


def raw(monkeypatch):
    """Compute with the roll-ups switched off: every day from the case rows."""
    monkeypatch.setattr(rollups, "rolled", lambda scope: None)


def every_scope(town):
    return [
        *scopes(town),
        m.make_scope("grid", town.b1.pk),
        m.make_scope("worker", town.grid_worker.pk),
    ]


PERIODS = [
    "2026-11",
    "2026-10-25..2026-11-27",
    "2026-11-02..2026-11-02",
    "2026-11-10..2026-11-18",
    "2026",
]


def all_figures(town, now):
    """Every figure the roll-ups serve, per scope and period."""
    out = {}
    for scope in every_scope(town):
        for text in PERIODS:
            period = m.Period.parse(text)
            key = (scope.param, text)
            out[key] = {
                "figures": m.figures(scope, period, now=now),
                "villages": m.league(scope, period, "village", now=now),
                "departments": m.league(scope, period, "department", now=now),
            }
            out[key]["screen"] = m.screen(scope, period, now=now)
    # One figure per day, so that each day's roll-up row is checked on its own.
    town_scope = m.make_scope("town", town.town.pk)
    for day in range(1, 28):
        period = m.Period.parse(f"2026-11-{day:02d}..2026-11-{day:02d}")
        out[("day", day)] = m.figures(town_scope, period, now=now)
    return out


def assert_rollups_agree_with_rows(town, monkeypatch, now):
    rolled = all_figures(town, now)
    with monkeypatch.context() as patched:
        raw(patched)
        assert all_figures(town, now) == rolled


def test_flow_rollups_agree_with_the_rows(town, november, monkeypatch):
    settle()
    assert refresh_rollups() > 0
    now = timezone.now()
    clean = rollups.rolled(m.make_scope("town", town.town.pk)).clean_days(
        m.Period.parse("2026-11"), now
    )
    assert len(clean) >= 27  # the month up to yesterday is read from the roll-ups
    assert_rollups_agree_with_rows(town, monkeypatch, now)
    # The table itself: the place rows add up to the rows' counts of all time.
    from wangge.dashboard.models import DailyFlowCount

    totals = DailyFlowCount.objects.filter(kind="place").aggregate(
        reported=Sum("reported"), closed=Sum("closed"), resolved=Sum("resolved"), rated=Sum("rated")
    )
    from wangge.cases.models import Case

    cases = Case.objects.all()
    assert totals == {
        "reported": cases.count(),
        "closed": cases.filter(state="closed").count(),
        "resolved": cases.exclude(resolved_at=None)
        .exclude(state__in=["rejected", "merged", "cancelled"])
        .count(),
        "rated": cases.exclude(rating="").count(),
    }
    led = DailyFlowCount.objects.filter(kind="department").aggregate(n=Sum("reported"))
    assert led["n"] == cases.exclude(lead_department=None).count() == 1  # m2


def test_rolled_flow_days_are_really_read_from_the_rollups(town, november):
    from wangge.dashboard.models import CaseStamp, DailyBreakdown, DailyFlowCount

    settle()
    refresh_rollups()
    scope = m.make_scope("town", town.town.pk)
    period = m.Period.parse("2026-11-01..2026-11-05")
    now = timezone.now()
    before = m.screen(scope, period, now=now)
    assert before["figures"]["reported"] == 2  # e1, e2
    # Make the tables lie: the figures show the lies, so they came from them.
    DailyFlowCount.objects.filter(kind="place", day="2026-11-02").update(reported=99)
    DailyBreakdown.objects.filter(by="channel", day="2026-11-02").update(count=50)
    CaseStamp.objects.filter(case_id=november.e1.pk).update(accept_minutes=1000.0)
    after = m.screen(scope, period, now=now)
    assert after["figures"]["reported"] == 99 + 1
    assert sum(row["count"] for row in after["breakdowns"]["channel"]) == 50 + 1
    assert after["figures"]["accept_minutes_p90"] != before["figures"]["accept_minutes_p90"]


def test_changes_after_the_refresh_are_read_from_the_rows_until_the_next(
    town, november, make_case, monkeypatch
):
    settle()
    refresh_rollups()
    now = timezone.now()
    from wangge.cases.models import Case

    # A rework moves e6's resolve day (17 Nov) and its deadline; a deadline is
    # moved by hand (as an extension does); e5 is resolved and rated; a case is
    # reported on an old day; a case moves to the other village.
    lc.rework(november.e6, town.dispatcher, reason="未彻底处置", now=at(26, 9))
    Case.objects.filter(pk=november.e5.pk).update(
        resolve_due_at=at(24, 9), updated_at=timezone.now()
    )
    november.e5.refresh_from_db()
    lc.resolve_on_site(november.e5, town.grid_worker, result="已处置", now=at(26, 10))
    lc.rate(november.e5, REPORTER, rating="unsatisfied", now=at(26, 11))
    late = make_case("MS01", now=at(3, 9), title="新报旧事")
    Case.objects.filter(pk=late.pk).update(village=town.vb, grid=town.b1)
    scope = m.make_scope("town", town.town.pk)
    rolled = rollups.rolled(scope)
    assert {date(2026, 11, 17), date(2026, 11, 3)} <= rolled.dirty  # old and new days
    assert_rollups_agree_with_rows(town, monkeypatch, now)
    # The next refresh recomputes the old days too: e6 leaves 17 Nov's resolved.
    assert refresh_rollups() >= 4
    settle()  # (the changes are older than the watermark: nothing is read raw now)
    assert not rollups.rolled(scope).dirty
    assert_rollups_agree_with_rows(town, monkeypatch, now)
    from wangge.dashboard.models import DailyFlowCount

    on_17th = DailyFlowCount.objects.filter(kind="place", day="2026-11-17")
    assert on_17th.aggregate(n=Sum("resolved"))["n"] in (0, None)


def test_a_period_ending_before_a_close_counts_the_cohort_as_open_then(town, november):
    # e2 closed on 7 Nov: for 1–6 Nov it is a cohort case not closed by the end,
    # though its roll-up row (report day 5 Nov) counts it closed.
    settle()
    refresh_rollups()
    scope = m.make_scope("town", town.town.pk)
    period = m.Period.parse("2026-11-01..2026-11-06")
    now = timezone.now()
    rolled = rollups.rolled(scope)
    assert len(rolled.clean_days(period, now)) == 6
    counts = m._counts(scope, period, now, None, rolled)[None]
    assert counts["cohort_closed"] == 1  # e1 only
    # e2 was due 6 Nov 10:30 and resolved on the 7th: overdue unresolved at the end.
    assert counts["overdue_unresolved"] == 1


def test_a_case_changed_while_the_rollups_refresh_is_caught_by_the_next(
    town, november, monkeypatch
):
    """On PostgreSQL each statement of the refresh sees what committed before it:
    a transition committing mid-refresh must neither crash it nor leave a day wrong."""
    from wangge.cases.models import Case

    settle()
    refresh_rollups()
    settle()
    # One case changed since the last refresh, so the refresh has stamps to rewrite …
    Case.objects.filter(pk=november.e1.pk).update(updated_at=timezone.now())
    stamp = rollups._stamp

    def transition_commits_meanwhile(cases):
        if not getattr(transition_commits_meanwhile, "fired", False):
            transition_commits_meanwhile.fired = True
            # … and e6, not among them, is reworked between the read and the rewrite
            # (e6 was resolved on 17 Nov; the rework takes that back).
            lc.rework(november.e6, town.dispatcher, reason="未彻底处置", now=at(26, 9))
        return stamp(cases)

    monkeypatch.setattr(rollups, "_stamp", transition_commits_meanwhile)
    refresh_rollups()
    assert transition_commits_meanwhile.fired
    monkeypatch.setattr(rollups, "_stamp", stamp)
    refresh_rollups()  # the next run recomputes e6's old and new days
    settle()
    refresh_rollups()
    assert not rollups.rolled(m.make_scope("town", town.town.pk)).dirty
    assert_rollups_agree_with_rows(town, monkeypatch, timezone.now())
