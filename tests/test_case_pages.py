"""Staff case pages: the queue, a case and its actions, reporting, notices; scoped."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from wangge.cases import lifecycle as lc
from wangge.cases.models import Case, Notice

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def water(town, make_case):
    return make_case(actor=town.grid_helper)


def test_queue_shows_only_the_users_cases(client, town, make_case, water):
    other = make_case(lon=112.005, lat=34.095, actor=town.grid_worker_b1, title="别的网格的事")
    client.force_login(town.grid_worker)
    page = client.get(reverse("cases:queue")).content.decode()
    assert water.number in page and other.number not in page


def test_queue_filters_by_light_and_search(client, town, make_case, water):
    client.force_login(town.dispatcher)
    response = client.get(reverse("cases:queue"), {"light": "red"})
    assert water.number in response.content.decode()  # reported in 2026-11-23, long overdue now
    response = client.get(reverse("cases:queue"), {"q": "不存在的标题"})
    assert water.number not in response.content.decode()
    response = client.get(reverse("cases:queue"), {"q": water.number})
    assert water.number in response.content.decode()


def test_case_of_another_grid_is_not_found(client, town, water):
    client.force_login(town.grid_worker_b1)
    assert client.get(reverse("cases:detail", args=[water.number])).status_code == 404
    response = client.post(reverse("cases:act", args=[water.number, "accept"]), {"version": 1})
    assert response.status_code == 404
    water.refresh_from_db()
    assert water.state == "reported"


def test_detail_offers_the_actions_the_rules_allow(client, town, water):
    client.force_login(town.grid_worker)
    response = client.get(reverse("cases:detail", args=[water.number]))
    actions = [action for action, _, _ in response.context["forms"]]
    assert "accept" in actions and "dispatch" not in actions
    client.force_login(town.dispatcher)
    response = client.get(reverse("cases:detail", args=[water.number]))
    assert "accept" in [a for a, _, _ in response.context["forms"]]


def test_acting_through_the_page_goes_through_the_lifecycle(client, town, water):
    client.force_login(town.grid_worker)
    url = reverse("cases:act", args=[water.number, "accept"])
    response = client.post(url, {"version": water.version})
    assert response.status_code == 302
    water.refresh_from_db()
    assert water.state == "accepted" and water.events.last().actor == town.grid_worker


def test_a_stale_page_gets_a_conflict_not_an_overwrite(client, town, water):
    client.force_login(town.grid_worker)
    version = water.version
    lc.accept(water, town.grid_leader)
    response = client.post(
        reverse("cases:act", args=[water.number, "reject"]),
        {"version": version, "reason": "重复"},
        follow=True,
    )
    water.refresh_from_db()
    assert water.state == "accepted"
    assert any(m.level_tag == "error" for m in response.context["messages"])


def test_missing_reason_is_refused_with_a_message(client, town, water):
    client.force_login(town.grid_worker)
    lc.accept(water, town.grid_worker)
    response = client.post(
        reverse("cases:act", args=[water.number, "send_to_town"]),
        {"version": water.version},
        follow=True,
    )
    water.refresh_from_db()
    assert water.level == "group"
    assert any(m.level_tag == "error" for m in response.context["messages"])


def test_dispatcher_bulk_dispatch(client, town, make_case):
    cases = [make_case(title=f"第{i}件") for i in range(3)]
    for case in cases:
        lc.accept(case, town.grid_worker)
        lc.send_to_town(case, town.grid_worker, reason="派单")
    client.force_login(town.dispatcher)
    client.post(
        reverse("cases:bulk_dispatch"),
        {"numbers": [c.number for c in cases[:2]], "lead": town.pcs.pk},
    )
    states = dict(Case.objects.values_list("number", "state"))
    assert [states[c.number] for c in cases] == ["dispatched", "dispatched", "accepted"]


def test_report_from_the_field_is_idempotent(client, town, catalogue):
    from wangge.cases.models import Category

    client.force_login(town.grid_worker)
    data = {
        "category": Category.objects.get(code="AQ03").pk,
        "title": "山路护栏损坏",
        "channel": "patrol",
        "latitude": "34.105",
        "longitude": "112.003",
        "idempotency_key": "phone-retry-1",
    }
    first = client.post(reverse("cases:new"), data)
    second = client.post(reverse("cases:new"), data)
    assert first.status_code == second.status_code == 302
    assert first.url == second.url and Case.objects.count() == 1
    assert Case.objects.get().grid == town.a1


def test_notices_inbox_and_unread_count(client, town, water):
    client.force_login(town.grid_worker)
    assert client.get(reverse("cases:notices_count")).content == b"1"
    page = client.get(reverse("cases:notices")).content.decode()
    assert water.number in page
    client.post(reverse("cases:notices_read"))
    assert client.get(reverse("cases:notices_count")).content == b""
    assert Notice.objects.filter(recipient=town.grid_worker, read_at=None).count() == 0


def test_queue_query_count_does_not_grow_with_cases(
    client, town, make_case, django_assert_max_num_queries
):
    for i in range(30):
        make_case(title=f"事项{i}")
    client.force_login(town.dispatcher)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("cases:queue"))
    assert len(response.context["rows"]) == 30


def test_the_days_list_shows_what_falls_due_today(client, town, make_case):
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    today = make_case(title="今天到期", now=now - timedelta(days=2))  # accept was due long ago
    later = make_case(title="下周到期", now=now)  # accept due within a working day
    later.due_at = now + timedelta(days=3)
    later.save(update_fields=["due_at"])
    client.force_login(town.grid_worker)
    page = client.get(reverse("cases:queue"), {"due": "today"}).content.decode()
    assert today.number in page and later.number not in page
