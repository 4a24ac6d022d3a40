"""Drive the API the way FixMyStreet's Open311 client (perllib/Open311.pm) does.

The client reads `services.xml` and `services/{code}.xml`, POSTs `requests.xml`
form-encoded with `jurisdiction_id`, `api_key`, the reporter's name, e-mail and
phone, `lat`/`long`, `media_url`, a description made of title, detail and the
report's URL, and `attribute[code]` for each extra field; it takes
`service_request_id` from `<service_requests><request>`, or follows `token` to
`tokens/{token}.xml`; later it polls `requests.xml` with `service_request_id`
or a W3CDTF `start_date`/`end_date` to learn each report's status, and
`servicerequestupdates.xml` (mySociety's extension) for the changes.
"""

from urllib.parse import urlencode

from wangge.cases import clock, lifecycle
from wangge.cases.choices import Channel
from wangge.cases.models import Case

from .georeport import BASE, JURISDICTION, at, xml


class FixMyStreetOpen311:
    """The calls of Open311.pm, over Django's test client."""

    def __init__(self, client, api_key):
        self.client = client
        self.api_key = api_key

    def _get(self, path, params=None):
        params = {**(params or {}), "jurisdiction_id": JURISDICTION}
        response = self.client.get(f"{BASE}{path}?{urlencode(params)}")
        assert response.status_code == 200, response.content
        return xml(response)

    def get_service_list(self):
        return self._get("services.xml")

    def get_service_meta_info(self, code):
        return self._get(f"services/{code}.xml")

    def send_service_request(self, problem, extra, service_code):
        description = f"{problem['title']}\n\n{problem['detail']}\n\n{extra['url']}\n"
        params = {
            "jurisdiction_id": JURISDICTION,
            "api_key": self.api_key,
            "description": description,
            "service_code": service_code,
            "first_name": problem["first_name"],
            "last_name": problem["last_name"],
            "phone": problem["phone"],
            "email": problem["email"],
            "lat": f"{problem['lat']:.6f}",
            "long": f"{problem['long']:.6f}",
            "media_url": extra["image_url"],
        }
        for name, value in problem["extra"].items():
            params[f"attribute[{name}]"] = value
        response = self.client.post(
            f"{BASE}requests.xml",
            urlencode(params),
            content_type="application/x-www-form-urlencoded; charset=utf-8",
        )
        assert response.status_code == 200, response.content
        request = xml(response).find("request")
        return request.findtext("service_request_id"), request.findtext("token")

    def get_service_request_updates(self, start_date, end_date):
        params = {"api_key": self.api_key, "start_date": start_date, "end_date": end_date}
        return list(self._get("servicerequestupdates.xml", params).iter("request_update"))

    def get_service_request_id_from_token(self, token):
        return self._get(f"tokens/{token}.xml").find("request").findtext("service_request_id")

    def get_service_requests(self, **params):
        if "report_ids" in params:
            params["service_request_id"] = ",".join(params.pop("report_ids"))
        root = self._get("requests.xml", params)
        return {r.findtext("service_request_id"): r for r in root.iter("request")}


def test_fixmystreet_reports_a_problem_and_follows_it_to_closure(client, integration, town):
    fms = FixMyStreetOpen311(client, integration.raw_key)

    services = {s.findtext("service_code"): s for s in fms.get_service_list().iter("service")}
    assert services["MS03"].findtext("service_name") == "道路出行"
    meta = fms.get_service_meta_info("MS03")
    codes = [a.findtext("code") for a in meta.iter("attribute")]
    assert {"hamlet", "contact_preference"} <= set(codes)

    problem = {
        "title": "村道塌方",
        "detail": "杨村通往后沟的村道塌了一半，三轮车过不去。",
        "first_name": "秀英",
        "last_name": "王",
        "phone": "13837900001",
        "email": "wxy@example.cn",
        "lat": 34.1051234,
        "long": 112.0151234,
        "extra": {"hamlet": "后沟", "contact_preference": "phone", "fixmystreet_id": "4711"},
    }
    extra = {
        "url": "https://fms.example.cn/report/4711",
        "image_url": "https://fms.example.cn/p/4711.0.full.jpeg",
    }
    with clock.simulated(at(2026, 11, 23, 9, 15)):
        request_id, token = fms.send_service_request(problem, extra, "MS03")
    assert fms.get_service_request_id_from_token(token) == request_id

    case = Case.objects.get(number=request_id)
    assert case.channel == Channel.OPEN311
    assert case.title == "村道塌方"
    assert case.grid == town.a2
    assert case.reporter_name == "王秀英"
    assert case.address == "后沟"
    assert case.open311.attributes["fixmystreet_id"] == "4711"

    detail = fms._get(f"requests/{request_id}.xml").find("request")
    assert detail.findtext("status") == "open"
    assert detail.findtext("service_code") == "MS03"
    assert detail.findtext("requested_datetime") == "2026-11-23T09:15:00+08:00"
    assert detail.findtext("media_url") == extra["image_url"]
    assert "13837900001" not in detail.findtext("description")

    # The town works the case through the ordinary lifecycle …
    case = lifecycle.accept(case, town.instructor, now=at(2026, 11, 23, 10))
    case = lifecycle.resolve_on_site(
        case, town.instructor, result="已组织群众清理塌方并设置警示标志", now=at(2026, 11, 24, 16)
    )
    lifecycle.verify(case, town.instructor, now=at(2026, 11, 25, 9))

    # … and FixMyStreet's poll sees it closed, by id and by date range.
    by_id = fms.get_service_requests(report_ids=[request_id])
    assert by_id[request_id].findtext("status") == "closed"
    assert "清理塌方" in by_id[request_id].findtext("status_notes")
    with clock.simulated(at(2026, 11, 27, 12)):
        by_date = fms.get_service_requests(
            start_date="2026-11-22T00:00:00+08:00", end_date="2026-11-27T12:00:00+08:00"
        )
    assert list(by_date) == [request_id]
    assert by_date[request_id].findtext("updated_datetime") == "2026-11-25T09:00:00+08:00"

    # FixMyStreet's update poll: one update per change of state, in words.
    updates = fms.get_service_request_updates(
        "2026-11-23T00:00:00+08:00", "2026-11-26T00:00:00+08:00"
    )
    assert [(u.findtext("service_request_id"), u.findtext("status")) for u in updates] == [
        (request_id, "OPEN"),
        (request_id, "INVESTIGATING"),
        (request_id, "FIXED"),
        (request_id, "CLOSED"),
    ]
    assert "清理塌方" in updates[2].findtext("description")
    assert updates[3].findtext("updated_datetime") == "2026-11-25T09:00:00+08:00"


def test_a_retried_post_with_an_idempotency_key_makes_one_case(client, integration, town):
    params = urlencode(
        {
            "jurisdiction_id": JURISDICTION,
            "api_key": integration.raw_key,
            "service_code": "MS02",
            "lat": "34.095",
            "long": "112.005",
            "description": "庄科村一组停电两天了",
        }
    )
    answers = [
        client.post(
            f"{BASE}requests.xml",
            params,
            content_type="application/x-www-form-urlencoded",
            headers={"Idempotency-Key": "fms-4712"},
        )
        for _ in range(2)
    ]
    ids = [xml(a).find("request").findtext("service_request_id") for a in answers]
    assert ids[0] == ids[1]
    assert Case.objects.count() == 1
