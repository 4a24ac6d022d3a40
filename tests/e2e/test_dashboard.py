"""The one-screen page in Chromium at 1920×1080: the grid map with its polygons
and pins, every chart drawn with data, the field-work, rectification and points
panels, a click on a village or a league row rescoping the screen and the URL,
and not one console error."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

# The same field work, projects and points as the JSON tests count.
from dashboard.test_screen import panels  # noqa: F401
from playwright.sync_api import expect

from wangge.dashboard import metrics

pytestmark = pytest.mark.e2e

SH = ZoneInfo("Asia/Shanghai")
WALL = {"width": 1920, "height": 1080}
CHARTS = ["chart-daily", "chart-yoy", "chart-category", "chart-channel", "chart-settlement"]


@pytest.fixture
def november(town, make_case):
    """A month of cases in three grids, by several channels; some settled in the
    grid, one by a department (the town level), the rest open."""
    from wangge.cases import lifecycle as lc

    def at(day, hour):
        return datetime(2026, 11, day, hour, tzinfo=SH)

    places = [
        (112.003, 34.105, town.grid_worker),
        (112.015, 34.105, town.instructor),
        (112.005, 34.095, town.grid_worker_b1),
    ]
    channels = ["patrol", "hotline", "web", "visit"]
    cases = []
    for i in range(12):
        lon, lat, worker = places[i % 3]
        cases.append(
            make_case(
                ["MS01", "JF01", "HJ01", "AQ05"][i % 4],
                title=f"村民反映问题{i}",
                actor=worker,
                lon=lon + 0.001 * (i % 4),
                lat=lat,
                channel=channels[i % 4],
                now=at(2 + i, 9),
            )
        )
        if i % 3 != 2:
            lc.accept(cases[-1], worker, now=at(2 + i, 9) + timedelta(minutes=20))
        if i < 6 and i % 3 != 2:
            lc.resolve_on_site(cases[-1], worker, result="已现场处置", now=at(2 + i, 15))
            lc.verify(cases[-1], worker, now=at(2 + i, 16))
    town_case = cases[8]  # B1, reported on the 10th, not yet accepted
    lc.accept(town_case, town.grid_worker_b1, now=at(10, 10))
    lc.send_to_town(town_case, town.grid_worker_b1, reason="需要部门处置", now=at(10, 11))
    lc.dispatch(town_case, town.dispatcher, lead=town.pcs, now=at(10, 12))
    lc.claim(town_case, town.department, now=at(10, 13))
    lc.resolve(town_case, town.department, result="已处理", now=at(11, 10))
    lc.verify(town_case, town.grid_worker_b1, now=at(11, 15))
    return cases


@pytest.fixture
def petitions(town, make_case):
    """Petitions and public-order cases this November and last November (year over year)."""
    for year, count in ((2026, 2), (2025, 1)):
        for i in range(count):
            make_case(
                "XF01", title=f"信访：征地补偿{i}", now=datetime(year, 11, 3 + i, 10, tzinfo=SH)
            )
    make_case(
        "ZA02",
        title="夜间有人偷盗电动车",
        actor=town.grid_worker_b1,
        lon=112.005,
        lat=34.095,
        now=datetime(2026, 11, 6, 21, tzinfo=SH),
    )


def charts_drawn(page) -> dict:
    """For each chart: is there a canvas, and how much data do its series carry."""
    return page.evaluate(
        """(ids) => Object.fromEntries(ids.map((id) => {
            const el = document.getElementById(id);
            const chart = echarts.getInstanceByDom(el);
            const canvas = el.querySelector("canvas");
            const values = chart ? chart.getOption().series.flatMap((s) => s.data)
              .map((d) => (d !== null && typeof d === "object") ? d.value : d) : [];
            return [id, {canvas: !!canvas && canvas.width > 0 && canvas.height > 0,
                         total: values.reduce((a, v) => a + (Number(v) || 0), 0)}];
        }))""",
        CHARTS,
    )


def test_the_town_screen_draws_everything_and_a_village_click_rescopes_it(
    page, town, november, petitions
):
    leader = page("leader")
    leader.login("leader")
    leader.page.set_viewport_size(WALL)
    leader.goto("/dashboard/?period=2026-11")
    screen = leader.page.locator("#screen[data-ready='1']")
    expect(screen).to_be_visible()

    # The map: the four grids of the town as polygons, and the case pins (clustered).
    polygons = leader.page.locator("#grid-map path.grid-shape")
    expect(polygons).to_have_count(4)
    expect(
        leader.page.locator("#grid-map .case-pin, #grid-map .marker-cluster").first
    ).to_be_visible()
    # Every chart is a drawn canvas with data in it.
    drawn = charts_drawn(leader.page)
    for chart in CHARTS:
        assert drawn[chart]["canvas"], chart
        assert drawn[chart]["total"] > 0, chart
    # KPI tiles with the month's figures, league tables and the feed.
    scope = metrics.scope_for(town.leader, f"town:{town.town.pk}")
    reported = metrics.figures(scope, metrics.Period.parse("2026-11"))["reported"]
    tile = leader.page.locator("#kpi-period .kpi[data-figure=reported] b")
    expect(tile).to_have_text(str(reported))
    expect(leader.page.locator("#league-department tbody tr")).not_to_have_count(0)
    expect(leader.page.locator("#league-worker tbody tr").first).to_contain_text("worker_")
    leader.step("town-screen-1920x1080")

    # A click on a grid of 杨村 opens the village: the screen and the URL follow.
    box = polygons.first.bounding_box()
    leader.page.mouse.click(box["x"] + box["width"] * 0.15, box["y"] + box["height"] * 0.15)
    expect(leader.page).to_have_url(re.compile(rf"scope=village%3A{town.va.pk}.*period=2026-11"))
    expect(screen).to_be_visible()
    expect(leader.page.locator(".crumbs a[aria-current]")).to_have_text("杨村")
    expect(polygons).to_have_count(2)
    leader.step("village-screen")

    # The shared URL opens the same view; the crumb goes back to the town.
    leader.goto(f"/dashboard/?scope=village:{town.va.pk}&period=2026-11")
    expect(screen).to_be_visible()
    expect(polygons).to_have_count(2)
    leader.page.locator(".crumbs a", has_text="德亭镇").click()
    expect(leader.page).to_have_url(re.compile(rf"scope=town%3A{town.town.pk}"))
    expect(polygons).to_have_count(4)
    leader.step("back-to-town")


def test_a_grid_worker_sees_their_grid_and_exports_a_report(
    page, town, november, settings, tmp_path
):
    settings.VAR_DIR = tmp_path  # the export's file, written by its own thread
    worker = page("worker_a1", device="mobile")
    worker.login("worker_a1")
    worker.goto("/dashboard/?period=2026-11")
    expect(worker.page.locator("#screen[data-ready='1']")).to_be_visible()
    expect(worker.page.locator("#grid-map path.grid-shape")).to_have_count(1)
    expect(worker.page.locator(".crumbs a")).to_have_text(["杨村第一网格"])
    worker.step("grid-screen-phone")
    worker.page.get_by_role("button", name="Excel 报表").click()
    link = worker.page.locator(".export-status a.download")
    expect(link).to_be_visible()
    with worker.page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename.endswith(".xlsx")
    worker.step("report-ready")


def test_the_new_panels_render_and_league_rows_drill_down(page, town, november, panels):  # noqa: F811
    leader = page("leader")
    leader.login("leader")
    leader.page.set_viewport_size(WALL)
    leader.goto("/dashboard/?period=2026-11")
    screen = leader.page.locator("#screen[data-ready='1']")
    expect(screen).to_be_visible()
    p = leader.page

    # Field work: 2 of the town's 4 households met; one breached seal, shown as bad.
    expect(p.locator("#field-visits .kpi[data-figure=coverage] b")).to_have_text("50.0%")
    breaches = p.locator("#field-inspections .kpi[data-figure=seal_breaches]")
    expect(breaches.locator("b")).to_have_text("1")
    expect(breaches).to_have_class(re.compile(r"\bbad\b"))
    # The lowest coverage first: 杨村 (1 of 3) before 庄科村 (1 of 1).
    expect(p.locator("#field-worst li .bar-label")).to_have_text(["杨村", "庄科村"])
    # Rectification: a bar per target, as wide as its progress.
    projects = p.locator("#rectification .project")
    expect(projects).to_have_count(2)
    first = projects.filter(has_text="杨村人居环境整治")
    expect(first.locator(".bars li")).to_have_count(2)
    expect(first.locator(".bars li").first.locator(".bar i")).to_have_attribute(
        "style", re.compile(r"width: 75%")
    )
    expect(first.locator("h3 b")).to_have_text("88%")
    # Points: the villages by points per household, 杨村 first.
    expect(p.locator("#league-points tbody tr").first).to_contain_text("杨村")
    # Everything fits the wall screen at once, the site's header included: no
    # panel runs past an edge, none is squeezed flat.
    boxes = p.evaluate(
        """() => [...document.querySelectorAll('#screen > .panel')].map((el) => {
            const r = el.getBoundingClientRect();
            return {id: el.className, right: r.right, bottom: r.bottom + window.scrollY,
                    height: r.height};
        })"""
    )
    assert len(boxes) == 12
    assert all(b["right"] <= WALL["width"] and b["bottom"] <= WALL["height"] for b in boxes), boxes
    assert all(b["height"] > 150 for b in boxes), boxes
    leader.step("town-panels-1920x1080")

    # A click on a department row opens that department's own screen.
    p.locator("#league-department a.drill", has_text="德亭派出所").click()
    expect(p).to_have_url(re.compile(rf"scope=department%3A{town.pcs.pk}.*period=2026-11"))
    expect(screen).to_be_visible()
    expect(p.locator(".crumbs a[aria-current]")).to_have_text("德亭派出所")
    expect(p.locator("#league-department tbody tr")).to_have_count(1)
    leader.step("department-screen")

    # Back to the town; a worker row opens the worker's grids.
    p.go_back()
    expect(p).to_have_url(re.compile(rf"scope=town%3A{town.town.pk}"))
    expect(screen).to_be_visible()
    p.locator("#league-worker a.drill", has_text="worker_a1").click()
    expect(p).to_have_url(re.compile(rf"scope=worker%3A{town.grid_worker.pk}"))
    expect(screen).to_be_visible()
    expect(p.locator("#grid-map path.grid-shape")).to_have_count(1)
    leader.step("worker-screen")

    # A village's screen has its department table (no longer "nothing yet"), and a
    # click on a grid in the coverage list opens the grid.
    leader.goto(f"/dashboard/?scope=village:{town.va.pk}&period=2026-11")
    expect(screen).to_be_visible()
    expect(p.locator("#league-department a.drill")).to_have_count(2)
    expect(p.locator("#rectification .project")).to_have_count(1)
    p.locator("#field-worst a.drill").first.click()
    expect(p).to_have_url(re.compile(r"scope=grid%3A"))
    expect(screen).to_be_visible()
    expect(p.locator("#grid-map path.grid-shape")).to_have_count(1)
    leader.step("village-to-grid")
