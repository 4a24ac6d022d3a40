"""Shared fixtures of the dashboard tests: `november`, a month of cases whose
figures are worked out by hand in tests/dashboard/test_metrics.py (and
docs/figures.md). Every case goes through intake and the lifecycle."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from wangge.cases import lifecycle as lc
from wangge.cases.rules import REPORTER

SHANGHAI = ZoneInfo("Asia/Shanghai")
A1 = (112.003, 34.105)  # grid A1 (village 杨村)
A2 = (112.015, 34.105)  # grid A2 (village 杨村)
B1 = (112.005, 34.095)  # grid B1 (village 庄科村)


def at(day, hour, minute=0, month=11):
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


class November:
    """Handles to the cases of the `november` fixture."""

    now = at(27, 12)


@pytest.fixture
def november(town, make_case):
    """Nine cases around November 2026 (now = 27 Nov 12:00), by hand:

    e0  TF01 A1 reported 31 Oct 22:00, accepted 22:05, resolved 1 Nov 10:00,
        rated satisfied 1 Nov 11:00 (closed, group): spans the month boundary.
    e1  TF01 A1 reported 2 Nov 08:00, accepted 08:10 (in time), on scene 08:20
        (late), resolved 18:00 (in time), rated satisfied 19:00 (closed, group).
    e2  TF01 A1 reported 5 Nov 10:00, accepted 10:30 (late), resolved 7 Nov 10:30
        (late: due 6 Nov 10:30), verified 11:00 (closed, group, unrated).
    e3  TF01 B1 reported 10 Nov 09:00, accepted 09:05, resolved 11:00, rework
        12:00, resolved 14:00 (in time), verified 15:00 (closed, group, one
        rework), rated basically satisfied 11 Nov 09:00.
    e4  TF01 B1 reported 12 Nov 09:00, cancelled by its reporter 09:02.
    m1  MS01 A1 reported 12 Nov 09:00, rejected 09:30.
    e5  TF01 A1 reported 20 Nov 09:00, accepted 09:10, still open: resolve due
        21 Nov 09:10, overdue now.
    e6  TF01 A2 reported 15 Nov 09:00, accepted 09:05 (resolve due 16 Nov 09:05),
        suspended 10:00 until 18 Nov, resumed 17 Nov 10:00 (48 h paused: due
        moves to 18 Nov 09:05), resolved 17 Nov 20:00 (in time; 11 h of work).
    m2  MS01 B1 reported 16 Nov 09:00, accepted 09:10, sent to the town 09:20,
        dispatched to 派出所 10:00, claimed 10:30, urged 17 Nov 09:00, resolved
        by the department 18 Nov 10:00, verified 15:00 (closed, town).
    """
    t = town
    n = November()

    def emergency(where, when, worker=None):
        lon, lat = where
        return make_case(
            "TF01", lon=lon, lat=lat, now=when, actor=worker or t.grid_worker, title="突发疾病"
        )

    n.e0 = emergency(A1, at(31, 22, month=10))
    lc.accept(n.e0, t.grid_worker, now=at(31, 22, 5, month=10))
    lc.resolve_on_site(n.e0, t.grid_worker, result="已送医", now=at(1, 10))
    lc.rate(n.e0, REPORTER, rating="satisfied", now=at(1, 11))

    n.e1 = emergency(A1, at(2, 8))
    lc.accept(n.e1, t.grid_worker, now=at(2, 8, 10))
    lc.check_in(n.e1, t.grid_worker, latitude=A1[1], longitude=A1[0], now=at(2, 8, 20))
    lc.resolve_on_site(n.e1, t.grid_worker, result="已送医", now=at(2, 18))
    lc.rate(n.e1, REPORTER, rating="satisfied", now=at(2, 19))

    n.e2 = emergency(A1, at(5, 10))
    lc.accept(n.e2, t.grid_worker, now=at(5, 10, 30))
    lc.resolve_on_site(n.e2, t.grid_worker, result="已处置", now=at(7, 10, 30))
    lc.verify(n.e2, t.grid_worker, now=at(7, 11))

    n.e3 = emergency(B1, at(10, 9), t.grid_worker_b1)
    b1 = t.grid_worker_b1
    lc.accept(n.e3, b1, now=at(10, 9, 5))
    lc.resolve_on_site(n.e3, b1, result="初步处置", now=at(10, 11))
    lc.rework(n.e3, b1, reason="未彻底处置", now=at(10, 12))
    lc.resolve_on_site(n.e3, b1, result="已处置", now=at(10, 14))
    lc.verify(n.e3, b1, now=at(10, 15))
    lc.rate(n.e3, REPORTER, rating="basic", now=at(11, 9))

    n.e4 = emergency(B1, at(12, 9), b1)
    lc.cancel(n.e4, REPORTER, reason="误报", now=at(12, 9, 2))

    n.m1 = make_case("MS01", lon=A1[0], lat=A1[1], now=at(12, 9))
    lc.reject(n.m1, t.grid_worker, reason="不属于受理范围", now=at(12, 9, 30))

    n.e5 = emergency(A1, at(20, 9))
    lc.accept(n.e5, t.grid_worker, now=at(20, 9, 10))

    n.e6 = emergency(A2, at(15, 9), t.instructor)
    lc.accept(n.e6, t.instructor, now=at(15, 9, 5))
    lc.suspend(n.e6, t.dispatcher, reason="等待专家", resume_at=at(18, 10), now=at(15, 10))
    lc.resume(n.e6, t.dispatcher, now=at(17, 10))
    lc.resolve_on_site(n.e6, t.instructor, result="已处置", now=at(17, 20))

    n.m2 = make_case("MS01", lon=B1[0], lat=B1[1], now=at(16, 9), actor=b1)
    lc.accept(n.m2, b1, now=at(16, 9, 10))
    lc.send_to_town(n.m2, b1, reason="需部门处置", now=at(16, 9, 20))
    lc.dispatch(n.m2, t.dispatcher, lead=t.pcs, now=at(16, 10))
    lc.claim(n.m2, t.department, now=at(16, 10, 30))
    lc.urge(n.m2, t.dispatcher, now=at(17, 9))
    lc.resolve(n.m2, t.department, result="已处理", now=at(18, 10))
    lc.verify(n.m2, b1, now=at(18, 15))

    for name in ("e0", "e1", "e2", "e3", "e4", "e5", "e6", "m1", "m2"):
        getattr(n, name).refresh_from_db()
    return n
