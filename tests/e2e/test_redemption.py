"""The points supermarket counter (积分超市) on a grid worker's phone: a household
redeems what its points allow, and a second redemption beyond its balance is
refused with the reason, nothing taken."""

from playwright.sync_api import expect

from wangge.points import services
from wangge.points.models import Good, PointEntry, PointRule, RuleKind


def test_grid_worker_redeems_goods_for_a_household(page, town):
    rule = PointRule.objects.create(
        town=town.town,
        village=town.va,
        code="A01",
        category="孝老爱亲",
        title="赡养老人、孝敬公婆",
        kind=RuleKind.AWARD,
        points=10,
    )
    for _ in range(4):
        services.record(town.grid_leader, town.h_a1w, rule)  # 40 points
    oil = Good.objects.create(
        town=town.town, village=town.va, name="食用油", unit="桶", price=30, stock=3
    )
    Good.objects.create(
        town=town.town, village=town.va, name="洗衣粉", unit="袋", price=5, stock=50
    )

    worker = page("worker_a1", device="mobile")
    worker.login("worker_a1")
    worker.goto("/points/shop/")
    expect(worker.page.locator("h1")).to_have_text("积分超市")
    card = worker.page.locator(".good", has_text="食用油")
    expect(card.locator(".stock")).to_have_text("3")
    worker.step("shop")

    form = worker.page.locator("#redeem-form")
    form.locator("input[name=household]").fill("A1-001")
    form.locator("select[name=good]").select_option(label="食用油（30/桶）")
    form.locator("input[name=quantity]").fill("1")
    worker.step("counter-filled")
    form.get_by_role("button", name="兑换").click()
    worker.expect_message("已为A1-001户兑换食用油×1，扣除30分，剩余10分。")
    expect(worker.page.locator(".good", has_text="食用油").locator(".stock")).to_have_text("2")
    worker.step("redeemed")

    # A second bottle is beyond the household's 10 points: refused, nothing taken.
    form = worker.page.locator("#redeem-form")
    form.locator("input[name=household]").fill("A1-001")
    form.locator("select[name=good]").select_option(label="食用油（30/桶）")
    form.get_by_role("button", name="兑换").click()
    worker.expect_message("积分不足：该户现有10分，本次需要30分。")
    expect(worker.page.locator(".good", has_text="食用油").locator(".stock")).to_have_text("2")
    worker.step("refused")

    assert services.balance_of(town.h_a1w) == 10
    assert Good.objects.get(pk=oil.pk).stock == 2
    assert PointEntry.objects.filter(household=town.h_a1w, kind="redemption").count() == 1

    # The household's ledger shows the redemption.
    worker.goto(f"/points/households/{town.h_a1w.pk}/")
    expect(worker.page.locator("#balance")).to_have_text("10")
    expect(worker.page.locator("table")).to_contain_text("食用油×1")
    worker.step("ledger")
