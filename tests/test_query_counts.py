"""Query counts of the list pages and the case page, pinned: a page that shows
more rows must not run more queries (no N+1). Each page is counted with a few
rows and with many, and the two counts must be equal; the number itself is
pinned too, so a new query on a page is a deliberate change of this file."""

import io
from itertools import count

import pytest
from conftest import square
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image
from stdnum.cn import ric

from wangge.cases import lifecycle as lc
from wangge.cases.attachments import save_attachments
from wangge.cases.intake import report
from wangge.grids.models import Grid
from wangge.residents.models import Household, Resident, Tag
from wangge.staff.models import Department, PoliceBeat

# Queries per page and role (whatever the number of rows).
PINNED = {
    ("home", "grid_leader"): 17,  # + places due an inspection, awards waiting (field work)
    ("home", "police"): 18,
    ("home", "dispatcher"): 14,
    ("queue", "grid_worker"): 12,
    ("queue", "police"): 13,
    ("queue", "dispatcher"): 11,
    ("queue", "department"): 10,
    ("households", "grid_worker"): 11,
    ("households", "police"): 12,
    ("households", "dispatcher"): 9,
    ("notices", "grid_worker"): 7,  # + the role assignments the menu (core/nav.py) reads
    ("notices", "police"): 7,
    ("detail", "grid_worker"): 12,
    ("detail", "police"): 14,
    ("detail", "dispatcher"): 11,
    ("detail", "department"): 11,  # the lead department's role needs no link look-up
}

# Statements per step of a case's way (inside the test's transaction, so without
# BEGIN/COMMIT; savepoint statements counted), once the actors' scopes are cached.
STEPS = {
    "report": 8,  # savepoint, numbering, case, event, key, recipients, notice, release
    "accept": 5,  # savepoint, locked read, update, event, release
    "send_to_town": 7,  # + recipients and notices
    "dispatch": 8,  # + the department link (a first dispatch reads no earlier links)
    "claim": 5,
    "resolve": 7,
    "verify": 5,
}


def queries(client, url) -> int:
    """The queries of one page view, once the process caches (policies, catalogue) are warm."""
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def id_number(serial: int) -> str:
    """A valid, fictional ID number (GB 11643 check digit), different for each serial."""
    body = f"41032519800101{serial:03d}"
    return body + ric.calc_check_digit(body)


def jpeg(name="scene.jpg"):
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 90, 40)).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def more_cases(town, catalogue, settings, tmp_path):
    """Add cases in grid A1 of every kind the queue shows: a new emergency (the
    police see it), a police matter dispatched to 派出所 with 应急办 co-handling,
    and an ordinary report; each with a photo."""
    settings.MEDIA_ROOT = tmp_path
    serial = count(1)

    def add(n):
        for _ in range(n):
            i = next(serial)
            kind = i % 3
            category = ("TF04", "ZA03", "MS01")[kind]
            case = report(
                actor=town.grid_worker,
                category=category,
                title=f"第{i}件",
                channel="patrol",
                # Spread out, so no case is flagged as another's duplicate.
                latitude=34.1005 + (i % 90) * 0.0001,
                longitude=112.0005 + (i // 90) * 0.001,
                photos=[jpeg()],
            )
            if kind == 1:
                lc.accept(case, town.grid_worker)
                lc.send_to_town(case, town.grid_worker, reason="派单")
                lc.dispatch(case, town.dispatcher, lead=town.pcs, co=[town.yjb])

    return add


@pytest.mark.parametrize("role", ["grid_worker", "police", "dispatcher", "department"])
def test_the_queue_runs_as_many_queries_for_30_cases_as_for_5(client, town, more_cases, role):
    client.force_login(getattr(town, role))
    url = reverse("cases:queue") + "?state=all"
    more_cases(5)
    few = queries(client, url)
    more_cases(25)
    many = queries(client, url)
    assert few == many == PINNED[("queue", role)]


@pytest.mark.parametrize("role", ["grid_worker", "police"])
def test_notices_run_as_many_queries_for_30_as_for_5(client, town, more_cases, role):
    client.force_login(getattr(town, role))
    url = reverse("cases:notices")
    more_cases(5)
    few = queries(client, url)
    more_cases(25)
    many = queries(client, url)
    assert few == many == PINNED[("notices", role)]


@pytest.fixture
def more_households(town):
    """Add households in grid A1, each with two members, tagged, the members tagged too."""
    tags = [
        Tag.objects.create(code="alone", name="独居老人", vulnerable=True),
        Tag.objects.create(code="poverty", name="脱贫户"),
    ]
    serial = count(1)

    def add(n):
        for _ in range(n):
            i = next(serial)
            household = Household.objects.create(
                town=town.town,
                village=town.va,
                grid=town.a1,
                micro_grid=town.a1w,
                number=f"A1-{100 + i:03d}",
                address=f"杨村{100 + i}号",
            )
            household.tags.set(tags[: 1 + i % 2])
            for j in range(2):
                member = Resident(town=town.town, household=household, name=f"村民{i}-{j}")
                member.set_id_number(id_number(2 * i + j))
                member.save()
                member.tags.set(tags[:1])

    return add


@pytest.mark.parametrize("role", ["grid_worker", "police", "dispatcher"])
def test_the_household_list_runs_as_many_queries_for_30_as_for_5(
    client, town, more_households, role
):
    client.force_login(getattr(town, role))
    url = reverse("residents:households")
    more_households(5)
    few = queries(client, url)
    more_households(25)
    many = queries(client, url)
    assert few == many == PINNED[("households", role)]


@pytest.fixture
def bigger_town(town, more_cases, more_households):
    """More of everything a home page lists: grids, households, departments, beats, cases."""
    serial = count(1)

    def add(n):
        for _ in range(n):
            i = next(serial)
            x = 113.0 + i * 0.01
            grid = Grid.objects.create(
                town=town.town,
                village=town.va,
                code=f"410325106201{100 + i:03d}",
                name=f"杨村扩展网格{i}",
                boundary=square(x, 34.0, x + 0.01, 34.01),
            )
            Household.objects.create(
                town=town.town, village=town.va, grid=grid, number=f"X-{i}", address=f"新村{i}号"
            )
            Department.objects.create(town=town.town, name=f"部门{i}", code=f"d{i}")
            beat = PoliceBeat.objects.create(town=town.town, name=f"警格{i}")
            beat.villages.add(town.va, town.vb)
        more_cases(n)
        more_households(n)

    return add


@pytest.mark.parametrize("role", ["grid_leader", "police", "dispatcher"])
def test_the_home_page_runs_as_many_queries_for_a_big_town_as_for_a_small_one(
    client, town, bigger_town, role
):
    client.force_login(getattr(town, role))
    url = reverse("home")
    bigger_town(2)
    few = queries(client, url)
    bigger_town(20)
    many = queries(client, url)
    assert few == many == PINNED[("home", role)]


@pytest.mark.parametrize("role", ["grid_worker", "police", "dispatcher", "department"])
def test_a_case_page_runs_as_many_queries_with_10_events_and_photos_as_with_1(
    client, town, catalogue, settings, tmp_path, role
):
    settings.MEDIA_ROOT = tmp_path
    # An emergency dispatched to 派出所: every one of these roles sees it.
    case = report(
        actor=town.grid_worker,
        category="TF04",
        title="正在发生的诈骗",
        channel="patrol",
        latitude=34.105,
        longitude=112.003,
    )
    lc.accept(case, town.police)
    lc.send_to_town(case, town.grid_worker, reason="需要派出所")
    lc.dispatch(case, town.dispatcher, lead=town.pcs)
    first = case.events.order_by("at", "id").first()
    save_attachments(case, [jpeg()], uploaded_by=town.grid_worker, event=first)
    client.force_login(getattr(town, role))
    url = reverse("cases:detail", args=[case.number])
    few = queries(client, url)
    urgers = [town.dispatcher, town.leader]
    for i in range(9):
        lc.urge(case, urgers[i % 2], note=f"第{i + 1}次督办")
        event = case.events.order_by("-at", "-id").first()
        save_attachments(case, [jpeg(f"{i}.jpg")], uploaded_by=urgers[i % 2], event=event)
    assert case.events.count() == 13 and case.attachments.count() == 10
    many = queries(client, url)
    assert few == many == PINNED[("detail", role)]


def test_each_step_of_a_case_runs_a_pinned_number_of_statements_and_delivers_its_notices(
    town, catalogue
):
    """Fewer statements per transition (docs/benchmarks.md): no re-read of the case,
    no look-up before the idempotency record, notices written already delivered."""
    from wangge.cases.models import Notice

    def steps(key):
        counted = {}

        def step(name, run):
            with CaptureQueriesContext(connection) as captured:
                result = run()
            counted[name] = len(captured.captured_queries)
            return result

        case = step(
            "report",
            lambda: report(
                actor=town.dispatcher,
                category="MS01",
                title="水管破裂",
                channel="patrol",
                grid=town.a1,  # no position: no duplicate search
                idempotency_key=key,
            ),
        )
        step("accept", lambda: lc.accept(case, town.grid_worker))
        step("send_to_town", lambda: lc.send_to_town(case, town.grid_worker, reason="派单"))
        step("dispatch", lambda: lc.dispatch(case, town.dispatcher, lead=town.pcs))
        step("claim", lambda: lc.claim(case, town.department))
        step("resolve", lambda: lc.resolve(case, town.department, result="已修复"))
        step("verify", lambda: lc.verify(case, town.grid_worker))
        return case, counted

    steps("warm-up")  # scopes and role assignments are cached per process
    case, counted = steps("second")
    assert counted == STEPS
    notices = Notice.objects.filter(case=case)
    assert notices.count() >= 3
    assert not notices.filter(delivered_at=None).exists()
