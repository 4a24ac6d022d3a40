"""The field pages: each renders for its users and shows only what is in their scope."""

import pytest
from django.urls import reverse

from wangge.fieldwork.models import Inspection, PlaceWatch, ServiceStation, TeamGroup, Visit
from wangge.grids.models import Place, PlaceKind
from wangge.staff.models import User


@pytest.fixture
def client_for(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def test_today_lists_only_the_workers_grid(field, client_for):
    f = field
    page = client_for(f.grid_worker).get(reverse("fieldwork:today"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "A1-005" in html and "A1-001" in html
    assert "B1-001" not in html and "A2-001" not in html
    # Asking for another grid by its id falls back to the worker's own grid.
    other = client_for(f.grid_worker).get(reverse("fieldwork:today"), {"grid": f.b1.pk})
    assert "B1-001" not in other.content.decode()
    # The vulnerable household comes first.
    assert html.index("A1-005") < html.index("A1-003")


def test_today_for_a_grid_leader_offers_the_villages_grids(field, client_for):
    f = field
    page = client_for(f.grid_leader).get(reverse("fieldwork:today"), {"grid": f.a2.pk})
    html = page.content.decode()
    assert "A2-001" in html and "A1-001" not in html
    assert f.a1.name in html  # in the grid chooser


def test_today_bad_position_is_a_message_not_an_error(field, client_for):
    f = field
    page = client_for(f.grid_worker).get(reverse("fieldwork:today"), {"lat": "x", "lon": "y"})
    assert page.status_code == 200
    assert "A1-005" in page.content.decode()


def test_household_page_scope_and_visit(field, client_for, catalogue):
    f = field
    client = client_for(f.grid_worker)
    assert client.get(reverse("fieldwork:household", args=[f.h_b1.pk])).status_code == 404
    assert client.post(reverse("fieldwork:household", args=[f.h_b1.pk]), {}).status_code == 404
    url = reverse("fieldwork:household", args=[f.h_old.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "latitude": "34.106",
            "longitude": "112.006",
            "mediator": "贾洁",
            "notes": "老人腿脚不便，需代办医保",
            "finding_category": "",
            "finding_title": "",
        },
    )
    assert response.status_code == 302
    visit = Visit.objects.get()
    assert visit.mediator == "贾洁" and visit.visited_by == f.grid_worker
    history = client.get(url).content.decode()
    assert "老人腿脚不便" in history


def test_household_page_bad_finding_is_refused_with_a_message(field, client_for, catalogue):
    f = field
    client = client_for(f.grid_worker)
    url = reverse("fieldwork:household", args=[f.h_old.pk])
    response = client.post(url, {"finding_title": "漏水"})
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert not Visit.objects.exists()


def test_police_can_see_but_not_record(field, client_for):
    f = field
    client = client_for(f.police)
    url = reverse("fieldwork:household", args=[f.h_a1w.pk])
    page = client.get(url)
    assert page.status_code == 200 and 'id="visit-form"' not in page.content.decode()
    assert client.post(url, {"notes": "x"}).status_code == 404
    assert not Visit.objects.exists()


def test_inspections_page_scope(field, client_for):
    f = field
    html = client_for(f.grid_worker).get(reverse("fieldwork:inspections")).content.decode()
    assert "杨村1号封闭矿洞" in html and "杨村惠民超市" in html
    assert "庄科村1号封闭矿洞" not in html and "庄科矿业公司" not in html
    html = client_for(f.dispatcher).get(reverse("fieldwork:inspections")).content.decode()
    assert "庄科矿业公司" in html
    filtered = client_for(f.dispatcher).get(
        reverse("fieldwork:inspections"), {"kind": "enterprise"}
    )
    assert "杨村1号封闭矿洞" not in filtered.content.decode()


def test_place_page_check_in_outside_radius(field, client_for, settings):
    f = field
    settings.WANGGE_CHECK_IN_RADIUS_M = 100
    client = client_for(f.grid_worker)
    assert client.get(reverse("fieldwork:place", args=[f.adit_b1.pk])).status_code == 404
    url = reverse("fieldwork:place", args=[f.adit.pk])
    page = client.get(url)
    assert page.status_code == 200 and 'id="checkin-form"' in page.content.decode()
    far = client.post(url, {"latitude": "34.106", "longitude": "112.004", "seal_state": "sealed"})
    assert far.status_code == 200
    assert "222" in far.content.decode()
    assert not Inspection.objects.exists()
    near = client.post(
        url, {"latitude": "34.1041", "longitude": "112.0041", "seal_state": "sealed"}
    )
    assert near.status_code == 302
    assert Inspection.objects.get().inspector == f.grid_worker


def test_place_page_without_gps(field, client_for):
    f = field
    url = reverse("fieldwork:place", args=[f.adit.pk])
    response = client_for(f.grid_worker).post(url, {"seal_state": "sealed"})
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert not Inspection.objects.exists()


def test_team_page(field, client_for):
    f = field
    member = User.objects.create_user("zb01", password="pw", town=f.town, full_name="闫靖仁")
    group = TeamGroup.objects.create(town=f.town, name="第一组", leader=member)
    group.members.add(member)
    PlaceWatch.objects.filter(place=f.adit_b1).update(group=group)
    html = client_for(member).get(reverse("fieldwork:team")).content.decode()
    assert "第一组" in html and "闫靖仁" in html
    # A team member sees their group's places, not the grid's others.
    places = client_for(member).get(reverse("fieldwork:inspections")).content.decode()
    assert "庄科村1号封闭矿洞" in places and "杨村1号封闭矿洞" not in places
    # A grid worker is in no group; the command centre sees the town's groups.
    assert "第一组" not in client_for(f.grid_worker).get(reverse("fieldwork:team")).content.decode()
    assert "第一组" in client_for(f.dispatcher).get(reverse("fieldwork:team")).content.decode()


def test_stations_map_households_outside(field, client_for, settings):
    f = field
    settings.WANGGE_SERVICE_WALK_M = 250
    station_place = Place.objects.create(
        town=f.town,
        village=f.va,
        grid=f.a1,
        kind=PlaceKind.SERVICE_STATION,
        name="杨村便民服务驿站",
        latitude=34.105,
        longitude=112.005,
    )
    ServiceStation.objects.create(town=f.town, place=station_place, opening_hours="8:00–17:30")
    client = client_for(f.grid_worker)
    assert "杨村便民服务驿站" in client.get(reverse("fieldwork:stations")).content.decode()
    data = client.get(reverse("fieldwork:stations_map")).json()
    assert [s["name"] for s in data["stations"]] == ["杨村便民服务驿站"]
    # Within 250 m of the station: A1-003 (15 m) and A1-005 (144 m); A1-001 and A1-002
    # are 276 m east and west of it, A1-004 about 640 m away.
    outside = {tuple(p) for p in data["outside"]}
    assert outside == {(34.105, 112.002), (34.105, 112.008), (34.1095, 112.0095)}
    assert data["households"] == 5  # the worker's located households only
    assert client_for(f.outsider).get(reverse("fieldwork:stations_map")).json()["stations"] == []


def test_coverage_page(field, client_for):
    f = field
    html = client_for(f.grid_worker).get(reverse("fieldwork:coverage")).content.decode()
    assert f.a1.name in html and f.b1.name not in html
    html = client_for(f.dispatcher).get(reverse("fieldwork:coverage")).content.decode()
    assert f.b1.name in html


@pytest.mark.parametrize(
    "name", ["today", "inspections", "team", "stations", "stations_map", "coverage"]
)
def test_pages_need_a_login(client, name):
    response = client.get(reverse(f"fieldwork:{name}"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_pages_for_someone_with_no_scope(field, client_for):
    f = field
    client = client_for(f.outsider)
    for name in ["today", "inspections", "team", "stations", "coverage"]:
        assert client.get(reverse(f"fieldwork:{name}")).status_code == 200
    assert client.get(reverse("fieldwork:household", args=[f.h_a1w.pk])).status_code == 404
    assert client.get(reverse("fieldwork:place", args=[f.adit.pk])).status_code == 404
