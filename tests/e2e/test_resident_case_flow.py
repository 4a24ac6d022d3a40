"""A resident's report, all the way round the four-step dispatch and back to the
resident (群众点单 → 网格收单 → 党委派单 → 部门接单 → 处置 → 核查 → 回访)."""

from PIL import Image
from playwright.sync_api import expect

from wangge.cases.models import Case

IN_A1 = (34.105, 112.003)  # 杨村第一网格 of the test town


def test_resident_report_goes_round_the_town_and_is_closed_by_the_residents_rating(
    page, town, catalogue, tmp_path
):
    # 群众点单: a resident reports from a phone, with the phone's location.
    resident = page("resident", device="mobile", geolocation=IN_A1)
    resident.goto("/r/")
    p = resident.page
    p.wait_for_function("() => window.L !== undefined")  # leaflet, from node_modules
    p.locator("#category-group").select_option(label="民生诉求")
    p.locator("#category-item").select_option(label="饮水问题")
    p.locator("textarea[name=description]").fill("村口自来水管破了，水流到路上")
    p.locator("input[name=reporter_phone]").fill("13837900001")
    p.get_by_role("button", name="使用我的当前位置").click()
    expect(p.locator("#location-status")).to_contain_text("杨村第一网格")
    resident.step("report-form-filled")
    p.get_by_role("button", name="提交").click()
    expect(p.locator("h1")).to_have_text("反映已收到")
    code = p.locator(".receipt-code").inner_text().strip()
    case = Case.objects.get(receipt_code=code)
    assert (case.state, case.grid, case.channel) == ("reported", town.a1, "web")
    expect(p.locator(".case-number")).to_have_text(case.number)
    resident.step("receipt")

    # 网格收单: the grid worker, on a phone, takes it and sends it to the town.
    worker = page("worker_a1", device="mobile")
    worker.login("worker_a1")
    expect(worker.page.locator("nav .badge")).to_have_text("1")  # the new report's notice
    worker.page.get_by_role("link", name="工单").first.click()
    worker.page.get_by_role("link", name=case.title).click()
    worker.expect_state("已上报")
    worker.step("case-as-reported")
    worker.act("accept", "收单", note="马上去看")
    worker.expect_state("已受理")
    worker.act("send_to_town", "报送镇指挥中心", reason="主管道破裂，需水利站维修")
    worker.expect_state("已受理", level="镇")
    assert worker.page.evaluate("document.documentElement.scrollWidth") <= 360
    worker.step("sent-to-town")

    # 党委派单: the command centre, on a desktop, dispatches to the police station.
    dispatcher = page("dispatcher")
    dispatcher.login("dispatcher")
    dispatcher.page.get_by_role("link", name="待派单").click()
    dispatcher.page.get_by_role("link", name=case.title).click()
    expect(dispatcher.page.locator("#map.leaflet-container")).to_be_visible()  # the case's point
    dispatcher.act("dispatch", "派单", lead="德亭派出所", note="请派出所牵头")
    dispatcher.expect_state("已派单")
    expect(dispatcher.page.locator("main")).to_contain_text("主办部门：德亭派出所")
    dispatcher.step("dispatched")

    # 部门接单: the police station claims it and reports the result with a photo.
    photo = tmp_path / "repaired.jpg"
    Image.new("RGB", (320, 240), (40, 120, 200)).save(photo, "JPEG")
    department = page("dept_pcs")
    department.login("dept_pcs")
    department.page.get_by_role("link", name="待接单").click()
    department.page.get_by_role("link", name=case.title).click()
    department.act("claim", "接单")
    department.expect_state("已接单")
    form = department.action("resolve")
    form.locator("textarea[name=result]").fill("已更换破裂水管，恢复供水")
    form.locator("input[name=photos]").set_input_files(photo)
    form.get_by_role("button", name="处置").click()
    department.expect_message("已完成：处置。")
    department.expect_state("已处置")
    thumbnail = department.page.locator(".photos img")
    expect(thumbnail).to_have_count(1)
    thumbnail.scroll_into_view_if_needed()  # it loads lazily
    department.page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle()
    )
    department.step("resolved-with-photo")

    # 核查: the grid worker verifies on site and closes it.
    worker.open_case(case.number)
    worker.act("verify", "核查结案", note="现场已恢复供水")
    worker.expect_state("已结案")
    worker.step("verified")

    # 回访: the resident follows the code and rates the result.
    resident.goto("/r/track/")
    p.locator("input[name=code]").fill(code)
    p.get_by_role("button", name="查询").click()
    expect(p.locator("p.state")).to_have_text("已办结")
    expect(p.locator(".result")).to_contain_text("已更换破裂水管")
    p.get_by_label("满意", exact=True).check()
    p.get_by_role("button", name="提交评价").click()
    expect(p.locator("ul.messages")).to_contain_text("感谢您的评价。")
    expect(p.locator("main")).to_contain_text("您的评价：满意")
    expect(p.locator("p.state")).to_have_text("已办结")
    resident.step("rated")

    case.refresh_from_db()
    assert (case.state, case.rating, case.lead_department) == ("closed", "satisfied", town.pcs)
    assert case.attachments.count() == 1
