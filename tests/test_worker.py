"""The worker: yellow warnings, escalation one level at a time, urging, resuming, notices."""

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection

from wangge.cases import lifecycle as lc
from wangge.cases.choices import Level, State
from wangge.cases.models import Case, Notice
from wangge.cases.worker import sweep

SH = ZoneInfo("Asia/Shanghai")
MON_9 = datetime(2026, 11, 23, 9, 0, tzinfo=SH)


def actions(case):
    return list(case.events.values_list("action", flat=True))


def test_nothing_to_do_before_the_yellow_light(make_case):
    case = make_case()
    report = sweep(now=MON_9 + timedelta(hours=1))
    assert report.checked == 0 and actions(case) == ["report"]


def test_warns_once_at_eighty_percent(town, make_case):
    case = make_case(actor=town.grid_helper)  # 420 working minutes to accept
    # 80 % = 336 working minutes: Monday 09:00 + 3 h + 3 h (after lunch) + 36 min = 17:06
    sweep(now=datetime(2026, 11, 23, 17, 5, tzinfo=SH))
    assert actions(case) == ["report"]
    sweep(now=datetime(2026, 11, 23, 17, 6, tzinfo=SH))
    sweep(now=datetime(2026, 11, 23, 17, 7, tzinfo=SH))
    assert actions(case) == ["report", "warn"]
    assert Notice.objects.filter(case=case, kind="warn", recipient=town.grid_worker).count() == 1


def test_unaccepted_case_climbs_one_level_per_missed_deadline(town, make_case):
    case = make_case(actor=town.grid_helper)
    sweep(now=case.accept_due_at + timedelta(minutes=1))
    case.refresh_from_db()
    assert case.level == Level.VILLAGE and case.state == State.REPORTED
    assert case.events.last().action == "escalate" and case.events.last().actor_label == "system"
    assert Notice.objects.filter(case=case, kind="escalate", recipient=town.grid_leader).exists()
    # Running again at the same moment does nothing more.
    sweep(now=case.accept_due_at - timedelta(minutes=1))
    assert actions(case).count("escalate") == 1
    sweep(now=case.accept_due_at + timedelta(minutes=1))
    case.refresh_from_db()
    assert case.level == Level.TOWN
    assert Notice.objects.filter(case=case, kind="escalate", recipient=town.dispatcher).exists()
    sweep(now=case.accept_due_at + timedelta(minutes=1))
    case.refresh_from_db()
    assert case.level == Level.COUNTY
    sweep(now=case.accept_due_at + timedelta(minutes=1))
    case.refresh_from_db()
    assert case.level == Level.COUNTY and case.urge_count == 1  # no level above the county


def test_unclaimed_dispatch_urges_the_department_once(town, make_case):
    case = make_case()
    lc.accept(case, town.grid_worker, now=MON_9)
    lc.send_to_town(case, town.grid_worker, reason="需派单", now=MON_9)
    lc.dispatch(case, town.dispatcher, lead=town.pcs, now=MON_9)
    later = case.claim_due_at + timedelta(minutes=1)
    sweep(now=later)
    sweep(now=later + timedelta(minutes=5))
    case.refresh_from_db()
    assert case.urge_count == 1 and case.state == State.DISPATCHED
    assert Notice.objects.filter(case=case, kind="urge", recipient=town.department).count() == 1


def test_suspended_case_resumes_on_time_and_its_deadline_moves(town, make_case):
    case = make_case()
    lc.accept(case, town.grid_worker, now=MON_9)
    due = case.resolve_due_at
    resume_at = MON_9 + timedelta(days=2)  # Wednesday 09:00: two working days paused
    lc.suspend(case, town.dispatcher, reason="等待汛期结束", resume_at=resume_at, now=MON_9)
    assert sweep(now=resume_at - timedelta(minutes=1)).resumed == 0
    assert sweep(now=resume_at).resumed == 1
    case.refresh_from_db()
    assert case.state == State.ACCEPTED
    assert case.resolve_due_at == due + timedelta(days=2)  # 14 working hours later
    assert case.paused_minutes == 840


def test_summoned_department_that_does_not_check_in_is_urged(town, make_case):
    case = make_case("TF02", actor=town.dispatcher, title="山林起火")
    lc.summon(case, town.dispatcher, departments=[town.pcs, town.yjb], now=MON_9)
    lc.check_in(
        case, town.department, latitude=34.105, longitude=112.003, now=MON_9 + timedelta(minutes=10)
    )
    lc.accept(case, town.grid_worker, now=MON_9 + timedelta(minutes=5))
    lc.check_in(
        case, town.grid_worker, latitude=34.105, longitude=112.003, now=MON_9 + timedelta(minutes=9)
    )
    sweep(now=MON_9 + timedelta(minutes=31))
    case.refresh_from_db()
    urges = case.events.filter(action="urge")
    assert [e.data.get("milestone") for e in urges] == [f"checkin:{town.yjb.pk}"]


def test_notices_are_delivered_by_the_sweep(town, make_case):
    case = make_case(actor=town.grid_helper)
    notice = Notice.objects.get(case=case, recipient=town.grid_worker)
    notice.delivered_at = None
    notice.save()
    assert sweep(now=MON_9).delivered >= 1
    notice.refresh_from_db()
    assert notice.delivered_at is not None


def test_worker_command_once(town, make_case, capsys):
    make_case()
    call_command("worker", "--once")
    assert "checked" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_escalate_once(town, make_case):
    case = make_case(actor=town.grid_helper)
    moment = case.accept_due_at + timedelta(minutes=1)
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            barrier.wait()
            sweep(now=moment)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    case = Case.objects.get(pk=case.pk)
    assert case.level == Level.VILLAGE
    assert case.events.filter(action="escalate").count() == 1


def _url_of_test_database() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    return f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_sigterm_stops_the_worker_loop_cleanly(town, make_case):
    import os
    import signal
    import subprocess
    import sys
    import time

    case = make_case()
    # An undelivered notice makes the first sweep print a line: once it is read,
    # the loop runs and its signal handler is in place, however slow the start.
    Notice.objects.filter(case=case).update(delivered_at=None)
    env = {**os.environ, "DATABASE_URL": _url_of_test_database(), "PYTHONUNBUFFERED": "1"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "wangge", "worker", "--interval", "0.2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    first = worker.stdout.readline()
    assert "notices delivered" in first, worker.stderr.read()
    time.sleep(1)
    assert worker.poll() is None, worker.stderr.read()  # still looping
    worker.send_signal(signal.SIGTERM)
    out, err = worker.communicate(timeout=20)
    assert worker.returncode == 0, err
    assert "stopping" in out


def test_a_row_the_worker_held_is_locked_again_in_a_later_transaction(
    transactional_db, town, make_case
):
    """`lifecycle.hold` spares the worker a second locked read only inside the
    transaction that locked the row: a stale copy used later is a Conflict."""
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from wangge.cases import lifecycle, worker
    from wangge.cases.errors import Conflict
    from wangge.cases.models import Case
    from wangge.cases.rules import SYSTEM

    case = make_case()
    Case.objects.filter(pk=case.pk).update(next_check_at=timezone.now() - timedelta(minutes=1))
    with transaction.atomic():
        held = worker._claim(case.pk, timezone.now())
        assert lifecycle._is_held(held)
    lifecycle.accept(case.pk, town.grid_worker)  # someone moves on meanwhile
    with transaction.atomic():
        assert not lifecycle._is_held(held)
        with pytest.raises(Conflict):
            lifecycle.urge(held, SYSTEM, note="督办", milestone="accept")
    assert Case.objects.get(pk=case.pk).state == "accepted"
