"""Every role × every page: what is outside a person's scope does not exist for them.

A page that takes an object (a case, its photo, a household, a resident) answers
404 for an object outside the user's scope, never 403 (a 403 would confirm the
object exists), and a POST to it changes nothing. Every list page answers 200
for every role and shows nothing from outside their scope.
"""

import io
import re
from types import SimpleNamespace

import pytest
from conftest import grant
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from wangge.cases import lifecycle as lc
from wangge.cases.attachments import save_attachments
from wangge.cases.intake import report
from wangge.cases.models import Case, CaseEvent, Notice
from wangge.cases.rules import REPORTER
from wangge.residents.models import UnmaskLog
from wangge.staff.models import Department

ROLES = [
    "grid_worker",
    "grid_helper",
    "grid_leader",
    "instructor",
    "police",
    "dispatcher",
    "department",
    "leader",
    "admin",
    "outsider",
]

# The cases each role may see; every other case of `world` is outside their scope.
TOWN_CASES = {"a1w", "a1e", "a1_emergency", "a2", "b1", "b1_emergency", "to_pcs", "to_yjb"}
SEES_CASES = {
    "grid_worker": {"a1w", "a1e", "a1_emergency"},  # grid A1
    "grid_helper": {"a1e"},  # micro-grid A1 east
    "grid_leader": {"a1w", "a1e", "a1_emergency", "a2"},  # village 杨村
    "instructor": {"a2"},  # grid A2
    "police": {"a1_emergency"},  # emergencies and police matters in the beat's villages
    "dispatcher": TOWN_CASES,
    "department": {"to_pcs"},  # what was dispatched to 派出所
    "leader": TOWN_CASES,
    "admin": TOWN_CASES,
    "outsider": set(),
}
TOWN_HOUSEHOLDS = {"h_a1w", "h_a1e", "h_a2", "h_b1"}
SEES_HOUSEHOLDS = {
    "grid_worker": {"h_a1w", "h_a1e"},
    "grid_helper": {"h_a1e"},
    "grid_leader": {"h_a1w", "h_a1e", "h_a2"},
    "instructor": {"h_a2"},
    "police": {"h_a1w", "h_a1e", "h_a2"},  # the households of the beat's villages
    "dispatcher": TOWN_HOUSEHOLDS,
    "department": set(),
    "leader": TOWN_HOUSEHOLDS,
    "admin": TOWN_HOUSEHOLDS,
    "outsider": set(),
}
RESIDENT_OF = {"h_a1w": "r_a1w", "h_a1e": "r_a1e", "h_a2": "r_a2", "h_b1": "r_b1", "h_c1": "r_c1"}
# Names that belong to the other town only: no page of this town's staff shows them.
OTHER_TOWN_NAMES = ["外村", "大章派出所"]


def jpeg():
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 120, 160)).save(buffer, "JPEG")
    return SimpleUploadedFile("scene.jpg", buffer.getvalue(), content_type="image/jpeg")


def resident_report(category, lat, lon, title, *, photo=True):
    """A case reported by a resident, so no staff member sees it as its reporter."""
    case = report(
        actor=REPORTER,
        category=category,
        title=title,
        channel="web",
        latitude=lat,
        longitude=lon,
        reporter_phone="13837900009",
    )
    if photo:
        save_attachments(case, [jpeg()])
    return case


@pytest.fixture
def world(town, catalogue, settings, tmp_path):
    """Cases all over the town and one in the other town, each with a photo;
    the unmask permission for everyone, so only scope can refuse."""
    settings.MEDIA_ROOT = tmp_path

    def dispatched(case, department):
        lc.accept(case, town.grid_worker_b1)
        lc.send_to_town(case, town.grid_worker_b1, reason="需要镇里派单")
        lc.dispatch(case, town.dispatcher, lead=department)
        return case

    cases = {
        "a1w": resident_report("MS01", 34.105, 112.003, "杨村一格西片水管破裂"),
        "a1e": resident_report("MS02", 34.105, 112.007, "杨村一格东片停电"),
        "a1_emergency": resident_report("TF02", 34.106, 112.004, "杨村一格柴垛起火"),
        "a2": resident_report("MS03", 34.105, 112.015, "杨村二格道路塌方"),
        "b1": resident_report("MS04", 34.095, 112.005, "庄科村垃圾堆积"),
        "b1_emergency": resident_report("TF01", 34.096, 112.006, "庄科村老人晕倒"),
        "to_pcs": dispatched(resident_report("ZA03", 34.097, 112.007, "庄科村治安隐患"), town.pcs),
        "to_yjb": dispatched(resident_report("AQ01", 34.098, 112.008, "庄科村消防隐患"), town.yjb),
        "c1": resident_report("MS01", 34.105, 112.105, "外村水管破裂"),
    }
    assert cases["c1"].town == town.other_town and cases["a1e"].micro_grid == town.a1e
    Department.objects.create(town=town.other_town, name="大章派出所", code="pcs")
    users = {role: getattr(town, role) for role in ROLES}
    for user in users.values():
        grant(user, "unmask_personal_data")
    households = {name: getattr(town, name) for name in RESIDENT_OF}
    residents = {name: getattr(town, resident) for name, resident in RESIDENT_OF.items()}
    return SimpleNamespace(
        cases=cases, users=users, households=households, residents=residents, town=town
    )


def outside(seen: set[str], everything) -> list[str]:
    return sorted(set(everything) - seen)


def snapshot():
    """Everything a stray POST could change."""
    return (
        list(Case.objects.order_by("pk").values_list("pk", "state", "level", "version")),
        CaseEvent.objects.count(),
        Notice.objects.count(),
        UnmaskLog.objects.count(),
    )


def status(client, method, url, data=None):
    return getattr(client, method)(url, data or {}).status_code


@pytest.mark.parametrize("role", ROLES)
def test_a_case_outside_the_users_scope_is_not_found(client, world, role):
    client.force_login(world.users[role])
    for key in SEES_CASES[role]:
        number = world.cases[key].number
        assert status(client, "get", reverse("cases:detail", args=[number])) == 200, key
    answers = {
        key: status(client, "get", reverse("cases:detail", args=[world.cases[key].number]))
        for key in outside(SEES_CASES[role], world.cases)
    }
    assert answers and set(answers.values()) == {404}, answers


@pytest.mark.parametrize("role", ROLES)
def test_acting_on_a_case_outside_the_users_scope_is_not_found_and_changes_nothing(
    client, world, role
):
    client.force_login(world.users[role])
    before = snapshot()
    answers = {}
    for key in outside(SEES_CASES[role], world.cases):
        case = world.cases[key]
        for action, data in [
            ("accept", {"version": case.version}),
            ("claim", {"version": case.version}),
            ("reject", {"version": case.version, "reason": "不归我管"}),
        ]:
            url = reverse("cases:act", args=[case.number, action])
            answers[f"{key}/{action}"] = status(client, "post", url, data)
    assert answers and set(answers.values()) == {404}, answers
    numbers = [world.cases[key].number for key in outside(SEES_CASES[role], world.cases)]
    client.post(reverse("cases:bulk_dispatch"), {"numbers": numbers, "lead": world.town.pcs.pk})
    assert snapshot() == before


@pytest.mark.parametrize("role", ROLES)
def test_a_photo_of_a_case_outside_the_users_scope_is_not_found(client, world, role):
    client.force_login(world.users[role])
    answers = {}
    for key in outside(SEES_CASES[role], world.cases):
        case = world.cases[key]
        photo = case.attachments.get()
        for name in ("photo", "thumb"):
            url = reverse(f"cases:{name}", args=[case.number, photo.pk])
            answers[f"{key}/{name}"] = status(client, "get", url)
            # Nor through a case the user does see.
            for mine in SEES_CASES[role]:
                url = reverse(f"cases:{name}", args=[world.cases[mine].number, photo.pk])
                answers[f"{key}/{name} via {mine}"] = status(client, "get", url)
    assert answers and set(answers.values()) == {404}, answers
    for key in SEES_CASES[role]:
        case = world.cases[key]
        url = reverse("cases:thumb", args=[case.number, case.attachments.get().pk])
        assert status(client, "get", url) == 200, key


@pytest.mark.parametrize("role", ROLES)
def test_a_household_outside_the_users_scope_is_not_found(client, world, role):
    client.force_login(world.users[role])
    for key in SEES_HOUSEHOLDS[role]:
        url = reverse("residents:household", args=[world.households[key].pk])
        assert status(client, "get", url) == 200, key
    answers = {
        key: status(client, "get", reverse("residents:household", args=[world.households[key].pk]))
        for key in outside(SEES_HOUSEHOLDS[role], world.households)
    }
    assert answers and set(answers.values()) == {404}, answers


@pytest.mark.parametrize("role", ROLES)
def test_unmasking_a_resident_outside_the_users_scope_is_not_found_and_not_logged(
    client, world, role
):
    client.force_login(world.users[role])
    before = snapshot()
    answers = {}
    for key in outside(SEES_HOUSEHOLDS[role], world.households):
        for field in ("id_number", "phone"):
            url = reverse("residents:unmask", args=[world.residents[key].pk, field])
            answers[f"{key}/{field}"] = status(client, "post", url, {"reason": "核实身份"})
    assert answers and set(answers.values()) == {404}, answers
    assert snapshot() == before


def test_without_the_unmask_permission_a_resident_outside_scope_is_still_not_found(client, town):
    """The scope answers first: a 403 would tell that the resident exists."""
    client.force_login(town.grid_worker)
    outside_url = reverse("residents:unmask", args=[town.r_b1.pk, "id_number"])
    inside_url = reverse("residents:unmask", args=[town.r_a1w.pk, "id_number"])
    assert client.post(outside_url).status_code == 404
    assert client.post(inside_url).status_code == 403
    assert not UnmaskLog.objects.exists()


def _links(page: str, prefix: str) -> set[str]:
    """The paths under `prefix` that a page links to."""
    return set(re.findall(rf'href="({re.escape(prefix)}[^"?#]*)"', page))


@pytest.mark.parametrize("role", ROLES)
def test_every_list_page_answers_every_role_with_only_what_is_in_scope(client, world, role):
    client.force_login(world.users[role])
    case_url = {
        key: reverse("cases:detail", args=[case.number]) for key, case in world.cases.items()
    }
    household_url = {
        key: reverse("residents:household", args=[h.pk]) for key, h in world.households.items()
    }
    pages = {}
    for url in (
        reverse("home"),
        reverse("cases:queue"),
        reverse("cases:queue") + "?state=all",
        reverse("residents:households"),
        reverse("cases:notices"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        pages[url] = response.content.decode()

    queue = pages[reverse("cases:queue") + "?state=all"]
    assert _links(queue, "/cases/") & set(case_url.values()) == {
        case_url[key] for key in SEES_CASES[role]
    }
    households = pages[reverse("residents:households")]
    assert _links(households, "/residents/households/") == {
        household_url[key] for key in SEES_HOUSEHOLDS[role]
    }
    hidden_cases = {case_url[key] for key in outside(SEES_CASES[role], world.cases)}
    hidden_households = {
        household_url[key] for key in outside(SEES_HOUSEHOLDS[role], world.households)
    }
    for url, page in pages.items():
        assert not _links(page, "/cases/") & hidden_cases, url
        assert not _links(page, "/residents/households/") & hidden_households, url
        for key in outside(SEES_CASES[role], world.cases):
            assert world.cases[key].title not in page, (url, key)
        for name in OTHER_TOWN_NAMES:
            assert name not in page, (url, name)


@pytest.mark.parametrize(
    ("role", "first_at", "second_at"),
    [
        ("grid_worker", (34.105, 112.0105), (34.105, 112.0095)),  # A2, then A1 across the line
        ("grid_helper", (34.105, 112.0045), (34.105, 112.0055)),  # A1 west, then A1 east
    ],
)
def test_a_likely_duplicate_outside_the_users_scope_is_not_shown_on_the_case_page(
    client, town, catalogue, role, first_at, second_at
):
    """Intake flags a likely duplicate by distance, across grid lines; the case page
    names it only to those who may see it."""
    first = resident_report("MS01", *first_at, "水管破裂", photo=False)
    second = resident_report("MS01", *second_at, "水管破裂", photo=False)
    assert second.likely_duplicate_of == first
    client.force_login(town.grid_leader)  # sees both: the duplicate is shown
    page = client.get(reverse("cases:detail", args=[second.number])).content.decode()
    assert first.number in page
    client.force_login(getattr(town, role))
    assert client.get(reverse("cases:detail", args=[first.number])).status_code == 404
    page = client.get(reverse("cases:detail", args=[second.number])).content.decode()
    assert first.number not in page
