"""The demo's Open311 client on the small test town."""

from wangge.cases.choices import Channel, State
from wangge.cases.models import Case
from wangge.open311 import demo
from wangge.open311.models import Open311Request

from .georeport import BASE, JURISDICTION, at


def test_demo_sends_reports_through_open311_and_settles_the_older_ones(town, catalogue, client):
    now = at(2026, 11, 27, 12)
    rows = demo.build(town.town, seed=3, now=now)
    cases = Case.objects.filter(channel=Channel.OPEN311)
    assert rows[0][1] == cases.count() == demo.COUNT == Open311Request.objects.count()
    assert rows[1][1] == cases.filter(state=State.CLOSED).count() > 0
    assert cases.filter(state=State.REPORTED).exists()
    assert not cases.filter(needs_placing=True).exists()  # every point lies in a grid
    assert all(c.reporter_name and c.reporter_phone_masked for c in cases)
    # It is what the API publishes.
    body = client.get(f"{BASE}requests.json?jurisdiction_id={JURISDICTION}").json()
    assert {r["service_request_id"] for r in body} <= set(cases.values_list("number", flat=True))


def test_demo_is_deterministic_for_a_seed(town, catalogue):
    now = at(2026, 11, 27, 12)
    demo.build(town.town, seed=3, now=now)
    first = list(
        Case.objects.order_by("id").values_list("title", "reported_at", "grid_id", "state")
    )
    Open311Request.objects.all().delete()
    Case.objects.all().delete()
    demo.build(town.town, seed=3, now=now)
    again = list(
        Case.objects.order_by("id").values_list("title", "reported_at", "grid_id", "state")
    )
    assert again == first
