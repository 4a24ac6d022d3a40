"""Points figures for the dashboard: summary, leaderboard, star counts by scope."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from wangge.dashboard.metrics import Period, Scope
from wangge.dashboard.metrics.community import points_leaderboard, points_summary, star_ratings
from wangge.points import services

SH = ZoneInfo("Asia/Shanghai")
YEAR = Period(datetime(2026, 1, 1, tzinfo=SH), datetime(2027, 1, 1, tzinfo=SH))


@pytest.fixture
def scored(village_rules, photo, now):
    t = village_rules
    day = date(2026, 6, 1)
    services.record(
        t.grid_worker, t.h_a1w, t.rule_medium, evidence=photo(), occurred_on=day, now=now
    )
    services.record(t.grid_worker, t.h_a1e, t.rule_small, occurred_on=day, now=now)
    services.record(t.grid_worker, t.h_a1e, t.rule_deduct, occurred_on=day, now=now)
    services.record(t.grid_leader, t.h_a2, t.rule_small, occurred_on=date(2025, 12, 1), now=now)
    services.redeem(t.grid_worker, t.h_a1w, t.soap, 1, now=now)
    services.record(t.grid_worker, t.h_a1w, t.rule_large, evidence=photo(), now=now)  # pending
    return t


def test_summary_for_the_town(scored):
    t = scored
    figures = points_summary(Scope("town", t.town.pk, t.town.name, t.town.pk), YEAR)
    assert figures == {
        "awarded": 25,
        "deducted": 5,
        "redeemed": 5,
        "redemptions": 1,
        "households": 2,
        "awaiting_approval": 1,
    }


def test_leaderboard_ranks_villages_per_household(scored):
    t = scored
    board = points_leaderboard(Scope("town", t.town.pk, t.town.name, t.town.pk), YEAR)
    rows = {row["name"]: row for row in board["villages"]}
    assert rows["杨村"]["awarded"] == 25 and rows["杨村"]["households"] == 3
    assert rows["杨村"]["per_household"] == 8.3
    assert rows["庄科村"]["awarded"] == 0
    assert [row["name"] for row in board["villages"]] == ["杨村", "庄科村"]
    assert [h["number"] for h in board["households"]] == ["A1-001", "A1-002"]


def test_grid_scope_counts_only_its_households(scored):
    t = scored
    grid = Scope("grid", t.a2.pk, t.a2.name, t.town.pk)
    assert points_summary(grid, YEAR)["awarded"] == 0  # A2's award was in 2025
    assert points_leaderboard(grid, YEAR)["villages"][0]["households"] == 1


def test_star_counts(scored, now):
    t = scored
    services.rate_year(t.grid_leader, t.va, 2026, now=now)
    village = Scope("village", t.va.pk, t.va.name, t.town.pk)
    assert star_ratings(village, 2026) == {"1": 1, "2": 1, "3": 1, "4": 0, "5": 0}
