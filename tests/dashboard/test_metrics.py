"""The figures of DESIGN §5 against the `november` fixture, worked out by hand
(see the fixture's docstring in conftest.py for every case's story)."""

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from wangge.cases import lifecycle as lc
from wangge.dashboard import metrics as m

from .conftest import A1, B1, at

SHANGHAI = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


@pytest.fixture
def nov():
    return m.Period.parse("2026-11")


def town_scope(town):
    return m.make_scope("town", town.town.pk)


def test_town_figures_of_november(town, november, nov):
    f = m.figures(town_scope(town), nov, now=november.now)
    # Reported in November: e1 e2 e3 e4 m1 e5 e6 m2 (e0 was reported in October).
    assert f["reported"] == 8
    # Of those, accepted: e1 e2 e3 e5 e6 m2.
    assert f["accepted"] == 6
    # Closed in November: e0 (1 Nov) e1 e2 e3 m2.
    assert f["closed"] == 5
    assert f["open_now"] == 2  # e5 (accepted), e6 (resolved, awaiting verification)
    assert f["overdue_now"] == 2  # e5 on scene overdue, e6 verification overdue
    # Accepted in time (e1 e3 e5 e6 m2) / reported minus cancelled (8 - e4).
    assert f["response_rate"] == round(5 / 7, 4)
    # Resolved within deadline: e0 e1 e3 e6 m2 (e6's deadline moved by its suspension);
    # due: the 6 resolved in November + e5 overdue unresolved.
    assert f["on_time_rate"] == round(5 / 7, 4)
    # Closed of the cohort (e1 e2 e3 m2) / (8 - rejected m1 - cancelled e4).
    assert f["closure_rate"] == round(4 / 6, 4)
    assert f["rework_rate"] == round(1 / 5, 4)  # e3
    assert f["extension_rate"] == 0.0
    assert f["return_rate"] == 0.0
    assert f["urges"] == 1  # m2
    # Rated in November: e0 satisfied, e1 satisfied, e3 basically satisfied.
    assert f["rated"] == 3
    assert f["satisfaction_rate"] == 1.0
    assert f["composite_score"] == round(100 * (0.1 * 5 / 7 + 0.5 * 4 / 6 + 0.4 * 1.0), 1)
    # Minutes to accept: 5 5 10 10 10 30 -> median 10, p90 at 4.5 -> 10 + .5 * 20.
    assert f["accept_minutes_p50"] == 10.0
    assert f["accept_minutes_p90"] == 20.0
    assert f["on_scene_minutes_p50"] == 20.0  # e1 only
    # Hours to resolve, paused time out: e3 5, e1 10, e6 59-48=11, e0 12, e2 48.5, m2 49.
    assert f["resolve_hours_p50"] == 11.5
    assert f["resolve_hours_p90"] == 48.75
    assert f["settlement"] == {"group": 4, "village": 0, "town": 1, "county": 0}
    assert f["emergency"]["total"] == 6
    assert f["emergency"]["accepted_in_time"] == 4
    # The same as emergency_response() (kept for its other callers) on the cohort.
    from wangge.cases.models import Case

    cohort = Case.objects.filter(
        town=town.town, reported_at__gte=nov.start, reported_at__lt=nov.end
    )
    assert f["emergency"] == m.emergency_response(cohort)


def test_village_and_grid_scopes(town, november, nov):
    village_a = m.figures(m.make_scope("village", town.va.pk), nov, now=november.now)
    # 杨村: e1 e2 m1 e5 (A1) and e6 (A2).
    assert village_a["reported"] == 5
    assert village_a["closed"] == 3  # e0 e1 e2
    assert village_a["closure_rate"] == round(2 / 4, 4)  # e1 e2 of e1 e2 e5 e6
    grid_b1 = m.figures(m.make_scope("grid", town.b1.pk), nov, now=november.now)
    assert grid_b1["reported"] == 3  # e3 e4 m2
    assert grid_b1["response_rate"] == 1.0  # e3, m2 of 2 (e4 cancelled)
    assert grid_b1["settlement"] == {"group": 1, "village": 0, "town": 1, "county": 0}
    department = m.figures(m.make_scope("department", town.pcs.pk), nov, now=november.now)
    assert department["reported"] == 1  # m2, led by 派出所
    assert department["urges"] == 1
    other = m.figures(m.make_scope("department", town.yjb.pk), nov, now=november.now)
    assert other["reported"] == 0 and other["response_rate"] is None


def test_worker_scope_is_their_grids(town, november, nov):
    scope = m.make_scope("worker", town.grid_worker_b1.pk)
    assert scope.grid_ids == (town.b1.pk,)
    assert m.figures(scope, nov, now=november.now)["reported"] == 3


def test_empty_period_has_zeros_and_no_rates(town, november):
    period = m.Period.parse("2025-11")
    f = m.figures(town_scope(town), period, now=november.now)
    assert f["reported"] == f["closed"] == f["accepted"] == 0
    for key in (
        "response_rate",
        "on_time_rate",
        "closure_rate",
        "rework_rate",
        "satisfaction_rate",
    ):
        assert f[key] is None
    assert f["composite_score"] is None
    assert f["accept_minutes_p50"] is None and f["resolve_hours_p90"] is None
    # What is open now does not depend on the period.
    assert f["open_now"] == 2


def test_october_sees_the_case_that_spans_the_boundary(town, november):
    f = m.figures(town_scope(town), m.Period.parse("2026-10"), now=november.now)
    assert f["reported"] == 1  # e0
    assert f["accepted"] == 1
    assert f["closed"] == 0  # closed on 1 November
    assert f["closure_rate"] == 0.0  # not closed before the end of October
    assert f["on_time_rate"] is None  # resolved in November, due in November


def test_suspended_case_is_not_overdue_while_its_clock_stops(town, make_case):
    case = make_case("TF01", now=at(20, 9), title="突发疾病")
    lc.accept(case, town.grid_worker, now=at(20, 9, 5))
    lc.suspend(case, town.dispatcher, reason="等待鉴定", resume_at=at(30, 9), now=at(20, 10))
    # Its resolve deadline (21 Nov 09:05) has passed, but its clock stands still.
    f = m.figures(m.make_scope("grid", town.a1.pk), m.Period.parse("2026-11"), now=at(27, 12))
    assert f["open_now"] == 1
    assert f["overdue_now"] == 0
    assert f["on_time_rate"] is None  # nothing resolved, nothing overdue


def test_daily_volume_every_day(town, november, nov):
    days = m.daily_volume(town_scope(town), nov)
    assert len(days) == 30
    by_day = {d["day"]: d for d in days}
    assert by_day["2026-11-01"] == {"day": "2026-11-01", "reported": 0, "closed": 1}
    assert by_day["2026-11-12"]["reported"] == 2  # e4 and m1
    assert by_day["2026-11-30"] == {"day": "2026-11-30", "reported": 0, "closed": 0}
    assert sum(d["reported"] for d in days) == 8
    assert sum(d["closed"] for d in days) == 5


def test_breakdowns(town, november, nov):
    scope = town_scope(town)
    category = m.breakdown(scope, nov, "category")
    assert [(c["label"], c["count"]) for c in category] == [("突发事件", 6), ("民生诉求", 2)]
    hours = m.breakdown(scope, nov, "hour")
    assert len(hours) == 24
    assert {h["key"]: h["count"] for h in hours if h["count"]} == {8: 1, 9: 6, 10: 1}
    villages = m.breakdown(scope, nov, "village")
    assert [(v["key"], v["count"]) for v in villages] == [(town.va.pk, 5), (town.vb.pk, 3)]
    grids = m.breakdown(m.make_scope("village", town.va.pk), nov, "grid")
    assert [(g["label"], g["count"]) for g in grids] == [("杨村第一网格", 4), ("杨村第二网格", 1)]
    assert m.breakdown(scope, nov, "channel") == [
        {"key": "patrol", "label": m.breakdown(scope, nov, "channel")[0]["label"], "count": 8}
    ]
    priorities = {p["key"]: p["count"] for p in m.breakdown(scope, nov, "priority")}
    assert priorities == {"emergency": 6, "normal": 2}
    with pytest.raises(ValueError):
        m.breakdown(scope, nov, "colour")


def test_year_over_year(town, november, make_case, nov):
    make_case("XF01", now=at(3, 9), title="反映宅基地问题")
    make_case("XF02", now=datetime(2025, 11, 20, 9, tzinfo=SHANGHAI), title="网上信访")
    make_case("XF02", now=datetime(2025, 12, 1, 9, tzinfo=SHANGHAI), title="网上信访")
    make_case("ZA02", now=datetime(2025, 11, 2, 9, tzinfo=SHANGHAI), title="丢失耕牛")
    yoy = m.year_over_year(town_scope(town), nov)
    assert yoy == {"petition": {"this": 1, "last": 1}, "public_order": {"this": 0, "last": 1}}
    # The screen counts this year's part with its category breakdown: the same figures.
    data = m.screen(town_scope(town), nov, now=november.now)
    assert data["year_over_year"] == yoy
    assert data["breakdowns"]["category"] == m.breakdown(town_scope(town), nov, "category")


def test_grid_load_lights(town, november):
    load = {g["grid"]: g for g in m.grid_load(town_scope(town), now=november.now)}
    assert set(load) == {town.a1.pk, town.a2.pk, town.b1.pk, town.b2.pk}  # not the other town's
    assert load[town.a1.pk] | {} == load[town.a1.pk]
    assert (load[town.a1.pk]["open"], load[town.a1.pk]["overdue"], load[town.a1.pk]["light"]) == (
        1,
        1,
        "red",
    )
    assert load[town.b1.pk]["open"] == 0 and load[town.b1.pk]["light"] == "green"


def test_grid_load_yellow(town, make_case):
    case = make_case("TF01", now=at(27, 9), lon=B1[0], lat=B1[1], actor=town.grid_worker_b1)
    # 15 minutes to accept: yellow from 80 % (09:12), red after 09:15.
    assert m.grid_load(m.make_scope("grid", town.b1.pk), now=at(27, 9, 13))[0]["light"] == "yellow"
    assert m.grid_load(m.make_scope("grid", town.b1.pk), now=at(27, 9, 16))[0]["light"] == "red"
    points = m.case_points(
        m.make_scope("grid", town.b1.pk), m.Period.parse("2026-11"), now=at(27, 9, 1)
    )
    assert points == [
        {
            "id": case.pk,
            "number": case.number,
            "lat": B1[1],
            "lon": B1[0],
            "light": "green",
            "state": "reported",
        }
    ]


def test_league_scores_and_grades(town, november, nov):
    grids = m.league(town_scope(town), nov, "grid", now=november.now)
    assert [g["id"] for g in grids] == [town.b1.pk, town.a1.pk, town.a2.pk, town.b2.pk]
    b1, a1, a2, b2 = grids
    assert (b1["score"], b1["grade"]) == (100.0, "A")
    # A1: response 2/4 (e1 e5 of e1 e2 e5; m1 rejected still counts), closure 2/3, satisfaction 1.
    assert a1["response_rate"] == 0.5
    assert a1["score"] == round(100 * (0.1 * 0.5 + 0.5 * 2 / 3 + 0.4 * 1), 1)
    assert a1["grade"] == "B"
    # A2: response 1, closure 0 (e6 not closed), no rating: weights 0.1 and 0.5 rescaled.
    assert a2["score"] == round(100 * 0.1 / 0.6, 1) and a2["grade"] == "E"
    assert b2["score"] is None and b2["grade"] is None
    workers = m.league(town_scope(town), nov, "worker", now=november.now)
    assert [w["id"] for w in workers] == [town.grid_worker_b1.pk, town.grid_worker.pk]
    departments = m.league(town_scope(town), nov, "department", now=november.now)
    assert departments[0]["id"] == town.pcs.pk and departments[0]["grade"] == "A"
    with pytest.raises(ValueError):
        m.league(town_scope(town), nov, "household")


FIGURE_KEYS_OF_A_ROW = (
    "reported",
    "closed",
    "open_now",
    "overdue_now",
    "response_rate",
    "on_time_rate",
    "closure_rate",
    "rework_rate",
    "extension_rate",
    "return_rate",
    "satisfaction_rate",
)


def test_village_league_rows_equal_each_villages_figures(town, november, nov):
    rows = m.league(town_scope(town), nov, "village", now=november.now)
    assert sorted(r["id"] for r in rows) == sorted([town.va.pk, town.vb.pk])
    for row in rows:
        f = m.figures(m.make_scope("village", row["id"]), nov, now=november.now)
        for key in FIGURE_KEYS_OF_A_ROW:
            assert row[key] == f[key], (row["name"], key)
        assert row["score"] == f["composite_score"]
        assert row["grade"] == m.grade(f["composite_score"])
    by_id = {r["id"]: r for r in rows}
    assert by_id[town.va.pk]["reported"] == 5  # e1 e2 m1 e5 e6
    assert sum(r["reported"] for r in rows) == 8
    # Best first.
    scores = [r["score"] for r in rows if r["score"] is not None]
    assert scores == sorted(scores, reverse=True)
    # A village scope: that village only; a grid's: the grid's village, its cases only.
    only = m.league(m.make_scope("village", town.vb.pk), nov, "village", now=november.now)
    assert [r["id"] for r in only] == [town.vb.pk]
    grid = m.league(m.make_scope("grid", town.b1.pk), nov, "village", now=november.now)
    assert [(r["id"], r["reported"]) for r in grid] == [(town.vb.pk, 3)]  # e3 e4 m2
    # A department's: the cases it leads, by village.
    led = m.league(m.make_scope("department", town.pcs.pk), nov, "village", now=november.now)
    assert sum(r["reported"] for r in led) == 1  # m2


def test_village_league_is_one_set_of_queries(town, november, nov, django_assert_max_num_queries):
    # Grouped, not one figures() per village: the count does not grow with villages
    # (the ninth asks whether the roll-ups were ever refreshed).
    with django_assert_max_num_queries(9):
        m.league(town_scope(town), nov, "village", now=november.now)


def test_score_weights_are_a_setting(town, november, nov, settings):
    settings.WANGGE_SCORE_WEIGHTS = {"response": 1, "resolution": 0, "satisfaction": 0}
    f = m.figures(town_scope(town), nov, now=november.now)
    assert f["composite_score"] == round(100 * 5 / 7, 1)


@pytest.mark.parametrize(
    "score,grade",
    [(90, "A"), (89.9, "B"), (75, "B"), (60, "C"), (40, "D"), (39.9, "E"), (None, None)],
)
def test_grades(score, grade):
    assert m.grade(score) == grade


def test_feed_new_and_overdue(town, november, make_case):
    fresh = make_case("MS02", now=at(27, 8), title="停电")
    items = m.feed(town_scope(town), since=at(20, 9), now=november.now)
    kinds = [(i["kind"], i["number"]) for i in items]
    assert kinds[0] == ("new", fresh.number)
    assert ("new", november.e5.number) in kinds
    # e5's first deadline (on scene, 20 Nov 09:15) passed after `since`.
    assert ("overdue", november.e5.number) in kinds
    assert all(i["at"] >= at(20, 9).isoformat() for i in items)
    assert items[0]["village"] == "杨村" and items[0]["grid"] == "杨村第一网格"


def test_screen_is_one_json_document(town, november, nov):
    data = m.screen(town_scope(town), nov, now=november.now)
    json.dumps(data)
    assert data["scope"]["param"] == f"town:{town.town.pk}"
    assert data["period"]["param"] == "2026-11"
    assert data["figures"] == m.figures(town_scope(town), nov, now=november.now)
    assert len(data["daily_volume"]) == 90
    assert data["daily_volume"][-1]["day"] == "2026-11-27"
    assert [c["param"] for c in data["children"]] == [
        f"village:{town.va.pk}",
        f"village:{town.vb.pk}",
    ]
    assert set(data["league"]) == {"grid", "worker", "department"}
    # The screen groups its breakdowns in one query; they match breakdown()'s.
    for by in ("category", "channel", "hour", "village"):
        assert data["breakdowns"][by] == m.breakdown(town_scope(town), nov, by)
    assert data["year_over_year"] == m.year_over_year(town_scope(town), nov)
    village = m.screen(m.make_scope("village", town.va.pk), nov, now=november.now)
    assert [c["id"] for c in village["children"]] == [town.a1.pk, town.a2.pk]
    assert village["figures"]["reported"] == 5
    village_scope = m.make_scope("village", town.va.pk)
    assert village["breakdowns"]["grid"] == m.breakdown(village_scope, nov, "grid")
    assert village["breakdowns"]["hour"] == m.breakdown(village_scope, nov, "hour")


def test_no_python_loop_over_cases(town, november, nov, django_assert_max_num_queries):
    # Twice the cases, the same number of queries.
    with django_assert_max_num_queries(60) as captured:
        m.screen(town_scope(town), nov, now=november.now)
    before = len(captured.captured_queries)
    for i in range(8):
        case = lc_report_more(town, i)
        lc.accept(case, town.grid_worker, now=at(21, 9, 10 + i))
    with django_assert_max_num_queries(before):
        m.screen(town_scope(town), nov, now=november.now)


def lc_report_more(town, i):
    from wangge.cases.intake import report

    return report(
        actor=town.grid_worker,
        category="MS03",
        title=f"道路塌方{i}",
        channel="patrol",
        longitude=A1[0],
        latitude=A1[1],
        now=at(21, 9, i),
    )


class TestPeriod:
    NOW = datetime(2026, 11, 27, 15, 30, tzinfo=SHANGHAI)

    def test_defaults_to_this_month_so_far(self):
        p = m.Period.parse(None, now=self.NOW)
        assert p.start == datetime(2026, 11, 1, tzinfo=SHANGHAI) and p.end == self.NOW
        assert p.param == "month"

    def test_named_and_explicit(self):
        assert m.Period.parse("today", now=self.NOW).start == datetime(
            2026, 11, 27, tzinfo=SHANGHAI
        )
        assert m.Period.parse("year", now=self.NOW).start == datetime(2026, 1, 1, tzinfo=SHANGHAI)
        d90 = m.Period.parse("90d", now=self.NOW)
        assert d90.start == datetime(2026, 8, 30, tzinfo=SHANGHAI) and len(d90.days()) == 90
        dec = m.Period.parse("2026-12")
        assert (dec.start, dec.end) == (
            datetime(2026, 12, 1, tzinfo=SHANGHAI),
            datetime(2027, 1, 1, tzinfo=SHANGHAI),
        )
        year = m.Period.parse("2025")
        assert year.end == datetime(2026, 1, 1, tzinfo=SHANGHAI)
        span = m.Period.parse("2026-11-01..2026-11-27")
        assert span.end == datetime(2026, 11, 28, tzinfo=SHANGHAI)
        assert span.param == "2026-11-01..2026-11-27"

    def test_previous_year(self):
        p = m.Period.parse("2024-02-01..2024-02-29").previous_year()
        assert p.start == datetime(2023, 2, 1, tzinfo=SHANGHAI)
        assert p.end == datetime(2023, 3, 1, tzinfo=SHANGHAI)
        assert p.param == "2023-02-01..2023-02-28"

    @pytest.mark.parametrize(
        "text",
        ["week", "2026-13", "2026-11-30..2026-11-01", "0d", "2026-02-30..2026-03-01", "x..y"],
    )
    def test_bad_input_is_a_clear_error(self, text):
        with pytest.raises(ValueError, match="2026-11-01..2026-11-27"):
            m.Period.parse(text, now=self.NOW)

    def test_error_in_chinese(self):
        from django.utils import translation

        with translation.override("zh-hans"), pytest.raises(ValueError) as error:
            m.Period.parse("week")
        assert "week" in str(error.value)


def test_periods_are_half_open():
    p = m.Period.parse("2026-11")
    assert p.end - p.start == timedelta(days=30)
    assert p.days()[0].isoformat() == "2026-11-01" and p.days()[-1].isoformat() == "2026-11-30"
