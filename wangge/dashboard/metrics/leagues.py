"""Leagues: departments, grid workers, grids or villages ranked by composite
score, each row with its grade (`league`); each league is one set of grouped
queries."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.dashboard.metrics.counts import COUNT_KEYS, _counts, _rates, _sum_counts
from wangge.dashboard.metrics.scopes import Period, Scope
from wangge.dashboard.metrics.sql import _open, _plain

GRADES = [(90, "A"), (75, "B"), (60, "C"), (40, "D")]
LEAGUES = ("department", "worker", "grid", "village")


def grade(score: float | None) -> str | None:
    if score is None:
        return None
    for floor, letter in GRADES:
        if score >= floor:
            return letter
    return "E"


def _league_row(ident, name, c: dict, **extra) -> dict:
    rates = _rates(c)
    score = rates["composite_score"]
    return {
        "id": ident,
        "name": name,
        **extra,
        "score": score,
        "grade": grade(score),
        "reported": c["reported"],
        "closed": c["closed"],
        **{k: v for k, v in rates.items() if k != "composite_score"},
    }


def _sort_league(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda r: (r["score"] is None, -(r["score"] or 0), str(r["name"])))


def league(scope: Scope, period: Period, of: str, *, now=None) -> list[dict]:
    """of in department/worker/grid/village: rows with score (0..100) and grade, best first.

    Village rows also carry `code`, `open_now` and `overdue_now` (as `figures`
    gives them for that village); each league is one set of grouped queries."""
    if of not in LEAGUES:
        raise ValueError(_("Unknown league “%(of)s”.") % {"of": of})
    from wangge.dashboard import rollups

    now = now or timezone.now()
    rolled = rollups.rolled(scope)
    if of == "department":
        return _department_league(scope, period, now, rolled=rolled)
    if of == "village":
        return _village_league(scope, period, now, rolled)
    return _grid_league(scope, period, now, of, _counts(scope, period, now, "grid_id", rolled))


def _department_league(
    scope: Scope, period: Period, now: datetime, counts: dict | None = None, *, rolled=None
) -> list[dict]:
    from wangge.staff.models import Department

    departments = Department.objects.filter(town_id=scope.town_id).order_by("code")
    if scope.kind == "department":
        departments = departments.filter(pk=scope.id)
    if counts is None:
        counts = _counts(scope, period, now, "lead_department_id", rolled)
    empty = dict.fromkeys(COUNT_KEYS, 0)
    return _sort_league([_league_row(d.pk, d.name, counts.get(d.pk, empty)) for d in departments])


def _village_league(scope: Scope, period: Period, now: datetime, rolled) -> list[dict]:
    """Per village of the scope (a town's or a department's: the town's villages;
    a grid's or a worker's: the villages of those grids): the counts of the
    scope's cases in that village, grouped in one pass per flow."""
    from wangge.grids.models import Village

    villages = Village.objects.order_by("code")
    if scope.kind == "village":
        villages = villages.filter(pk=scope.id)
    elif scope.kind in ("grid", "worker"):
        villages = villages.filter(pk__in=scope.grids().values("village_id"))
    else:
        villages = villages.filter(town_id=scope.town_id)
    villages = list(villages.values("pk", "code", "name"))
    counts = _counts(scope, period, now, "village_id", rolled)
    current = {
        row["_k"]: row
        for row in scope.cases()
        .order_by()
        .filter(_open())
        .annotate(_k=_plain("village_id"))
        .values("_k")
        .annotate(open_now=Count("id"), overdue_now=Count("id", filter=Q(due_at__lt=now)))
    }
    empty = dict.fromkeys(COUNT_KEYS, 0)
    rows = []
    for v in villages:
        now_row = current.get(v["pk"], {})
        rows.append(
            _league_row(
                v["pk"],
                v["name"],
                counts.get(v["pk"], empty),
                code=v["code"],
                open_now=now_row.get("open_now", 0),
                overdue_now=now_row.get("overdue_now", 0),
            )
        )
    return _sort_league(rows)


def _grid_league(scope: Scope, period: Period, now: datetime, of: str, counts: dict) -> list[dict]:
    from wangge.staff.models import Role, RoleAssignment

    empty = dict.fromkeys(COUNT_KEYS, 0)
    grids = list(scope.grids().values("pk", "code", "name"))
    if of == "grid":
        return _sort_league(
            [
                _league_row(g["pk"], g["name"], counts.get(g["pk"], empty), code=g["code"])
                for g in grids
            ]
        )
    workers: dict[int, dict] = {}
    assignments = RoleAssignment.objects.filter(
        role=Role.GRID_WORKER, grid_id__in=[g["pk"] for g in grids]
    ).values_list("user_id", "user__full_name", "user__username", "grid_id")
    for user_id, full_name, username, grid_id in assignments:
        entry = workers.setdefault(user_id, {"name": full_name or username, "grids": []})
        entry["grids"].append(grid_id)
    return _sort_league(
        [
            _league_row(
                user_id,
                w["name"],
                _sum_counts(counts.get(g, empty) for g in w["grids"]),
                grids=sorted(w["grids"]),
            )
            for user_id, w in workers.items()
        ]
    )
