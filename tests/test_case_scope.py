"""Who sees which cases: the same one scope as everything else."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.urls import reverse

from wangge.cases import lifecycle as lc
from wangge.cases.models import Case, CaseEvent

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def visible(user):
    return set(Case.objects.visible_to(user))


def test_grid_worker_sees_only_their_grids_cases(town, make_case):
    mine = make_case()
    other = make_case(lon=112.005, lat=34.095, actor=town.grid_worker_b1)
    assert visible(town.grid_worker) == {mine}
    assert visible(town.grid_worker_b1) == {other}
    assert visible(town.grid_leader) == {mine}
    assert visible(town.dispatcher) == {mine, other}
    assert visible(town.outsider) == set()


def test_department_sees_only_what_was_dispatched_or_summoned_to_it(town, make_case):
    case = make_case()
    assert visible(town.department) == set()
    lc.accept(case, town.grid_worker, now=NOW)
    lc.send_to_town(case, town.grid_worker, reason="镇里派单", now=NOW)
    lc.dispatch(case, town.dispatcher, lead=town.pcs, now=NOW)
    assert visible(town.department) == {case}


def test_police_see_emergencies_and_police_cases_of_their_beat_only(town, make_case):
    water = make_case("MS01")
    fraud = make_case("ZA01", title="疑似诈骗电话")
    fire = make_case("TF02", title="柴草起火")
    elsewhere = make_case("ZA02", lon=112.005, lat=34.095, title="盗窃")
    assert visible(town.police) == {fraud, fire}
    assert water not in visible(town.police) and elsewhere not in visible(town.police)


def test_events_are_visible_with_their_case(town, make_case):
    mine = make_case()
    make_case(lon=112.005, lat=34.095, actor=town.grid_worker_b1)
    assert set(CaseEvent.objects.visible_to(town.grid_worker)) == set(mine.events.all())


def test_cases_are_read_only_in_the_admin_but_policies_are_editable(client, town, make_case):
    case = make_case()
    client.force_login(town.admin)
    response = client.get(reverse("admin:cases_case_change", args=[case.pk]))
    assert response.status_code == 200 and b'name="state"' not in response.content
    response = client.post(reverse("admin:cases_case_change", args=[case.pk]), {"state": "closed"})
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.state == "reported"
    assert client.get(reverse("admin:cases_slapolicy_changelist")).status_code == 200


def test_summary_counts_cases_by_state_and_level(town, make_case, capsys):
    import json

    from django.core.management import call_command

    case = make_case()
    lc.accept(case, town.grid_worker, now=NOW)
    make_case()
    call_command("summary", "--json")
    data = json.loads(capsys.readouterr().out)
    assert data["cases_by_state"] == {"accepted": 1, "reported": 1}
    assert data["cases_by_level"] == {"group": 2}
    assert data["service_items"] == 42


def test_reporters_see_what_they_reported_outside_their_scope(town, make_case):
    theirs = make_case(actor=town.grid_helper, lon=112.002, lat=34.105)  # the other micro-grid
    assert theirs.micro_grid == town.a1w
    assert theirs in visible(town.grid_helper)
    lc.cancel(theirs, town.grid_helper, reason="已自行解决", now=NOW)
    assert theirs.state == "cancelled"


def test_a_resident_can_rate_again_after_rework(town, make_case):
    from datetime import timedelta

    case = make_case()
    lc.accept(case, town.grid_worker, now=NOW)
    lc.resolve_on_site(case, town.grid_worker, result="已处理", now=NOW + timedelta(hours=1))
    lc.rate(case, "reporter", rating="unsatisfied", comment="没修好", now=NOW + timedelta(hours=2))
    assert case.state == "accepted" and case.rework_count == 1
    lc.resolve_on_site(case, town.grid_worker, result="已彻底修好", now=NOW + timedelta(hours=3))
    lc.verify(case, town.grid_worker, now=NOW + timedelta(hours=4))
    lc.rate(case, "reporter", rating="satisfied", now=NOW + timedelta(hours=5))
    assert case.rating == "satisfied"
