"""Giving people roles: one function, so the role's group and permissions follow."""

from importlib import import_module

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils.module_loading import module_has_submodule

from wangge.staff.models import Role, RoleAssignment, User
from wangge.staff.scope import forget

# Model permissions each role's group carries ("app.codename", or "app.*" for all).
# Row visibility is separate: it always comes from the user's scope.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.GRID_WORKER: ["residents.view_household", "residents.view_resident"],
    Role.GRID_HELPER: ["residents.view_household"],
    Role.GRID_LEADER: ["residents.view_household", "residents.view_resident"],
    Role.GRID_INSTRUCTOR: ["residents.view_household", "residents.view_resident"],
    Role.POLICE: [
        "residents.view_household",
        "residents.view_resident",
        "residents.unmask_personal_data",
    ],
    Role.DISPATCHER: ["residents.view_household", "residents.view_resident"],
    Role.DEPARTMENT: [],
    Role.LEADER: ["residents.view_household", "residents.view_resident"],
    Role.ADMIN: [
        "grids.*",
        "residents.*",
        "staff.*",
        "cases.add_category",
        "cases.change_category",
        "cases.view_category",
        "cases.add_slapolicy",
        "cases.change_slapolicy",
        "cases.view_slapolicy",
        "cases.change_workschedule",
        "cases.add_workschedule",
        "cases.view_workschedule",
        "cases.view_case",
        "cases.view_caseevent",
    ],
}


def _permissions(specs: list[str]):
    for spec in specs:
        app, codename = spec.split(".")
        perms = Permission.objects.filter(content_type__app_label=app)
        if codename != "*":
            perms = perms.filter(codename=codename)
        yield from perms


def role_permissions() -> dict[str, list[str]]:
    """The permissions of each role: the table above plus each app's own.

    An app that owns models gives roles their permissions in its `roles.py`
    (`ROLE_PERMISSIONS`, same shape as above), so the table stays with the app.
    """
    merged = {role: list(specs) for role, specs in ROLE_PERMISSIONS.items()}
    for config in apps.get_app_configs():
        if config.name.startswith("wangge.") and module_has_submodule(config.module, "roles"):
            extra = import_module(f"{config.name}.roles").ROLE_PERMISSIONS
            for role, specs in extra.items():
                merged.setdefault(role, []).extend(specs)
    return merged


def sync_role_groups() -> None:
    """Create one group per role carrying the role's permissions (idempotent)."""
    for role, specs in role_permissions().items():
        group, _ = Group.objects.get_or_create(name=f"role:{role}")
        group.permissions.set(list(_permissions(specs)))


@transaction.atomic
def assign_role(user: User, role: str, **scope) -> RoleAssignment:
    """Give `user` the role, scoped to the place or unit named in `scope`.

    Raises ValidationError when the role's place or unit is missing.
    """
    assignment = RoleAssignment(user=user, role=role, **scope)
    assignment.full_clean(exclude=["user"])
    assignment.save()
    group, _ = Group.objects.get_or_create(name=f"role:{role}")
    user.groups.add(group)
    if role == Role.ADMIN and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    forget(user)
    return assignment
