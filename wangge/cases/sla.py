"""Deadlines: which policy applies, when each milestone is due, and what is open.

Due times are stored on the case (DESIGN §4); this module computes them when a
milestone starts and tells which milestones a case in a given state still owes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext_lazy as _

from wangge.cases import worktime
from wangge.cases.choices import Clock, Level, Milestone, Priority, State
from wangge.cases.models import Case, Category, SlaPolicy, WorkSchedule

# The defaults of DESIGN §4, installed by a data migration and editable in the
# admin; a town that differs edits its rows, never this code.
DEFAULT_POLICIES = [
    # priority, clock, accept, on scene, dispatch, claim, resolve, verify
    (Priority.EMERGENCY, Clock.CALENDAR, 15, 15, 15, 15, 24 * 60, 24 * 60),
    (Priority.URGENT, Clock.WORKING, 120, None, 120, 120, 2 * 420, 420),
    (Priority.NORMAL, Clock.WORKING, 420, None, 420, 420, 7 * 420, 2 * 420),
    (Priority.SERVICE, Clock.WORKING, 420, None, 420, 420, 5 * 420, 2 * 420),
]


def install_default_policies(policy_model=SlaPolicy) -> None:
    """Create the default policy per priority where none exists (idempotent)."""
    for priority, clock, accept, scene, dispatch, claim, resolve, close in DEFAULT_POLICIES:
        policy_model.objects.get_or_create(
            category=None,
            priority=priority,
            defaults={
                "clock": clock,
                "accept_minutes": accept,
                "on_scene_minutes": scene,
                "dispatch_minutes": dispatch,
                "claim_minutes": claim,
                "resolve_minutes": resolve,
                "close_minutes": close,
            },
        )


class NoPolicy(LookupError):
    pass


def policy_for(category: Category, priority: str) -> SlaPolicy:
    """The most specific policy: the category's, its parent's, or the priority's default."""
    candidates = [category.pk]
    if category.parent_id:
        candidates.append(category.parent_id)
    policies = {
        p.category_id: p
        for p in SlaPolicy.objects.filter(priority=priority).filter(category_id__in=candidates)
    }
    for key in candidates:
        if key in policies:
            return policies[key]
    default = SlaPolicy.objects.filter(priority=priority, category=None).first()
    if default is None:
        raise NoPolicy(_("No deadline policy for priority %(p)s") % {"p": priority})
    return default


def resolve_minutes(case: Case, policy: SlaPolicy) -> int:
    """A service item's promised time replaces the policy's resolve time."""
    if case.priority == Priority.SERVICE and case.category.promised_minutes:
        return case.category.promised_minutes
    return policy.resolve_minutes


def schedule_for(town_id: int) -> worktime.WorkSchedule:
    row = WorkSchedule.objects.filter(town_id=town_id).values_list("periods", flat=True).first()
    return worktime.WorkSchedule.parse(row) if row else worktime.DEFAULT_SCHEDULE


@dataclass(frozen=True)
class OpenMilestone:
    milestone: str
    started_at: datetime
    due_at: datetime


def open_milestones(case: Case) -> list[OpenMilestone]:
    """The milestones the case still owes in its present state (none while suspended)."""
    owed: list[str] = []
    if case.state == State.REPORTED:
        owed.append(Milestone.ACCEPT)
    elif case.state == State.ACCEPTED:
        if case.level in (Level.TOWN, Level.COUNTY):
            owed.append(Milestone.DISPATCH)
        owed.append(Milestone.RESOLVE)
    elif case.state == State.DISPATCHED:
        owed += [Milestone.CLAIM, Milestone.RESOLVE]
    elif case.state == State.CLAIMED:
        owed.append(Milestone.RESOLVE)
    elif case.state == State.RESOLVED:
        owed.append(Milestone.CLOSE)
    responding = case.state in (State.REPORTED, State.ACCEPTED, State.DISPATCHED, State.CLAIMED)
    if responding and case.on_scene_due_at and not case.on_scene_at:
        owed.append(Milestone.ON_SCENE)
    result = []
    for milestone in owed:
        due = getattr(case, f"{milestone}_due_at")
        started = case.sla_starts.get(milestone)
        if due is None or started is None:
            continue
        result.append(OpenMilestone(milestone, datetime.fromisoformat(started), due))
    return result


def light(case: Case, milestone: OpenMilestone, now: datetime) -> str:
    """green / yellow / red for one open milestone (DESIGN §4: 80 % / 100 %)."""
    return worktime.traffic_light(
        milestone.started_at, milestone.due_at, now, case.sla_clock, schedule_of(case)
    )


def schedule_of(case: Case) -> worktime.WorkSchedule:
    if case.sla_clock == Clock.WORKING:
        return schedule_for(case.town_id)
    return worktime.DEFAULT_SCHEDULE


def due_after(case: Case, start: datetime, minutes: float) -> datetime:
    """`minutes` of the case's clock after `start`."""
    return worktime.add_minutes(start, minutes, case.sla_clock, schedule_of(case))


def warn_at(case: Case, milestone: OpenMilestone) -> datetime:
    """When 80 % of the allowed time is used, in the case's clock (the yellow light)."""
    schedule = schedule_of(case)
    allowed = worktime.minutes_between(
        milestone.started_at, milestone.due_at, case.sla_clock, schedule
    )
    return worktime.add_minutes(milestone.started_at, allowed * 0.8, case.sla_clock, schedule)
