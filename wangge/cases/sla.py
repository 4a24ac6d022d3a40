"""Deadlines: which policy applies, when each milestone is due, and what is open.

Due times are stored on the case (DESIGN §4); this module computes them when a
milestone starts and tells which milestones a case in a given state still owes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext

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


# Policies and working hours are small and rarely edited, and every transition
# needs them: they are cached per process, dropped when this process saves
# them (signals) and re-read after WANGGE_POLICY_CACHE_SECONDS for edits made
# by another process.
_cache: dict = {}


def clear_cache(**kwargs) -> None:
    _cache.clear()


def _cached(name: str, load):
    ttl = settings.WANGGE_POLICY_CACHE_SECONDS
    entry = _cache.get(name)
    if entry is None or time.monotonic() - entry[0] > ttl:
        entry = (time.monotonic(), load())
        _cache[name] = entry
    return entry[1]


def _policies() -> dict:
    return {(p.category_id, p.priority): p for p in SlaPolicy.objects.all()}


def category_by_id(category_id: int) -> Category:
    """A category from the process cache (the catalogue is small and rarely edited)."""
    categories = _cached("categories", lambda: {c.pk: c for c in Category.objects.all()})
    found = categories.get(category_id)
    if found is None:
        clear_cache()
        found = Category.objects.get(pk=category_id)
    return found


def category_by_code(code: str) -> Category | None:
    """An active or inactive category by its code, from the same process cache."""
    categories = _cached("category_codes", lambda: {c.code: c for c in Category.objects.all()})
    found = categories.get(code)
    if found is None:
        found = Category.objects.filter(code=code).first()
        if found is not None:
            clear_cache()
    return found


def policy_for(category: Category, priority: str) -> SlaPolicy:
    """The most specific policy: the category's, its parent's, or the priority's default.

    Raises NoPolicy when not even a default exists for the priority.
    """
    policies = _cached("policies", _policies)
    for key in (category.pk, category.parent_id, None):
        if (key, priority) in policies:
            return policies[(key, priority)]
    raise NoPolicy(
        gettext("No deadline policy for priority %(p)s") % {"p": Priority(priority).label}
    )


def resolve_minutes(case: Case, policy: SlaPolicy) -> int:
    """A service item's promised time replaces the policy's resolve time."""
    promised = category_by_id(case.category_id).promised_minutes
    if case.priority == Priority.SERVICE and promised:
        return promised
    return policy.resolve_minutes


def schedule_for(town_id: int) -> worktime.WorkSchedule:
    schedules = _cached(
        "schedules",
        lambda: {
            town: worktime.WorkSchedule.parse(periods)
            for town, periods in WorkSchedule.objects.values_list("town_id", "periods")
        },
    )
    return schedules.get(town_id, worktime.DEFAULT_SCHEDULE)


for _model in (SlaPolicy, WorkSchedule, Category):
    post_save.connect(clear_cache, sender=_model, dispatch_uid=f"sla-cache-{_model.__name__}")
    post_delete.connect(clear_cache, sender=_model, dispatch_uid=f"sla-del-{_model.__name__}")


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


def light_of(case: Case, now: datetime) -> str | None:
    """The case's traffic light from its stored columns: its worst open milestone."""
    if case.due_at is None:
        return None
    if case.due_at < now:
        return "red"
    if case.yellow_at is not None and case.yellow_at <= now:
        return "yellow"
    return "green"


def light_q(light: str, now: datetime) -> Q:
    """Cases whose light is `light` now (an indexed filter)."""
    if light == "red":
        return Q(due_at__lt=now)
    if light == "yellow":
        return Q(yellow_at__lte=now, due_at__gte=now)
    if light == "green":
        return Q(yellow_at__gt=now)
    raise ValueError(light)
