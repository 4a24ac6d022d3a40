"""The case state machine as one table you can read (DESIGN §3).

Each action names the states it may start from, the state it leads to (None:
the state does not change), who may take it (roles held *on this case*, see
`roles_on_case`), the levels it is allowed at, and what it requires.
`lifecycle.py` has one function per action; every one of them checks here.
"""

from __future__ import annotations

from dataclasses import dataclass

from wangge.cases.choices import OPEN_STATES, RUNNING_STATES, Level, State
from wangge.staff.models import Role
from wangge.staff.scope import assignments

# Actors that are not staff roles.
SYSTEM = "system"  # the worker
REPORTER = "reporter"  # whoever reported the case (a resident by receipt code, or staff)
INTEGRATION = "integration"  # an inbound system (Open311, police directive, video alarm)

GRID = frozenset({Role.GRID_WORKER, Role.GRID_LEADER, Role.GRID_INSTRUCTOR})
TOWN = frozenset({Role.DISPATCHER})
ALL_LEVELS = frozenset(Level)
WORKING = frozenset({State.ACCEPTED, State.DISPATCHED, State.CLAIMED})


@dataclass(frozen=True)
class Rule:
    sources: frozenset[str]
    target: str | None
    who: frozenset[str]
    requires: tuple[str, ...] = ()
    levels: frozenset[str] = ALL_LEVELS


RULES: dict[str, Rule] = {
    # 网格收单: the grid (or, for emergencies, the police) takes the case.
    "accept": Rule(frozenset({State.REPORTED}), State.ACCEPTED, GRID | TOWN | {Role.POLICE}),
    # 小事不出组 / 大事不出村: settled without dispatch.
    "resolve_on_site": Rule(
        frozenset({State.ACCEPTED}),
        State.RESOLVED,
        GRID,
        requires=("result",),
        levels=frozenset({Level.GROUP, Level.VILLAGE}),
    ),
    "escalate": Rule(
        frozenset({State.REPORTED, State.ACCEPTED}),
        None,
        frozenset({Role.GRID_WORKER, Role.GRID_LEADER, Role.GRID_INSTRUCTOR, SYSTEM}),
        requires=("reason",),
        levels=frozenset({Level.GROUP, Level.VILLAGE, Level.TOWN}),
    ),
    "send_to_town": Rule(
        frozenset({State.ACCEPTED}),
        None,
        GRID,
        requires=("reason",),
        levels=frozenset({Level.GROUP, Level.VILLAGE}),
    ),
    # 党委派单: the command centre names a lead department and co-handlers.
    "dispatch": Rule(
        frozenset({State.ACCEPTED}),
        State.DISPATCHED,
        TOWN,
        requires=("department",),
        levels=frozenset({Level.TOWN, Level.COUNTY}),
    ),
    # 部门接单 / 退单
    "claim": Rule(frozenset({State.DISPATCHED}), State.CLAIMED, frozenset({Role.DEPARTMENT})),
    "return": Rule(
        frozenset({State.DISPATCHED, State.CLAIMED}),
        State.ACCEPTED,
        frozenset({Role.DEPARTMENT}),
        requires=("reason",),
    ),
    "request_extension": Rule(
        frozenset({State.CLAIMED}),
        None,
        frozenset({Role.DEPARTMENT}),
        requires=("reason", "minutes"),
    ),
    "approve_extension": Rule(frozenset({State.CLAIMED}), None, TOWN),
    "refuse_extension": Rule(frozenset({State.CLAIMED}), None, TOWN, requires=("reason",)),
    "suspend": Rule(RUNNING_STATES, State.SUSPENDED, TOWN, requires=("reason", "resume_at")),
    "resume": Rule(frozenset({State.SUSPENDED}), None, TOWN | {SYSTEM}),
    "urge": Rule(RUNNING_STATES, None, TOWN | {Role.LEADER, SYSTEM}),
    # 吹哨报到: several departments summoned at once, each to check in.
    "summon": Rule(frozenset({State.REPORTED}) | WORKING, None, TOWN, requires=("departments",)),
    "check_in": Rule(
        frozenset({State.REPORTED}) | WORKING,
        None,
        GRID | {Role.POLICE, Role.DEPARTMENT},
        requires=("position",),
    ),
    "resolve": Rule(
        frozenset({State.CLAIMED}),
        State.RESOLVED,
        frozenset({Role.DEPARTMENT}),
        requires=("result",),
    ),
    # 核查: the grid verifies on site: close, or back as rework.
    "verify": Rule(frozenset({State.RESOLVED}), State.CLOSED, GRID | TOWN),
    "rework": Rule(
        frozenset({State.RESOLVED}), None, GRID | TOWN | {REPORTER}, requires=("reason",)
    ),
    "rate": Rule(
        frozenset({State.RESOLVED, State.CLOSED}),
        None,
        frozenset({REPORTER, Role.GRID_WORKER, Role.DISPATCHER}),
        requires=("rating",),
    ),
    "reject": Rule(
        frozenset({State.REPORTED, State.ACCEPTED}),
        State.REJECTED,
        GRID | TOWN,
        requires=("reason",),
    ),
    "merge": Rule(
        frozenset({State.REPORTED, State.ACCEPTED}),
        State.MERGED,
        GRID | TOWN,
        requires=("original",),
    ),
    "cancel": Rule(frozenset({State.REPORTED}), State.CANCELLED, frozenset({REPORTER})),
    # The worker's yellow-light warning: an event and notices, nothing else.
    "warn": Rule(OPEN_STATES, None, frozenset({SYSTEM})),
}


def roles_on_case(user, case) -> set[str]:
    """The roles `user` holds that cover this case (by place, unit or reporting)."""
    roles: set[str] = set()
    if case.reporter_user_id and case.reporter_user_id == user.pk:
        roles.add(REPORTER)
    if user.is_superuser:
        return roles | set(Role) - {Role.DEPARTMENT}
    department_ids = None
    for a in assignments(user):
        if a.role in (Role.GRID_WORKER, Role.GRID_INSTRUCTOR):
            covers = a.grid_id is not None and a.grid_id == case.grid_id
        elif a.role == Role.GRID_HELPER:
            covers = (a.micro_grid_id and a.micro_grid_id == case.micro_grid_id) or (
                not a.micro_grid_id and a.grid_id == case.grid_id
            )
        elif a.role == Role.GRID_LEADER:
            covers = a.village_id is not None and a.village_id == case.village_id
        elif a.role == Role.POLICE:
            covers = (
                case.village_id is not None and a.beat.villages.filter(pk=case.village_id).exists()
            )
        elif a.role == Role.DEPARTMENT:
            if a.department_id is not None and a.department_id == case.lead_department_id:
                # The lead's link is active while it leads (dispatch sets both,
                # return clears both): no look-up for the commonest case.
                covers = True
            else:
                if department_ids is None:
                    department_ids = set(
                        case.case_departments.filter(active=True).values_list(
                            "department_id", flat=True
                        )
                    )
                covers = a.department_id in department_ids
        elif a.role in (Role.DISPATCHER, Role.LEADER, Role.ADMIN):
            covers = a.town_id == case.town_id or (
                bool(a.county_code) and case.town.county_code == a.county_code
            )
        else:
            covers = False
        if covers:
            roles.add(a.role)
    return roles


def allowed_actions(user, case) -> list[str]:
    """The actions the table lets `user` try on `case` now (for showing buttons;
    the lifecycle still checks everything when one is taken)."""
    roles = roles_on_case(user, case)
    return [
        action
        for action, rule in RULES.items()
        if action != "warn"
        and case.state in rule.sources
        and case.level in rule.levels
        and roles & rule.who
    ]
