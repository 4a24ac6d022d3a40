"""GeoReport v2 conformance: every endpoint in XML and JSON, and the spec's errors."""

import json

import pytest
from django.utils import translation

from wangge.cases import clock, lifecycle
from wangge.cases.choices import Channel, State
from wangge.cases.models import Case, CaseEvent
from wangge.cases.public import plain_state
from wangge.open311.models import Open311Request
from wangge.residents import pii

from .georeport import BASE, JURISDICTION, at, xml

Q = f"?jurisdiction_id={JURISDICTION}"


def errors_of(response, fmt):
    if fmt == "json":
        body = response.json()
        assert isinstance(body, list)
        return [(e["code"], e["description"]) for e in body]
    root = xml(response)
    assert root.tag == "errors"
    return [(int(e.findtext("code")), e.findtext("description")) for e in root.iter("error")]


# --- discovery ------------------------------------------------------------------


def test_discovery_lists_the_endpoint_and_both_formats(client, db):
    root = xml(client.get(f"{BASE}discovery.xml"))
    assert root.tag == "discovery"
    endpoint = root.find("endpoints/endpoint")
    assert endpoint.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint.findtext("url") == "http://testserver/open311/v2"
    assert [f.text for f in endpoint.iter("format")] == ["text/xml", "application/json"]

    body = client.get(f"{BASE}discovery.json").json()
    assert body["endpoints"][0]["formats"] == ["text/xml", "application/json"]
    assert body["changeset"].endswith("+08:00")


def test_an_unknown_format_is_a_spec_error(client, db):
    response = client.get(f"{BASE}services.html")
    assert response.status_code == 404
    assert errors_of(response, "xml")[0][0] == 404


# --- services -------------------------------------------------------------------


def test_service_list_xml_has_leaf_categories_grouped_by_their_parent(client, catalogue, town):
    response = client.get(f"{BASE}services.xml{Q}")
    assert response.status_code == 200
    root = xml(response)
    assert root.tag == "services"
    services = {s.findtext("service_code"): s for s in root.iter("service")}
    water = services["MS01"]
    assert water.findtext("service_name") == "饮水问题"
    assert water.findtext("group") == "民生诉求"
    assert water.findtext("metadata") == "true"
    assert water.findtext("type") == "realtime"
    assert "饮水问题" in water.findtext("keywords")
    assert "BM604" in services  # a service item (法律援助)
    assert "MS" not in services  # a 大类 is a group, not a service


def test_service_list_json(client, catalogue, town):
    body = client.get(f"{BASE}services.json{Q}").json()
    by_code = {s["service_code"]: s for s in body}
    assert by_code["TF02"]["group"] == "突发事件"
    assert by_code["TF02"]["metadata"] is True
    assert set(by_code["TF02"]) == {
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    }


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_an_unknown_jurisdiction_is_404(client, catalogue, town, fmt):
    for path in ("services", "services/MS01", "requests", "requests/DT2026000001", "tokens/abc"):
        response = client.get(f"{BASE}{path}.{fmt}?jurisdiction_id=999999999999")
        assert response.status_code == 404, path
        code, description = errors_of(response, fmt)[0]
        assert code == 404
        assert "jurisdiction_id" in description


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_jurisdiction_is_required_when_the_server_has_several_towns(client, catalogue, town, fmt):
    response = client.get(f"{BASE}services.{fmt}")
    assert response.status_code == 400
    assert "jurisdiction_id" in errors_of(response, fmt)[0][1]


def test_jurisdiction_may_be_left_out_with_one_town(client, catalogue):
    from wangge.grids.models import Town

    Town.objects.create(name="德亭镇", code=JURISDICTION, county_code="410325", county_name="嵩县")
    assert client.get(f"{BASE}services.json").status_code == 200


def test_service_definition_xml_of_a_service_item(client, catalogue, town):
    root = xml(client.get(f"{BASE}services/BM604.xml{Q}"))
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "BM604"
    attributes = {a.findtext("code"): a for a in root.iter("attribute")}
    promised = attributes["promised_time"]
    assert promised.findtext("variable") == "false"
    assert "5" in promised.findtext("description")  # 法律援助: 5 working days
    contact = attributes["contact_preference"]
    assert contact.findtext("datatype") == "singlevaluelist"
    assert [v.findtext("key") for v in contact.iter("value")] == ["phone", "sms", "none"]
    assert [a.findtext("order") for a in root.iter("attribute")] == ["1", "2", "3", "4"]


def test_service_definition_json_of_a_problem(client, catalogue, town):
    body = client.get(f"{BASE}services/MS01.json{Q}").json()
    assert body["service_code"] == "MS01"
    codes = [a["code"] for a in body["attributes"]]
    assert codes == ["title", "hamlet", "contact_preference"]
    assert all(a["required"] is False and a["variable"] is True for a in body["attributes"])


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_an_unknown_service_definition_is_404(client, catalogue, town, fmt):
    response = client.get(f"{BASE}services/NOPE.{fmt}{Q}")
    assert response.status_code == 404
    assert errors_of(response, fmt)[0][0] == 404


# --- POST requests --------------------------------------------------------------


def test_post_xml_creates_a_case_through_intake(post_request, town, integration):
    response = post_request(
        "xml",
        first_name="秀英",
        last_name="王",
        phone="13837900001",
        email="wang@example.cn",
        media_url="https://fms.example.cn/photo/1.jpeg",
        **{"attribute[contact_preference]": "sms", "attribute[hamlet]": "后沟"},
    )
    assert response.status_code == 200, response.content
    request = xml(response).find("request")
    case = Case.objects.get()
    assert request.findtext("service_request_id") == case.number
    assert case.channel == Channel.OPEN311
    assert case.state == State.REPORTED
    assert case.category.code == "MS01"
    assert case.grid == town.a1
    assert case.title == "村口自来水管破裂，水流到路上"
    assert case.reporter_name == "王秀英"
    assert case.reporter_phone_masked.endswith("0001") and "13837900001" not in str(
        case.reporter_phone_masked
    )
    assert pii.decrypt(case.reporter_phone_encrypted) == "13837900001"
    assert case.address == "后沟"
    assert "短信" in case.description
    assert case.accept_due_at is not None  # the intake started the first deadline
    assert CaseEvent.objects.filter(case=case, action="report", actor=integration).exists()
    received = Open311Request.objects.get(case=case)
    assert request.findtext("token") == received.token
    assert received.attributes == {"contact_preference": "sms", "hamlet": "后沟"}
    assert received.media_urls == ["https://fms.example.cn/photo/1.jpeg"]
    assert pii.decrypt(received.email_encrypted) == "wang@example.cn"
    assert "wang@example.cn" not in received.email_encrypted


def test_post_json_answers_with_the_case_number(post_request, town):
    response = post_request("json", service_code="BM604", description="想咨询法律援助")
    body = response.json()
    case = Case.objects.get()
    assert body[0]["service_request_id"] == case.number
    assert "5" in body[0]["service_notice"]
    assert case.priority == "service"


@pytest.mark.parametrize("fmt", ["xml", "json"])
@pytest.mark.parametrize("key", [None, "", "wg_not-a-real-token"])
def test_post_without_a_valid_api_key_is_403_and_changes_nothing(post_request, fmt, key):
    response = post_request(fmt, api_key=key)
    assert response.status_code == 403
    code, description = errors_of(response, fmt)[0]
    assert code == 403 and "api_key" in description
    assert not Case.objects.exists()


def test_a_revoked_key_is_refused(post_request, integration):
    from wangge.api.tokens import revoke

    revoke(integration.api_tokens.get())
    assert post_request().status_code == 403


@pytest.mark.parametrize(
    ("fields", "status", "word"),
    [
        ({"service_code": None}, 400, "service_code"),
        ({"service_code": "XX99"}, 404, "service_code"),
        ({"service_code": "MS"}, 404, "service_code"),  # a group is not a service
        ({"lat": None, "long": None}, 400, "lat"),
        ({"long": None}, 400, "lat"),
        ({"lat": "north"}, 400, "lat"),
        ({"lat": "95"}, 400, ""),
        ({"jurisdiction_id": "999999999999"}, 404, "jurisdiction_id"),
        ({"attribute[contact_preference]": "pigeon"}, 400, "contact_preference"),
        ({"email": "not-an-address"}, 400, "email"),
        ({"media_url": "javascript:alert(1)"}, 400, "media_url"),
        ({"phone": "12345"}, 400, ""),
        ({"description": "长" * 4001}, 400, "4000"),
        ({"attribute[hamlet]": "沟" * 501}, 400, "500"),
    ],
)
def test_post_errors(post_request, fields, status, word):
    response = post_request("xml", **fields)
    assert response.status_code == status
    code, description = errors_of(response, "xml")[0]
    assert code == status and description
    assert word in description
    assert not Case.objects.exists()


def test_post_errors_are_in_chinese_by_default(post_request):
    response = post_request("json", lat=None, long=None)
    assert "位置" in response.json()[0]["description"]


def test_post_with_an_address_only_is_kept_for_the_dispatcher_to_place(post_request, town):
    response = post_request("json", lat=None, long=None, address_string="杨村三组村委会东")
    assert response.status_code == 200
    case = Case.objects.get()
    assert case.needs_placing and case.grid is None
    assert case.town == town.town
    assert case.address == "杨村三组村委会东"


def test_post_outside_every_grid_is_kept_and_flagged(post_request, town):
    response = post_request("json", lat="34.5", long="112.5")
    assert response.status_code == 200
    case = Case.objects.get()
    assert case.needs_placing and case.town == town.town
    assert (case.latitude, case.longitude) == (34.5, 112.5)


def test_title_attribute_names_the_case(post_request):
    post_request(**{"attribute[title]": "自来水管破裂"})
    assert Case.objects.get().title == "自来水管破裂"


def test_a_retry_with_the_same_idempotency_key_returns_the_first_request(post_request):
    first = post_request("json", headers={"Idempotency-Key": "fms-report-77"}).json()[0]
    again = post_request("json", headers={"Idempotency-Key": "fms-report-77"}).json()[0]
    assert again == first
    assert Case.objects.count() == 1 and Open311Request.objects.count() == 1


def test_the_same_idempotency_key_with_another_body_is_refused(post_request):
    post_request("json", headers={"Idempotency-Key": "k1"})
    response = post_request("json", headers={"Idempotency-Key": "k1"}, description="另一件事")
    assert response.status_code == 400
    assert Case.objects.count() == 1


def test_without_idempotency_key_every_post_is_a_new_request(post_request):
    post_request()
    post_request()
    assert Case.objects.count() == 2


def test_posting_is_rate_limited(post_request, settings):
    settings.WANGGE_OPEN311_POST_RATE = "2/h"
    assert post_request().status_code == 200
    assert post_request().status_code == 200
    response = post_request("json")
    assert response.status_code == 429
    assert response.json()[0]["code"] == 429
    assert Case.objects.count() == 2


def test_post_needs_no_csrf_token(integration, town):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(
        f"{BASE}requests.json",
        {
            "api_key": integration.raw_key,
            "jurisdiction_id": JURISDICTION,
            "service_code": "MS04",
            "lat": "34.095",
            "long": "112.005",
            "description": "垃圾堆放",
        },
    )
    assert response.status_code == 200


def test_other_methods_are_refused_in_spec_format(client, town, catalogue):
    response = client.post(f"{BASE}services.json{Q}")
    assert response.status_code == 405
    assert response.json()[0]["code"] == 405
    assert response["Allow"] == "GET"


# --- tokens ---------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_token_maps_to_the_request_id(client, post_request, fmt):
    post_request()
    received = Open311Request.objects.get()
    response = client.get(f"{BASE}tokens/{received.token}.{fmt}{Q}")
    assert response.status_code == 200
    if fmt == "json":
        row = response.json()[0]
    else:
        request = xml(response).find("request")
        row = {child.tag: child.text for child in request}
    assert row == {"service_request_id": received.case.number, "token": received.token}


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_an_unknown_token_is_404(client, town, fmt):
    response = client.get(f"{BASE}tokens/nothing-here.{fmt}{Q}")
    assert response.status_code == 404
    assert errors_of(response, fmt)[0][0] == 404


# --- GET requests/{id} ----------------------------------------------------------


@pytest.fixture
def posted(post_request):
    """One Open311 request with a contact person, reported on 23 Nov 2026 09:00."""
    with clock.simulated(at(2026, 11, 23, 9, 0)):
        post_request(
            first_name="建国",
            last_name="李",
            phone="13837900002",
            email="li@example.cn",
            media_url="https://fms.example.cn/photo/9.jpeg",
        )
    return Case.objects.get()


def test_request_xml_has_the_spec_fields_and_w3c_dates(client, posted):
    response = client.get(f"{BASE}requests/{posted.number}.xml{Q}")
    assert response.status_code == 200
    root = xml(response)
    assert root.tag == "service_requests"
    request = root.find("request")
    assert [child.tag for child in request] == [
        "service_request_id",
        "status",
        "status_notes",
        "service_name",
        "service_code",
        "description",
        "agency_responsible",
        "service_notice",
        "requested_datetime",
        "updated_datetime",
        "expected_datetime",
        "address",
        "address_id",
        "zipcode",
        "lat",
        "long",
        "media_url",
    ]
    assert request.findtext("status") == "open"
    assert request.findtext("requested_datetime") == "2026-11-23T09:00:00+08:00"
    assert request.findtext("service_code") == "MS01"
    assert request.findtext("lat") == "34.105"
    assert request.findtext("media_url") == "https://fms.example.cn/photo/9.jpeg"
    with translation.override("zh-hans"):
        assert request.findtext("status_notes") == plain_state(posted)  # as the tracking page
    with translation.override("en"):
        assert request.findtext("status_notes") != plain_state(posted)  # Chinese first


def test_request_json_never_shows_personal_data_or_notes(client, posted, town):
    lifecycle.accept(posted, town.grid_worker, note="先找李建国本人核实，电话13837900002")
    body = client.get(f"{BASE}requests/{posted.number}.json{Q}").content.decode()
    for secret in ("李建国", "建国", "13837900002", "li@example.cn", "先找"):
        assert secret not in body
    row = json.loads(body)[0]
    assert row["status"] == "open"
    assert row["expected_datetime"].endswith("+08:00")  # the resolve deadline, once accepted


def test_a_closed_request_shows_the_result_and_the_closing_time(client, posted, town):
    case = lifecycle.accept(posted, town.grid_worker, now=at(2026, 11, 23, 10))
    case = lifecycle.resolve_on_site(
        case, town.grid_worker, result="已更换破损水管，恢复供水", now=at(2026, 11, 23, 15)
    )
    lifecycle.verify(case, town.grid_worker, now=at(2026, 11, 24, 9, 30))
    row = client.get(f"{BASE}requests/{posted.number}.json{Q}").json()[0]
    assert row["status"] == "closed"
    assert "已更换破损水管" in row["status_notes"]
    assert row["updated_datetime"] == "2026-11-24T09:30:00+08:00"
    assert row["expected_datetime"] == ""


def test_a_dispatched_request_names_the_department(client, posted, town):
    case = lifecycle.accept(posted, town.grid_worker)
    case = lifecycle.send_to_town(case, town.grid_worker, reason="需要镇里协调")
    lifecycle.dispatch(case, town.dispatcher, lead=town.yjb)
    row = client.get(f"{BASE}requests/{posted.number}.json{Q}").json()[0]
    assert row["agency_responsible"] == "应急办"
    assert "应急办" in row["status_notes"]


def test_a_rejected_request_gives_the_reason(client, posted, town):
    lifecycle.reject(posted, town.grid_worker, reason="不属于本镇管辖")
    row = client.get(f"{BASE}requests/{posted.number}.json{Q}").json()[0]
    assert row["status"] == "closed"
    assert "不属于本镇管辖" in row["status_notes"]


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_an_unknown_request_is_404(client, town, fmt):
    response = client.get(f"{BASE}requests/DT2026999999.{fmt}{Q}")
    assert response.status_code == 404
    assert errors_of(response, fmt)[0][0] == 404


def test_cases_of_other_channels_are_not_public(client, make_case):
    case = make_case()  # a grid worker's patrol report
    response = client.get(f"{BASE}requests/{case.number}.json{Q}")
    assert response.status_code == 404


def test_an_api_key_reads_what_its_user_may_see_and_only_the_title(client, make_case, town):
    from wangge.api.tokens import issue_token

    case = make_case(description="王秀英家门口水管破裂")
    _token, key = issue_token(town.dispatcher, "command centre screen")
    row = client.get(f"{BASE}requests/{case.number}.json{Q}&api_key={key}").json()[0]
    assert row["description"] == case.title
    assert "王秀英" not in json.dumps(row, ensure_ascii=False)
    _token, outsider_key = issue_token(town.grid_worker_b1, "phone")
    response = client.get(f"{BASE}requests/{case.number}.json{Q}&api_key={outsider_key}")
    assert response.status_code == 404


def test_a_bad_api_key_on_a_read_is_403(client, posted):
    response = client.get(f"{BASE}requests/{posted.number}.json{Q}&api_key=wg_wrong")
    assert response.status_code == 403


# --- GET requests ---------------------------------------------------------------


@pytest.fixture
def history(post_request, town):
    """Requests on 1 Aug, 1 Oct, 20 Nov (MS04, closed) and 23 Nov 2026."""
    made = {}
    for label, moment, code in [
        ("aug", at(2026, 8, 1, 9), "MS01"),
        ("oct", at(2026, 10, 1, 9), "MS01"),
        ("nov20", at(2026, 11, 20, 9), "MS04"),
        ("nov23", at(2026, 11, 23, 9), "MS01"),
    ]:
        with clock.simulated(moment):
            post_request(service_code=code)
        made[label] = Case.objects.order_by("-id").first()
    case = lifecycle.accept(made["nov20"], town.grid_worker, now=at(2026, 11, 20, 10))
    case = lifecycle.resolve_on_site(
        case, town.grid_worker, result="已清运", now=at(2026, 11, 20, 15)
    )
    lifecycle.verify(case, town.grid_worker, now=at(2026, 11, 21, 9))
    return made


def ids(response):
    assert response.status_code == 200, response.content
    if response["Content-Type"].startswith("text/xml"):
        return [r.findtext("service_request_id") for r in xml(response).iter("request")]
    return [r["service_request_id"] for r in response.json()]


def get_requests(client, query=""):
    with clock.simulated(at(2026, 11, 27, 12)):
        return client.get(f"{BASE}requests.json{Q}{query}")


def test_requests_default_to_the_last_90_days_newest_first(client, history):
    assert ids(get_requests(client)) == [
        history["nov23"].number,
        history["nov20"].number,
        history["oct"].number,
    ]


def test_requests_xml(client, history):
    with clock.simulated(at(2026, 11, 27, 12)):
        response = client.get(f"{BASE}requests.xml{Q}")
    assert xml(response).tag == "service_requests"
    assert len(ids(response)) == 3


def test_requests_by_id_ignore_other_filters(client, history):
    query = f"&service_request_id={history['aug'].number},{history['nov23'].number}&status=closed"
    assert ids(get_requests(client, query)) == [history["nov23"].number, history["aug"].number]


def test_requests_by_service_code_and_status(client, history):
    assert ids(get_requests(client, "&service_code=MS04")) == [history["nov20"].number]
    assert ids(get_requests(client, "&status=closed")) == [history["nov20"].number]
    assert ids(get_requests(client, "&status=open&service_code=MS01")) == [
        history["nov23"].number,
        history["oct"].number,
    ]
    assert len(ids(get_requests(client, "&status=open,closed"))) == 3


def test_requests_between_dates(client, history):
    query = "&start_date=2026-07-15T00:00:00%2B08:00&end_date=2026-10-01T12:00:00%2B08:00"
    assert ids(get_requests(client, query)) == [history["oct"].number, history["aug"].number]
    # FixMyStreet's W3CDTF, and a "+" the client forgot to encode.
    query = "&start_date=2026-11-20T00:00:00Z&end_date=2026-11-23T08:00:00+08:00"
    assert ids(get_requests(client, query)) == [history["nov20"].number]


def test_a_start_date_alone_covers_90_days_from_it(client, history):
    assert ids(get_requests(client, "&start_date=2026-07-20")) == [
        history["oct"].number,
        history["aug"].number,
    ]


@pytest.mark.parametrize(
    "query",
    [
        "&start_date=yesterday",
        "&end_date=2026-13-01T00:00:00Z",
        "&start_date=2026-11-01T00:00:00Z&end_date=2026-10-01T00:00:00Z",
        "&start_date=2026-01-01T00:00:00Z&end_date=2026-11-01T00:00:00Z",
        "&status=pending",
        "&service_code=NOPE",
    ],
)
@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_bad_search_parameters_are_400(client, history, query, fmt):
    response = client.get(f"{BASE}requests.{fmt}{Q}{query}")
    assert response.status_code == 400
    assert errors_of(response, fmt)[0][0] == 400


def test_at_most_1000_requests_are_returned(client, history, monkeypatch):
    from wangge.open311 import reading

    monkeypatch.setattr(reading, "MAX_RESULTS", 2)
    assert ids(get_requests(client)) == [history["nov23"].number, history["nov20"].number]


def test_requests_of_another_town_are_not_listed(client, history):
    response = client.get(f"{BASE}requests.json?jurisdiction_id=410325107000")
    assert ids(response) == []


def test_listing_requests_takes_the_same_queries_for_one_or_many(client, post_request, town):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"{BASE}requests.json{Q}").status_code == 200
        return len(captured)

    post_request()
    one = queries()
    for _ in range(4):
        post_request(service_code="BM604")
    lifecycle.accept(Case.objects.first(), town.grid_worker)
    assert queries() == one


def test_a_request_placed_in_a_neighbouring_town_is_found_by_id_and_token(client, post_request):
    # Reported to 德亭镇, but the point lies in 大章镇's grid: the case belongs there.
    answer = post_request("json", lat="34.105", long="112.105").json()[0]
    case = Case.objects.get()
    assert case.town.code == "410325107000"
    assert client.get(f"{BASE}requests/{answer['service_request_id']}.json{Q}").status_code == 200
    row = client.get(f"{BASE}tokens/{answer['token']}.json{Q}").json()[0]
    assert row["service_request_id"] == case.number


# --- servicerequestupdates (mySociety's extension) ---------------------------------


def test_updates_json_tell_each_change_without_notes(client, posted, town):
    lifecycle.accept(posted, town.grid_worker, note="内部：先联系村支书", now=at(2026, 11, 23, 10))
    lifecycle.reject(
        Case.objects.get(), town.grid_worker, reason="已由县水务局处理", now=at(2026, 11, 23, 11)
    )
    with clock.simulated(at(2026, 11, 27, 12)):
        rows = client.get(f"{BASE}servicerequestupdates.json{Q}").json()
    assert [(r["status"], r["updated_datetime"]) for r in rows] == [
        ("OPEN", "2026-11-23T09:00:00+08:00"),
        ("INVESTIGATING", "2026-11-23T10:00:00+08:00"),
        ("NO_FURTHER_ACTION", "2026-11-23T11:00:00+08:00"),
    ]
    assert "已由县水务局处理" in rows[2]["description"]
    assert "村支书" not in json.dumps(rows, ensure_ascii=False)
    assert rows[0]["media_url"] == "https://fms.example.cn/photo/9.jpeg"


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_updates_refuse_a_bad_date(client, town, fmt):
    response = client.get(f"{BASE}servicerequestupdates.{fmt}{Q}&start_date=soon")
    assert response.status_code == 400
    assert errors_of(response, fmt)[0][0] == 400


def test_updates_of_other_channels_are_not_public(client, make_case):
    make_case()
    with clock.simulated(at(2026, 11, 27, 12)):
        assert client.get(f"{BASE}servicerequestupdates.json{Q}").json() == []
