"""Counts of everything, for `wangge summary` (later apps add their own sections)."""

from django.db.models import Count

from wangge.grids.models import Grid, Hamlet, MicroGrid, Place, Town, Village, VillagerGroup
from wangge.residents.models import Household, Resident
from wangge.staff.models import Department, PoliceBeat, RoleAssignment, User


def _by(queryset, field: str) -> dict[str, int]:
    rows = queryset.values(field).annotate(n=Count("id")).order_by(field)
    return {row[field]: row["n"] for row in rows}


def collect_summary() -> dict:
    return {
        "towns": Town.objects.count(),
        "villages": Village.objects.count(),
        "villages_by_kind": _by(Village.objects, "kind"),
        "hamlets": Hamlet.objects.count(),
        "villager_groups": VillagerGroup.objects.count(),
        "grids": Grid.objects.count(),
        "grids_by_kind": _by(Grid.objects, "kind"),
        "micro_grids": MicroGrid.objects.count(),
        "households": Household.objects.count(),
        "residents": Resident.objects.count(),
        "users": User.objects.count(),
        "staff_by_role": {
            row["role"]: row["n"]
            for row in RoleAssignment.objects.values("role")
            .annotate(n=Count("user", distinct=True))
            .order_by("role")
        },
        "departments": Department.objects.count(),
        "police_beats": PoliceBeat.objects.count(),
        "places": Place.objects.count(),
        "places_by_kind": _by(Place.objects, "kind"),
        **_cases(),
    }


def _cases() -> dict:
    from wangge.cases.models import Case, Category
    from wangge.dashboard.metrics import emergency_response

    return {
        "categories": Category.objects.filter(kind="problem").count(),
        "service_items": Category.objects.filter(kind="service", parent__isnull=False).count(),
        "cases": Case.objects.count(),
        "cases_by_state": _by(Case.objects, "state"),
        "cases_by_level": _by(Case.objects, "level"),
        "cases_closed_by_level": _by(Case.objects.filter(state="closed"), "closed_level"),
        "cases_by_priority": _by(Case.objects, "priority"),
        "emergency_response": emergency_response(Case.objects.all()),
    }
