"""A grid worker's morning round on the phone: today's visits (the vulnerable household
first, then nearest from where she stands), a visit with a finding that opens a case,
and a check-in at a sealed adit that is refused from afar and accepted on site."""

import re

from playwright.sync_api import expect

from wangge.cases.models import Case, Category
from wangge.fieldwork.models import Inspection, PlaceWatch, ServiceStation, Visit
from wangge.grids.models import Place, PlaceKind
from wangge.residents.models import Household, Tag

CORNER = (34.1094, 112.0094)  # the north-east corner of grid A1
ADIT = (34.104, 112.004)


def _round(town):
    def household(number, lon, lat):
        return Household.objects.create(
            town=town.town,
            village=town.va,
            grid=town.a1,
            number=number,
            address=f"杨村{number}号",
            longitude=lon,
            latitude=lat,
        )

    Household.objects.filter(pk=town.h_a1w.pk).update(latitude=34.105, longitude=112.002)
    Household.objects.filter(pk=town.h_a1e.pk).update(latitude=34.105, longitude=112.008)
    household("A1-003", 112.0051, 34.1051)
    household("A1-004", 112.0095, 34.1095)
    old = household("A1-005", 112.0060, 34.1060)
    old.tags.add(Tag.objects.create(code="alone_elderly", name="独居老人", vulnerable=True))
    Place.objects.create(
        town=town.town,
        village=town.va,
        grid=town.a1,
        kind=PlaceKind.SEALED_ADIT,
        name="杨村1号封闭矿洞",
        latitude=ADIT[0],
        longitude=ADIT[1],
    )
    station = Place.objects.create(
        town=town.town,
        village=town.va,
        grid=town.a1,
        kind=PlaceKind.SERVICE_STATION,
        name="杨村便民服务驿站",
        latitude=34.105,
        longitude=112.005,
    )
    ServiceStation.objects.create(town=town.town, place=station, opening_hours="周一至周五")
    return old


def test_grid_worker_visit_round(page, town, catalogue, settings):
    settings.WANGGE_SERVICE_WALK_M = 500
    old = _round(town)
    worker = page("worker_a1", device="mobile", geolocation=CORNER)
    worker.login("worker_a1")

    # Today's visits: the lone elderly household first, then from the grid's centre.
    worker.goto("/fieldwork/")
    items = worker.page.locator("#visit-list li")
    expect(items).to_have_count(5)
    expect(items.first).to_contain_text("A1-005")
    expect(items.first).to_contain_text("重点关爱")
    expect(items.nth(1)).to_contain_text("A1-003")
    worker.step("todays-visits-from-centre")

    # From where she stands (the north-east corner), the far household comes next.
    worker.page.get_by_role("button", name="使用我的位置").click()
    expect(worker.page).to_have_url(re.compile(r"lat=34\.109"))
    expect(items.nth(1)).to_contain_text("A1-004")
    expect(worker.page.locator("main")).to_contain_text("按距您当前位置由近到远排序")
    worker.step("todays-visits-from-gps")

    # Knock at the lone elderly household: a visit with a finding.
    items.first.locator("a").click()
    form = worker.page.locator("#visit-form")
    expect(form.locator(".gps-status")).to_contain_text("GPS ✓")
    form.locator("input[name=mediator]").fill("贾洁")
    form.locator("textarea[name=notes]").fill("老人独居，身体尚可，反映停水")
    form.locator("select[name=finding_category]").select_option(
        str(Category.objects.get(code="MS01").pk)
    )
    form.locator("input[name=finding_title]").fill("自来水停水三天")
    worker.step("visit-form-filled")
    form.get_by_role("button", name="保存走访记录").click()
    worker.expect_message("走访已登记，已生成工单 DT")
    expect(worker.page.locator("#visit-list li")).to_have_count(4)
    expect(worker.page.locator("#visit-list")).not_to_contain_text("A1-005")
    worker.step("visit-recorded")

    visit = Visit.objects.get(household=old)
    assert visit.mediator == "贾洁" and visit.visited_by == town.grid_worker
    assert round(visit.latitude, 4) == CORNER[0]
    case = visit.cases.get()
    assert case.channel == "visit" and case.title == "自来水停水三天"
    assert Case.objects.count() == 1

    # The sealed adit: from the corner the check-in is refused, nothing saved.
    worker.page.locator("nav.fw-nav").get_by_role("link", name="巡查").click()
    worker.page.get_by_role("link", name="杨村1号封闭矿洞").click()
    form = worker.page.locator("#checkin-form")
    expect(form.locator(".gps-status")).to_contain_text("GPS ✓")
    form.locator("select[name=seal_state]").select_option("sealed")
    form.get_by_role("button", name="现场签到").click()
    expect(worker.page.locator("#checkin-form .errorlist")).to_contain_text(
        "请到其 100 米范围内签到"
    )
    assert not Inspection.objects.exists()
    worker.step("check-in-refused-far-away")

    # At the adit itself: checked in.
    worker.page.context.set_geolocation({"latitude": ADIT[0] + 0.0002, "longitude": ADIT[1]})
    worker.page.reload()
    form = worker.page.locator("#checkin-form")
    expect(form.locator(".gps-status")).to_contain_text("GPS ✓ 34.1042")
    form.locator("select[name=seal_state]").select_option("sealed")
    form.locator("textarea[name=notes]").fill("封堵完好，警示牌清晰")
    form.get_by_role("button", name="现场签到").click()
    worker.expect_message("已在杨村1号封闭矿洞签到")
    expect(worker.page.locator("#seal-state")).to_have_text("封堵完好")
    worker.step("checked-in")
    inspection = Inspection.objects.get()
    assert inspection.inspector == town.grid_worker and inspection.distance_m < 30
    assert PlaceWatch.objects.get(place=inspection.place).last_inspected_at is not None

    # The stations' map: the circle, and the households outside it in her grid.
    worker.page.locator("nav.fw-nav").get_by_role("link", name="便民驿站").click()
    expect(worker.page.locator("#stations-map[data-loaded='1']")).to_have_count(1)
    # 500 m around the station holds every A1 household but the far corner's (650 m).
    expect(worker.page.locator("#outside-summary")).to_have_text(
        "5 户中有 1 户位于步行十分钟服务圈以外。"
    )
    expect(worker.page.locator("#stations-map .leaflet-overlay-pane canvas")).to_have_count(1)
    worker.step("stations-map")
