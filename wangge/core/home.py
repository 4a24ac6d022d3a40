"""What each role's home page shows: their work today and the places in their scope."""

from django.db.models import Count, Q
from django.utils import timezone

from wangge.cases import sla
from wangge.cases.choices import OPEN_STATES, State
from wangge.cases.models import Case
from wangge.grids.models import Grid, Place, Village
from wangge.residents.models import Household, Resident
from wangge.staff.models import Department, PoliceBeat, Role
from wangge.staff.scope import assignments


def work_counts(user, now) -> dict:
    """Open cases in the user's scope by traffic light and stage (one query)."""
    return Case.objects.visible_to(user).aggregate(
        open=Count("id", filter=Q(state__in=OPEN_STATES)),
        red=Count("id", filter=sla.light_q("red", now)),
        yellow=Count("id", filter=sla.light_q("yellow", now)),
        new=Count("id", filter=Q(state=State.REPORTED)),
        due_today=Count(
            "id",
            filter=Q(due_at__lte=timezone.localtime(now).replace(hour=23, minute=59, second=59)),
        ),
        to_dispatch=Count("id", filter=Q(state=State.ACCEPTED, level__in=["town", "county"])),
        dispatched=Count("id", filter=Q(state=State.DISPATCHED)),
        to_verify=Count("id", filter=Q(state=State.RESOLVED)),
    )


def field_counts(user, roles: set[str], grids) -> dict:
    """The day's field work: doors to knock on, places due an inspection, large
    awards waiting for this person's approval. Only for the roles doing it."""
    from wangge.fieldwork import services as fieldwork
    from wangge.points.models import AwardProposal, ProposalStatus

    counts = {}
    if roles & {Role.GRID_WORKER, Role.GRID_HELPER}:
        own = [a.grid for a in assignments(user) if a.grid_id]
        counts["visits_due"] = sum(fieldwork.todays_visits(user, grid=g)["due"] for g in own)
    if roles & {Role.GRID_WORKER, Role.GRID_LEADER, Role.DEPARTMENT}:
        rows, _total = fieldwork.places_due(user, limit=None)
        if rows:
            counts["places_due"] = sum(1 for row in rows if row.overdue)
    if Role.GRID_LEADER in roles:
        counts["awards_waiting"] = (
            AwardProposal.objects.visible_to(user)
            .filter(status=ProposalStatus.PENDING)
            .exclude(proposed_by=user)
            .count()
        )
    return counts


def home_context(user) -> dict:
    mine = list(assignments(user))
    roles = {a.role for a in mine}
    grids = (
        Grid.objects.visible_to(user)
        .select_related("village")
        .annotate(household_count=Count("households"))
        .order_by("code")
    )
    return {
        "assignments": sorted(mine, key=lambda a: a.role),
        "roles": roles,
        "Role": Role,
        "work": work_counts(user, timezone.now()),
        "field": field_counts(user, roles, grids),
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
