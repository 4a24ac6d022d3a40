"""Cases through the API: intake with Idempotency-Key, scope, cursor, actions, errors."""

from django.test import Client

from wangge.api.tokens import issue_token
from wangge.cases.models import Case, IdempotencyRecord

REPORT = {"category": "MS01", "title": "村口自来水管破裂", "latitude": 34.105, "longitude": 112.003}


def test_reporting_a_case_locates_it_and_returns_its_etag(town, catalogue, api_as):
    response = api_as(town.grid_worker).post("/cases", REPORT)
    assert response.status_code == 201
    body = response.json()
    case = Case.objects.get(pk=body["id"])
    assert case.grid == town.a1 and case.channel == "api"
    assert case.reporter_user == town.grid_worker
    assert body["state"] == "reported" and body["grid"] == town.a1.pk
    assert case.events.filter(action="report").count() == 1
    assert response["ETag"] == '"1"'
    assert body["reported_at"].endswith("+08:00")


def test_a_retried_report_with_the_same_key_returns_the_first_case(town, catalogue, api_as):
    api = api_as(town.grid_worker)
    first = api.post("/cases", REPORT, headers={"Idempotency-Key": "abc-1"})
    again = api.post("/cases", REPORT, headers={"Idempotency-Key": "abc-1"})
    assert first.json()["id"] == again.json()["id"]
    assert Case.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1


def test_the_same_key_for_a_different_report_is_refused(town, catalogue, api_as):
    api = api_as(town.grid_worker)
    api.post("/cases", REPORT, headers={"Idempotency-Key": "abc-2"})
    response = api.post(
        "/cases", {**REPORT, "title": "别的事"}, headers={"Idempotency-Key": "abc-2"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_mismatch"
    assert Case.objects.count() == 1


def test_bad_input_names_the_field_in_chinese_and_changes_nothing(town, catalogue, api_as):
    response = api_as(town.grid_worker).post("/cases", {**REPORT, "category": "NOPE"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_input" and "category" in body["fields"]
    assert "类" in body["message"] or "类" in body["fields"]["category"][0]
    response = api_as(town.grid_worker).post("/cases", {"title": "缺类别"})
    assert response.status_code == 422
    assert "category" in response.json()["fields"]
    assert not Case.objects.exists()


def test_english_with_accept_language(town, catalogue, api_as):
    response = api_as(town.grid_worker, "en").post("/cases", {**REPORT, "category": "NOPE"})
    assert response.json()["fields"]["category"] == ["Unknown category."]
    chinese = api_as(town.grid_worker).post("/cases", {**REPORT, "category": "NOPE"})
    assert chinese.json()["fields"]["category"] != ["Unknown category."]


def test_a_grid_worker_cannot_read_another_grids_case(town, make_case, api_as):
    other = make_case(lon=112.005, lat=34.095, actor=town.grid_worker_b1)
    api = api_as(town.grid_worker)
    response = api.get(f"/cases/{other.pk}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    # Acting on it is the same 404: its existence is never revealed.
    assert api.post(f"/cases/{other.pk}/accept", {}).status_code == 404
    assert api.get(f"/cases/{other.pk + 1000}").json() == response.json()
    other.refresh_from_db()
    assert other.state == "reported"


def test_the_list_shows_only_visible_cases(town, make_case, api_as):
    mine = make_case()
    make_case(lon=112.005, lat=34.095, actor=town.grid_worker_b1)
    ids = [c["id"] for c in api_as(town.grid_worker).get("/cases").json()["items"]]
    assert ids == [mine.pk]
    assert len(api_as(town.dispatcher).get("/cases").json()["items"]) == 2


def test_the_cursor_walks_every_case_once_newest_first(town, make_case, api_as):
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    start = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    made = [make_case(now=start + timedelta(minutes=i // 2)) for i in range(7)]
    api = api_as(town.dispatcher)
    seen, cursor = [], None
    while True:
        page = api.get("/cases", {"limit": 3, **({"cursor": cursor} if cursor else {})}).json()
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    expected = [c.pk for c in sorted(made, key=lambda c: (c.reported_at, c.pk), reverse=True)]
    assert seen == expected


def test_a_bad_cursor_is_a_field_error(town, catalogue, api_as):
    response = api_as(town.dispatcher).get("/cases", {"cursor": "not-a-cursor"})
    assert response.status_code == 422
    assert "cursor" in response.json()["fields"]


def test_filters(town, make_case, api_as):
    from wangge.cases import lifecycle as lc

    water = make_case("MS01")
    other = make_case("MS01", lon=112.005, lat=34.095, actor=town.grid_worker_b1)
    lc.accept(other, town.grid_worker_b1)
    api = api_as(town.dispatcher)
    assert [c["id"] for c in api.get("/cases", {"state": "reported"}).json()["items"]] == [water.pk]
    assert [c["id"] for c in api.get("/cases", {"grid": town.b1.pk}).json()["items"]] == [other.pk]
    assert api.get("/cases", {"state": "nonsense"}).status_code == 422


def test_an_action_with_a_stale_if_match_is_412_and_changes_nothing(town, make_case, api_as):
    case = make_case()
    api = api_as(town.grid_worker)
    etag = api.get(f"/cases/{case.pk}")["ETag"]
    assert etag == '"1"'
    accepted = api.post(f"/cases/{case.pk}/accept", {}, headers={"If-Match": etag})
    assert accepted.status_code == 200
    assert accepted.json()["state"] == "accepted" and accepted["ETag"] == '"2"'
    stale = api.post(f"/cases/{case.pk}/reject", {"reason": "重复"}, headers={"If-Match": etag})
    assert stale.status_code == 412
    assert stale.json()["code"] == "precondition_failed"
    case.refresh_from_db()
    assert case.state == "accepted" and case.version == 2


def test_an_illegal_action_is_a_conflict(town, make_case, api_as):
    case = make_case()
    response = api_as(town.grid_worker).post(f"/cases/{case.pk}/verify", {})
    assert response.status_code == 409
    assert response.json()["code"] == "illegal_transition"


def test_an_action_of_another_role_is_forbidden(town, make_case, api_as):
    case = make_case()
    response = api_as(town.grid_worker).post(f"/cases/{case.pk}/urge", {})
    assert response.status_code in (403, 409)
    response = api_as(town.leader).post(f"/cases/{case.pk}/accept", {})
    assert response.status_code == 403
    assert response.json()["code"] == "not_allowed"
    case.refresh_from_db()
    assert case.state == "reported"


def test_a_missing_reason_is_a_field_error(town, make_case, api_as):
    case = make_case()
    response = api_as(town.grid_worker).post(f"/cases/{case.pk}/escalate", {})
    assert response.status_code == 422
    assert list(response.json()["fields"]) == ["reason"]


def test_the_whole_way_through_dispatch(town, make_case, api_as):
    case = make_case()
    worker, dispatcher, department = (
        api_as(town.grid_worker),
        api_as(town.dispatcher),
        api_as(town.department),
    )
    assert worker.post(f"/cases/{case.pk}/accept", {}).status_code == 200
    assert worker.post(f"/cases/{case.pk}/send_to_town", {"reason": "需派单"}).status_code == 200
    response = dispatcher.post(f"/cases/{case.pk}/dispatch", {"lead": town.pcs.pk})
    assert response.json()["state"] == "dispatched"
    assert department.post(f"/cases/{case.pk}/claim", {}).json()["state"] == "claimed"
    assert (
        department.post(f"/cases/{case.pk}/resolve", {"result": "已修复"}).json()["state"]
        == "resolved"
    )
    closed = worker.post(f"/cases/{case.pk}/verify", {})
    assert closed.json()["state"] == "closed"
    detail = worker.get(f"/cases/{case.pk}").json()
    assert [e["action"] for e in detail["events"]] == [
        "report",
        "accept",
        "send_to_town",
        "dispatch",
        "claim",
        "resolve",
        "verify",
    ]


def test_an_unknown_department_is_a_field_error(town, make_case, api_as):
    case = make_case()
    api_as(town.grid_worker).post(f"/cases/{case.pk}/accept", {})
    api_as(town.grid_worker).post(f"/cases/{case.pk}/send_to_town", {"reason": "需派单"})
    response = api_as(town.dispatcher).post(f"/cases/{case.pk}/dispatch", {"lead": 99999})
    assert response.status_code == 422
    assert "lead" in response.json()["fields"]


def test_photos_are_attached_by_who_works_on_the_case(town, make_case, api_as):
    import io

    from PIL import Image

    case = make_case()
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buffer, "JPEG")

    def upload(user, content, name="p.jpg"):
        _token, raw = issue_token(user, "cam")
        return Client().post(
            f"/api/v1/cases/{case.pk}/attachments",
            {"photos": [io.BytesIO(content)]},
            headers={"Authorization": f"Bearer {raw}"},
        )

    response = upload(town.grid_worker, buffer.getvalue())
    assert response.status_code == 201
    assert response.json()[0]["content_type"] == "image/jpeg"
    assert case.attachments.count() == 1
    assert upload(town.grid_worker, b"not a photo").status_code == 422
    assert upload(town.grid_worker_b1, buffer.getvalue()).status_code == 404
    assert case.attachments.count() == 1


def test_without_credentials_the_answer_is_401_json(town, catalogue):
    response = Client().get("/api/v1/cases")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
    assert response.json()["message"]


def test_the_browser_session_works_and_needs_csrf_to_write(town, catalogue):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(town.grid_worker)
    assert browser.get("/api/v1/me").json()["username"] == town.grid_worker.username
    response = browser.post("/api/v1/cases", REPORT, content_type="application/json")
    assert response.status_code in (401, 403)
    assert not Case.objects.exists()
    browser.get("/account/tokens/")
    csrf = browser.cookies["csrftoken"].value
    response = browser.post(
        "/api/v1/cases", REPORT, content_type="application/json", headers={"X-CSRFToken": csrf}
    )
    assert response.status_code == 201


def test_the_list_costs_the_same_queries_for_more_cases(town, make_case, api_as):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api = api_as(town.dispatcher)
    api.get("/me")  # the token's first use is recorded once

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get("/cases").status_code == 200
        return len(captured)

    make_case()
    few = queries()
    for _ in range(5):
        make_case(lon=112.005, lat=34.095, actor=town.grid_worker_b1)
    assert queries() == few


def test_a_browser_stays_chinese_first_whatever_it_accepts(town, catalogue):
    browser = Client()
    browser.force_login(town.grid_worker)
    response = browser.get("/api/v1/cases/999999", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    assert response.json()["message"] != "No such case."
    browser.cookies["django_language"] = "en"
    response = browser.get("/api/v1/cases/999999")
    assert response.json()["message"] == "No such case."


def test_forged_cursors_are_field_errors_not_crashes(town, catalogue, api_as):
    from wangge.api.paging import encode

    api = api_as(town.dispatcher)
    for cursor in (
        encode("2026-11-23T09:00:00", 5),  # no time zone
        encode("0001-01-01T00:00:00+14:00", 5),
        encode("2026-11-23T09:00:00+08:00", 2**70),
        encode("2026-11-23T09:00:00+08:00", True),
        encode("yesterday", 5),
        encode(1, 2, 3),
    ):
        response = api.get("/cases", {"cursor": cursor})
        assert response.status_code == 422, cursor
        assert "cursor" in response.json()["fields"]
    assert api.get("/households", {"cursor": encode(2**70)}).status_code == 422
