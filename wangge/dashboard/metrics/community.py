"""Figures of points, reserve cadres and rectification projects (docs/points.md,
docs/community.md), for a `Scope` (town, village, grid, worker, department)
and a `Period` of the metrics package. SQL aggregates only: Python combines a
handful of grouped rows.
"""

from __future__ import annotations

from datetime import date, time, timedelta

from django.db.models import Avg, Count, F, FloatField, Q, Sum
from django.db.models.functions import Cast, Coalesce, Least
from django.utils import timezone


def _days(period) -> tuple[date, date]:
    """The period as dates [first, after_last) in the town's time zone."""
    first = timezone.localtime(period.start).date()
    end = timezone.localtime(period.end)
    after = end.date() if end.time() == time(0) else end.date() + timedelta(days=1)
    return first, after


def _grid_ids(scope) -> list[int]:
    return list(scope.grids().values_list("pk", flat=True))


def _village_q(scope, prefix: str = "") -> Q:
    """Rows that belong to a village (projects, cadres, goods) seen from the scope."""
    if scope.kind == "town":
        return Q(**{f"{prefix}town_id": scope.id})
    if scope.kind == "village":
        return Q(**{f"{prefix}village_id": scope.id})
    if scope.kind in ("grid", "worker"):
        villages = scope.grids().values("village_id")
        return Q(**{f"{prefix}village_id__in": villages})
    # A department holds no village's projects, cadres or goods of its own.
    return Q(pk__in=[])


def _household_q(scope) -> Q:
    """Rows of a household (ledger entries, redemptions) seen from the scope."""
    if scope.kind == "town":
        return Q(town_id=scope.id)
    if scope.kind == "village":
        return Q(village_id=scope.id)
    if scope.kind in ("grid", "worker"):
        return Q(household__grid_id__in=_grid_ids(scope))
    return Q(pk__in=[])  # a department holds no households


def points_summary(scope, period) -> dict:
    """Points awarded, deducted and redeemed in the period; redemptions; awards waiting."""
    from wangge.points.models import AwardProposal, EntryKind, PointEntry, ProposalStatus

    first, after = _days(period)
    figures = PointEntry.objects.filter(
        _household_q(scope), occurred_on__gte=first, occurred_on__lt=after
    ).aggregate(
        awarded=Coalesce(Sum("points", filter=Q(kind=EntryKind.AWARD)), 0),
        deducted=Coalesce(-Sum("points", filter=Q(kind=EntryKind.DEDUCTION)), 0),
        redeemed=Coalesce(-Sum("points", filter=Q(kind=EntryKind.REDEMPTION)), 0),
        redemptions=Count("id", filter=Q(kind=EntryKind.REDEMPTION)),
        households=Count("household_id", distinct=True),
    )
    figures["awaiting_approval"] = AwardProposal.objects.filter(
        _household_q(scope), status=ProposalStatus.PENDING
    ).count()
    return figures


def points_leaderboard(scope, period, *, limit: int = 10) -> dict:
    """Villages by points awarded per household in the period, and the top households.

    Each village row: village_id, name, households (all of the village's in the
    scope), awarded, per_household (awarded / households, 1 decimal).
    """
    from wangge.grids.models import Village
    from wangge.points.models import EntryKind, PointEntry
    from wangge.residents.models import Household

    first, after = _days(period)
    in_period = Q(
        point_entries__kind=EntryKind.AWARD,
        point_entries__occurred_on__gte=first,
        point_entries__occurred_on__lt=after,
    )
    households = Household.objects.filter(
        _village_q(scope)
        if scope.kind not in ("grid", "worker")
        else Q(grid_id__in=_grid_ids(scope))
    )
    per_village = dict(
        households.values("village_id").annotate(n=Count("id")).values_list("village_id", "n")
    )
    awarded = dict(
        PointEntry.objects.filter(
            _household_q(scope),
            kind=EntryKind.AWARD,
            occurred_on__gte=first,
            occurred_on__lt=after,
        )
        .values("village_id")
        .annotate(total=Sum("points"))
        .values_list("village_id", "total")
    )
    names = dict(Village.objects.filter(pk__in=per_village).values_list("pk", "name"))
    villages = [
        {
            "village_id": vid,
            "name": names.get(vid, ""),
            "households": n,
            "awarded": awarded.get(vid, 0),
            "per_household": round(awarded.get(vid, 0) / n, 1) if n else 0.0,
        }
        for vid, n in per_village.items()
    ]
    villages.sort(key=lambda row: (-row["per_household"], row["name"]))
    top = (
        households.annotate(awarded=Sum("point_entries__points", filter=in_period))
        .filter(awarded__gt=0)
        .order_by("-awarded", "number")
        .values("pk", "number", "village__name", "awarded")[:limit]
    )
    return {
        "villages": villages,
        "households": [
            {
                "household_id": row["pk"],
                "number": row["number"],
                "village": row["village__name"],
                "awarded": row["awarded"],
            }
            for row in top
        ],
    }


def star_ratings(scope, year: int) -> dict:
    """How many households hold 1…5 stars for the year (keys "1"…"5")."""
    from wangge.points.models import StarRating

    rows = (
        StarRating.objects.filter(_household_q(scope), year=year)
        .values("stars")
        .annotate(n=Count("id"))
        .values_list("stars", "n")
    )
    counts = dict(rows)
    return {str(stars): counts.get(stars, 0) for stars in range(1, 6)}


def rectification_progress(scope) -> list[dict]:
    """Each project in the scope with its targets: done, target, percent (capped at 100),
    and the project's percent (the mean of its targets' percents)."""
    from wangge.community.models import RectificationTarget

    rows = (
        RectificationTarget.objects.filter(_village_q(scope, "project__"))
        .annotate(
            pct=Least(
                Cast(F("done"), FloatField()) * 100.0 / Cast(F("target"), FloatField()),
                100.0,
            )
        )
        .order_by("project__started_on", "project_id", "position", "id")
        .values(
            "project_id",
            "project__title",
            "project__village__name",
            "project__status",
            "project__started_on",
            "project__due_on",
            "name",
            "unit",
            "target",
            "done",
            "pct",
        )
    )
    projects: dict[int, dict] = {}
    for row in rows:
        project = projects.setdefault(
            row["project_id"],
            {
                "project_id": row["project_id"],
                "title": row["project__title"],
                "village": row["project__village__name"],
                "status": row["project__status"],
                "started_on": row["project__started_on"].isoformat(),
                "due_on": row["project__due_on"].isoformat(),
                "targets": [],
            },
        )
        project["targets"].append(
            {
                "name": row["name"],
                "unit": row["unit"],
                "target": row["target"],
                "done": row["done"],
                "percent": round(row["pct"]),
            }
        )
    for project in projects.values():
        percents = [t["percent"] for t in project["targets"]]
        project["percent"] = round(sum(percents) / len(percents)) if percents else 0
    return list(projects.values())


def reserve_cadre_pipeline(scope) -> dict:
    """Reserve cadres by stage, and how many were assessed, with the mean latest total."""
    from wangge.community.models import CadreAssessment, ReserveCadre, Stage

    cadres = ReserveCadre.objects.filter(_village_q(scope))
    by_stage = dict(cadres.values("stage").annotate(n=Count("id")).values_list("stage", "n"))
    assessed = CadreAssessment.objects.filter(cadre__in=cadres.values("pk")).aggregate(
        cadres=Count("cadre_id", distinct=True),
        assessments=Count("id"),
        mean_total=Avg("total"),
    )
    return {
        "total": sum(by_stage.values()),
        "by_stage": {stage: by_stage.get(stage, 0) for stage in Stage.values},
        "assessed": assessed["cadres"],
        "assessments": assessed["assessments"],
        "mean_total": round(assessed["mean_total"] or 0, 1),
    }


def top_households(entries, period, limit: int = 10) -> list[dict]:
    """The households with the most points awarded in the period, among `entries`
    (ledger entries already narrowed to what the person may see: ranked inside
    the area, so a grid worker sees the top of their own grid). Awards, not
    deductions — the same figure as points_leaderboard's households."""
    from wangge.points.models import EntryKind

    first = timezone.localtime(period.start).date()
    after = timezone.localtime(period.end).date()
    rows = (
        entries.filter(kind=EntryKind.AWARD, occurred_on__gte=first, occurred_on__lt=after)
        .values("household_id", "household__number", "village__name")
        .annotate(awarded=Sum("points"))
        .filter(awarded__gt=0)
        .order_by("-awarded", "household__number")[:limit]
    )
    return [
        {
            "household_id": row["household_id"],
            "number": row["household__number"],
            "village": row["village__name"],
            "awarded": row["awarded"],
        }
        for row in rows
    ]
