"""Field-work figures (DESIGN §5): door-knock visit coverage and inspections.

Both take a `Scope` (kind town / village / grid / department / worker, and an id)
and a `Period` (half-open [start, end) of aware datetimes) from the metrics
package, and count with SQL aggregates.

Definitions:

- visit coverage: households visited in the period (at least one visit at which
  someone was met) / households of the scope; per grid and per village too.
- inspections, for the watched places (sealed adits, venues, enterprises):
  * due: the place's last inspection before the period is older than its
    interval counted back from the period's end (or it was never inspected) —
    without an inspection in the period it would be overdue when the period ends;
  * inspected on schedule: due places inspected in the period;
  * findings: cases opened by inspections in the period;
  * seal breaches: inspections in the period that found an adit's seal breached.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Case, Count, Exists, OuterRef, Q, Value, When

from wangge.dashboard.metrics import _rate
from wangge.fieldwork.models import WATCHED_KINDS, Inspection, SealState, Visit
from wangge.grids.models import Place, PlaceKind
from wangge.residents.models import Household

KINDS = [str(k) for k in WATCHED_KINDS]


def _worker_grids(scope):
    """The grids of a worker scope: those it names, else those the user works as grid
    worker or instructor (as `metrics.make_scope` does)."""
    if getattr(scope, "grid_ids", None):
        return list(scope.grid_ids)
    from wangge.staff.models import Role, RoleAssignment

    return RoleAssignment.objects.filter(
        user_id=scope.id, role__in=(Role.GRID_WORKER, Role.GRID_INSTRUCTOR), grid__isnull=False
    ).values("grid_id")


def _place_filter(scope, prefix: str = "") -> Q:
    """Rows of the scope, for a model with town/village/grid fields at `prefix`."""
    kind = scope.kind
    if kind == "town":
        return Q(**{f"{prefix}town_id": scope.id})
    if kind == "village":
        return Q(**{f"{prefix}village_id": scope.id})
    if kind == "grid":
        return Q(**{f"{prefix}grid_id": scope.id})
    if kind == "worker":
        return Q(**{f"{prefix}grid_id__in": _worker_grids(scope)})
    # A department holds no households or places of its own.
    return Q(pk__in=[])


def visit_coverage(scope, period) -> dict:
    """Households visited in the period / households, in all and per grid and village."""
    households = Household.objects.filter(_place_filter(scope)).annotate(
        visited=Exists(
            Visit.objects.filter(
                household_id=OuterRef("pk"),
                nobody_home=False,
                visited_at__gte=period.start,
                visited_at__lt=period.end,
            )
        )
    )
    counts = {"total": Count("id"), "seen": Count("id", filter=Q(visited=True))}
    totals = households.aggregate(**counts)

    def rows(key, name, order):
        result = []
        for row in (
            households.order_by().values(key, name, order).annotate(**counts).order_by(order)
        ):
            result.append(
                {
                    "id": row[key],
                    "name": row[name],
                    "households": row["total"],
                    "visited": row["seen"],
                    "coverage": _rate(row["seen"], row["total"]),
                }
            )
        return result

    visits = Visit.objects.filter(
        _place_filter(scope), visited_at__gte=period.start, visited_at__lt=period.end
    )
    visit_counts = visits.aggregate(
        visits=Count("id", distinct=True),
        nobody_home=Count("id", filter=Q(nobody_home=True), distinct=True),
        in_window=Count("id", filter=Q(in_window=True), distinct=True),
        findings=Count("cases"),
    )
    return {
        "households": totals["total"],
        "visited": totals["seen"],
        "coverage": _rate(totals["seen"], totals["total"]),
        **visit_counts,
        "by_village": rows("village_id", "village__name", "village__code"),
        "by_grid": rows("grid_id", "grid__name", "grid__code"),
    }


def _intervals(town_ids) -> dict:
    from wangge.fieldwork.services import intervals

    return intervals(town_ids)


def inspections(scope, period) -> dict:
    """Due, inspected on schedule, findings and seal breaches, in all and per kind of place."""
    places = Place.objects.filter(_place_filter(scope), kind__in=KINDS)
    town_ids = sorted(set(places.order_by().values_list("town_id", flat=True).distinct()))
    covered = Q(pk__in=[])
    for (town_id, kind), days in _intervals(town_ids).items():
        covered |= Q(
            Exists(
                Inspection.objects.filter(
                    place_id=OuterRef("pk"),
                    checked_in_at__gte=period.end - timedelta(days=days),
                    checked_in_at__lt=period.start,
                )
            ),
            town_id=town_id,
            kind=kind,
        )
    places = places.annotate(
        covered=Case(When(covered, then=Value(True)), default=Value(False)),
        inspected=Exists(
            Inspection.objects.filter(
                place_id=OuterRef("pk"),
                checked_in_at__gte=period.start,
                checked_in_at__lt=period.end,
            )
        ),
    )
    counts = {
        "places": Count("id"),
        "due": Count("id", filter=Q(covered=False)),
        "on_schedule": Count("id", filter=Q(covered=False, inspected=True)),
        "inspected": Count("id", filter=Q(inspected=True)),
    }
    by_kind = {k: dict.fromkeys(["places", "due", "on_schedule", "inspected"], 0) for k in KINDS}
    for row in places.order_by().values("kind").annotate(**counts):
        by_kind[row["kind"]] = {k: row[k] for k in counts}

    done = Inspection.objects.filter(
        _place_filter(scope), checked_in_at__gte=period.start, checked_in_at__lt=period.end
    )
    for row in (
        done.order_by()
        .values("place__kind")
        .annotate(
            inspections=Count("id", distinct=True),
            findings=Count("cases"),
            seal_breaches=Count("id", filter=Q(seal_state=SealState.BREACHED), distinct=True),
        )
    ):
        by_kind.setdefault(row["place__kind"], {}).update(
            {k: row[k] for k in ("inspections", "findings", "seal_breaches")}
        )
    total = {}
    for key in (
        "places",
        "due",
        "on_schedule",
        "inspected",
        "inspections",
        "findings",
        "seal_breaches",
    ):
        total[key] = sum(figures.get(key, 0) for figures in by_kind.values())
    for figures in [total, *by_kind.values()]:
        for key in ("inspections", "findings", "seal_breaches"):
            figures.setdefault(key, 0)
        figures["on_schedule_rate"] = _rate(figures["on_schedule"], figures["due"])
    total["by_kind"] = by_kind
    total["sealed_adits_breached_now"] = Place.objects.filter(
        _place_filter(scope), kind=PlaceKind.SEALED_ADIT, watch__seal_state=SealState.BREACHED
    ).count()
    return total
