"""The figures (DESIGN §5), defined once, computed with SQL aggregates.

Pages, reports, the API and `wangge summary` all call these functions. Every
figure is a function of a `Period` (half-open, Asia/Shanghai) and a `Scope`
(town, village, grid, department or grid worker); `scope_for(user, param)`
decides which scopes a user may ask for. No function loops over cases in
Python: counts, rates' parts and percentiles come from SQL; Python only
combines a handful of grouped rows. Definitions: docs/figures.md.

Return values are JSON-able dicts and lists with keys, never translated labels
of their own (labels of categories, villages and grids come from the database;
channels and priorities carry the cases app's choice labels).

This package is the one entry point; import from here. Its modules:
`scopes` (Period, Scope, scope_for), `sql` (expressions and index-friendly
filters), `counts` (COUNT_KEYS, `_counts`, the rates), `tiles` (`figures`,
durations, `emergency_response`), `breakdowns` (`breakdown`, `daily_volume`,
`year_over_year`), `leagues` (`league`, `grade`), `onescreen` (`screen`,
`grid_load`, `case_points`, `feed`); `fieldwork` and `community` for field
work, points and projects.
"""

from __future__ import annotations

from wangge.dashboard.metrics.breakdowns import (
    BREAKDOWNS,
    YOY_GROUPS,
    _raw_daily,
    breakdown,
    daily_volume,
    year_over_year,
)
from wangge.dashboard.metrics.counts import (
    COUNT_KEYS,
    DEFAULT_SCORE_WEIGHTS,
    EXCLUDED,
    _counts,
    _families,
    _grouped,
    _rate,
    composite,
    score_weights,
)
from wangge.dashboard.metrics.leagues import GRADES, LEAGUES, grade, league
from wangge.dashboard.metrics.onescreen import case_points, feed, grid_load, screen
from wangge.dashboard.metrics.scopes import (
    FIRST_YEAR,
    MAX_DAYS,
    SCOPE_KINDS,
    Period,
    Scope,
    _midnight,
    _tz,
    children,
    make_scope,
    may_see,
    scope_for,
)
from wangge.dashboard.metrics.sql import (
    OPEN,
    LocalDate,
    LocalDay,
    LocalHour,
    Minutes,
    Unindexed,
    _plain,
    _raw_ranges,
    _within,
)
from wangge.dashboard.metrics.tiles import emergency_response, figures

__all__ = [
    "BREAKDOWNS",
    "COUNT_KEYS",
    "DEFAULT_SCORE_WEIGHTS",
    "EXCLUDED",
    "FIRST_YEAR",
    "GRADES",
    "LEAGUES",
    "MAX_DAYS",
    "OPEN",
    "SCOPE_KINDS",
    "YOY_GROUPS",
    "LocalDate",
    "LocalDay",
    "LocalHour",
    "Minutes",
    "Period",
    "Scope",
    "Unindexed",
    "breakdown",
    "case_points",
    "children",
    "composite",
    "daily_volume",
    "emergency_response",
    "feed",
    "figures",
    "grade",
    "grid_load",
    "league",
    "make_scope",
    "may_see",
    "score_weights",
    "scope_for",
    "screen",
    "year_over_year",
    # For the roll-ups (rollups.py), metrics/fieldwork.py and the tests that
    # check the roll-ups against the case rows.
    "_counts",
    "_families",
    "_grouped",
    "_midnight",
    "_plain",
    "_rate",
    "_raw_daily",
    "_raw_ranges",
    "_tz",
    "_within",
]
