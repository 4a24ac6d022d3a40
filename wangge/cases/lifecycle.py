"""Every change of a case, one function each (DESIGN §3).

Each function checks `rules.RULES`, runs in one transaction with the case row
locked, writes one immutable `CaseEvent`, sets the milestone times and writes
the notices (delivered on commit). Pages, the API, the worker, the demo and
the tests all call these; nothing else changes a case's state.

The actor is a `User`, or one of `rules.SYSTEM` (the worker), `rules.REPORTER`
(a resident authenticated by the receipt code at the edge) or
`rules.INTEGRATION` (an inbound system).

Raises (from `errors`): CaseNotFound (outside the user's scope),
IllegalTransition (wrong state or level), NotAllowed (wrong role),
MissingInput / InvalidInput, Conflict (someone changed the case first).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from datetime import datetime

from django.db import connection, transaction
from django.db.transaction import TransactionManagementError
from django.utils.translation import gettext as _

from wangge.cases import clock, notify, sla, worktime
from wangge.cases.choices import Clock, Level, Milestone, Rating, State, next_level
from wangge.cases.errors import (
    CaseNotFound,
    Conflict,
    IllegalTransition,
    InvalidInput,
    MissingInput,
    NotAllowed,
)
from wangge.cases.labels import ACTION_LABELS, FIELD_LABELS
from wangge.cases.models import Case, CaseDepartment, CaseEvent
from wangge.cases.rules import INTEGRATION, REPORTER, RULES, SYSTEM, roles_on_case
from wangge.core import rows
from wangge.staff.models import Department
from wangge.staff.scope import assignments, scope_for

Actor = object  # a User, or SYSTEM / REPORTER / INTEGRATION


# --- The one path every transition takes ------------------------------------


def _lock(case_id: int, actor) -> Case:
    """The case row, locked, if the actor may see it at all (else CaseNotFound).

    The statement is the scope's own filter (`visible_to`), compiled once per
    distinct scope and reused with the case id: every transition starts here,
    and composing and compiling the scope's filter was its largest cost.
    """
    if not connection.in_atomic_block:  # Django checks this only when composing
        raise TransactionManagementError("A case is locked only inside a transaction.")
    scope = None if isinstance(actor, str) else scope_for(actor)

    def build(case_id):
        queryset = Case.objects.all() if scope is None else Case.objects.visible_to(actor)
        if connection.features.has_select_for_update:
            queryset = queryset.select_for_update(of=("self",))
        return queryset.filter(pk=case_id).order_by()

    statement = rows.prepare(("lock case", _scope_key(scope)), build, [int])
    locked = statement.first(case_id) if statement is not None else None
    if locked is None:  # not there, or outside the actor's scope
        raise CaseNotFound()
    return locked


def _scope_key(scope) -> tuple | None:
    if scope is None:
        return None
    if scope.unrestricted:
        return ("everything",)
    return (
        tuple(sorted((level, ids) for level, ids in scope.full.items() if ids)),
        tuple(sorted((level, ids) for level, ids in scope.ancestors.items() if ids)),
    )


def _roles(actor, case: Case) -> set[str]:
    if isinstance(actor, str):
        # Only these act without an account: a role's name is not a role.
        return {actor} if actor in (SYSTEM, REPORTER, INTEGRATION) else set()
    return roles_on_case(actor, case)


def _transition(
    action: str,
    case: Case | int,
    actor,
    *,
    now: datetime | None,
    change: Callable[[Case, datetime, set[str]], dict | None] | None = None,
    note: str = "",
    internal: bool = False,
    notice: Callable[[Case], tuple[set[int], str]] | None = None,
    target: str | Callable[[Case], str | None] | None = None,
    then: Callable[[Case, CaseEvent], None] | None = None,
) -> Case:
    rule = RULES[action]
    now = now or clock.now()
    expected_version = case.version if isinstance(case, Case) else None
    case_id = case.pk if isinstance(case, Case) else case
    # Only the worker holds rows, and only within the transaction that locked them.
    held = actor == SYSTEM and isinstance(case, Case) and _is_held(case)
    # A case the worker locked in this very transaction is not read again, and
    # needs no savepoint: a failure undoes the worker's whole transaction.
    with transaction.atomic(savepoint=not held):
        locked = case if held else _lock(case_id, actor)
        roles = _roles(actor, locked)
        if expected_version is not None and locked.version != expected_version:
            raise Conflict()
        if locked.state not in rule.sources:
            raise IllegalTransition(
                _("Cannot %(action)s a case that is %(state)s.")
                % {"action": action_label(action), "state": locked.get_state_display()}
            )
        if locked.level not in rule.levels:
            raise IllegalTransition(
                _("Cannot %(action)s a case at %(level)s level.")
                % {"action": action_label(action), "level": locked.get_level_display()}
            )
        if not roles & rule.who:
            raise NotAllowed()
        before = _values(locked)
        from_state = locked.state
        # Decided on the locked row, before the change: e.g. rework goes back to
        # whoever resolved it, resume to the state before the suspension.
        new_state = (target(locked) if callable(target) else target) or rule.target
        data = (change(locked, now, roles) if change else None) or {}
        locked.state = new_state or locked.state
        locked.version += 1
        _plan_checks(locked, now)
        changed = _changed(before, locked)
        rows.update(locked, changed + ["updated_at"])
        event = rows.insert(
            CaseEvent(
                town_id=locked.town_id,
                case=locked,
                at=now,
                actor=None if isinstance(actor, str) else actor,
                actor_label=actor if isinstance(actor, str) else "",
                action=action,
                from_state=from_state,
                to_state=locked.state,
                level=locked.level,
                note=note,
                data=_jsonable(data),
                internal=internal,
            )
        )
        if notice:
            recipients, text = notice(locked)
            notify.queue(locked, event, recipients, action, text)
        if then:
            # Inside the transaction: a photo that cannot be stored undoes the step.
            then(locked, event)
    if isinstance(case, Case) and case is not locked:
        _copy_into(case, locked)
    return locked


def hold(case: Case) -> Case:
    """Mark `case` as read with its row locked in the current transaction (the
    worker's `select_for_update`): transitions on it in the same transaction
    skip the second locked read."""
    case._held_in = _transaction_token()
    # The mark ends with the transaction: a later one on the same connection
    # (same token) must lock and check the version again.
    transaction.on_commit(lambda: case.__dict__.pop("_held_in", None))
    return case


def _is_held(case: Case) -> bool:
    token = case.__dict__.get("_held_in")
    return token is not None and token == _transaction_token()


def _transaction_token():
    if not connection.in_atomic_block:
        return None
    return (id(connection.connection), tuple(connection.savepoint_ids))


_COLUMNS = [f.attname for f in Case._meta.concrete_fields]
_ATTNAMES = [name for name in _COLUMNS if name != Case._meta.pk.attname]
_values = operator.attrgetter(*_ATTNAMES)  # a case's columns, as a tuple


def _changed(before: tuple, case: Case) -> list[str]:
    return [
        name for name, old, new in zip(_ATTNAMES, before, _values(case), strict=True) if old != new
    ]


def _copy_into(stale: Case, fresh: Case) -> None:
    """The caller's copy takes the locked row's columns (and its cached related objects)."""
    columns = fresh.__dict__
    stale.__dict__.update({name: columns[name] for name in _COLUMNS if name in columns})
    stale._state.fields_cache = dict(fresh._state.fields_cache)


def _jsonable(data: dict) -> dict:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in data.items()}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


def _require(**values) -> None:
    for name, value in values.items():
        if value is None or (isinstance(value, str) and not value.strip()) or value == []:
            raise MissingInput(
                _("%(field)s is required.") % {"field": FIELD_LABELS.get(name, name)}, field=name
            )


# --- Milestones -------------------------------------------------------------


def start_milestone(case: Case, milestone: str, start: datetime, minutes: float) -> None:
    """Set a milestone's due time `minutes` (in the case's clock) after `start`."""
    setattr(case, f"{milestone}_due_at", sla.due_after(case, start, minutes))
    case.sla_starts = {**case.sla_starts, milestone: start.isoformat()}
    flags = dict(case.sla_flags)
    flags.pop(milestone, None)
    case.sla_flags = flags


def _policy(case: Case):
    return sla.policy_for(sla.category_by_id(case.category_id), case.priority)


def _plan_checks(case: Case, now: datetime) -> None:
    """Set `next_check_at` (the next warning, deadline or resume the worker must act
    on) and the traffic-light columns `yellow_at` and `due_at`."""
    moments: list[datetime] = []
    dues: list[datetime] = []
    yellows: list[datetime] = []
    if case.state == State.SUSPENDED:
        if case.resume_at:
            moments.append(case.resume_at)
    elif case.is_open:
        for m in sla.open_milestones(case):
            dues.append(m.due_at)
            yellow = min(sla.warn_at(case, m), m.due_at)
            yellows.append(yellow)
            flag = case.sla_flags.get(m.milestone)
            if flag is None:
                moments.append(yellow)
            elif flag == "warned":
                moments.append(m.due_at)
        if case.joint_response:
            for link in case.case_departments.filter(
                role=CaseDepartment.Role.SUMMONED, active=True, checked_in_at=None
            ).exclude(checkin_due_at=None):
                if f"checkin:{link.department_id}" not in case.sla_flags:
                    moments.append(link.checkin_due_at)
    case.next_check_at = min(moments) if moments else None
    case.due_at = min(dues) if dues else None
    case.yellow_at = min(yellows) if yellows else None


def set_flag(case: Case, key: str, value: str) -> None:
    case.sla_flags = {**case.sla_flags, key: value}


# --- Taking the case (网格收单) and settling it in the grid -------------------


def accept(case, actor, *, note: str = "", now: datetime | None = None) -> Case:
    def change(c: Case, now, roles):
        c.accepted_at = now
        if not isinstance(actor, str):
            c.owner_user = actor
        policy = _policy(c)
        start_milestone(c, Milestone.RESOLVE, now, sla.resolve_minutes(c, policy))
        if c.level in (Level.TOWN, Level.COUNTY):
            # Raised to the town before anyone took it: the town owes a dispatch now.
            start_milestone(c, Milestone.DISPATCH, now, policy.dispatch_minutes)
        return {"resolve_due_at": c.resolve_due_at}

    return _transition("accept", case, actor, now=now, change=change, note=note)


def resolve_on_site(
    case, actor, *, result: str, photos: Iterable = (), now: datetime | None = None
) -> Case:
    """Settled by the grid or the village without dispatch (小事不出组、大事不出村)."""
    return _resolved("resolve_on_site", case, actor, result, photos, now)


def _resolved(action, case, actor, result, photos, now, before=None) -> Case:
    """resolve / resolve_on_site: the result and photos, then the grid verifies."""
    _require(result=result)
    photos = list(photos)
    _check_photos(photos)

    def change(c: Case, now, roles):
        if before:
            before(c)
        c.result = result
        c.resolved_at = now
        c.extension_pending_minutes = None  # resolved: no more time is needed
        start_milestone(c, Milestone.CLOSE, now, _policy(c).close_minutes)
        return {"close_due_at": c.close_due_at}

    return _transition(
        action,
        case,
        actor,
        now=now,
        change=change,
        note=result,
        notice=lambda c: (
            notify.grid_workers(c),
            _("Case %(n)s resolved: please verify.") % {"n": c.number},
        ),
        then=lambda c, event: _attach(c, actor, photos, event),
    )


def escalate(case, actor, *, reason: str, now: datetime | None = None) -> Case:
    """Raise the case one level (group → village → town → county); the new level gets the full time."""
    _require(reason=reason)

    def change(c: Case, now, roles):
        new_level = next_level(c.level)
        c.level = new_level
        c.escalation_count += 1
        c.owner_user = None
        c.owner_department = None
        policy = _policy(c)
        if c.state == State.REPORTED:
            start_milestone(c, Milestone.ACCEPT, now, policy.accept_minutes)
        else:
            start_milestone(c, Milestone.RESOLVE, now, sla.resolve_minutes(c, policy))
            if new_level in (Level.TOWN, Level.COUNTY):
                start_milestone(c, Milestone.DISPATCH, now, policy.dispatch_minutes)
        if actor == SYSTEM:
            set_flag(c, "escalated", now.isoformat())
        return {"level": new_level}

    return _transition(
        "escalate",
        case,
        actor,
        now=now,
        change=change,
        note=reason,
        notice=lambda c: (
            notify.owners(c),
            _("Case %(n)s was raised to you (%(level)s): %(reason)s")
            % {"n": c.number, "level": c.get_level_display(), "reason": reason},
        ),
    )


def send_to_town(case, actor, *, reason: str, now: datetime | None = None) -> Case:
    """The grid cannot settle it: the command centre must dispatch (难事不出镇)."""
    _require(reason=reason)

    def change(c: Case, now, roles):
        c.level = Level.TOWN
        c.owner_user = None
        c.owner_department = None
        start_milestone(c, Milestone.DISPATCH, now, _policy(c).dispatch_minutes)
        return {"dispatch_due_at": c.dispatch_due_at}

    return _transition(
        "send_to_town",
        case,
        actor,
        now=now,
        change=change,
        note=reason,
        notice=lambda c: (
            notify.dispatchers(c),
            _("Case %(n)s needs dispatching.") % {"n": c.number},
        ),
    )


# --- Dispatch (党委派单) and the department's work (部门接单) -----------------


def _department(value, town_id: int, field: str) -> Department:
    department = value if isinstance(value, Department) else None
    if department is None:
        department = Department.objects.filter(pk=value).first() if value else None
    if department is None or department.town_id != town_id:
        raise InvalidInput(_("Unknown department."), field=field)
    return department


def dispatch(
    case, actor, *, lead, co: Iterable = (), note: str = "", now: datetime | None = None
) -> Case:
    _require(department=lead)
    co = list(co)

    chosen: list[int] = []

    def change(c: Case, now, roles):
        lead_department = _department(lead, c.town_id, "lead")
        co_departments = [_department(d, c.town_id, "co") for d in co]
        if lead_department in co_departments:
            raise InvalidInput(_("The lead department cannot also co-handle."), field="co")
        wanted = {(lead_department.pk, "lead")} | {(d.pk, "co") for d in co_departments}
        # Only dispatch makes lead and co links, and only return takes the lead
        # away (counting it): a case never led nor returned has none to read.
        existing = {}
        if c.lead_department_id is not None or c.return_count:
            links = c.case_departments.filter(role__in=["lead", "co"])
            existing = {(link.department_id, link.role): link.pk for link in links}
        if existing:  # a re-dispatch: earlier departments step back, chosen ones return
            kept = [existing[k] for k in wanted if k in existing]
            links.exclude(pk__in=kept).update(active=False)
            links.filter(pk__in=kept).update(active=True, added_at=now)
        rows.insert_many(
            [
                CaseDepartment(case=c, department_id=d, role=role, active=True, added_at=now)
                for d, role in wanted
                if (d, role) not in existing
            ]
        )
        chosen[:] = [d for d, _role in wanted]
        c.lead_department = lead_department
        c.owner_department = lead_department
        c.owner_user = None
        c.dispatched_at = now
        c.claimed_at = None
        start_milestone(c, Milestone.CLAIM, now, _policy(c).claim_minutes)
        return {"lead": lead_department.pk, "co": [d.pk for d in co_departments]}

    return _transition(
        "dispatch",
        case,
        actor,
        now=now,
        change=change,
        note=note,
        notice=lambda c: (
            notify.department_staff(chosen),
            _("Case %(n)s was dispatched to your department.") % {"n": c.number},
        ),
    )


def _must_lead(c: Case, actor) -> None:
    if isinstance(actor, str) or not any(
        a.role == "department" and a.department_id == c.lead_department_id
        for a in assignments(actor)
    ):
        raise NotAllowed(_("Only the lead department can do this."))


def claim(case, actor, *, note: str = "", now: datetime | None = None) -> Case:
    def change(c: Case, now, roles):
        _must_lead(c, actor)
        c.claimed_at = now
        c.owner_user = actor
        return {}

    return _transition("claim", case, actor, now=now, change=change, note=note)


def return_case(case, actor, *, reason: str, now: datetime | None = None) -> Case:
    """退单: the department sends the dispatch back to the command centre."""
    _require(reason=reason)

    def change(c: Case, now, roles):
        _must_lead(c, actor)
        returned = c.lead_department_id
        c.case_departments.filter(role__in=["lead", "co"]).update(active=False)
        c.return_count += 1
        # The returning department's extension request goes with it.
        c.extension_pending_minutes = None
        c.lead_department = None
        c.owner_department = None
        c.owner_user = None
        c.dispatched_at = None
        c.claim_due_at = None
        c.claimed_at = None
        start_milestone(c, Milestone.DISPATCH, now, _policy(c).dispatch_minutes)
        return {"department": returned}

    return _transition(
        "return",
        case,
        actor,
        now=now,
        change=change,
        note=reason,
        notice=lambda c: (
            notify.dispatchers(c),
            _("Case %(n)s was returned: %(reason)s") % {"n": c.number, "reason": reason},
        ),
    )


def request_extension(
    case, actor, *, minutes: int, reason: str, now: datetime | None = None
) -> Case:
    _require(reason=reason, minutes=minutes)
    if not isinstance(minutes, int) or minutes <= 0:
        raise InvalidInput(
            _("The extension must be a positive number of minutes."), field="minutes"
        )

    def change(c: Case, now, roles):
        _must_lead(c, actor)
        if c.extension_pending_minutes:
            raise IllegalTransition(_("An extension request is already waiting for a decision."))
        c.extension_pending_minutes = minutes
        c.extension_reason = reason
        return {"minutes": minutes}

    return _transition(
        "request_extension",
        case,
        actor,
        now=now,
        change=change,
        note=reason,
        notice=lambda c: (
            notify.dispatchers(c),
            _("Case %(n)s: extension requested.") % {"n": c.number},
        ),
    )


def _decided(c: Case) -> int:
    if not c.extension_pending_minutes:
        raise IllegalTransition(_("No extension request is waiting."))
    minutes = c.extension_pending_minutes
    c.extension_pending_minutes = None
    return minutes


def approve_extension(case, actor, *, note: str = "", now: datetime | None = None) -> Case:
    def change(c: Case, now, roles):
        minutes = _decided(c)
        c.resolve_due_at = sla.due_after(c, c.resolve_due_at, minutes)
        c.extension_count += 1
        flags = dict(c.sla_flags)
        flags.pop(Milestone.RESOLVE, None)
        c.sla_flags = flags
        return {"minutes": minutes, "resolve_due_at": c.resolve_due_at}

    return _transition(
        "approve_extension",
        case,
        actor,
        now=now,
        change=change,
        note=note,
        notice=lambda c: (
            notify.department_staff([c.lead_department_id]),
            _("Case %(n)s: extension approved.") % {"n": c.number},
        ),
    )


def refuse_extension(case, actor, *, reason: str, now: datetime | None = None) -> Case:
    _require(reason=reason)

    def change(c: Case, now, roles):
        return {"minutes": _decided(c)}

    return _transition(
        "refuse_extension",
        case,
        actor,
        now=now,
        change=change,
        note=reason,
        notice=lambda c: (
            notify.department_staff([c.lead_department_id]),
            _("Case %(n)s: extension refused: %(reason)s") % {"n": c.number, "reason": reason},
        ),
    )


def resolve(
    case, actor, *, result: str, photos: Iterable = (), now: datetime | None = None
) -> Case:
    """The department reports its result (处置反馈); the grid verifies next."""

    def department_done(c: Case) -> None:
        _must_lead(c, actor)
        c.owner_department = None
        c.owner_user = None

    return _resolved("resolve", case, actor, result, photos, now, before=department_done)


# --- Pauses, urging and joint response ----------------------------------------


def suspend(case, actor, *, reason: str, resume_at: datetime, now: datetime | None = None) -> Case:
    """挂起: all clocks stop until `resume_at` (or an earlier resume)."""
    _require(reason=reason, resume_at=resume_at)
    current = now or clock.now()
    if resume_at <= current:
        raise InvalidInput(_("The resume time must be in the future."), field="resume_at")

    def change(c: Case, now, roles):
        c.state_before_suspension = c.state
        c.suspended_at = now
        c.resume_at = resume_at
        c.suspension_reason = reason
        return {"resume_at": resume_at}

    return _transition(
        "suspend",
        case,
        actor,
        now=current,
        change=change,
        note=reason,
        notice=lambda c: (notify.owners(c), _("Case %(n)s suspended.") % {"n": c.number}),
    )


def resume(case, actor, *, note: str = "", now: datetime | None = None) -> Case:
    """The clocks run again; every open due time moves by the length of the pause."""
    moved: dict = {}

    def change(c: Case, now, roles):
        schedule = sla.schedule_of(c)
        starts = dict(c.sla_starts)
        for milestone in Milestone:
            due = getattr(c, f"{milestone}_due_at")
            done = getattr(c, _DONE[milestone])
            if due is None or done is not None:
                continue
            setattr(
                c,
                f"{milestone}_due_at",
                worktime.shift(due, c.suspended_at, now, c.sla_clock, schedule),
            )
            if milestone in starts:
                started = datetime.fromisoformat(starts[milestone])
                starts[milestone] = worktime.shift(
                    started, c.suspended_at, now, c.sla_clock, schedule
                ).isoformat()
            moved[milestone] = getattr(c, f"{milestone}_due_at")
        c.sla_starts = starts
        c.paused_minutes += worktime.minutes_between(c.suspended_at, now, c.sla_clock, schedule)
        c.suspended_at = None
        c.resume_at = None
        return {"moved": {k: v.isoformat() for k, v in moved.items()}}

    return _transition(
        "resume",
        case,
        actor,
        now=now,
        change=change,
        note=note,
        target=lambda c: c.state_before_suspension or State.ACCEPTED,
        notice=lambda c: (notify.owners(c), _("Case %(n)s resumed.") % {"n": c.number}),
    )


_DONE = {
    Milestone.ACCEPT: "accepted_at",
    Milestone.ON_SCENE: "on_scene_at",
    Milestone.DISPATCH: "dispatched_at",
    Milestone.CLAIM: "claimed_at",
    Milestone.RESOLVE: "resolved_at",
    Milestone.CLOSE: "closed_at",
}


def urge(
    case, actor, *, note: str = "", milestone: str | None = None, now: datetime | None = None
) -> Case:
    """督办: press whoever holds the case. The worker urges with the overdue milestone."""

    def change(c: Case, now, roles):
        c.urge_count += 1
        if milestone:
            set_flag(c, milestone, "overdue")
        return {"milestone": milestone} if milestone else {}

    return _transition(
        "urge",
        case,
        actor,
        now=now,
        change=change,
        note=note,
        notice=lambda c: (
            notify.owners(c),
            _("Case %(n)s is urged: %(note)s") % {"n": c.number, "note": note},
        ),
    )


def summon(
    case,
    actor,
    *,
    departments: Iterable,
    note: str = "",
    checkin_minutes: int | None = None,
    now: datetime | None = None,
) -> Case:
    """吹哨报到: summon several departments; each must check in within the deadline."""
    departments = list(departments)
    _require(departments=departments)

    def change(c: Case, now, roles):
        chosen = [_department(d, c.town_id, "departments") for d in departments]
        minutes = checkin_minutes or _policy(c).checkin_minutes
        due = worktime.add_minutes(now, minutes, Clock.CALENDAR)
        for d in chosen:
            CaseDepartment.objects.update_or_create(
                case=c,
                department=d,
                role=CaseDepartment.Role.SUMMONED,
                defaults={
                    "active": True,
                    "added_at": now,
                    "checkin_due_at": due,
                    "checked_in_at": None,
                },
            )
        c.joint_response = True
        # A new summons is a new deadline: the worker watches it afresh.
        renewed = {f"checkin:{d.pk}" for d in chosen}
        c.sla_flags = {k: v for k, v in c.sla_flags.items() if k not in renewed}
        return {"departments": [d.pk for d in chosen], "checkin_due_at": due}

    return _transition(
        "summon",
        case,
        actor,
        now=now,
        change=change,
        note=note,
        notice=lambda c: (
            notify.department_staff(
                c.case_departments.filter(role="summoned", active=True).values_list(
                    "department_id", flat=True
                )
            ),
            _("Joint response: your department is summoned to case %(n)s.") % {"n": c.number},
        ),
    )


def check_in(
    case, actor, *, latitude: float, longitude: float, note: str = "", now: datetime | None = None
) -> Case:
    """On scene, with the phone's GPS: the first arrival meets the on-scene deadline;
    a summoned department's arrival is its check-in."""
    _require(position=None if latitude is None or longitude is None else (latitude, longitude))
    try:
        latitude, longitude = float(latitude), float(longitude)
    except (TypeError, ValueError):
        raise InvalidInput(_("The position is not a number."), field="position") from None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise InvalidInput(_("The position is outside the map."), field="position")

    def change(c: Case, now, roles):
        data = {"latitude": latitude, "longitude": longitude}
        on_scene_roles = {"grid_worker", "grid_leader", "grid_instructor", "police"}
        if roles & on_scene_roles and c.on_scene_at is None:
            c.on_scene_at = now
            data["on_scene"] = True
        if "department" in roles and not isinstance(actor, str):
            mine = [a.department_id for a in assignments(actor) if a.role == "department"]
            updated = c.case_departments.filter(
                department_id__in=list(mine), active=True, checked_in_at=None
            ).update(checked_in_at=now)
            data["departments_checked_in"] = updated
        return data

    return _transition("check_in", case, actor, now=now, change=change, note=note)


# --- Verification (核查), rating, and the exits -------------------------------


def verify(case, actor, *, note: str = "", now: datetime | None = None) -> Case:
    """Verified on site: the case closes at the level it reached."""

    def change(c: Case, now, roles):
        c.closed_at = now
        c.closed_level = c.level
        c.owner_user = None
        return {"closed_level": c.level}

    return _transition("verify", case, actor, now=now, change=change, note=note)


def rework(case, actor, *, reason: str, now: datetime | None = None) -> Case:
    """返工: verification failed; whoever resolved it works on it again."""
    _require(reason=reason)
    return _transition(
        "rework",
        case,
        actor,
        now=now,
        change=_rework_change,
        note=reason,
        target=_rework_target,
        notice=lambda c: (
            notify.owners(c),
            _("Case %(n)s needs rework: %(r)s") % {"n": c.number, "r": reason},
        ),
    )


def _rework_target(c: Case) -> str:
    return State.CLAIMED if c.lead_department_id else State.ACCEPTED


def _rework_change(c: Case, now, roles) -> dict:
    c.rework_count += 1
    c.resolved_at = None
    c.close_due_at = None
    if c.lead_department_id:
        c.owner_department_id = c.lead_department_id
    start_milestone(c, Milestone.RESOLVE, now, sla.resolve_minutes(c, _policy(c)))
    return {"resolve_due_at": c.resolve_due_at}


def rate(case, actor, *, rating: str, comment: str = "", now: datetime | None = None) -> Case:
    """回访: the reporter rates. On a resolved case, satisfied closes it and unsatisfied
    sends it back as rework; on a closed case the rating is recorded once."""
    _require(rating=rating)
    if rating not in Rating.values:
        raise InvalidInput(_("Unknown rating."), field="rating")
    unsatisfied = rating == Rating.UNSATISFIED

    def target(c: Case) -> str | None:
        if c.state != State.RESOLVED:
            return None
        return _rework_target(c) if unsatisfied else State.CLOSED

    def change(c: Case, now, roles):
        # One rating per closing: a rating that sent the case back as rework
        # does not stop the resident rating the second result.
        if c.state == State.CLOSED and c.rated_at and c.rated_at >= c.closed_at:
            raise IllegalTransition(_("This case has been rated already."))
        c.rating = rating
        c.rating_comment = comment
        c.rated_at = now
        if c.state == State.RESOLVED and rating != Rating.UNSATISFIED:
            c.closed_at = now
            c.closed_level = c.level
        elif c.state == State.RESOLVED:
            return {"rating": rating, **_rework_change(c, now, roles)}
        return {"rating": rating}

    return _transition(
        "rate",
        case,
        actor,
        now=now,
        change=change,
        note=comment,
        target=target,
        notice=lambda c: (
            notify.owners(c) if c.state != State.CLOSED else set(),
            _("Case %(n)s: the resident is not satisfied.") % {"n": c.number},
        ),
    )


def reject(case, actor, *, reason: str, now: datetime | None = None) -> Case:
    """不予受理, with the reason the reporter will see."""
    _require(reason=reason)

    def change(c: Case, now, roles):
        c.reject_reason = reason
        c.closed_at = now
        return {}

    return _transition("reject", case, actor, now=now, change=change, note=reason)


def merge(case, actor, *, original, note: str = "", now: datetime | None = None) -> Case:
    """A duplicate: it closes as merged, pointing at the original."""
    _require(original=original)

    def change(c: Case, now, roles):
        target = (
            original if isinstance(original, Case) else Case.objects.filter(pk=original).first()
        )
        if target is not None and not isinstance(actor, str):
            # The original must be a case the actor may see, like the duplicate itself.
            target = Case.objects.visible_to(actor).filter(pk=target.pk).first()
        if target is None or target.pk == c.pk or target.town_id != c.town_id:
            raise InvalidInput(_("Unknown original case."), field="original")
        if target.state == State.MERGED:
            raise InvalidInput(_("The original is itself a duplicate."), field="original")
        c.duplicate_of = target
        c.closed_at = now
        return {"original": target.pk}

    return _transition("merge", case, actor, now=now, change=change, note=note)


def cancel(case, actor, *, reason: str = "", now: datetime | None = None) -> Case:
    """The reporter withdraws the report before the grid has taken it."""

    def change(c: Case, now, roles):
        c.closed_at = now
        return {}

    return _transition("cancel", case, actor, now=now, change=change, note=reason)


def warn(case, *, milestone: str, now: datetime | None = None) -> Case:
    """The worker's yellow light: 80 % of a milestone's time is used."""

    def change(c: Case, now, roles):
        set_flag(c, milestone, "warned")
        return {"milestone": milestone}

    return _transition(
        "warn",
        case,
        SYSTEM,
        now=now,
        change=change,
        internal=True,
        notice=lambda c: (
            notify.owners(c),
            _("Case %(n)s: the %(m)s deadline is near.")
            % {"n": c.number, "m": Milestone(milestone).label},
        ),
    )


# --- Attachments ----------------------------------------------------------------


def _check_photos(photos: Iterable) -> None:
    from wangge.cases.attachments import check_upload

    for photo in photos:
        check_upload(photo)


def _attach(case: Case, actor, photos: list, event: CaseEvent) -> None:
    from wangge.cases.attachments import save_attachments

    if photos:
        save_attachments(
            case, photos, uploaded_by=None if isinstance(actor, str) else actor, event=event
        )


__all__ = [
    "INTEGRATION",
    "REPORTER",
    "SYSTEM",
    "accept",
    "approve_extension",
    "cancel",
    "check_in",
    "claim",
    "dispatch",
    "escalate",
    "merge",
    "rate",
    "refuse_extension",
    "reject",
    "request_extension",
    "resolve",
    "resolve_on_site",
    "resume",
    "return_case",
    "rework",
    "send_to_town",
    "summon",
    "suspend",
    "urge",
    "verify",
    "warn",
]
