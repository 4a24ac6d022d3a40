"""The four-step dispatch end to end, and the brief's stories."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from wangge.cases import lifecycle as lc
from wangge.cases.choices import Level, State
from wangge.cases.errors import NotAllowed
from wangge.cases.models import CaseEvent, Notice

SH = ZoneInfo("Asia/Shanghai")
MON_9 = datetime(2026, 11, 23, 9, 0, tzinfo=SH)


def at(hours=0, minutes=0):
    return MON_9 + timedelta(hours=hours, minutes=minutes)


def test_report_locates_numbers_and_sets_the_accept_deadline(town, make_case):
    case = make_case()
    assert case.grid == town.a1 and case.village == town.va and case.micro_grid == town.a1w
    assert case.number == "DT2026000001" and case.state == State.REPORTED
    # normal priority: accept within 1 working day (420 working minutes) → Tuesday 09:00
    assert case.accept_due_at == datetime(2026, 11, 24, 9, 0, tzinfo=SH)
    assert case.events.get().action == "report"
    assert Notice.objects.filter(recipient=town.grid_worker).count() == 0  # the reporter himself
    assert make_case().number == "DT2026000002"


def test_four_step_dispatch(town, make_case):
    case = make_case(actor=town.grid_helper)
    assert Notice.objects.filter(recipient=town.grid_worker, case=case).exists()
    lc.accept(case, town.grid_worker, now=at(0, 30))
    lc.send_to_town(case, town.grid_worker, reason="需要水利站维修", now=at(1))
    assert case.level == Level.TOWN and case.dispatch_due_at is not None
    assert Notice.objects.filter(recipient=town.dispatcher, case=case).exists()
    lc.dispatch(case, town.dispatcher, lead=town.pcs, co=[town.yjb], now=at(2))
    assert case.state == State.DISPATCHED and case.lead_department == town.pcs
    assert Notice.objects.filter(recipient=town.department, case=case).exists()
    lc.claim(case, town.department, now=at(3))
    lc.resolve(case, town.department, result="已更换水管", now=at(5))
    assert case.state == State.RESOLVED
    lc.verify(case, town.grid_worker, now=at(6))
    assert case.state == State.CLOSED and case.closed_level == Level.TOWN
    actions = list(case.events.values_list("action", flat=True))
    assert actions == ["report", "accept", "send_to_town", "dispatch", "claim", "resolve", "verify"]
    assert [e.actor for e in case.events.all()][1:3] == [town.grid_worker, town.grid_worker]


def test_steel_roof_dispute_settled_on_site_at_group_level(town, make_case):
    """礼让20厘米: the grid worker, instructor and officer settle it in ten minutes."""
    case = make_case("JF01", title="彩钢瓦屋顶占用邻居通道")
    lc.accept(case, town.grid_worker, now=at(0, 5))
    lc.resolve_on_site(case, town.grid_worker, result="石姓村民锯掉多出的20厘米钢构", now=at(0, 15))
    lc.verify(case, town.grid_worker, now=at(1))
    assert case.state == State.CLOSED and case.closed_level == Level.GROUP


def test_emergency_notifies_grid_police_and_instructor_together(town, make_case):
    """德福苑's anti-fraud alert: officer and instructor on scene within 15 minutes."""
    from wangge.staff.services import assign_role

    assign_role(town.instructor, "grid_instructor", grid=town.a1)
    case = make_case(
        "TF04", title="老人疑似正在被电信诈骗", actor=town.dispatcher, channel="police_directive"
    )
    assert case.priority == "emergency"
    assert case.accept_due_at == MON_9 + timedelta(minutes=15)
    assert case.on_scene_due_at == MON_9 + timedelta(minutes=15)
    told = set(
        Notice.objects.filter(case=case, kind="emergency").values_list("recipient", flat=True)
    )
    assert told == {town.grid_worker.pk, town.police.pk, town.instructor.pk}
    lc.accept(case, town.police, now=at(0, 3))
    lc.check_in(case, town.police, latitude=34.105, longitude=112.003, now=at(0, 11))
    assert case.on_scene_at == at(0, 11) and case.on_scene_at <= case.on_scene_due_at


def test_return_and_redispatch(town, make_case):
    case = make_case()
    lc.accept(case, town.grid_worker, now=at(0, 10))
    lc.send_to_town(case, town.grid_worker, reason="需镇里协调", now=at(0, 20))
    lc.dispatch(case, town.dispatcher, lead=town.pcs, now=at(0, 30))
    lc.return_case(case, town.department, reason="不属于派出所职责", now=at(1))
    assert case.state == State.ACCEPTED and case.lead_department is None and case.return_count == 1
    lc.dispatch(case, town.dispatcher, lead=town.yjb, now=at(1, 30))
    assert case.state == State.DISPATCHED and case.lead_department == town.yjb
    with pytest.raises(NotAllowed):  # 派出所 returned it; it is no longer theirs
        lc.claim(case, town.department, now=at(2))


def test_events_are_immutable(town, make_case):
    case = make_case()
    event = case.events.get()
    event.note = "tampered"
    with pytest.raises(Exception, match="immutable"):
        event.save()
    with pytest.raises(Exception, match="immutable"):
        event.delete()
    assert CaseEvent.objects.get(pk=event.pk).note != "tampered"


def test_emergency_response_times_are_counted(town, make_case):
    from wangge.cases.models import Case
    from wangge.dashboard.metrics import emergency_response

    quick = make_case("TF01", title="老人突发疾病", actor=town.dispatcher)
    lc.accept(quick, town.police, now=at(0, 4))
    lc.check_in(quick, town.police, latitude=34.105, longitude=112.003, now=at(0, 12))
    late = make_case("TF02", title="柴草起火", actor=town.dispatcher)
    lc.accept(late, town.grid_worker, now=at(0, 20))
    make_case()  # not an emergency
    figures = emergency_response(Case.objects.all())
    assert figures["total"] == 2
    assert figures["accepted_in_time"] == 1 and figures["on_scene_in_time"] == 1
    assert figures["accepted_in_time_rate"] == 0.5


def test_traffic_light_is_stored_and_filterable(town, make_case):
    from wangge.cases import sla
    from wangge.cases.models import Case

    case = make_case()  # accept within 1 working day: due Tuesday 09:00, yellow Monday 17:06
    moments = {
        "green": datetime(2026, 11, 23, 12, 0, tzinfo=SH),
        "yellow": datetime(2026, 11, 23, 17, 10, tzinfo=SH),
        "red": datetime(2026, 11, 24, 9, 1, tzinfo=SH),
    }
    for light, moment in moments.items():
        assert sla.light_of(case, moment) == light
        assert list(Case.objects.filter(sla.light_q(light, moment))) == [case]
        milestone = sla.open_milestones(case)[0]
        assert sla.light(case, milestone, moment) == light
    lc.accept(case, town.grid_worker, now=at(1))
    assert case.due_at == case.resolve_due_at
    lc.resolve_on_site(case, town.grid_worker, result="已解决", now=at(2))
    lc.verify(case, town.grid_worker, now=at(3))
    assert case.due_at is None and sla.light_of(case, at(4)) is None
