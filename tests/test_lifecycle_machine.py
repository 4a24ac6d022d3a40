"""A random walk through the case lifecycle, checking after every step what must always hold.

Hypothesis drives one case at a time: each step moves the clock forward by zero
to three days and has someone (staff of every role, the worker, the reporter,
people with no business on the case) attempt an action, sometimes with input
missing or wrong. A refused attempt must leave everything as it was; an
accepted one must write exactly one event. After every step:

- the events are the accepted attempts, in order, each starting in the state
  the previous one left (a chain from `report`), at times that never go back;
- a terminal case stays terminal (only a closed case's one rating is taken);
- a closed case records the level it was settled at;
- every milestone the case owes in its state has a due time, and the due time
  is the policy's allowed minutes after its start, in the case's clock — also
  after suspensions moved both, and with approved extensions added to resolve;
- counters agree with the events, timestamps with the events that set them.

The machine runs inside one pytest-django test (one transaction, rolled back at
the end), so every run reports its own fresh case and relies on nothing else
in the database.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db.models import F
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from wangge.cases import lifecycle as lc
from wangge.cases import sla, worktime
from wangge.cases.choices import (
    LEVEL_ORDER,
    RUNNING_STATES,
    TERMINAL_STATES,
    Level,
    Milestone,
    Priority,
    Rating,
    State,
)
from wangge.cases.errors import CaseError, CaseNotFound, Conflict, InvalidInput, MissingInput
from wangge.cases.intake import report
from wangge.cases.models import Case, CaseDepartment, CaseEvent, Notice, SlaPolicy
from wangge.cases.rules import REPORTER, RULES, SYSTEM
from wangge.staff.models import Role, User
from wangge.staff.services import assign_role

SH = ZoneInfo("Asia/Shanghai")

# Where a case starts matters for the working clock: a Monday morning, just before
# the 中秋 and 国庆 holidays, a Saturday night.
STARTS = [
    datetime(2026, 11, 23, 9, 0, tzinfo=SH),
    datetime(2026, 9, 24, 16, 30, tzinfo=SH),
    datetime(2026, 9, 30, 11, 50, tzinfo=SH),
    datetime(2026, 11, 28, 22, 0, tzinfo=SH),
]
# Normal (working clock), urgent and police relevant, an emergency (calendar clock,
# on scene within 15 minutes), a service item (its promised time).
CATEGORIES = ["MS01", "ZA01", "TF02", "BM401"]

ACTIONS = sorted(set(RULES))
# How often each action is tried when the case is taken forward: the exits and
# the side roads less often than the way to a result.
WEIGHT = {a: 4 for a in ACTIONS} | {
    "dispatch": 8,
    "send_to_town": 6,
    **dict.fromkeys(["escalate", "resolve_on_site", "return", "refuse_extension", "rework"], 2),
    **dict.fromkeys(
        ["cancel", "reject", "merge", "suspend", "urge", "summon", "check_in", "warn"], 1
    ),
}
# Who normally takes each action (DESIGN §1); "lead" is the lead department's staff.
NATURAL = {
    "accept": ["grid_worker", "grid_leader", "dispatcher", "police"],
    "resolve_on_site": ["grid_worker", "grid_leader"],
    "escalate": ["grid_worker", SYSTEM],
    "send_to_town": ["grid_worker"],
    "dispatch": ["dispatcher"],
    "claim": ["lead"],
    "return": ["lead"],
    "request_extension": ["lead"],
    "resolve": ["lead"],
    "approve_extension": ["dispatcher"],
    "refuse_extension": ["dispatcher"],
    "suspend": ["dispatcher"],
    "resume": ["dispatcher", SYSTEM],
    "urge": ["dispatcher", "leader", SYSTEM],
    "summon": ["dispatcher"],
    "check_in": ["grid_worker", "police", "lead"],
    "verify": ["grid_worker", "dispatcher"],
    "rework": ["grid_worker", REPORTER],
    "rate": [REPORTER, "grid_worker"],
    "reject": ["grid_worker", "dispatcher"],
    "merge": ["grid_worker"],
    "cancel": [REPORTER],
    "warn": [SYSTEM],
}
# The milestones a case owes in each state (DESIGN §4); dispatch only at town or county.
OWED = {
    State.REPORTED: [Milestone.ACCEPT],
    State.ACCEPTED: [Milestone.RESOLVE],
    State.DISPATCHED: [Milestone.CLAIM, Milestone.RESOLVE],
    State.CLAIMED: [Milestone.RESOLVE],
    State.RESOLVED: [Milestone.CLOSE],
}
RESPONDING = {State.REPORTED, State.ACCEPTED, State.DISPATCHED, State.CLAIMED}
# The timestamp each action sets, checked against the time of its latest event.
STAMPS = {
    "accepted_at": {"accept"},
    "dispatched_at": {"dispatch"},
    "claimed_at": {"claim"},
    "resolved_at": {"resolve", "resolve_on_site"},
    "suspended_at": {"suspend"},
}


def cast(town):
    """Who may try their hand at the case: every role, and people with no business on it."""
    yjb = User.objects.create_user("staff_yjb", town=town.town)
    assign_role(yjb, Role.DEPARTMENT, department=town.yjb)
    return {
        "grid_worker": town.grid_worker,
        "grid_leader": town.grid_leader,
        "other_grid_worker": town.grid_worker_b1,
        "police": town.police,
        "dispatcher": town.dispatcher,
        "pcs": town.department,
        "yjb": yjb,
        "leader": town.leader,
        "admin": town.admin,
        "outsider": town.outsider,
        SYSTEM: SYSTEM,
        REPORTER: REPORTER,
    }


def snapshot(case_id: int) -> dict:
    return {
        "row": Case.objects.filter(pk=case_id).values().get(),
        "events": list(CaseEvent.objects.filter(case_id=case_id).values_list("id", flat=True)),
        "departments": list(CaseDepartment.objects.filter(case_id=case_id).order_by("id").values()),
        "notices": Notice.objects.filter(case_id=case_id).count(),
    }


class LifecycleMachine(RuleBasedStateMachine):
    def __init__(self, town, people):
        super().__init__()
        self.town, self.people = town, people
        self.policies = {p.priority: p for p in SlaPolicy.objects.filter(category=None)}
        self.case = None
        self.now = STARTS[0]

    # --- New cases --------------------------------------------------------------------

    @initialize(
        category=st.sampled_from(CATEGORIES),
        start=st.sampled_from(STARTS),
        reporter=st.sampled_from(["grid_worker", REPORTER]),
    )
    def report_a_case(self, category, start, reporter):
        self._report(category, start, reporter)

    @precondition(lambda self: self.case.state in TERMINAL_STATES)
    @rule(
        category=st.sampled_from(CATEGORIES),
        start=st.sampled_from(STARTS),
        reporter=st.sampled_from(["grid_worker", REPORTER]),
    )
    def report_the_next_case(self, category, start, reporter):
        """The case is over: the walk goes on with another one."""
        self._report(category, max(start, self.now), reporter)

    def _report(self, category, start, reporter):
        self.now = start
        self.case = report(
            actor=self.people[reporter],
            category=category,
            title="村里的一件事",
            channel="patrol" if reporter != REPORTER else "web",
            longitude=112.003,
            latitude=34.105,
            now=self.now,
        )
        self.original = None  # a second case to merge into, reported when first needed
        self.log = [("report", "", State.REPORTED)]
        # Extension minutes approved since the resolve milestone last started.
        self.extended = 0
        self.pending = None  # the extension minutes waiting for a decision
        self.rated_since_close = False
        self.copy = None  # the case as a page loaded it, maybe long ago

    # --- One attempt per step ------------------------------------------------------------

    @precondition(lambda self: self.case.state not in TERMINAL_STATES)
    @rule(data=st.data(), seconds=st.integers(0, 3 * 24 * 3600), by_id=st.booleans())
    def take_the_case_forward(self, data, seconds, by_id):
        """Whoever normally does it takes an action the case's state and level allow."""
        action, name = self._forward(data)
        self._try(action, name, self._inputs(data, action), by_id, seconds)

    @rule()
    def someone_opens_the_case(self):
        """A page loads the case; someone may act on that copy much later."""
        self.copy = Case.objects.get(pk=self.case.pk)

    @precondition(
        lambda self: (
            self.case.state not in TERMINAL_STATES
            and self.copy is not None
            and self.copy.version != self.case.version
        )
    )
    @rule(data=st.data(), seconds=st.integers(0, 3 * 24 * 3600))
    def someone_acts_on_an_old_copy(self, data, seconds):
        """The case changed since that page was loaded: acting on it is refused."""
        action, name = self._forward(data)
        self._try(action, name, self._inputs(data, action), False, seconds, stale=self.copy)

    def _forward(self, data):
        case = self.case
        ways = [
            a
            for a in ACTIONS
            if case.state in RULES[a].sources and case.level in RULES[a].levels
            for _ in range(WEIGHT[a])
        ]
        action = data.draw(st.sampled_from(ways), label="action")
        name = data.draw(st.sampled_from(NATURAL[action]), label="actor")
        if name == "lead":
            name = "yjb" if case.lead_department_id == self.town.yjb.pk else "pcs"
        return action, name

    @rule(data=st.data(), seconds=st.integers(0, 3 * 24 * 3600), by_id=st.booleans())
    def anyone_tries_anything(self, data, seconds, by_id):
        """Anyone (in scope or not, the worker, the reporter) tries any action."""
        action = data.draw(st.sampled_from(ACTIONS), label="action")
        name = data.draw(st.sampled_from(sorted(self.people)), label="actor")
        self._try(action, name, self._inputs(data, action), by_id, seconds)

    def _inputs(self, data, action):
        """Good input, or (one time in eight) one required value left out or wrong."""
        spoil = data.draw(st.integers(0, 7), label="spoil") == 7
        text = "" if spoil else "说明"
        departments = {"pcs": self.town.pcs, "yjb": self.town.yjb}
        if action in ("resolve_on_site", "resolve"):
            return {"result": text}
        if action in ("escalate", "send_to_town", "return", "refuse_extension", "rework", "reject"):
            return {"reason": text}
        if action == "dispatch":
            lead = data.draw(st.sampled_from(["pcs", "yjb"]), label="lead")
            co = data.draw(st.sampled_from([[], ["pcs"], ["yjb"]]), label="co")
            return {
                "lead": None if spoil else departments[lead],
                "co": [departments[d] for d in co],
            }
        if action == "request_extension":
            minutes = data.draw(st.sampled_from([60, 420, 1260]), label="minutes")
            return {"minutes": 0 if spoil else minutes, "reason": "需等待鉴定"}
        if action == "suspend":
            hours = data.draw(st.integers(1, 72), label="hours")
            return {
                "reason": "等待当事人",
                "resume_at": self.now + timedelta(hours=-hours if spoil else hours),
            }
        if action == "summon":
            chosen = data.draw(
                st.sampled_from([["pcs"], ["yjb"], ["pcs", "yjb"]]), label="summoned"
            )
            return {"departments": [] if spoil else [departments[d] for d in chosen]}
        if action == "check_in":
            return {"latitude": None if spoil else 34.105, "longitude": 112.003}
        if action == "rate":
            return {
                "rating": "" if spoil else data.draw(st.sampled_from(Rating.values), label="rating")
            }
        if action == "merge":
            if spoil:
                return {"original": self.case.pk}
            if self.original is None:
                self.original = report(
                    actor=REPORTER,
                    category=self.case.category,
                    title="同一件事",
                    channel="hotline",
                    longitude=112.004,
                    latitude=34.104,
                    now=self.now,
                )
            return {"original": self.original}
        if action == "warn":
            return {"milestone": data.draw(st.sampled_from(Milestone.values), label="milestone")}
        if action == "urge":
            checkins = [f"checkin:{d.pk}" for d in departments.values()]
            milestone = data.draw(
                st.sampled_from([None, *Milestone.values, *checkins]), label="milestone"
            )
            return {"note": "请抓紧", "milestone": milestone}
        return {}

    def _try(self, action, name, kwargs, by_id, seconds, stale=None):
        self.now += timedelta(seconds=seconds)
        case = self.case
        before = snapshot(case.pk)
        from_state, was_terminal = case.state, case.state in TERMINAL_STATES
        function = {"return": lc.return_case}.get(action) or getattr(lc, action)
        target = stale or (case.pk if by_id else case)
        held = target.version if isinstance(target, Case) else None
        actor = () if action == "warn" else (self.people[name],)
        try:
            function(target, *actor, now=self.now, **kwargs)
        except CaseError as error:
            assert snapshot(case.pk) == before, f"refused {action} by {name} changed the case"
            if held is not None:
                assert target.version == held, "a refusal changed the caller's copy"
            if stale is not None:
                assert isinstance(error, Conflict | CaseNotFound | MissingInput | InvalidInput)
            return
        assert stale is None, f"{action} on an old copy overwrote the case"
        self.case = Case.objects.get(pk=case.pk)
        new = self.case
        events = list(CaseEvent.objects.filter(case=new).order_by("id"))
        assert len(events) == len(before["events"]) + 1, f"{action}: one event per transition"
        event = events[-1]
        assert (event.action, event.from_state, event.to_state) == (action, from_state, new.state)
        assert event.at == self.now and new.version == before["row"]["version"] + 1
        if was_terminal:
            # Nothing moves a terminal case; a closed case takes one rating.
            assert (action, from_state) == ("rate", State.CLOSED), f"{action} on {from_state}"
            assert not self.rated_since_close
            assert new.state == from_state
        self.log.append((action, from_state, new.state))
        self._follow(action, from_state, new, event)

    def _follow(self, action, from_state, case, event):
        """Keep the model's own account of extensions and ratings."""
        restarted_resolve = (
            action in ("accept", "rework")
            or (action == "escalate" and from_state == State.ACCEPTED)
            or (action == "rate" and from_state == State.RESOLVED and case.state != State.CLOSED)
        )
        if restarted_resolve:
            self.extended = 0
        if action == "request_extension":
            self.pending = event.data["minutes"]
        elif action in ("approve_extension", "refuse_extension"):
            assert event.data["minutes"] == self.pending
            if action == "approve_extension":
                self.extended += self.pending
            self.pending = None
        elif action in ("return", "resolve"):
            # The request was the returning/resolving department's; it lapses.
            self.pending = None
        if case.state == State.CLOSED and from_state != State.CLOSED:
            self.rated_since_close = action == "rate"  # closed by a rating, or verified
        elif action == "rate" and from_state == State.CLOSED:
            self.rated_since_close = True

    # --- What always holds -------------------------------------------------------------------

    @invariant()
    def holds(self):
        if self.case is None:
            return
        case = Case.objects.select_related("category").get(pk=self.case.pk)
        events = list(CaseEvent.objects.filter(case=case).order_by("id"))
        self.events_are_the_transitions_in_order(case, events)
        self.terminal_stays_terminal_and_closed_records_its_level(case, events)
        self.timestamps_follow_the_events(case, events)
        self.counters_match_the_events(case, events)
        self.pauses_and_extensions_are_accounted(case, events)
        self.due_times_follow_the_policy(case)
        self.the_worker_looks_before_each_deadline(case, events)
        self.levels_only_climb(case, events)
        self.the_lead_department_holds_a_dispatched_case(case)
        # Nobody is told about what they did themselves.
        assert not Notice.objects.filter(case=case, event__actor_id=F("recipient_id")).exists()

    def events_are_the_transitions_in_order(self, case, events):
        assert [(e.action, e.from_state, e.to_state) for e in events] == self.log
        for previous, event in zip(events, events[1:], strict=False):
            assert event.from_state == previous.to_state, f"{event.action} does not chain"
            assert event.at >= previous.at, f"{event.action} goes back in time"
        assert events[-1].to_state == case.state
        assert case.version == len(events)
        assert events[0].at == case.reported_at

    def terminal_stays_terminal_and_closed_records_its_level(self, case, events):
        if case.state in TERMINAL_STATES:
            assert case.next_check_at is None
            closing = next(e for e in events if e.to_state in TERMINAL_STATES)
            assert closing.to_state == case.state and case.closed_at == closing.at
        else:
            assert case.closed_at is None
        if case.state == State.CLOSED:
            assert case.closed_level == case.level and case.closed_level in Level.values
        else:
            assert case.closed_level == ""
        if case.state == State.MERGED:
            assert case.duplicate_of_id == self.original.pk

    def timestamps_follow_the_events(self, case, events):
        for stamp, actions in STAMPS.items():
            value = getattr(case, stamp)
            if value is None:
                continue
            setters = [e for e in events if e.action in actions]
            assert setters, f"{stamp} set with no event"
            assert value == setters[-1].at, stamp
            assert case.reported_at <= value <= self.now
        if case.accepted_at is not None:
            for later in ("dispatched_at", "claimed_at", "resolved_at", "closed_at"):
                value = getattr(case, later)
                assert value is None or value >= case.accepted_at, later
        if case.claimed_at and case.dispatched_at:
            assert case.claimed_at >= case.dispatched_at
        if case.rated_at:
            assert case.rated_at == [e for e in events if e.action == "rate"][-1].at

    def counters_match_the_events(self, case, events):
        def count(action):
            return sum(e.action == action for e in events)

        unsatisfied = sum(
            e.action == "rate" and e.from_state == State.RESOLVED and e.to_state != State.CLOSED
            for e in events
        )
        assert case.rework_count == count("rework") + unsatisfied
        assert case.urge_count == count("urge")
        assert case.return_count == count("return")
        assert case.escalation_count == count("escalate")
        assert case.extension_count == count("approve_extension")

    def pauses_and_extensions_are_accounted(self, case, events):
        if case.state == State.SUSPENDED:
            assert case.state_before_suspension in RUNNING_STATES
            assert case.suspended_at < case.resume_at and case.next_check_at == case.resume_at
        else:
            assert case.suspended_at is None and case.resume_at is None
        # Paused minutes are the pauses that ended, measured on the case's clock.
        clock, schedule = case.sla_clock, sla.schedule_of(case)
        paused, since = 0.0, None
        for e in events:
            if e.action == "suspend":
                since = e.at
            elif e.action == "resume":
                paused += worktime.minutes_between(since, e.at, clock, schedule)
        assert case.paused_minutes == pytest.approx(paused, abs=1e-6)
        # An extension request waits only while its department holds the case.
        assert case.extension_pending_minutes == self.pending
        if case.extension_pending_minutes:
            working = case.state_before_suspension if case.state == State.SUSPENDED else case.state
            assert working == State.CLAIMED

    def the_worker_looks_before_each_deadline(self, case, events):
        """Overdue comes from stored due times; the worker's next look is never after one
        it has not handled yet."""
        if case.state in TERMINAL_STATES:
            assert case.next_check_at is None
            return
        if case.state == State.SUSPENDED:
            assert case.next_check_at == case.resume_at
            return
        for milestone in sla.open_milestones(case):
            if case.sla_flags.get(milestone.milestone) != "overdue":
                assert case.next_check_at is not None
                assert case.next_check_at <= milestone.due_at, milestone.milestone
        # 吹哨报到: each summons is watched until its department checks in; a department
        # marked late was marked so during its present summons, not an earlier one.
        summoned = case.case_departments.filter(role="summoned", active=True)
        for link in summoned.filter(checked_in_at=None):
            key = f"checkin:{link.department_id}"
            if key not in case.sla_flags:
                assert case.next_check_at is not None and case.next_check_at <= link.checkin_due_at
            else:
                marked = [e.at for e in events if e.data.get("milestone") == key]
                assert marked and marked[-1] >= link.added_at, f"{key} is left from an old summons"

    def levels_only_climb(self, case, events):
        order = [LEVEL_ORDER.index(e.level) for e in events]
        assert order == sorted(order), "a case came down a level"
        assert events[-1].level == case.level

    def the_lead_department_holds_a_dispatched_case(self, case):
        state = case.state_before_suspension if case.state == State.SUSPENDED else case.state
        leads = list(
            case.case_departments.filter(role="lead", active=True).values_list(
                "department_id", flat=True
            )
        )
        if state in (State.DISPATCHED, State.CLAIMED):
            assert leads == [case.lead_department_id] and case.lead_department_id is not None
            assert case.owner_department_id == case.lead_department_id
            assert (case.claimed_at is not None) == (state == State.CLAIMED)
        elif state in (State.REPORTED, State.ACCEPTED):
            assert leads == [] and case.lead_department_id is None

    def due_times_follow_the_policy(self, case):
        if case.state in TERMINAL_STATES:
            return
        state = case.state_before_suspension if case.state == State.SUSPENDED else case.state
        policy = self.policies[case.priority]
        allowed = {
            Milestone.ACCEPT: policy.accept_minutes,
            Milestone.DISPATCH: policy.dispatch_minutes,
            Milestone.CLAIM: policy.claim_minutes,
            Milestone.RESOLVE: (
                case.category.promised_minutes
                if case.priority == Priority.SERVICE
                else policy.resolve_minutes
            )
            + self.extended,
            Milestone.CLOSE: policy.close_minutes,
        }
        owed = list(OWED[state])
        if state == State.ACCEPTED and case.level in (Level.TOWN, Level.COUNTY):
            owed.append(Milestone.DISPATCH)
        schedule = sla.schedule_of(case)
        for milestone in owed:
            due = getattr(case, f"{milestone}_due_at")
            assert due is not None, f"a {state} case at {case.level} owes {milestone} by no time"
            start = datetime.fromisoformat(case.sla_starts[milestone])
            assert case.reported_at <= start <= due
            used = worktime.minutes_between(start, due, case.sla_clock, schedule)
            assert used == pytest.approx(allowed[milestone], abs=1e-6), milestone
        if case.priority == Priority.EMERGENCY and state in RESPONDING and not case.on_scene_at:
            start = datetime.fromisoformat(case.sla_starts[Milestone.ON_SCENE])
            assert case.on_scene_due_at - start == timedelta(minutes=policy.on_scene_minutes)
        if case.state != State.SUSPENDED:
            assert {m.milestone for m in sla.open_milestones(case)} >= set(owed)


def test_the_lifecycle_holds_its_invariants_on_any_walk(town, catalogue):
    people = cast(town)
    run_state_machine_as_test(
        lambda: LifecycleMachine(town, people),
        settings=settings(
            max_examples=50,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
