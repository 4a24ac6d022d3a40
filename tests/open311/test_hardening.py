"""Review findings: who counts as an Open311 request, control characters and NUL,
and each update telling its own result."""

import json

import pytest

from wangge.cases import clock, lifecycle
from wangge.cases.models import Case
from wangge.open311.formats import to_xml

from .georeport import BASE, JURISDICTION, at, xml

Q = f"?jurisdiction_id={JURISDICTION}"


def errors_of(response, fmt):
    if fmt == "json":
        return [(e["code"], e["description"]) for e in response.json()]
    return [
        (int(e.findtext("code")), e.findtext("description")) for e in xml(response).iter("error")
    ]


# --- Published means: received through Open311 ------------------------------------


def test_a_case_only_labelled_open311_is_not_published(client, make_case):
    # Another door (the REST API before the fix) wrote channel="open311" on a case.
    case = make_case(channel="open311", title="张三家的私事", description="内部：电话 13837900009")
    assert client.get(f"{BASE}requests/{case.number}.json{Q}").status_code == 404
    with clock.simulated(at(2026, 11, 27, 12)):
        assert client.get(f"{BASE}requests.json{Q}").json() == []
        assert client.get(f"{BASE}servicerequestupdates.json{Q}").json() == []


def test_a_request_received_through_open311_is_published(client, post_request):
    post_request(fmt="json")
    case = Case.objects.get()
    row = client.get(f"{BASE}requests/{case.number}.json{Q}").json()[0]
    assert row["description"] == "村口自来水管破裂，水流到路上"


# --- Control characters -----------------------------------------------------------


def test_xml_leaves_out_the_characters_xml_forbids():
    body = to_xml(
        "service_requests", "request", [{"description": "漏水\x00\x01\x0b\x1f\ufffe了\t\n"}]
    )
    root = ElementTreeParse(body)
    assert root.find("request").findtext("description") == "漏水了\t\n"


def ElementTreeParse(body):
    from xml.etree import ElementTree

    return ElementTree.fromstring(body)


def test_a_case_with_a_control_character_keeps_requests_xml_readable(client, post_request):
    post_request()
    # Written by a door that let it through before (staff, an import).
    Case.objects.update(result="已修复\x07", state="closed", closed_at=at(2026, 11, 24, 9))
    with clock.simulated(at(2026, 11, 27, 12)):
        response = client.get(f"{BASE}requests.xml{Q}")
    assert response.status_code == 200
    notes = xml(response).find("request").findtext("status_notes")
    assert "已修复" in notes and "\x07" not in notes


@pytest.mark.parametrize("fmt", ["xml", "json"])
@pytest.mark.parametrize(
    "path",
    [
        "services",
        "services/MS01",
        "requests",
        "requests/DT2026000001",
        "servicerequestupdates",
        "tokens/abc",
    ],
)
def test_nul_in_the_jurisdiction_is_400_on_every_view(client, town, catalogue, fmt, path):
    response = client.get(f"{BASE}{path}.{fmt}?jurisdiction_id=%00")
    assert response.status_code == 400
    assert errors_of(response, fmt)[0][0] == 400
    assert "jurisdiction_id" in errors_of(response, fmt)[0][1]


@pytest.mark.parametrize("query", ["service_code=%00", "service_code=MS01%00", "status=open%01"])
def test_nul_in_a_search_filter_is_400(client, town, catalogue, query):
    response = client.get(f"{BASE}requests.json{Q}&{query}")
    assert response.status_code == 400
    assert "控制字符" in errors_of(response, "json")[0][1]


@pytest.mark.parametrize(
    "fields",
    [
        {"description": "漏水\x00"},
        {"description": "漏水\x1b[31m"},
        {"address_string": "村口\x00", "lat": None, "long": None},
        {"first_name": "建\x00国"},
        {"attribute[title]": "标题\x08"},
    ],
)
def test_a_post_with_a_control_character_is_400_and_creates_nothing(post_request, fields):
    response = post_request(fmt="json", **fields)
    assert response.status_code == 400
    assert "控制字符" in response.json()[0]["description"]
    assert Case.objects.count() == 0


def test_submit_refuses_nul_when_called_directly(integration, town):
    from django.http import QueryDict

    from wangge.open311.errors import Open311Error
    from wangge.open311.submit import submit

    data = QueryDict(mutable=True)
    data.update(
        {"service_code": "MS01", "lat": "34.105", "long": "112.003", "description": "a\x00"}
    )
    with pytest.raises(Open311Error) as refused:
        submit(data, user=integration)
    assert refused.value.status == 400
    assert Case.objects.count() == 0


# --- Each update tells its own result -------------------------------------------------


def test_each_update_shows_the_result_of_its_own_resolution(client, post_request, town):
    with clock.simulated(at(2026, 11, 23, 9)):
        post_request()
    case = lifecycle.accept(Case.objects.get(), town.grid_worker, now=at(2026, 11, 23, 10))
    case = lifecycle.resolve_on_site(
        case, town.grid_worker, result="临时用胶带缠住", now=at(2026, 11, 23, 11)
    )
    case = lifecycle.rework(case, town.grid_worker, reason="又漏了", now=at(2026, 11, 23, 12))
    case = lifecycle.resolve_on_site(
        case, town.grid_worker, result="已更换整段水管", now=at(2026, 11, 24, 9)
    )
    with clock.simulated(at(2026, 11, 27, 12)):
        rows = client.get(f"{BASE}servicerequestupdates.json{Q}").json()
    fixed = [row for row in rows if row["status"] == "FIXED"]
    assert len(fixed) == 2
    assert "临时用胶带缠住" in fixed[0]["description"]
    assert "已更换整段水管" not in fixed[0]["description"]
    assert "已更换整段水管" in fixed[1]["description"]
    # Before any resolution no result is told.
    assert all("水管" not in row["description"] for row in rows[:2])
    assert "又漏了" not in json.dumps(rows, ensure_ascii=False)
