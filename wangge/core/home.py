"""What each role's home page shows: the places and units in the user's scope."""

from django.db.models import Count

from wangge.grids.models import Grid, Place, Village
from wangge.residents.models import Household, Resident
from wangge.staff.models import Department, PoliceBeat, Role


def home_context(user) -> dict:
    assignments = list(
        user.role_assignments.select_related(
            "town", "village", "grid", "micro_grid", "department", "beat"
        )
    )
    roles = {a.role for a in assignments}
    grids = (
        Grid.objects.visible_to(user)
        .select_related("village")
        .annotate(household_count=Count("households"))
        .order_by("code")
    )
    return {
        "assignments": assignments,
        "roles": roles,
        "Role": Role,
        "counts": {
            "villages": Village.objects.visible_to(user).count(),
            "grids": grids.count(),
            "households": Household.objects.visible_to(user).count(),
            "residents": Resident.objects.visible_to(user).count(),
            "places": Place.objects.visible_to(user).count(),
        },
        "grids": grids[:50],
        "departments": Department.objects.visible_to(user)[:50],
        "beats": PoliceBeat.objects.visible_to(user).prefetch_related("villages")[:20],
    }
