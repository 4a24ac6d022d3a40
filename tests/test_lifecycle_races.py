"""Two people acting on one case at once: exactly one wins, the others get a clear refusal.

Each thread holds its own `Case` loaded before the race (as a page or an API
client would) and starts on a barrier. The lifecycle locks the row (SELECT …
FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE serialises writers) and
compares the version it was given, so the losers see Conflict — never a
silent overwrite and never a second event. Run on SQLite and on PostgreSQL
(DATABASE_URL=postgres://…).
"""

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from wangge.cases import lifecycle as lc
from wangge.cases.choices import State
from wangge.cases.errors import CaseError, Conflict, IllegalTransition
from wangge.cases.intake import report
from wangge.cases.models import Case, CaseEvent, IdempotencyRecord
from wangge.cases.rules import REPORTER
from wangge.staff.models import Role, User
from wangge.staff.services import assign_role

pytestmark = pytest.mark.django_db(transaction=True)

SH = ZoneInfo("Asia/Shanghai")
MON_9 = datetime(2026, 11, 23, 9, 0, tzinfo=SH)
N = 8


def at(minutes):
    return MON_9 + timedelta(minutes=minutes)


def race(n, attempt):
    """Run `attempt(i)` in n threads released together; return (results, refusals, crashes)."""
    barrier = threading.Barrier(n)
    results, refusals, crashes = [], [], []
    lock = threading.Lock()

    def run(i):
        try:
            barrier.wait(timeout=30)
            outcome = attempt(i)
            with lock:
                results.append(outcome)
        except CaseError as error:
            with lock:
                refusals.append(error)
        except Exception as error:  # noqa: BLE001 - reported by the test
            with lock:
                crashes.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return results, refusals, crashes


def fresh_copies(case, n):
    """n independent instances of the case, as n browsers would have loaded it."""
    return [Case.objects.get(pk=case.pk) for _ in range(n)]


def assert_one_winner(results, refusals, crashes, n=N):
    assert not crashes, crashes
    assert len(results) == 1, (results, refusals)
    assert len(refusals) == n - 1
    assert all(isinstance(e, Conflict | IllegalTransition) for e in refusals), refusals


def test_eight_grid_staff_accept_at_once_one_wins(town, make_case):
    case = make_case()
    copies = fresh_copies(case, N)
    # The grid worker, the grid leader and the dispatcher all may accept this case.
    actors = [town.grid_worker, town.grid_leader, town.dispatcher] * 3

    results, refusals, crashes = race(
        N, lambda i: lc.accept(copies[i], actors[i], now=at(10 + i)).pk
    )

    assert_one_winner(results, refusals, crashes)
    assert all(isinstance(e, Conflict) for e in refusals)  # stale copies, not a wrong state
    case.refresh_from_db()
    assert case.state == State.ACCEPTED and case.version == 2
    assert case.events.filter(action="accept").count() == 1


def test_accept_by_case_id_losers_see_the_state_has_moved(town, make_case):
    """Without a loaded copy there is no version to compare: the loser sees the new state."""
    case = make_case()

    results, refusals, crashes = race(
        N, lambda i: lc.accept(case.pk, town.grid_worker, now=at(10)).pk
    )

    assert_one_winner(results, refusals, crashes)
    assert all(isinstance(e, IllegalTransition) for e in refusals)
    assert case.events.filter(action="accept").count() == 1


def test_the_reporter_cancels_while_the_grid_accepts(town, make_case):
    """撤回 and 收单 at the same moment: the case is either taken or withdrawn, never both."""
    case = make_case(actor=REPORTER, channel="web")
    copies = fresh_copies(case, N)

    def attempt(i):
        if i % 2:
            return lc.cancel(copies[i], REPORTER, reason="问题已自行解决", now=at(3))
        return lc.accept(copies[i], town.grid_worker, now=at(3))

    results, refusals, crashes = race(N, attempt)

    assert_one_winner(results, refusals, crashes)
    case.refresh_from_db()
    (event,) = case.events.exclude(action="report")
    assert event.action in ("accept", "cancel") and event.to_state == case.state


def dispatched(town, make_case):
    case = make_case()
    lc.accept(case, town.grid_worker, now=at(5))
    lc.send_to_town(case, town.grid_worker, reason="需镇里派单", now=at(10))
    lc.dispatch(case, town.dispatcher, lead=town.pcs, now=at(15))
    return case


def test_department_staff_claim_at_once_one_wins(town, make_case):
    case = dispatched(town, make_case)
    staff = [town.department]
    for k in range(N - 1):
        user = User.objects.create_user(f"pcs_{k}", town=town.town)
        assign_role(user, Role.DEPARTMENT, department=town.pcs)
        staff.append(user)
    copies = fresh_copies(case, N)

    results, refusals, crashes = race(N, lambda i: lc.claim(copies[i], staff[i], now=at(20 + i)))

    assert_one_winner(results, refusals, crashes)
    case.refresh_from_db()
    assert case.state == State.CLAIMED and case.owner_user == results[0].owner_user
    assert case.events.filter(action="claim").count() == 1


def test_verify_and_rework_at_once_one_wins(town, make_case):
    """The grid worker closes while the dispatcher sends it back: one of them, never both."""
    case = dispatched(town, make_case)
    lc.claim(case, town.department, now=at(20))
    lc.resolve(case, town.department, result="已修复", now=at(60))
    copies = fresh_copies(case, N)

    def attempt(i):
        if i % 2:
            return lc.rework(copies[i], town.dispatcher, reason="未修好", now=at(70))
        return lc.verify(copies[i], town.grid_worker, now=at(70))

    results, refusals, crashes = race(N, attempt)

    assert_one_winner(results, refusals, crashes)
    case.refresh_from_db()
    events = case.events.filter(action__in=["verify", "rework"])
    assert events.count() == 1
    assert case.state == (State.CLOSED if events.get().action == "verify" else State.CLAIMED)
    assert case.version == results[0].version


def test_close_races_across_actions_leave_one_event(town, make_case):
    """Verify, rate and a second verify on one resolved case: one transition, one event."""
    case = make_case()
    lc.accept(case, town.grid_worker, now=at(5))
    lc.resolve_on_site(case, town.grid_worker, result="当场调解", now=at(10))
    copies = fresh_copies(case, N)
    events_before = CaseEvent.objects.filter(case=case).count()

    def attempt(i):
        if i % 2:
            return lc.rate(copies[i], REPORTER, rating="satisfied", now=at(30))
        return lc.verify(copies[i], town.grid_worker, now=at(30))

    results, refusals, crashes = race(N, attempt)

    assert_one_winner(results, refusals, crashes)
    case.refresh_from_db()
    assert case.state == State.CLOSED and case.closed_level == "group"
    assert CaseEvent.objects.filter(case=case).count() == events_before + 1


def test_same_idempotency_key_reported_at_once_makes_one_case(town, catalogue):
    def attempt(i):
        return report(
            actor=town.grid_worker,
            category="MS01",
            title="村口自来水管破裂",
            channel="api",
            longitude=112.003,
            latitude=34.105,
            idempotency_key="retry-1",
            client="phone-app:42",
            now=MON_9,
        ).pk

    results, refusals, crashes = race(N, attempt)

    assert not crashes and not refusals, (crashes, refusals)
    assert len(set(results)) == 1 and len(results) == N
    assert Case.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1
    assert CaseEvent.objects.filter(action="report").count() == 1


def test_reports_at_once_are_numbered_without_gaps_or_repeats(town, catalogue):
    """The first reports of the year race for the town's sequence row: each gets its own number."""

    def attempt(i):
        return report(
            actor=town.grid_worker,
            category="MS01",
            title=f"第{i}件事",
            channel="patrol",
            longitude=112.003,
            latitude=34.105,
            now=MON_9,
        ).number

    results, refusals, crashes = race(N, attempt)

    assert not crashes and not refusals, (crashes, refusals)
    assert sorted(results) == [f"DT2026{k:06d}" for k in range(1, N + 1)]
