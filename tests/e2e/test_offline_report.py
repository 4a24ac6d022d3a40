"""A grid worker in a mountain village loses the signal while reporting: the form
keeps what was typed and sends it again, with the same idempotency key, when the
phone is back online — one case, never two."""

import re

from playwright.sync_api import expect

from wangge.cases.models import Case, Category, IdempotencyRecord

IN_A1 = (34.105, 112.003)


def test_a_report_sent_without_signal_arrives_once_when_the_signal_returns(page, town, catalogue):
    worker = page("worker_a1", device="mobile", geolocation=IN_A1)
    worker.login("worker_a1")
    worker.goto("/cases/new/")
    form = worker.page.locator("#report-form")
    expect(form.locator(".gps-status")).to_contain_text("GPS ✓")
    form.locator("select[name=category]").select_option(str(Category.objects.get(code="AQ03").pk))
    form.locator("input[name=title]").fill("后山路段落石挡路")
    form.locator("textarea[name=description]").fill("约两立方米落石，车辆无法通行")
    worker.step("form-filled")

    # No signal: the send fails, the page says so, and nothing is lost.
    worker.page.context.set_offline(True)
    form.get_by_role("button", name="上报").click()
    expect(form).to_contain_text("没有网络")
    assert Case.objects.count() == 0
    draft = worker.page.evaluate("() => localStorage.getItem('wangge-draft-report')")
    assert "后山路段落石挡路" in draft
    # The failed send is the one console error expected here.
    assert worker.errors and all("ERR_INTERNET_DISCONNECTED" in e for e in worker.errors)
    worker.errors.clear()
    worker.step("offline-kept")

    # Signal again: the form sends itself, once.
    worker.page.context.set_offline(False)
    worker.page.evaluate("() => window.dispatchEvent(new Event('online'))")
    expect(worker.page).to_have_url(re.compile(r"/cases/DT\d+/$"), timeout=20_000)
    worker.step("sent-after-reconnect")
    assert Case.objects.filter(title="后山路段落石挡路").count() == 1
    assert IdempotencyRecord.objects.count() == 1
    assert worker.page.evaluate("() => localStorage.getItem('wangge-draft-report')") is None
