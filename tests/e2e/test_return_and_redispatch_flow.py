"""退单 and re-dispatch: a department sends a case back with a reason, the command
centre dispatches it to another department, which takes it on."""

from playwright.sync_api import expect

from wangge.cases import lifecycle as lc
from wangge.cases.intake import report
from wangge.cases.models import Case
from wangge.staff.models import Role, User
from wangge.staff.services import assign_role


def test_a_returned_case_is_dispatched_again_to_another_department(page, town, catalogue):
    case = report(
        actor=town.grid_worker,
        category="AQ02",
        title="废弃矿洞封堵松动",
        channel="patrol",
        latitude=34.105,
        longitude=112.003,
    )
    lc.accept(case, town.grid_worker)
    lc.send_to_town(case, town.grid_worker, reason="需要镇里协调处置")
    emergency_office = User.objects.create_user(
        "dept_yjb", password="pw-dept_yjb", town=town.town, full_name="dept_yjb"
    )
    assign_role(emergency_office, Role.DEPARTMENT, department=town.yjb)

    dispatcher = page("dispatcher")
    dispatcher.login("dispatcher")
    dispatcher.open_case(case.number)
    dispatcher.act("dispatch", "派单", lead="德亭派出所")
    dispatcher.expect_state("已派单")

    # 退单: the police station says it is not theirs.
    police_station = page("dept_pcs")
    police_station.login("dept_pcs")
    police_station.page.get_by_role("link", name="待接单").click()
    police_station.page.get_by_role("link", name=case.title).click()
    police_station.act("return", "退单", reason="矿山安全不属派出所职责，请应急办处置")
    police_station.expect_state("已受理", level="镇")
    police_station.step("returned")

    # The command centre sees the reason on the timeline and dispatches again.
    dispatcher.open_case(case.number)
    dispatcher.expect_state("已受理", level="镇")
    expect(dispatcher.page.locator("ol.timeline")).to_contain_text("矿山安全不属派出所职责")
    dispatcher.act("dispatch", "派单", lead="应急办", note="应急办牵头")
    dispatcher.expect_state("已派单")
    expect(dispatcher.page.locator("main")).to_contain_text("主办部门：应急办")
    dispatcher.step("dispatched-again")

    emergency = page("dept_yjb")
    emergency.login("dept_yjb")
    emergency.page.get_by_role("link", name="待接单").click()
    emergency.page.get_by_role("link", name=case.title).click()
    emergency.act("claim", "接单")
    emergency.expect_state("已接单")
    emergency.step("claimed")

    case = Case.objects.get(pk=case.pk)
    assert (case.state, case.lead_department) == ("claimed", town.yjb)
    assert list(case.events.values_list("action", flat=True)) == [
        "report",
        "accept",
        "send_to_town",
        "dispatch",
        "return",
        "dispatch",
        "claim",
    ]
