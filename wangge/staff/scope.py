"""The one place that decides which rows a user may see.

Every scoped model has a `ScopedQuerySet` and declares `scope_lookups`: for each
level of the place tree it knows (town, village, grid, …), the lookup that leads
from the model to that level. A user's role assignments resolve to a `Scope`:
the ids they hold in full at each level, plus the ancestors of those (a grid
worker sees the record of their own village, not its other grids' households).

Pages, API, exports and the admin all call `Model.objects.visible_to(user)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models
from django.db.models import Q

from wangge.core import rows

LEVELS = (
    "user",
    "county",
    "town",
    "beat",
    "department",
    "police_village",
    "village",
    "grid",
    "micro_grid",
)
# A level a model need not name: it then falls back to the aliased level.
# Police see the villages of their beat like a village (households, places),
# but a model such as Case can narrow what police see there.
ALIASES = {"police_village": "village"}
# Every user holds the level "user" with their own id: a model that names it
# (a case, by its reporter) shows people what they themselves reported.


@dataclass(frozen=True)
class Scope:
    unrestricted: bool = False
    full: dict[str, frozenset[int]] = field(default_factory=dict)
    ancestors: dict[str, frozenset[int]] = field(default_factory=dict)

    def ids(self, level: str, *, with_ancestors: bool = False) -> frozenset[int]:
        ids = self.full.get(level, frozenset())
        if with_ancestors:
            ids = ids | self.ancestors.get(level, frozenset())
        return ids

    @property
    def empty(self) -> bool:
        return not self.unrestricted and not any(
            ids for level, ids in self.full.items() if level != "user"
        )

    def q(self, scope_lookups: dict) -> Q | None:
        """A filter for a model with these lookups, or None when nothing is visible.

        A lookup is a field path (``"grid_id"``) or a callable taking the ids
        and returning a Q, for conditions a path cannot say.
        """
        finest = list(scope_lookups)[-1]
        condition = None
        for level in LEVELS:
            lookup = scope_lookups.get(level) or scope_lookups.get(ALIASES.get(level, ""))
            if lookup is None:
                continue
            ids = self.ids(level, with_ancestors=level == finest)
            if not ids:
                continue
            part = lookup(ids) if callable(lookup) else Q(**{f"{lookup}__in": sorted(ids)})
            condition = part if condition is None else condition | part
        return condition


NOBODY = Scope()
EVERYTHING = Scope(unrestricted=True)


def assignments(user) -> list:
    """The user's role assignments, loaded once per user object."""
    cached = getattr(user, "_wangge_assignments", None)
    if cached is None:
        cached = _assignments_of(user) if user.pk else []
        user._wangge_assignments = cached
    return cached


def _assignments_of(user) -> list:
    from wangge.staff.models import RoleAssignment

    # Read on every request: composed once.
    statement = rows.prepare(
        "role assignments",
        lambda user_id: RoleAssignment.objects.filter(user_id=user_id).select_related(
            "town", "village", "grid", "micro_grid", "department", "beat"
        ),
        [int],
    )
    found = statement.instances(user.pk)
    for assignment in found:
        assignment._state.fields_cache["user"] = user  # as the related manager does
    return found


def forget(user) -> None:
    """Drop what was cached on this user object (after their roles change)."""
    for attr in ("_wangge_scope", "_wangge_assignments"):
        user.__dict__.pop(attr, None)


def scope_for(user) -> Scope:
    """The user's scope, resolved once per user object."""
    if user is None or not user.is_authenticated or not user.is_active:
        return NOBODY
    cached = getattr(user, "_wangge_scope", None)
    if cached is not None:
        return cached
    scope = EVERYTHING if user.is_superuser else _resolve(user)
    user._wangge_scope = scope
    return scope


def _resolve(user) -> Scope:
    from wangge.grids.models import Grid, MicroGrid, Town, Village
    from wangge.staff.models import Department, PoliceBeat, Role

    full: dict[str, set[int]] = {level: set() for level in LEVELS}
    full["user"].add(user.pk)
    for a in assignments(user):
        if a.role in (Role.GRID_WORKER, Role.GRID_INSTRUCTOR) and a.grid_id:
            full["grid"].add(a.grid_id)
        elif a.role == Role.GRID_HELPER:
            if a.micro_grid_id:
                full["micro_grid"].add(a.micro_grid_id)
            elif a.grid_id:
                full["grid"].add(a.grid_id)
        elif a.role == Role.GRID_LEADER and a.village_id:
            full["village"].add(a.village_id)
        elif a.role == Role.POLICE and a.beat_id:
            full["beat"].add(a.beat_id)
        elif a.role == Role.DEPARTMENT and a.department_id:
            full["department"].add(a.department_id)
        elif a.role in (Role.DISPATCHER, Role.LEADER, Role.ADMIN):
            if a.town_id:
                full["town"].add(a.town_id)
            elif a.county_code:
                full["county"].add(int(a.county_code))

    if full["county"]:
        codes = [str(c) for c in full["county"]]
        full["town"] |= set(Town.objects.filter(county_code__in=codes).values_list("id", flat=True))
    if full["beat"]:
        full["police_village"] |= set(
            PoliceBeat.villages.through.objects.filter(policebeat_id__in=full["beat"]).values_list(
                "village_id", flat=True
            )
        )

    ancestors: dict[str, set[int]] = {level: set() for level in LEVELS}
    for grid_id, village_id in MicroGrid.objects.filter(pk__in=full["micro_grid"]).values_list(
        "grid_id", "grid__village_id"
    ):
        ancestors["grid"].add(grid_id)
        ancestors["village"].add(village_id)
    ancestors["village"] |= set(
        Grid.objects.filter(pk__in=full["grid"]).values_list("village_id", flat=True)
    )
    ancestors["town"] |= set(
        Village.objects.filter(
            pk__in=full["village"] | full["police_village"] | ancestors["village"]
        ).values_list("town_id", flat=True)
    )
    ancestors["town"] |= set(
        PoliceBeat.objects.filter(pk__in=full["beat"]).values_list("town_id", flat=True)
    )
    ancestors["town"] |= set(
        Department.objects.filter(pk__in=full["department"]).values_list("town_id", flat=True)
    )
    return Scope(
        full={k: frozenset(v) for k, v in full.items()},
        ancestors={k: frozenset(v) for k, v in ancestors.items()},
    )


class ScopedQuerySet(models.QuerySet):
    """A queryset whose model declares `scope_lookups` (coarsest level first)."""

    def visible_to(self, user):
        scope = scope_for(user)
        if scope.unrestricted:
            return self
        condition = scope.q(self.model.scope_lookups)
        if condition is None:
            return self.none()
        return self.filter(condition)


def via(path: str, model) -> dict:
    """Scope lookups for a model seen through a relation, e.g. a case's events:
    `scope_lookups = via("case", Case)` makes an event visible with its case."""

    def wrap(lookup):
        if callable(lookup):
            return lambda ids: Q(**{f"{path}__in": model.objects.filter(lookup(ids)).values("pk")})
        return f"{path}__{lookup}"

    return {level: wrap(lookup) for level, lookup in model.scope_lookups.items()}
