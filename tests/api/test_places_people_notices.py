"""Grids, places, households and residents (masked), figures and notifications."""

from conftest import grant
from django.test import Client

from wangge.cases.models import Notice
from wangge.grids.models import Place
from wangge.residents.models import UnmaskLog


def test_grids_are_geojson_and_only_the_callers(town, api_as):
    body = api_as(town.grid_worker).get("/grids").json()
    assert body["type"] == "FeatureCollection"
    assert [f["properties"]["code"] for f in body["features"]] == [town.a1.code]
    feature = body["features"][0]
    assert feature["geometry"]["type"] == "Polygon"
    everyone = api_as(town.dispatcher).get("/grids").json()["features"]
    assert {f["id"] for f in everyone} == {town.a1.pk, town.a2.pk, town.b1.pk, town.b2.pk}
    assert api_as(town.grid_worker).get(f"/grids/{town.b1.pk}").status_code == 404


def test_places_by_scope_and_kind(town, api_as):
    def place(grid, kind, name):
        return Place.objects.create(
            town=grid.town,
            village=grid.village,
            grid=grid,
            kind=kind,
            name=name,
            latitude=34.105,
            longitude=112.003,
        )

    adit = place(town.a1, "sealed_adit", "杨村一号封闭矿洞")
    place(town.b1, "school", "庄科小学")
    api = api_as(town.grid_worker)
    assert [p["id"] for p in api.get("/places").json()["items"]] == [adit.pk]
    assert api.get("/places", {"kind": "school"}).json()["items"] == []
    assert api.get("/places", {"kind": "castle"}).status_code == 422


def test_households_and_residents_are_masked(town, api_as):
    api = api_as(town.grid_worker)
    households = api.get("/households").json()["items"]
    assert {h["number"] for h in households} == {"A1-001", "A1-002"}
    detail = api.get(f"/households/{town.h_a1w.pk}").json()
    member = detail["members"][0]
    assert member["name"] == "王秀英"
    assert member["id_number"] != "410325196503120017" and "*" in member["id_number"]
    assert "13837900001" not in str(detail)
    assert api.get(f"/households/{town.h_b1.pk}").status_code == 404
    assert api.get(f"/residents/{town.r_b1.pk}").status_code == 404


def test_unmasking_needs_the_permission_and_is_logged(town, api_as):
    api = api_as(town.grid_worker)
    url = f"/residents/{town.r_a1w.pk}/unmask"
    refused = api.post(url, {"field": "phone", "reason": "入户走访"})
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    assert not UnmaskLog.objects.exists()
    grant(town.grid_worker, "unmask_personal_data")
    shown = api.post(url, {"field": "phone", "reason": "入户走访"})
    assert shown.status_code == 200 and shown.json()["value"] == "13837900001"
    log = UnmaskLog.objects.get()
    assert (log.user, log.resident, log.field) == (town.grid_worker, town.r_a1w, "phone")
    assert api.post(url, {"field": "address"}).status_code == 422
    assert api.post(f"/residents/{town.r_b1.pk}/unmask", {"field": "phone"}).status_code == 404
    assert UnmaskLog.objects.count() == 1


def test_notifications_are_the_callers_own(town, make_case, api_as):
    make_case(actor=town.dispatcher)  # notifies the grid worker of A1
    from wangge.cases import notify

    notify.deliver_pending()
    api = api_as(town.grid_worker)
    body = api.get("/notifications").json()
    assert body["unread"] == len(body["items"]) >= 1
    notice_id = body["items"][0]["id"]
    assert api_as(town.grid_worker_b1).post(f"/notifications/{notice_id}/read").status_code == 404
    read = api.post(f"/notifications/{notice_id}/read").json()
    assert read["read_at"] is not None
    assert api.post("/notifications/read").json()["marked"] == body["unread"] - 1
    assert not Notice.objects.filter(recipient=town.grid_worker, read_at=None).exists()
    assert api.get("/notifications", {"unread": True}).json()["items"] == []


def test_figures_for_the_callers_scope(town, make_case, api_as):
    make_case()
    body = api_as(town.dispatcher).get("/figures", {"period": "2026-11"}).json()
    assert body["scope"] == f"town:{town.town.pk}"
    assert body["figures"]["reported"] == 1


def test_figures_refuse_a_bad_period_and_a_foreign_scope(town, catalogue, api_as):
    api = api_as(town.grid_worker)
    bad = api.get("/figures", {"period": "someday"})
    assert bad.status_code == 422 and "period" in bad.json()["fields"]
    foreign = api.get("/figures", {"scope": f"town:{town.other_town.pk}"})
    assert foreign.status_code == 404


def test_public_requests_are_rate_limited(town, settings):
    settings.WANGGE_API_PUBLIC_RATE = "3/m"
    client = Client()
    statuses = [client.get("/api/v1/cases").status_code for _ in range(5)]
    assert statuses[:3] == [401, 401, 401]
    assert statuses[3:] == [429, 429]
    assert client.get("/api/v1/cases").json()["code"] == "rate_limited"


def test_lists_cost_the_same_queries_for_more_rows(town, api_as):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api = api_as(town.dispatcher)
    api.get("/me")

    def queries(path) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get(path).status_code == 200
        return len(captured)

    before = {path: queries(path) for path in ("/grids", "/households", "/residents")}
    for number in range(4):
        town.h_a1w.pk = None
        town.h_a1w.number = f"A1-9{number}"
        town.h_a1w.save()
    from wangge.grids.models import Grid

    for code in range(3):
        Grid.objects.create(
            town=town.town,
            village=town.vb,
            code=f"41032510620200{code + 5}",
            name=f"新网格{code}",
            boundary=town.b1.boundary,
        )
    assert {path: queries(path) for path in before} == before
