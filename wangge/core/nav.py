"""The top navigation: which areas a user's roles and permissions open.

One list, read by the base template through the `navigation` context
processor. A link only shows where the page would show the user something;
the pages themselves still check (a link is not a permission).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from wangge.staff.models import Role
from wangge.staff.scope import assignments
from wangge.staff.services import role_permissions

# Who sees the one screen: the town's roles see the town, village and grid
# roles their own place, departments their own line (dashboard.metrics.scope_for).
SCREEN_ROLES = {
    Role.DISPATCHER,
    Role.LEADER,
    Role.ADMIN,
    Role.GRID_LEADER,
    Role.GRID_INSTRUCTOR,
    Role.GRID_WORKER,
    Role.POLICE,
    Role.DEPARTMENT,
}


@dataclass(frozen=True)
class Link:
    url_name: str
    label: str
    roles: frozenset[str] = frozenset()  # any of these roles opens it …
    permission: str = ""  # … or this permission

    def opens_for(self, user, roles: set[str]) -> bool:
        if user.is_superuser or self.roles & roles:
            return True
        if not self.permission:
            return False
        app = self.permission.split(".")[0]
        return any({self.permission, f"{app}.*"} & _granted(role) for role in roles)


@cache
def _granted(role: str) -> frozenset[str]:
    """The permissions the role's group carries, from the table that sets the
    groups up (`staff.services.role_permissions`): drawing the menu costs no query."""
    return frozenset(role_permissions().get(role, []))


LINKS = [
    Link("dashboard:screen", _("One screen"), roles=frozenset(SCREEN_ROLES)),
    Link("fieldwork:today", _("Visits"), permission="fieldwork.add_visit"),
    Link(
        "fieldwork:inspections",
        _("Inspections"),
        roles=frozenset({Role.DEPARTMENT}),  # the special team works for 应急办
        permission="fieldwork.view_inspection",
    ),
    Link("fieldwork:stations", _("Service stations"), permission="fieldwork.view_servicestation"),
    Link("points:index", _("Points"), permission="points.view_pointaccount"),
    Link("community:cadres", _("Reserve cadres"), permission="community.view_reservecadre"),
    Link(
        "community:projects",
        _("Rectification"),
        permission="community.view_rectificationproject",
    ),
]


def links_for(user) -> list[dict]:
    if not user.is_authenticated:
        return []
    roles = {a.role for a in assignments(user)}
    return [
        {"url": reverse(link.url_name), "label": link.label, "name": link.url_name}
        for link in LINKS
        if link.opens_for(user, roles)
    ]


def navigation(request) -> dict:
    """Context processor: `nav_links` for the base template (computed lazily)."""
    user = getattr(request, "user", None)
    if user is None:
        return {}
    cached = {}

    def links():
        if "links" not in cached:
            cached["links"] = links_for(user)
        return cached["links"]

    return {"nav_links": links}
