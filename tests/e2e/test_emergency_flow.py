"""An emergency (警网融合): reported by the command centre with GPS, taken by the
community police of the beat, who checks in on scene within 15 minutes."""

import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from wangge.cases.models import Case, Category

IN_A1 = (34.105, 112.003)  # 杨村第一网格, in the police beat 杨村警格


def test_police_take_an_emergency_and_check_in_on_scene_within_15_minutes(page, town, catalogue):
    # The command centre takes a call and reports it, with the desk's GPS.
    dispatcher = page("dispatcher", geolocation=IN_A1)
    dispatcher.login("dispatcher")
    dispatcher.page.get_by_role("link", name="上报", exact=True).click()
    form = dispatcher.page.locator("#report-form")
    expect(form.locator(".gps-status")).to_contain_text("GPS ✓ 34.105000, 112.003000")
    form.locator("select[name=category]").select_option(str(Category.objects.get(code="TF04").pk))
    form.locator("input[name=title]").fill("村民正在被冒充公检法诈骗")
    form.locator("textarea[name=description]").fill("老人正按电话指示去银行转账")
    form.locator("select[name=channel]").select_option(label="热线电话")
    form.locator("input[name=reporter_phone]").fill("13837900002")
    dispatcher.step("emergency-form-filled")
    form.get_by_role("button", name="上报").click()
    expect(dispatcher.page).to_have_url(re.compile(r"/cases/DT\d+/$"))
    case = Case.objects.get(title="村民正在被冒充公检法诈骗")
    dispatcher.expect_message(f"工单 {case.number} 已上报。")
    dispatcher.expect_state("已上报")
    expect(dispatcher.page.locator("main")).to_contain_text("紧急")
    assert (case.priority, case.grid, case.village) == ("emergency", town.a1, town.va)
    assert (case.latitude, case.longitude) == IN_A1
    dispatcher.step("emergency-reported")

    # The beat's officer sees it in the queue, marked as an emergency, and takes it.
    police = page("police_va", device="mobile", geolocation=IN_A1)
    police.login("police_va")
    police.page.get_by_role("link", name="工单").first.click()
    row = police.page.locator("table.cases tr", has_text=case.title)
    expect(row).to_contain_text("紧急")
    police.step("queue-with-emergency")
    row.get_by_role("link", name=case.title).click()
    police.act("accept", "收单", note="正在赶往现场")
    police.expect_state("已受理")

    # On scene: the check-in takes the position from the phone's GPS (field.js).
    form = police.action("check_in")
    expect(form.locator(".gps-status")).to_contain_text("GPS ✓")
    police.step("check-in-with-gps")
    form.get_by_role("button", name="到场报到").click()
    police.expect_message("已完成：到场报到。")

    case.refresh_from_db()
    assert case.on_scene_at is not None
    assert case.on_scene_at - case.reported_at <= timedelta(minutes=15)
    assert case.on_scene_at <= case.on_scene_due_at
    row = police.page.locator("table tr", has_text="到场")
    on_scene = timezone.localtime(case.on_scene_at).strftime("%m-%d %H:%M")
    expect(row.locator("td").nth(2)).to_have_text(on_scene)  # done, and not late
    row.scroll_into_view_if_needed()
    police.step("on-scene")
