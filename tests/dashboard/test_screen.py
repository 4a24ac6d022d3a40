"""The one-screen page and its JSON: who may see which scope, what it draws,
and clear errors for a scope or period that cannot be read."""

import json
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from wangge.cases import lifecycle as lc
from wangge.dashboard import metrics

SH = ZoneInfo("Asia/Shanghai")
IN_A2 = {"lon": 112.015, "lat": 34.105}
IN_B1 = {"lon": 112.005, "lat": 34.095}


@pytest.fixture
def cases(town, make_case):
    """Five cases this month: two in A1 (one settled on site and closed), one in A2,
    two in B1; reported on 23 November, so the open ones are overdue by now."""
    at = datetime(2026, 11, 23, 9, 0, tzinfo=SH)
    closed = make_case(title="路灯不亮", reporter_phone="13837900001", reporter_name="王秀英")
    lc.accept(closed, town.grid_worker, now=at + timedelta(minutes=20))
    lc.resolve_on_site(closed, town.grid_worker, result="已更换灯泡", now=at + timedelta(hours=2))
    lc.verify(closed, town.grid_worker, now=at + timedelta(hours=3))
    open_a1 = make_case(title="村口自来水管破裂")
    a2 = make_case(title="垃圾未清运", actor=town.instructor, **IN_A2)
    b1 = [make_case(title=f"庄科村道路塌陷{i}", actor=town.grid_worker_b1, **IN_B1) for i in (1, 2)]
    return {"closed": closed, "open_a1": open_a1, "a2": a2, "b1": b1}


def login(client, user):
    client.force_login(user)
    return client


def test_dispatcher_sees_the_town_screen(client, town, cases):
    login(client, town.dispatcher)
    response = client.get(reverse("dashboard:screen"))
    assert response.status_code == 200
    page = response.content.decode()
    assert f'data-scope="town:{town.town.pk}"' in page
    assert "vendor/echarts/echarts.min.js" in page
    assert "vendor/leaflet.heat/leaflet-heat.js" in page
    assert "一屏观全域" in page and "德亭镇" in page


def test_data_is_the_metrics_screen_for_the_scope_and_period(client, town, cases):
    login(client, town.dispatcher)
    response = client.get(
        reverse("dashboard:data"), {"scope": f"town:{town.town.pk}", "period": "2026-11"}
    )
    assert response.status_code == 200
    body = response.json()
    scope = metrics.scope_for(town.dispatcher, f"town:{town.town.pk}")
    expected = metrics.figures(scope, metrics.Period.parse("2026-11"))
    assert body["scope"]["param"] == f"town:{town.town.pk}"
    assert body["period"]["param"] == "2026-11"
    assert body["screen"]["figures"]["reported"] == expected["reported"] == 5
    assert body["screen"]["figures"]["closed"] == expected["closed"] == 1
    assert body["screen"]["figures"]["overdue_now"] == expected["overdue_now"]
    assert body["drill"] == "village"
    assert {p["number"] for p in body["case_points"]} == {
        c.number for c in [cases["closed"], cases["open_a1"], cases["a2"], *cases["b1"]]
    }


def test_village_scope_has_the_village_grids_only_and_the_way_back_to_the_town(client, town, cases):
    login(client, town.dispatcher)
    params = {"scope": f"village:{town.vb.pk}", "period": "2026-11"}
    body = client.get(reverse("dashboard:data"), params).json()
    assert body["screen"]["figures"]["reported"] == 2
    assert body["drill"] == "grid"
    assert [c["name"] for c in body["crumbs"]] == ["德亭镇", "庄科村"]
    geo = client.get(reverse("dashboard:grids"), params).json()
    assert {f["properties"]["grid"] for f in geo["features"]} == {town.b1.pk, town.b2.pk}
    # B2 keeps its hole after simplification.
    b2 = next(f for f in geo["features"] if f["properties"]["grid"] == town.b2.pk)
    assert len(b2["geometry"]["coordinates"]) == 2


def test_grid_worker_sees_their_own_grid(client, town, cases):
    login(client, town.grid_worker)
    body = client.get(reverse("dashboard:data")).json()
    assert body["scope"]["param"] == f"grid:{town.a1.pk}"
    assert body["screen"]["figures"]["reported"] == 2
    # The town and village above are not theirs to open.
    assert [c["param"] for c in body["crumbs"]] == [f"grid:{town.a1.pk}"]
    geo = client.get(reverse("dashboard:grids")).json()
    assert [f["properties"]["grid"] for f in geo["features"]] == [town.a1.pk]


@pytest.mark.parametrize("view", ["screen", "data", "grids", "feed"])
def test_grid_worker_cannot_ask_for_another_grid(client, town, cases, view):
    login(client, town.grid_worker)
    response = client.get(reverse(f"dashboard:{view}"), {"scope": f"grid:{town.b1.pk}"})
    assert response.status_code == 404
    assert "庄科村" not in response.content.decode()


def test_grid_worker_cannot_ask_for_the_town_or_another_village(client, town, cases):
    login(client, town.grid_worker)
    for scope in (f"town:{town.town.pk}", f"village:{town.vb.pk}"):
        assert client.get(reverse("dashboard:data"), {"scope": scope}).status_code == 404


def test_grid_leader_sees_their_village_and_its_grids_but_not_the_other_village(
    client, town, cases
):
    login(client, town.grid_leader)
    body = client.get(reverse("dashboard:data"), {"period": "2026-11"}).json()
    assert body["scope"]["param"] == f"village:{town.va.pk}"
    assert body["screen"]["figures"]["reported"] == 3
    grid = client.get(reverse("dashboard:data"), {"scope": f"grid:{town.a2.pk}"})
    assert grid.status_code == 200
    assert grid.json()["crumbs"][0]["param"] == f"village:{town.va.pk}"
    other = client.get(reverse("dashboard:data"), {"scope": f"village:{town.vb.pk}"})
    assert other.status_code == 404


def test_department_sees_its_own_league_line(client, town, cases):
    case = cases["b1"][0]
    lc.accept(case, town.grid_worker_b1)
    lc.send_to_town(case, town.grid_worker_b1, reason="需要镇里协调")
    lc.dispatch(case, town.dispatcher, lead=town.pcs)
    login(client, town.department)
    body = client.get(reverse("dashboard:data"), {"period": "2026-11"}).json()
    assert body["scope"]["param"] == f"department:{town.pcs.pk}"
    assert [row["name"] for row in body["screen"]["league"]["department"]] == ["德亭派出所"]
    assert body["screen"]["figures"]["reported"] == 1
    town_scope = client.get(reverse("dashboard:data"), {"scope": f"town:{town.town.pk}"})
    assert town_scope.status_code == 404


def test_people_without_a_scope_are_refused(client, town):
    login(client, town.outsider)
    assert client.get(reverse("dashboard:screen")).status_code == 403
    assert client.get(reverse("dashboard:data")).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client, town):
    response = client.get(reverse("dashboard:screen"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_bad_period_is_a_clear_error_in_chinese(client, town, cases):
    login(client, town.dispatcher)
    page = client.get(reverse("dashboard:screen"), {"period": "2026-13"})
    assert page.status_code == 400
    assert "2026-13" in page.content.decode()
    data = client.get(reverse("dashboard:data"), {"period": "last week"})
    assert data.status_code == 400
    assert "last week" in data.json()["error"]
    assert data.json()["error"].startswith("无法识别的统计周期")


def test_a_bad_scope_is_a_clear_error(client, town, cases):
    login(client, town.dispatcher)
    response = client.get(reverse("dashboard:data"), {"scope": "province:1"})
    assert response.status_code == 400
    assert "province:1" in response.json()["error"]
    page = client.get(reverse("dashboard:screen"), {"scope": "village:abc"})
    assert page.status_code == 400


def test_a_scope_that_names_nothing_is_not_found(client, town):
    login(client, town.dispatcher)
    assert client.get(reverse("dashboard:data"), {"scope": "village:999999"}).status_code == 404


def test_the_feed_lists_new_cases_and_reads_since(client, town, cases):
    login(client, town.dispatcher)
    body = client.get(reverse("dashboard:feed"), {"since": "2026-11-01T00:00:00+08:00"}).json()
    numbers = {item["number"] for item in body["items"] if item["kind"] == "new"}
    assert cases["a2"].number in numbers
    later = client.get(reverse("dashboard:feed"), {"since": body["now"]}).json()
    assert [i for i in later["items"] if i["kind"] == "new"] == []
    bad = client.get(reverse("dashboard:feed"), {"since": "yesterday"})
    assert bad.status_code == 400
    assert "yesterday" in bad.json()["error"]


def data_queries(client, village) -> int:
    params = {"scope": f"village:{village.pk}", "period": "2026-11"}
    assert client.get(reverse("dashboard:data"), params).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("dashboard:data"), params).status_code == 200
    return len(captured.captured_queries)


def test_the_data_runs_as_many_queries_for_many_cases_as_for_few(client, town, make_case):
    """No query per case, grid or row: the screen's queries do not grow with the data."""
    login(client, town.grid_leader)
    make_case(title="一件")
    few = data_queries(client, town.va)
    for i, category in enumerate(["MS01", "JF01", "HJ01", "AQ05", "XF01", "ZA02"]):
        make_case(category, title=f"第{i}件", actor=town.instructor, **IN_A2)
        make_case(category, title=f"又一件{i}", channel="hotline")
    assert data_queries(client, town.va) == few


def screen_labels(client) -> dict:
    """The labels the page's script draws with (its json_script block)."""
    page = client.get(reverse("dashboard:screen")).content.decode()
    found = re.search(r'<script id="screen-labels" type="application/json">(.*?)</script>', page)
    return json.loads(found[1])


def test_the_screen_speaks_chinese_by_default_and_english_when_chosen(client, settings, town):
    login(client, town.dispatcher)
    chinese = screen_labels(client)
    assert chinese["response_rate"] == "响应率"
    assert chinese["on_time_rate"] == "按期处置率"
    assert chinese["settlement_group"] == "组内办结（小事不出组）"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = screen_labels(client)
    assert english["response_rate"] == "Response rate"
    assert english["on_time_rate"] == "On-time handling rate"


# --- Field work, rectification and points; the drill-down links -------------------

NOVEMBER = "2026-11"


@pytest.fixture
def panels(town, catalogue):
    """November's field work in the town (visits in A1 and B1, a breached adit in B1),
    a rectification project in each village, and points awarded in 杨村."""
    from datetime import date

    from wangge.community.models import RectificationProject, RectificationTarget
    from wangge.fieldwork.models import SealState
    from wangge.fieldwork.services import check_in, record_visit
    from wangge.grids.models import Place, PlaceKind
    from wangge.points import services as points
    from wangge.points.models import PointRule, PointScheme, RuleKind

    end = datetime(2026, 11, 27, 18, 0, tzinfo=SH)
    record_visit(
        town.grid_worker, town.h_a1w, visited_at=datetime(2026, 11, 3, 9, tzinfo=SH), now=end
    )
    record_visit(
        town.grid_worker,
        town.h_a1e,
        visited_at=datetime(2026, 11, 4, 9, tzinfo=SH),
        nobody_home=True,
        now=end,
    )
    record_visit(
        town.grid_worker_b1, town.h_b1, visited_at=datetime(2026, 11, 5, 9, tzinfo=SH), now=end
    )
    adit = Place.objects.create(
        town=town.town,
        village=town.vb,
        grid=town.b1,
        kind=PlaceKind.SEALED_ADIT,
        name="庄科村1号封闭矿洞",
        longitude=112.005,
        latitude=34.095,
    )
    check_in(
        town.grid_worker_b1,
        adit.watch,
        latitude=adit.latitude,
        longitude=adit.longitude,
        seal_state=SealState.BREACHED,
        now=datetime(2026, 11, 20, 10, tzinfo=SH),
    )

    def project(village, title, targets):
        p = RectificationProject.objects.create(
            town=town.town,
            village=village,
            title=title,
            started_on=date(2026, 9, 1),
            due_on=date(2026, 12, 31),
            created_by=town.leader,
        )
        for position, (name, unit, target, done) in enumerate(targets):
            RectificationTarget.objects.create(
                town=town.town,
                project=p,
                name=name,
                unit=unit,
                target=target,
                done=done,
                position=position,
            )
        return p

    project(town.va, "杨村人居环境整治", [("拆除旱厕", "间", 40, 30), ("清理垃圾", "吨", 10, 12)])
    project(town.vb, "庄科村软弱涣散整顿", [("党员谈心", "人", 20, 5)])
    PointScheme.objects.create(
        town=town.town, village=town.va, title="杨村村规民约", evidence_threshold=10
    )
    rule = PointRule.objects.create(
        town=town.town,
        village=town.va,
        code="A01",
        category="村规民约",
        title="孝老爱亲",
        kind=RuleKind.AWARD,
        points=5,
    )
    points.record(town.grid_worker, town.h_a1w, rule, occurred_on=date(2026, 11, 6), now=end)
    return town


def without_links(value):
    """The JSON as the metrics functions return it: without the page's drill-down links."""
    if isinstance(value, dict):
        return {k: without_links(v) for k, v in value.items() if k != "param"}
    if isinstance(value, list):
        return [without_links(v) for v in value]
    return value


def as_json(value):
    from django.core.serializers.json import DjangoJSONEncoder

    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def test_the_data_has_field_work_rectification_and_points_as_the_metrics_count_them(
    client, town, cases, panels
):
    from wangge.dashboard.metrics import community, fieldwork

    login(client, town.dispatcher)
    param = f"town:{town.town.pk}"
    body = client.get(reverse("dashboard:data"), {"scope": param, "period": NOVEMBER}).json()
    scope, period = metrics.scope_for(town.dispatcher, param), metrics.Period.parse(NOVEMBER)
    screen = body["screen"]
    visits = fieldwork.visit_coverage(scope, period)
    assert without_links(screen["fieldwork"]["visits"]) == as_json(visits)
    assert without_links(screen["fieldwork"]["inspections"]) == as_json(
        fieldwork.inspections(scope, period)
    )
    assert screen["rectification"] == as_json(community.rectification_progress(scope))
    assert without_links(screen["points"]) == as_json(
        community.points_leaderboard(scope, period, limit=5)
    )
    # Hand-counted: 4 households in the town, two met in November (A1-002: nobody home).
    assert (visits["households"], visits["visited"]) == (4, 2)
    assert screen["fieldwork"]["inspections"]["seal_breaches"] == 1
    progress = {p["title"]: p["percent"] for p in screen["rectification"]}
    assert progress == {"杨村人居环境整治": round((75 + 100) / 2), "庄科村软弱涣散整顿": 25}
    assert screen["points"]["villages"][0]["name"] == "杨村"
    assert screen["points"]["villages"][0]["awarded"] == 5


def test_a_village_screen_has_its_own_panels_and_the_department_table(client, town, cases, panels):
    login(client, town.grid_leader)
    param = f"village:{town.va.pk}"
    body = client.get(reverse("dashboard:data"), {"scope": param, "period": NOVEMBER}).json()
    scope, period = metrics.scope_for(town.grid_leader, param), metrics.Period.parse(NOVEMBER)
    screen = body["screen"]
    # The town's departments, counted over the village's cases (the page takes
    # metrics.league when metrics.screen leaves the table out below the town).
    departments = screen["league"]["department"]
    assert without_links(departments) == as_json(metrics.league(scope, period, "department"))
    assert {row["name"] for row in departments} == {"德亭派出所", "应急办"}
    # Only 杨村's figures: its project, its grids' households and no adit.
    assert [p["title"] for p in screen["rectification"]] == ["杨村人居环境整治"]
    visits = screen["fieldwork"]["visits"]
    assert (visits["households"], visits["visited"]) == (3, 1)
    assert {row["id"] for row in visits["by_grid"]} == {town.a1.pk, town.a2.pk}
    assert screen["fieldwork"]["inspections"]["seal_breaches"] == 0
    assert [v["name"] for v in screen["points"]["villages"]] == ["杨村"]


def test_league_rows_link_to_the_scopes_the_town_may_open(client, town, cases, panels):
    login(client, town.dispatcher)
    params = {"scope": f"town:{town.town.pk}", "period": NOVEMBER}
    league = client.get(reverse("dashboard:data"), params).json()["screen"]["league"]
    assert {row["param"] for row in league["department"]} == {
        f"department:{town.pcs.pk}",
        f"department:{town.yjb.pk}",
    }
    assert {row["param"] for row in league["worker"]} == {
        f"worker:{town.grid_worker.pk}",
        f"worker:{town.grid_worker_b1.pk}",
    }
    assert {row["param"] for row in league["grid"]} == {
        f"grid:{g.pk}" for g in (town.a1, town.a2, town.b1, town.b2)
    }
    # The links open: a department's and a worker's own screen.
    for param in (f"department:{town.pcs.pk}", f"worker:{town.grid_worker.pk}"):
        opened = client.get(reverse("dashboard:data"), {"scope": param, "period": NOVEMBER})
        assert opened.status_code == 200
        assert opened.json()["scope"]["param"] == param


def test_a_grid_leader_gets_links_only_where_they_may_go(client, town, cases, panels):
    login(client, town.grid_leader)
    params = {"scope": f"village:{town.va.pk}", "period": NOVEMBER}
    screen = client.get(reverse("dashboard:data"), params).json()["screen"]
    # Departments are the town's: listed, but not a link for a village's leader.
    assert [row["param"] for row in screen["league"]["department"]] == [None, None]
    assert (
        client.get(reverse("dashboard:data"), {"scope": f"department:{town.pcs.pk}"}).status_code
        == 404
    )
    assert [row["param"] for row in screen["league"]["worker"]] == [f"worker:{town.grid_worker.pk}"]
    assert {row["param"] for row in screen["fieldwork"]["visits"]["by_grid"]} == {
        f"grid:{town.a1.pk}",
        f"grid:{town.a2.pk}",
    }
    assert [v["param"] for v in screen["points"]["villages"]] == [f"village:{town.va.pk}"]


def test_a_department_sees_its_own_line_linked_and_no_other(client, town, cases, panels):
    login(client, town.department)
    screen = client.get(reverse("dashboard:data"), {"period": NOVEMBER}).json()["screen"]
    assert [(r["name"], r["param"]) for r in screen["league"]["department"]] == [
        ("德亭派出所", f"department:{town.pcs.pk}")
    ]
    # A department holds no households: nothing to visit, nothing to link; the
    # town's workers are listed, but a department opens none of them.
    assert screen["fieldwork"]["visits"]["households"] == 0
    assert all(v["param"] is None for v in screen["points"]["villages"])
    assert {r["name"] for r in screen["league"]["worker"]} == {"worker_a1", "worker_b1"}
    assert all(r["param"] is None for r in screen["league"]["worker"])
    assert (
        client.get(
            reverse("dashboard:data"), {"scope": f"worker:{town.grid_worker.pk}"}
        ).status_code
        == 404
    )


def test_the_links_cost_no_query_per_worker(client, town, cases):
    """More grid workers in the town: the same queries for a department's screen
    (links are not asked row by row there) and for the town's."""
    from wangge.staff.models import Role, User
    from wangge.staff.services import assign_role

    def queries(user, params):
        login(client, user)
        assert client.get(reverse("dashboard:data"), params).status_code == 200
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("dashboard:data"), params).status_code == 200
        return len(captured.captured_queries)

    department = {"scope": f"department:{town.pcs.pk}", "period": NOVEMBER}
    whole_town = {"scope": f"town:{town.town.pk}", "period": NOVEMBER}
    before = queries(town.department, department), queries(town.dispatcher, whole_town)
    for i, grid in enumerate([town.a2, town.b2, town.b1]):
        user = User.objects.create_user(f"extra_{i}", password="pw-extra", town=town.town)
        assign_role(user, Role.GRID_WORKER, grid=grid)
    assert (queries(town.department, department), queries(town.dispatcher, whole_town)) == before


def test_the_panels_add_no_query_per_row(client, town, cases, panels, make_case):
    login(client, town.grid_leader)
    few = data_queries(client, town.va)
    for i in range(3):
        make_case(title=f"新增{i}", actor=town.instructor, **IN_A2)
    assert data_queries(client, town.va) == few
