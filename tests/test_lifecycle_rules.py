"""Who may do what to a case, from which state — and what a refusal leaves behind: nothing.

The tables below are the design (DESIGN §1 and §3) written out by hand, not read
from `rules.RULES`: a change to the rule table that the design does not say
fails here. Every refusal is checked to leave the case row, its events, its
departments and its notices exactly as they were, and the caller's instance too.

All cases are in grid A1's east micro-grid (where the grid helper works) and of
category ZA03 (治安隐患, police relevant, normal priority), reported by a resident
through the web form — so no member of staff is also the case's reporter.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

import pytest

from wangge.cases import lifecycle as lc
from wangge.cases.choices import RUNNING_STATES, TERMINAL_STATES, Level, State
from wangge.cases.errors import (
    CaseError,
    CaseNotFound,
    Conflict,
    IllegalTransition,
    InvalidInput,
    MissingInput,
    NotAllowed,
)
from wangge.cases.models import Attachment, Case, CaseDepartment, CaseEvent, Notice
from wangge.cases.rules import REPORTER, RULES, SYSTEM
from wangge.staff.models import Department, Role, User
from wangge.staff.services import assign_role

SH = ZoneInfo("Asia/Shanghai")
MON_9 = datetime(2026, 11, 23, 9, 0, tzinfo=SH)
EAST_A1 = {"lon": 112.007, "lat": 34.105}  # grid A1, micro-grid 杨村一格东片


# --- The people ---------------------------------------------------------------


def staff(username, home, role, **scope):
    user = User.objects.create_user(username, town=home)
    assign_role(user, role, **scope)
    return user


@pytest.fixture
def people(town):
    """Everyone who might act on a case, by the names the tables below use."""
    return {
        "grid_worker": town.grid_worker,
        "grid_leader": town.grid_leader,
        "instructor": staff("instructor_a1", town.town, Role.GRID_INSTRUCTOR, grid=town.a1),
        "helper": town.grid_helper,
        "police": town.police,
        "dispatcher": town.dispatcher,
        "department": town.department,  # 派出所 staff: the lead department once dispatched
        "leader": town.leader,
        "county_leader": town.county_leader,
        "admin": town.admin,
        "superuser": User.objects.create_superuser("root", password="pw-root-1234"),
        # Out of scope, whatever the case's state.
        "other_grid_worker": town.grid_worker_b1,
        "other_instructor": town.instructor,  # instructs grid A2
        "other_department": staff("staff_yjb", town.town, Role.DEPARTMENT, department=town.yjb),
        "other_town_dispatcher": staff(
            "dispatcher_dz", town.other_town, Role.DISPATCHER, town=town.other_town
        ),
        "outsider": town.outsider,
        # Actors without an account.
        SYSTEM: SYSTEM,
        REPORTER: REPORTER,
    }


OUT_OF_SCOPE = {
    "other_grid_worker",
    "other_instructor",
    "other_department",
    "other_town_dispatcher",
    "outsider",
}
GRID = {"grid_worker", "grid_leader", "instructor", "superuser"}
TOWN = {"dispatcher", "superuser"}

# Who may take each action on a case in its scope (DESIGN §1, §3).
ALLOWED = {
    "accept": GRID | TOWN | {"police"},
    "resolve_on_site": GRID,
    "escalate": GRID | {SYSTEM},
    "send_to_town": GRID,
    "dispatch": TOWN,
    "claim": {"department"},
    "return": {"department"},
    "request_extension": {"department"},
    "approve_extension": TOWN,
    "refuse_extension": TOWN,
    "suspend": TOWN,
    "resume": TOWN | {SYSTEM},
    "urge": TOWN | {"leader", "county_leader", SYSTEM},
    "summon": TOWN,
    "check_in": GRID | {"police", "department"},
    "resolve": {"department"},
    "verify": GRID | TOWN,
    "rework": GRID | TOWN | {REPORTER},
    "rate": {"grid_worker", "dispatcher", "superuser", REPORTER},
    "reject": GRID | TOWN,
    "merge": GRID | TOWN,
    "cancel": {REPORTER},
}

# From which states each action may start (DESIGN §3).
WORKING = {State.ACCEPTED, State.DISPATCHED, State.CLAIMED}
SOURCES = {
    "accept": {State.REPORTED},
    "resolve_on_site": {State.ACCEPTED},
    "escalate": {State.REPORTED, State.ACCEPTED},
    "send_to_town": {State.ACCEPTED},
    "dispatch": {State.ACCEPTED},
    "claim": {State.DISPATCHED},
    "return": {State.DISPATCHED, State.CLAIMED},
    "request_extension": {State.CLAIMED},
    "approve_extension": {State.CLAIMED},
    "refuse_extension": {State.CLAIMED},
    "suspend": set(RUNNING_STATES),
    "resume": {State.SUSPENDED},
    "urge": set(RUNNING_STATES),
    "summon": {State.REPORTED} | WORKING,
    "check_in": {State.REPORTED} | WORKING,
    "resolve": {State.CLAIMED},
    "verify": {State.RESOLVED},
    "rework": {State.RESOLVED},
    "rate": {State.RESOLVED, State.CLOSED},
    "reject": {State.REPORTED, State.ACCEPTED},
    "merge": {State.REPORTED, State.ACCEPTED},
    "cancel": {State.REPORTED},
}


# --- Cases in every state -------------------------------------------------------


class Story:
    """Drives fresh cases through the lifecycle, on a clock that only moves forward."""

    def __init__(self, town, people, make_case):
        self.town, self.people, self.make_case = town, people, make_case
        self.now = MON_9
        self.category = "ZA03"

    def tick(self, minutes=10):
        self.now += timedelta(minutes=minutes)
        return self.now

    def report(self, **kwargs):
        kwargs = {
            "actor": REPORTER,
            "channel": "web",
            "title": "村口有人聚集赌博",
            **EAST_A1,
            **kwargs,
        }
        return self.make_case(self.category, now=self.tick(), **kwargs)

    @cached_property
    def original(self):
        """An earlier report of the same matter, to merge duplicates into."""
        return self.report()

    def to(self, scenario: str) -> Case:
        """A fresh case in the named scenario (see SCENARIOS)."""
        return SCENARIOS[scenario](self)

    # Each step takes the case one transition further, as the people who normally do it.
    def accepted(self):
        return lc.accept(self.report(), self.people["grid_worker"], now=self.tick())

    def at_town(self):
        return lc.send_to_town(
            self.accepted(), self.people["grid_worker"], reason="需镇里派单", now=self.tick()
        )

    def dispatched(self):
        return lc.dispatch(
            self.at_town(), self.people["dispatcher"], lead=self.town.pcs, now=self.tick()
        )

    def claimed(self):
        return lc.claim(self.dispatched(), self.people["department"], now=self.tick())

    def extension_requested(self):
        return lc.request_extension(
            self.claimed(),
            self.people["department"],
            minutes=420,
            reason="需等待鉴定",
            now=self.tick(),
        )

    def resolved(self):
        return lc.resolve(
            self.claimed(), self.people["department"], result="已处置", now=self.tick()
        )

    def closed(self):
        return lc.verify(self.resolved(), self.people["grid_worker"], now=self.tick())

    def suspended(self):
        return lc.suspend(
            self.accepted(),
            self.people["dispatcher"],
            reason="等待当事人返乡",
            resume_at=self.now + timedelta(days=3),
            now=self.tick(),
        )

    def at_county(self):
        case = self.at_town()
        return lc.escalate(case, SYSTEM, reason="逾期", now=self.tick())


SCENARIOS: dict[str, Callable[[Story], Case]] = {
    "reported": Story.report,
    "accepted": Story.accepted,
    "accepted at town": Story.at_town,
    "accepted at county": Story.at_county,
    "dispatched": Story.dispatched,
    "claimed": Story.claimed,
    "extension requested": Story.extension_requested,
    "resolved": Story.resolved,
    "resolved on site": lambda s: lc.resolve_on_site(
        s.accepted(), s.people["grid_worker"], result="当场劝散", now=s.tick()
    ),
    "closed": Story.closed,
    "suspended": Story.suspended,
    "rejected": lambda s: lc.reject(
        s.report(), s.people["grid_worker"], reason="不属于受理范围", now=s.tick()
    ),
    "merged": lambda s: lc.merge(
        s.report(), s.people["grid_worker"], original=s.original, now=s.tick()
    ),
    "cancelled": lambda s: lc.cancel(s.report(), REPORTER, now=s.tick()),
}
# Scenarios in which 派出所 is on the case (dispatched to it), so its staff see it.
DEPARTMENT_SEES = {"dispatched", "claimed", "extension requested", "resolved", "closed"}


@pytest.fixture
def story(town, people, make_case):
    return Story(town, people, make_case)


# --- Each action, called with good input ------------------------------------------


@dataclass(frozen=True)
class Action:
    scenario: str  # where the action may be taken
    then: str  # the state it leads to
    call: Callable  # (story, case, actor) -> Case


ACTIONS = {
    "accept": Action("reported", State.ACCEPTED, lambda s, c, a: lc.accept(c, a, now=s.tick())),
    "resolve_on_site": Action(
        "accepted",
        State.RESOLVED,
        lambda s, c, a: lc.resolve_on_site(c, a, result="当场劝散", now=s.tick()),
    ),
    "escalate": Action(
        "reported",
        State.REPORTED,
        lambda s, c, a: lc.escalate(c, a, reason="网格处理不了", now=s.tick()),
    ),
    "send_to_town": Action(
        "accepted",
        State.ACCEPTED,
        lambda s, c, a: lc.send_to_town(c, a, reason="需镇里派单", now=s.tick()),
    ),
    "dispatch": Action(
        "accepted at town",
        State.DISPATCHED,
        lambda s, c, a: lc.dispatch(c, a, lead=s.town.pcs, now=s.tick()),
    ),
    "claim": Action("dispatched", State.CLAIMED, lambda s, c, a: lc.claim(c, a, now=s.tick())),
    "return": Action(
        "dispatched",
        State.ACCEPTED,
        lambda s, c, a: lc.return_case(c, a, reason="不属于本部门职责", now=s.tick()),
    ),
    "request_extension": Action(
        "claimed",
        State.CLAIMED,
        lambda s, c, a: lc.request_extension(c, a, minutes=420, reason="需等待鉴定", now=s.tick()),
    ),
    "approve_extension": Action(
        "extension requested",
        State.CLAIMED,
        lambda s, c, a: lc.approve_extension(c, a, now=s.tick()),
    ),
    "refuse_extension": Action(
        "extension requested",
        State.CLAIMED,
        lambda s, c, a: lc.refuse_extension(c, a, reason="期限内可以完成", now=s.tick()),
    ),
    "suspend": Action(
        "accepted",
        State.SUSPENDED,
        lambda s, c, a: lc.suspend(
            c, a, reason="等待当事人返乡", resume_at=s.now + timedelta(days=2), now=s.tick()
        ),
    ),
    "resume": Action("suspended", State.ACCEPTED, lambda s, c, a: lc.resume(c, a, now=s.tick())),
    "urge": Action(
        "accepted", State.ACCEPTED, lambda s, c, a: lc.urge(c, a, note="尽快", now=s.tick())
    ),
    "summon": Action(
        "accepted",
        State.ACCEPTED,
        lambda s, c, a: lc.summon(c, a, departments=[s.town.yjb], now=s.tick()),
    ),
    "check_in": Action(
        "dispatched",
        State.DISPATCHED,
        lambda s, c, a: lc.check_in(c, a, latitude=34.105, longitude=112.007, now=s.tick()),
    ),
    "resolve": Action(
        "claimed", State.RESOLVED, lambda s, c, a: lc.resolve(c, a, result="已处置", now=s.tick())
    ),
    "verify": Action("resolved", State.CLOSED, lambda s, c, a: lc.verify(c, a, now=s.tick())),
    "rework": Action(
        "resolved",
        State.CLAIMED,
        lambda s, c, a: lc.rework(c, a, reason="现场仍有问题", now=s.tick()),
    ),
    "rate": Action(
        "resolved",
        State.CLOSED,
        lambda s, c, a: lc.rate(c, a, rating="satisfied", comment="很及时", now=s.tick()),
    ),
    "reject": Action(
        "reported",
        State.REJECTED,
        lambda s, c, a: lc.reject(c, a, reason="不属于受理范围", now=s.tick()),
    ),
    "merge": Action(
        "reported", State.MERGED, lambda s, c, a: lc.merge(c, a, original=s.original, now=s.tick())
    ),
    "cancel": Action("reported", State.CANCELLED, lambda s, c, a: lc.cancel(c, a, now=s.tick())),
}


# --- Refusals change nothing --------------------------------------------------------


def snapshot(case: Case) -> dict:
    """Everything a transition may write, read back from the database, and the instance."""
    return {
        "row": Case.objects.filter(pk=case.pk).values().get(),
        "events": list(CaseEvent.objects.filter(case_id=case.pk).values_list("id", flat=True)),
        "departments": list(CaseDepartment.objects.filter(case_id=case.pk).order_by("id").values()),
        "notices": Notice.objects.filter(case_id=case.pk).count(),
        "attachments": Attachment.objects.filter(case_id=case.pk).count(),
        "instance": {f.attname: getattr(case, f.attname) for f in Case._meta.concrete_fields},
    }


def assert_refused(case, error, call, *, field=None, who=""):
    """`call()` raises exactly `error` (with a message) and the case is untouched."""
    before = snapshot(case)
    try:
        call()
    except CaseError as raised:
        got = raised
    else:
        pytest.fail(f"{who}: allowed, but {error.__name__} was expected")
    assert type(got) is error, f"{who}: {error.__name__} expected, got {type(got).__name__}: {got}"
    assert str(got.message), f"{who}: a refusal says why"
    if field:
        assert got.field == field
    assert snapshot(case) == before, f"{who}: the refusal changed the case"
    return got


def refusal(name: str, scenario: str):
    """What someone not allowed to take the action meets."""
    if name in OUT_OF_SCOPE or (name == "department" and scenario not in DEPARTMENT_SEES):
        return CaseNotFound  # pages answer 404: the case is not theirs to know of
    return NotAllowed


# --- The matrix ------------------------------------------------------------------------


def test_the_rule_table_is_the_designs():
    """The hand-written tables here and `rules.RULES` say the same (and cover every action)."""
    assert set(RULES) == set(ALLOWED) | {"warn"}
    for action, rule in RULES.items():
        if action != "warn":
            assert set(rule.sources) == SOURCES[action], action


@pytest.mark.parametrize("action", list(ACTIONS))
def test_who_may_take_each_action(action, story, people):
    spec = ACTIONS[action]
    # A refusal leaves the case as it was, so one case serves every refused actor.
    case = story.to(spec.scenario)
    for name, actor in people.items():
        if name not in ALLOWED[action]:
            assert_refused(
                case,
                refusal(name, spec.scenario),
                lambda actor=actor: spec.call(story, case, actor),
                who=f"{name} {action}",
            )

    for name in sorted(ALLOWED[action]):
        case = story.to(spec.scenario)
        before_state, before_version = case.state, case.version
        events = case.events.count()
        actor = people[name]
        updated = spec.call(story, case, actor)
        assert updated.state == spec.then, name
        assert updated.version == before_version + 1, name
        assert case.version == updated.version, f"{name}: the caller's instance is refreshed"
        assert case.events.count() == events + 1, name
        event = case.events.order_by("id").last()
        assert (event.action, event.from_state, event.to_state) == (
            action,
            before_state,
            spec.then,
        ), name
        assert event.at == story.now and event.level == updated.level
        if isinstance(actor, str):
            assert event.actor is None and event.actor_label == actor
        else:
            assert event.actor == actor and event.actor_label == ""


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_actions_from_the_wrong_state_are_illegal(scenario, story, people):
    """Every action whose source states exclude the case's state is refused, and changes nothing."""
    case = story.to(scenario)
    for action, spec in ACTIONS.items():
        if case.state in SOURCES[action]:
            continue
        name = next(
            n for n in ("dispatcher", "grid_worker", REPORTER, "department") if n in ALLOWED[action]
        )
        expected = IllegalTransition
        if name == "department" and scenario not in DEPARTMENT_SEES:
            expected = CaseNotFound  # the scope is checked first: not theirs to know of
        assert_refused(
            case,
            expected,
            lambda spec=spec, name=name: spec.call(story, case, people[name]),
            who=f"{name} {action} on a {scenario} case",
        )


@pytest.mark.parametrize("scenario", ["closed", "rejected", "merged", "cancelled"])
def test_terminal_states_stay_terminal(scenario, story, people):
    case = story.to(scenario)
    assert case.state in TERMINAL_STATES
    for action, spec in ACTIONS.items():
        if action == "rate" and case.state == State.CLOSED:
            continue  # a closed case is rated once: see the next test
        for name in ALLOWED[action] & {"grid_worker", "dispatcher", "superuser", SYSTEM, REPORTER}:
            assert_refused(
                case,
                IllegalTransition,
                lambda spec=spec, name=name: spec.call(story, case, people[name]),
                who=f"{name} {action} on a {scenario} case",
            )


def test_a_closed_case_is_rated_once_and_stays_closed(story, people):
    case = story.to("closed")
    lc.rate(case, REPORTER, rating="basic", comment="还行", now=story.tick())
    assert case.state == State.CLOSED and case.rating == "basic"
    assert_refused(
        case,
        IllegalTransition,
        lambda: lc.rate(case, REPORTER, rating="satisfied", now=story.tick()),
    )


def test_rated_satisfied_closes_at_its_level(story):
    case = story.to("resolved on site")
    lc.rate(case, REPORTER, rating="satisfied", now=story.tick())
    assert case.state == State.CLOSED and case.closed_level == Level.GROUP
    assert_refused(
        case, IllegalTransition, lambda: lc.rate(case, REPORTER, rating="basic", now=story.tick())
    )


def test_rated_unsatisfied_goes_back_as_rework(story):
    case = story.to("resolved")
    lc.rate(case, REPORTER, rating="unsatisfied", comment="没修好", now=story.tick())
    assert case.state == State.CLAIMED and case.rework_count == 1 and case.closed_level == ""
    assert case.owner_department == story.town.pcs
    assert case.resolve_due_at > story.now and case.close_due_at is None


# --- Levels -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "scenario, action, name",
    [
        ("accepted at town", "resolve_on_site", "grid_worker"),  # 难事 is not settled on site
        ("accepted at town", "send_to_town", "grid_worker"),  # it is there already
        ("accepted", "dispatch", "dispatcher"),  # the grid has not sent it to the town
        ("accepted at county", "escalate", "grid_worker"),  # nothing above the county
        ("accepted at county", "escalate", SYSTEM),
    ],
)
def test_actions_at_the_wrong_level_are_illegal(scenario, action, name, story, people):
    case = story.to(scenario)
    assert_refused(
        case,
        IllegalTransition,
        lambda: ACTIONS[action].call(story, case, people[name]),
        who=f"{name} {action} on an {scenario} case",
    )


def test_escalation_climbs_one_level_at_a_time(story, people):
    case = story.to("reported")
    for level in (Level.VILLAGE, Level.TOWN, Level.COUNTY):
        lc.escalate(case, SYSTEM, reason="受理逾期", now=story.tick())
        assert case.level == level and case.state == State.REPORTED
    assert case.escalation_count == 3
    assert_refused(
        case, IllegalTransition, lambda: lc.escalate(case, SYSTEM, reason="再升", now=story.tick())
    )
    # Still in the grid's scope: the grid worker may take the case at county level.
    lc.accept(case, people["grid_worker"], now=story.tick())
    assert case.state == State.ACCEPTED and case.level == Level.COUNTY


def test_closing_records_the_level_reached(story, people):
    village = story.to("accepted")
    lc.escalate(village, people["grid_worker"], reason="需村里协调", now=story.tick())
    lc.resolve_on_site(village, people["grid_leader"], result="村委会调解", now=story.tick())
    lc.verify(village, people["grid_worker"], now=story.tick())
    assert (village.closed_level, village.level) == (Level.VILLAGE, Level.VILLAGE)

    town = story.to("closed")
    assert town.closed_level == Level.TOWN


# --- Missing and bad input ------------------------------------------------------------------


def other_town_department(town):
    return Department.objects.create(town=town.other_town, name="大章派出所", code="pcs")


def other_town_case(story):
    return story.make_case(
        "ZA03", actor=REPORTER, channel="web", lon=112.105, lat=34.105, now=story.tick()
    )


def not_a_photo():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("photo.jpg", b"%PDF-1.4 not a photo", content_type="image/jpeg")


# (scenario, actor, call, error, field)
BAD_INPUT = {
    "settle without a result": (
        "accepted",
        "grid_worker",
        lambda s, c, a: lc.resolve_on_site(c, a, result="", now=s.tick()),
        MissingInput,
        "result",
    ),
    "settle with a blank result": (
        "accepted",
        "grid_worker",
        lambda s, c, a: lc.resolve_on_site(c, a, result="   ", now=s.tick()),
        MissingInput,
        "result",
    ),
    "settle with a file that is not a photo": (
        "accepted",
        "grid_worker",
        lambda s, c, a: lc.resolve_on_site(
            c, a, result="已处理", photos=[not_a_photo()], now=s.tick()
        ),
        InvalidInput,
        "photos",
    ),
    "escalate without a reason": (
        "reported",
        "grid_worker",
        lambda s, c, a: lc.escalate(c, a, reason="", now=s.tick()),
        MissingInput,
        "reason",
    ),
    "send to the town without a reason": (
        "accepted",
        "grid_worker",
        lambda s, c, a: lc.send_to_town(c, a, reason=None, now=s.tick()),
        MissingInput,
        "reason",
    ),
    "dispatch without a department": (
        "accepted at town",
        "dispatcher",
        lambda s, c, a: lc.dispatch(c, a, lead=None, now=s.tick()),
        MissingInput,
        "department",
    ),
    "dispatch to an unknown department": (
        "accepted at town",
        "dispatcher",
        lambda s, c, a: lc.dispatch(c, a, lead=987654, now=s.tick()),
        InvalidInput,
        "lead",
    ),
    "dispatch to another town's department": (
        "accepted at town",
        "dispatcher",
        lambda s, c, a: lc.dispatch(c, a, lead=other_town_department(s.town), now=s.tick()),
        InvalidInput,
        "lead",
    ),
    "dispatch with another town's co-handler": (
        "accepted at town",
        "dispatcher",
        lambda s, c, a: lc.dispatch(
            c, a, lead=s.town.pcs, co=[other_town_department(s.town)], now=s.tick()
        ),
        InvalidInput,
        "co",
    ),
    "dispatch with the lead also co-handling": (
        "accepted at town",
        "dispatcher",
        lambda s, c, a: lc.dispatch(c, a, lead=s.town.pcs, co=[s.town.pcs.pk], now=s.tick()),
        InvalidInput,
        "co",
    ),
    "return without a reason": (
        "dispatched",
        "department",
        lambda s, c, a: lc.return_case(c, a, reason=" ", now=s.tick()),
        MissingInput,
        "reason",
    ),
    "extension without minutes": (
        "claimed",
        "department",
        lambda s, c, a: lc.request_extension(c, a, minutes=None, reason="等鉴定", now=s.tick()),
        MissingInput,
        "minutes",
    ),
    "extension without a reason": (
        "claimed",
        "department",
        lambda s, c, a: lc.request_extension(c, a, minutes=60, reason="", now=s.tick()),
        MissingInput,
        "reason",
    ),
    "extension of no time": (
        "claimed",
        "department",
        lambda s, c, a: lc.request_extension(c, a, minutes=0, reason="等鉴定", now=s.tick()),
        InvalidInput,
        "minutes",
    ),
    "extension of negative time": (
        "claimed",
        "department",
        lambda s, c, a: lc.request_extension(c, a, minutes=-60, reason="等鉴定", now=s.tick()),
        InvalidInput,
        "minutes",
    ),
    "extension of text": (
        "claimed",
        "department",
        lambda s, c, a: lc.request_extension(c, a, minutes="60", reason="等鉴定", now=s.tick()),
        InvalidInput,
        "minutes",
    ),
    "a second extension request while one waits": (
        "extension requested",
        "department",
        lambda s, c, a: lc.request_extension(c, a, minutes=60, reason="再延", now=s.tick()),
        IllegalTransition,
        None,
    ),
    "approve when nothing was requested": (
        "claimed",
        "dispatcher",
        lambda s, c, a: lc.approve_extension(c, a, now=s.tick()),
        IllegalTransition,
        None,
    ),
    "refuse when nothing was requested": (
        "claimed",
        "dispatcher",
        lambda s, c, a: lc.refuse_extension(c, a, reason="不同意", now=s.tick()),
        IllegalTransition,
        None,
    ),
    "refuse an extension without a reason": (
        "extension requested",
        "dispatcher",
        lambda s, c, a: lc.refuse_extension(c, a, reason="", now=s.tick()),
        MissingInput,
        "reason",
    ),
    "suspend without a reason": (
        "accepted",
        "dispatcher",
        lambda s, c, a: lc.suspend(
            c, a, reason="", resume_at=s.now + timedelta(days=1), now=s.tick()
        ),
        MissingInput,
        "reason",
    ),
    "suspend without a resume time": (
        "accepted",
        "dispatcher",
        lambda s, c, a: lc.suspend(c, a, reason="等待", resume_at=None, now=s.tick()),
        MissingInput,
        "resume_at",
    ),
    "suspend until now": (
        "accepted",
        "dispatcher",
        lambda s, c, a: lc.suspend(c, a, reason="等待", resume_at=s.tick(), now=s.now),
        InvalidInput,
        "resume_at",
    ),
    "suspend until yesterday": (
        "accepted",
        "dispatcher",
        lambda s, c, a: lc.suspend(
            c, a, reason="等待", resume_at=s.now - timedelta(days=1), now=s.tick()
        ),
        InvalidInput,
        "resume_at",
    ),
    "summon nobody": (
        "accepted",
        "dispatcher",
        lambda s, c, a: lc.summon(c, a, departments=[], now=s.tick()),
        MissingInput,
        "departments",
    ),
    "summon another town's department": (
        "accepted",
        "dispatcher",
        lambda s, c, a: lc.summon(
            c, a, departments=[s.town.yjb, other_town_department(s.town)], now=s.tick()
        ),
        InvalidInput,
        "departments",
    ),
    "check in without a position": (
        "accepted",
        "grid_worker",
        lambda s, c, a: lc.check_in(c, a, latitude=None, longitude=112.0, now=s.tick()),
        MissingInput,
        "position",
    ),
    "check in with words for a position": (
        "accepted",
        "grid_worker",
        lambda s, c, a: lc.check_in(c, a, latitude="村口", longitude=112.0, now=s.tick()),
        InvalidInput,
        "position",
    ),
    "check in off the map": (
        "accepted",
        "grid_worker",
        lambda s, c, a: lc.check_in(c, a, latitude=95.0, longitude=112.0, now=s.tick()),
        InvalidInput,
        "position",
    ),
    "check in at no number": (
        "accepted",
        "grid_worker",
        lambda s, c, a: lc.check_in(c, a, latitude=float("nan"), longitude=112.0, now=s.tick()),
        InvalidInput,
        "position",
    ),
    "resolve without a result": (
        "claimed",
        "department",
        lambda s, c, a: lc.resolve(c, a, result="", now=s.tick()),
        MissingInput,
        "result",
    ),
    "rework without a reason": (
        "resolved",
        "grid_worker",
        lambda s, c, a: lc.rework(c, a, reason="", now=s.tick()),
        MissingInput,
        "reason",
    ),
    "rate without a rating": (
        "resolved",
        REPORTER,
        lambda s, c, a: lc.rate(c, a, rating="", now=s.tick()),
        MissingInput,
        "rating",
    ),
    "rate with an unknown rating": (
        "resolved",
        REPORTER,
        lambda s, c, a: lc.rate(c, a, rating="great", now=s.tick()),
        InvalidInput,
        "rating",
    ),
    "reject without a reason": (
        "reported",
        "grid_worker",
        lambda s, c, a: lc.reject(c, a, reason="", now=s.tick()),
        MissingInput,
        "reason",
    ),
    "merge without an original": (
        "reported",
        "grid_worker",
        lambda s, c, a: lc.merge(c, a, original=None, now=s.tick()),
        MissingInput,
        "original",
    ),
    "merge into itself": (
        "reported",
        "grid_worker",
        lambda s, c, a: lc.merge(c, a, original=c.pk, now=s.tick()),
        InvalidInput,
        "original",
    ),
    "merge into an unknown case": (
        "reported",
        "grid_worker",
        lambda s, c, a: lc.merge(c, a, original=987654, now=s.tick()),
        InvalidInput,
        "original",
    ),
    "merge into another town's case": (
        "reported",
        "dispatcher",
        lambda s, c, a: lc.merge(c, a, original=other_town_case(s), now=s.tick()),
        InvalidInput,
        "original",
    ),
    "merge into a case of another grid the worker cannot see": (
        "reported",
        "grid_worker",
        lambda s, c, a: lc.merge(c, a, original=s.report(lon=112.005, lat=34.095).pk, now=s.tick()),
        InvalidInput,
        "original",
    ),
    "merge into a duplicate": (
        "reported",
        "grid_worker",
        lambda s, c, a: lc.merge(c, a, original=s.to("merged"), now=s.tick()),
        InvalidInput,
        "original",
    ),
}


@pytest.mark.parametrize("what", list(BAD_INPUT))
def test_missing_or_bad_input_is_refused_and_nothing_changes(what, story, people):
    scenario, name, call, error, field = BAD_INPUT[what]
    case = story.to(scenario)
    assert_refused(case, error, lambda: call(story, case, people[name]), field=field, who=what)


# --- Scope: whose case it is -----------------------------------------------------------------------


def test_police_cannot_touch_a_case_that_is_not_police_business(story, people):
    """Police see emergencies and police-relevant cases of their beat only (饮水问题 is neither)."""
    story.category = "MS01"
    cases = {}
    for action, spec in ACTIONS.items():
        if spec.scenario not in cases:
            cases[spec.scenario] = story.to(spec.scenario)
        case = cases[spec.scenario]
        assert case.category.code == "MS01"
        assert_refused(
            case,
            CaseNotFound,
            lambda spec=spec, case=case: spec.call(story, case, people["police"]),
            who=f"police {action}",
        )


def test_the_grid_helper_sees_only_their_micro_grid(story, people):
    west = story.report(lon=112.003)  # grid A1, but the west micro-grid
    assert_refused(west, CaseNotFound, lambda: lc.accept(west, people["helper"], now=story.tick()))


def test_a_co_handling_department_helps_but_does_not_lead(story, people, town):
    case = story.to("accepted at town")
    lc.dispatch(case, people["dispatcher"], lead=town.pcs, co=[town.yjb], now=story.tick())
    co = people["other_department"]  # 应急办, co-handling
    for call in (
        lambda: lc.claim(case, co, now=story.tick()),
        lambda: lc.return_case(case, co, reason="不归我们", now=story.tick()),
    ):
        assert_refused(case, NotAllowed, call)
    lc.check_in(case, co, latitude=34.105, longitude=112.007, now=story.tick())
    lc.claim(case, people["department"], now=story.tick())
    for call in (
        lambda: lc.resolve(case, co, result="已处置", now=story.tick()),
        lambda: lc.request_extension(case, co, minutes=60, reason="等待", now=story.tick()),
    ):
        assert_refused(case, NotAllowed, call)


def test_a_department_that_returned_the_case_sees_it_but_may_not_act(story, people, town):
    case = story.to("dispatched")
    lc.return_case(case, people["department"], reason="不属于派出所职责", now=story.tick())
    lc.dispatch(case, people["dispatcher"], lead=town.yjb, now=story.tick())
    assert Case.objects.visible_to(people["department"]).filter(pk=case.pk).exists()
    assert_refused(case, NotAllowed, lambda: lc.claim(case, people["department"], now=story.tick()))
    lc.claim(case, people["other_department"], now=story.tick())
    assert case.owner_user == people["other_department"]


def test_the_dispatcher_merges_duplicates_across_grids(story, people):
    """Two grids reported the same fire on their border: the town, which sees both, merges."""
    case = story.to("reported")
    original = story.report(lon=112.005, lat=34.095)  # grid B1
    lc.merge(case, people["dispatcher"], original=original.pk, now=story.tick())
    assert case.state == State.MERGED and case.duplicate_of == original


def test_the_reporter_on_staff_may_cancel_their_own_report(story, people, town):
    mine = story.report(actor=town.grid_worker, channel="patrol")
    theirs = story.report()
    assert_refused(
        theirs, NotAllowed, lambda: lc.cancel(theirs, town.grid_worker, now=story.tick())
    )
    lc.cancel(mine, town.grid_worker, now=story.tick())
    assert mine.state == State.CANCELLED


def test_an_inactive_user_sees_no_case(story, people):
    case = story.to("reported")
    worker = people["grid_worker"]
    worker.is_active = False
    worker.save()
    assert_refused(case, CaseNotFound, lambda: lc.accept(case, worker, now=story.tick()))


@pytest.mark.parametrize("label", ["dispatcher", "grid_worker", "superuser", "", "SYSTEM"])
def test_a_string_actor_must_be_one_of_the_known_pseudo_actors(label, story, people):
    """Only the worker, the reporter and integrations act without an account; a role name
    passed as a string is not a role."""
    case = story.to("accepted at town")
    assert_refused(
        case, NotAllowed, lambda: lc.dispatch(case, label, lead=story.town.pcs, now=story.tick())
    )


def test_a_case_that_does_not_exist_is_not_found(people):
    with pytest.raises(CaseNotFound):
        lc.accept(987654, people["grid_worker"])


# --- Conflicts -----------------------------------------------------------------------------------


def test_a_stale_copy_gets_a_conflict_and_changes_nothing(story, people):
    case = story.to("reported")
    stale = Case.objects.get(pk=case.pk)
    lc.accept(case, people["grid_worker"], now=story.tick())
    for attempt in (
        lambda: lc.accept(stale, people["dispatcher"], now=story.tick()),
        lambda: lc.reject(stale, people["dispatcher"], reason="重复", now=story.tick()),
    ):
        assert_refused(stale, Conflict, attempt)
    assert stale.state == State.REPORTED  # the caller's copy is left for them to reload
    # By id there is no copy to compare: the same attempt meets the new state instead.
    assert_refused(
        case, IllegalTransition, lambda: lc.accept(case.pk, people["dispatcher"], now=story.tick())
    )


def test_warn_is_the_workers_only_and_changes_no_state(story):
    case = story.to("reported")
    lc.warn(case, milestone="accept", now=story.tick())
    event = case.events.order_by("id").last()
    assert (event.action, event.actor_label, event.internal) == ("warn", SYSTEM, True)
    assert case.state == State.REPORTED and case.sla_flags["accept"] == "warned"


# --- What a transition leaves behind for the next one (found by the state machine) -------


def test_a_case_raised_to_the_town_before_acceptance_owes_a_dispatch_once_accepted(story, people):
    case = story.to("reported")
    lc.escalate(case, SYSTEM, reason="受理逾期", now=story.tick())
    lc.escalate(case, SYSTEM, reason="受理逾期", now=story.tick())
    accepted_at = story.tick()
    lc.accept(case, people["dispatcher"], now=accepted_at)
    assert case.level == Level.TOWN
    # normal priority: dispatch within 420 working minutes (Monday 10:00 → Tuesday 10:00)
    assert case.dispatch_due_at == accepted_at + timedelta(days=1)
    assert case.next_check_at is not None and case.next_check_at <= case.dispatch_due_at


def test_an_extension_request_lapses_with_the_department_that_made_it(story, people, town):
    case = story.to("extension requested")
    lc.return_case(case, people["department"], reason="不属于派出所职责", now=story.tick())
    assert case.extension_pending_minutes is None
    assert_refused(
        case,
        IllegalTransition,
        lambda: lc.approve_extension(case, people["dispatcher"], now=story.tick()),
    )
    lc.dispatch(case, people["dispatcher"], lead=town.yjb, now=story.tick())
    lc.claim(case, people["other_department"], now=story.tick())
    lc.request_extension(
        case, people["other_department"], minutes=60, reason="等待", now=story.tick()
    )
    assert case.extension_pending_minutes == 60

    resolved = story.to("extension requested")
    lc.resolve(resolved, people["department"], result="已处置", now=story.tick())
    assert resolved.extension_pending_minutes is None


def test_a_department_summoned_again_is_watched_again(story, people, town):
    from wangge.cases.worker import sweep

    case = story.to("accepted")
    key = f"checkin:{town.yjb.pk}"
    lc.summon(case, people["dispatcher"], departments=[town.yjb], now=story.tick())
    sweep(now=story.tick(31))  # 应急办 did not check in within 30 minutes: urged
    case.refresh_from_db()
    assert case.sla_flags[key] == "overdue"
    assert case.events.filter(action="urge", data__milestone=key).count() == 1

    lc.summon(case, people["dispatcher"], departments=[town.yjb], now=story.tick())
    assert key not in case.sla_flags
    assert case.next_check_at == case.case_departments.get(role="summoned").checkin_due_at
    sweep(now=story.tick(31))  # and again late: urged again
    assert case.events.filter(action="urge", data__milestone=key).count() == 2
