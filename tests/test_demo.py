"""The demo town: the brief's figures, sound geometry, valid personal data, logins.

The full demo is built once for the module inside a transaction that is rolled
back at the end, so other test modules never see it. Determinism is checked by
planning the town again (no second write) and on a small town.
"""

import io
import re
from collections import Counter
from unittest import mock

import numpy as np
import pytest
import shapely
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count, F
from django.utils import translation
from shapely.geometry import shape
from stdnum.cn import ric

from wangge.demo import geometry
from wangge.demo.build import TOWN_NOTE, build_demo, plan_town
from wangge.demo.layout import Targets
from wangge.demo.logins import DEMO_PASSWORD, SUPERUSER, demo_logins
from wangge.grids import locator
from wangge.grids.models import Grid, Hamlet, Place, Town, Village
from wangge.residents import pii
from wangge.residents.models import Household, Resident
from wangge.residents.validators import validate_id_number
from wangge.staff.models import Department, PoliceBeat, Role, RoleAssignment, User

pytestmark = pytest.mark.django_db

SMALL = Targets(
    area_km2=60,
    villages=4,
    basic_grids=24,
    special_grids=6,
    hamlets=30,
    households=600,
    community_households=40,
    residents=2000,
    sealed_adits=20,
    service_venues=30,
    enterprises=3,
    instructors=6,
    police_beats=2,
)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        town = build_demo(seed=1)
        yield town
        transaction.set_rollback(True)
    locator.invalidate()


def _polygons(queryset):
    return [shape(b) for b in queryset.values_list("boundary", flat=True)]


def _km2(polygons) -> float:
    return float(sum(shapely.area(polygons))) * geometry.KM_PER_DEG_LON * geometry.KM_PER_DEG_LAT


def test_town_is_deting_and_labelled_synthetic(demo):
    town = Town.objects.get(code="410325106000")
    assert (town.name, town.county_code, town.county_name, town.case_prefix) == (
        "德亭镇",
        "410325",
        "嵩县",
        "DT",
    )
    assert town.note == TOWN_NOTE
    assert town.area_km2 == pytest.approx(321, abs=1)


def test_24_villages_and_the_resettlement_community(demo):
    villages = Village.objects.filter(town=demo)
    assert villages.count() == 25
    community = villages.get(kind="community")
    assert (community.name, community.code) == ("德福苑社区", "410325106001")
    codes = sorted(villages.filter(kind="village").values_list("code", flat=True))
    assert codes == [f"410325106{n}" for n in range(201, 225)]
    assert {"杨村", "庄科村", "酒店村", "德亭村"} <= set(villages.values_list("name", flat=True))


def test_264_hamlets_unique_within_their_village_and_inside_it(demo):
    hamlets = Hamlet.objects.filter(town=demo).select_related("village")
    assert hamlets.count() == 264
    assert not hamlets.filter(village__kind="community").exists()
    assert len({(h.village_id, h.name) for h in hamlets}) == 264
    outlines = {v.pk: shape(v.boundary) for v in Village.objects.filter(town=demo)}
    for h in hamlets:
        assert outlines[h.village_id].contains(shapely.Point(h.longitude, h.latitude))


def test_villager_groups_per_village(demo):
    per_village = Village.objects.filter(town=demo, kind="village").annotate(n=Count("groups"))
    assert all(6 <= v.n <= 12 for v in per_village)
    assert Village.objects.get(name="杨村").groups.filter(name="六组").exists()


def test_213_basic_and_28_special_grids_with_codes_by_village(demo):
    grids = Grid.objects.filter(town=demo).select_related("village")
    assert grids.filter(kind="basic").count() == 213
    assert grids.filter(kind="special").count() == 28
    for grid in grids:
        assert re.fullmatch(r"\d{15}", grid.code)
        assert grid.code.startswith(grid.village.code)
        sequence = int(grid.code[-3:])
        assert (sequence >= 901) == (grid.kind == "special")
        assert bool(grid.special_subject) == (grid.kind == "special")
    for village in Village.objects.filter(town=demo):
        basic = sorted(
            int(c[-3:]) for c in village.grids.filter(kind="basic").values_list("code", flat=True)
        )
        assert basic == list(range(1, len(basic) + 1))
    assert grids.filter(
        name="杨村第一网格", code=Village.objects.get(name="杨村").code + "001"
    ).exists()
    assert grids.filter(name="庄科矿区专属网格").exists()
    subjects = Counter(grids.filter(kind="special").values_list("special_subject", flat=True))
    assert subjects["矿区"] == 14 and subjects["安置社区"] == 1


def test_grid_polygons_are_valid_do_not_overlap_and_cover_321_km2(demo):
    grids = list(Grid.objects.filter(town=demo).order_by("code"))
    polygons = np.array([shape(g.boundary) for g in grids], dtype=object)
    assert all(p.geom_type == "Polygon" and p.is_valid for p in polygons)
    tree = shapely.STRtree(polygons)
    left, right = tree.query(polygons, predicate="intersects")
    pairs = left < right
    overlap = _km2(shapely.intersection(polygons[left[pairs]], polygons[right[pairs]]))
    assert overlap < 1e-6  # km², i.e. under one square metre in all
    total = _km2(polygons)
    assert total == pytest.approx(321, abs=10)
    assert _km2([shapely.union_all(polygons)]) == pytest.approx(total, rel=1e-6)
    assert sum(g.area_km2 for g in grids) == pytest.approx(total, rel=1e-3)
    for grid, polygon in zip(grids, polygons, strict=True):
        assert polygon.contains(shapely.Point(grid.centroid_lon, grid.centroid_lat)) or (
            polygon.distance(shapely.Point(grid.centroid_lon, grid.centroid_lat)) < 0.01
        )


def test_village_boundary_is_the_union_of_its_grids(demo):
    for village in Village.objects.filter(town=demo):
        grids = shapely.union_all(_polygons(village.grids.all()))
        assert shape(village.boundary).symmetric_difference(grids).area < 1e-10


def test_micro_grids_split_each_grid(demo):
    per_grid = Grid.objects.filter(town=demo).annotate(n=Count("micro_grids"))
    assert all(3 <= g.n <= 6 for g in per_grid)
    for grid in Grid.objects.filter(town=demo).prefetch_related("micro_grids")[:60]:
        outline = shape(grid.boundary)
        parts = [shape(m.boundary) for m in grid.micro_grids.all()]
        assert all(p.is_valid for p in parts)
        assert all(
            m.code.startswith(grid.code) and len(m.code) == 17 for m in grid.micro_grids.all()
        )
        assert shapely.union_all(parts).symmetric_difference(outline).area < 1e-4 * outline.area


def test_every_household_stands_in_its_grid_and_micro_grid(demo):
    rows = list(
        Household.objects.filter(town=demo).values_list(
            "grid_id", "micro_grid_id", "longitude", "latitude"
        )
    )
    grid_ids, micro_ids, lons, lats = (np.array(c) for c in zip(*rows, strict=True))
    found = locator.get_locator().locate_grids(lons, lats)
    assert (found == grid_ids).all()
    for k in range(0, len(rows), 97):
        assert locator.locate(lons[k], lats[k]).micro_grid_id == micro_ids[k]


def test_households_numbers_addresses_and_the_381_of_defuyuan(demo):
    households = Household.objects.filter(town=demo)
    assert 14_000 <= households.count() <= 15_000
    assert households.values("number").distinct().count() == households.count()
    community = households.filter(village__kind="community")
    assert community.count() == 381
    assert community.filter(tags__code="tuopin").count() == 381
    assert not households.filter(group__isnull=True).exists()
    sample = households.filter(village__name="杨村", group__name="六组").first()
    assert sample.address.startswith("嵩县德亭镇杨村六组")


def test_about_48000_residents_with_a_mountain_age_structure(demo):
    residents = Resident.objects.filter(town=demo)
    count = residents.count()
    assert 47_000 <= count <= 49_000
    assert Resident.objects.filter(household__town=demo, relation="head").count() == (
        Household.objects.filter(town=demo).count()
    )
    births = list(residents.values_list("birth_date", flat=True))
    old = sum(b.year <= 1965 for b in births) / count
    young = sum(b.year >= 2008 for b in births) / count
    assert 0.2 < old < 0.4 and 0.15 < young < 0.35
    party = residents.filter(party_member=True).count() / count
    assert 0.05 < party < 0.07


def test_party_central_households_serve_about_ten_in_their_grid(demo):
    households = Household.objects.filter(town=demo)
    centrals = households.filter(is_party_central=True)
    ratio = households.count() / centrals.count()
    assert 10 <= ratio <= 12
    served = households.filter(served_by__isnull=False)
    assert served.count() + centrals.count() == households.count()
    assert not served.exclude(served_by__grid=F("grid")).exists()
    assert not served.filter(served_by__is_party_central=False).exists()
    assert not centrals.exclude(members__party_member=True).exists()


def test_id_numbers_are_valid_unique_and_match_gender_and_birth(demo):
    rows = Resident.objects.filter(town=demo).values_list(
        "id_number_encrypted", "id_number_hash", "id_number_masked", "gender", "birth_date"
    )
    seen = set()
    regions = Counter()
    for token, digest, masked, gender, birth in rows:
        number = pii.decrypt(token)
        assert validate_id_number(number) == number
        assert ric.calc_check_digit(number[:17]) == number[17]
        assert pii.lookup_hash(number) == digest
        assert masked == number[:4] + "*" * 10 + number[-4:]
        assert (int(number[16]) % 2 == 1) == (gender == "male")
        assert number[6:14] == birth.strftime("%Y%m%d")
        seen.add(number)
        regions[number[:6]] += 1
    assert len(seen) == len(rows)
    assert regions.most_common(1)[0][0] == "410325"
    assert set(regions) <= {
        "410322",
        "410323",
        "410324",
        "410325",
        "410326",
        "410327",
        "410328",
        "410329",
    }


def test_raw_encrypted_columns_hold_no_plaintext(demo):
    resident = Resident.objects.filter(town=demo).exclude(phone_encrypted="").first()
    number = pii.decrypt(resident.id_number_encrypted)
    phone = pii.decrypt(resident.phone_encrypted)
    assert re.fullmatch(r"1[3-9]\d{9}", phone)
    table = Resident._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id_number_encrypted, phone_encrypted, id_number_hash FROM {table} LIMIT 500"
        )
        raw = cursor.fetchall()
        cursor.execute(
            f"SELECT id_number_encrypted, phone_encrypted FROM {table} WHERE id = %s", [resident.pk]
        )
        own = cursor.fetchone()
    assert number not in own[0] and phone not in own[1]
    for id_token, phone_token, digest in raw:
        assert id_token.startswith("gAAAAA")  # a Fernet token
        plain = pii.decrypt(id_token)
        assert plain not in id_token and plain not in digest
        if phone_token:
            assert pii.decrypt(phone_token) not in phone_token
    with_phone = Resident.objects.filter(town=demo).exclude(phone_encrypted="").count()
    assert with_phone > 0.55 * Resident.objects.filter(town=demo).count()


def test_places_of_the_brief_lie_in_their_grids(demo):
    places = Place.objects.filter(town=demo)
    kinds = Counter(places.values_list("kind", flat=True))
    assert (kinds["sealed_adit"], kinds["service_venue"], kinds["enterprise"]) == (192, 316, 12)
    assert kinds["service_station"] == 25 and kinds["school"] >= 2
    adits = places.filter(kind="sealed_adit")
    assert adits.filter(grid__special_subject="矿区").count() >= 0.8 * 192
    assert all(d["seal_state"] == "sealed" for d in adits.values_list("details", flat=True))
    rows = list(
        places.values_list("grid_id", "village_id", "grid__village_id", "longitude", "latitude")
    )
    grid_ids, villages, grid_villages, lons, lats = (np.array(c) for c in zip(*rows, strict=True))
    assert (villages == grid_villages).all()
    assert (locator.get_locator().locate_grids(lons, lats) == grid_ids).all()


def _holders(role, **filters):
    return RoleAssignment.objects.filter(role=role, **filters)


def test_every_role_is_staffed(demo):
    grids = Grid.objects.filter(town=demo)
    villages = Village.objects.filter(town=demo)
    worked = set(_holders(Role.GRID_WORKER).values_list("grid_id", flat=True))
    assert worked == set(grids.values_list("pk", flat=True))
    led = set(_holders(Role.GRID_LEADER).values_list("village_id", flat=True))
    assert led == set(villages.values_list("pk", flat=True))
    instructors = _holders(Role.GRID_INSTRUCTOR).values("user").distinct().count()
    assert 25 <= instructors <= 32
    assert set(_holders(Role.GRID_INSTRUCTOR).values_list("grid_id", flat=True)) == worked
    assert _holders(Role.GRID_HELPER).count() == 2 * grids.count()
    assert not _holders(Role.GRID_HELPER).filter(micro_grid__isnull=True).exists()
    covered = set(PoliceBeat.objects.filter(town=demo).values_list("villages", flat=True))
    assert covered == set(villages.values_list("pk", flat=True))
    for beat in PoliceBeat.objects.filter(town=demo):
        assert beat.assignments.filter(role=Role.POLICE).count() == 1
    departments = Department.objects.filter(town=demo).annotate(n=Count("assignments"))
    assert len(departments) == 16 and all(1 <= d.n <= 3 for d in departments)
    assert 2 <= _holders(Role.DISPATCHER).count() <= 3
    assert _holders(Role.LEADER).count() >= 2
    assert _holders(Role.ADMIN, town=demo).count() == 1
    assert all(u.isascii() for u in User.objects.values_list("username", flat=True))


def test_the_people_of_the_brief(demo):
    yangcun = Village.objects.get(name="杨村")
    jiajie = User.objects.get(username="jiajie")
    assert jiajie.full_name == "贾洁"
    assert set(jiajie.role_assignments.values_list("grid_id", flat=True)) == set(
        yangcun.grids.values_list("pk", flat=True)
    )
    officer = RoleAssignment.objects.get(user__username="liubaolin", role=Role.POLICE)
    assert officer.beat.villages.filter(pk=yangcun.pk).exists()
    assert RoleAssignment.objects.get(user__full_name="夏波").department.name == "德亭派出所"
    assert RoleAssignment.objects.get(user__full_name="闫靖仁").department.name == "应急办"
    assert RoleAssignment.objects.get(user__full_name="夏萌").role == Role.LEADER


def test_one_demo_login_per_role_works(demo, settings):
    # The demo hashed its password with the default hasher, not the tests' fast one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    logins = demo_logins()
    roles = [login["role"] for login in logins]
    assert set(roles) == {r.value for r in Role} | {"superuser"}
    for login in logins:
        user = User.objects.get(username=login["username"])
        assert login["password"] == DEMO_PASSWORD
        if login["role"] == "superuser":
            assert user.is_superuser
        else:
            assert user.full_name == login["name"]
            assert user.role_assignments.filter(role=login["role"]).exists()
    # One hash for every demo user; checking it once checks them all.
    hashes = set(User.objects.filter(town=demo).values_list("password", flat=True))
    assert len(hashes) == 1
    assert User.objects.get(username=SUPERUSER).check_password(DEMO_PASSWORD)
    assert User.objects.get(username="liubaolin").has_perm("residents.unmask_personal_data")


def test_same_seed_same_town(demo):
    plan = plan_town(seed=1)
    stored = dict(Grid.objects.filter(town=demo).values_list("code", "boundary"))
    assert {g.code: geometry.to_geojson(g.polygon) for g in plan.land.grids} == stored
    numbers = set(Household.objects.filter(town=demo).values_list("number", flat=True))
    assert {h.number for h in plan.population.households} == numbers
    hashes = set(Resident.objects.filter(town=demo).values_list("id_number_hash", flat=True))
    planned = {pii.lookup_hash(p.id_number) for h in plan.population.households for p in h.members}
    assert planned == hashes


def test_small_plans_are_deterministic_and_differ_by_seed():
    def fingerprint(seed):
        plan = plan_town(seed, SMALL)
        return (
            [(g.code, g.name, geometry.to_geojson(g.polygon)) for g in plan.land.grids],
            [(h.number, h.address, h.lon, h.lat) for h in plan.population.households],
            [p.id_number for h in plan.population.households for p in h.members],
            [(p.kind, p.name, p.lon, p.lat) for p in plan.places],
            [(p.username, p.full_name) for p in plan.staff.people],
        )

    first = fingerprint(7)
    assert fingerprint(7) == first
    assert fingerprint(8)[0] != first[0]


def test_small_plan_tiles_its_area_and_keeps_everyone_inside():
    plan = plan_town(3, SMALL)
    polygons = [g.polygon for g in plan.land.grids]
    assert len(polygons) == 30 and all(p.is_valid for p in polygons)
    assert _km2(polygons) == pytest.approx(60, rel=1e-3)
    assert _km2([shapely.union_all(polygons)]) == pytest.approx(60, rel=1e-3)
    assert plan.population.residents == 2000
    for h in plan.population.households:
        assert h.grid.polygon.contains(shapely.Point(h.lon, h.lat))
        assert 1 <= len(h.members) <= 8


# --- A year of cases ---------------------------------------------------------------

DEMO_NOW = __import__("datetime").datetime(
    2026, 11, 27, 9, 0, tzinfo=__import__("zoneinfo").ZoneInfo("Asia/Shanghai")
)


@pytest.fixture(scope="module")
def demo_command(demo, django_db_blocker):
    """`wangge demo` run on the built town as on DEMO_NOW: it reuses the town and
    adds the year of cases and the other apps' parts, once for the module.

    The real builders run; spies keep what they return for the tests below."""
    from wangge.demo.management.commands import demo as command

    before = {
        "people": set(User.objects.values_list("pk", flat=True)),
        "counts": (Town.objects.count(), Resident.objects.count()),
    }
    built = {"cases": {}, "rows": [], "steps": []}
    build_cases, build_more = command.build_cases, command.build_more

    def cases_spy(*args, **kwargs):
        built["cases"] = build_cases(*args, **kwargs)
        return built["cases"]

    def more_spy(town, *, on_step, **kwargs):
        def step(index, label):
            built["steps"].append(index)
            on_step(index, label)

        built["rows"] = build_more(town, on_step=step, **kwargs)
        return built["rows"]

    out = io.StringIO()
    with (
        django_db_blocker.unblock(),
        mock.patch.object(command, "build_cases", cases_spy),
        mock.patch.object(command, "build_more", more_spy),
        mock.patch("django.utils.timezone.now", return_value=DEMO_NOW),
        translation.override("en"),
    ):
        call_command("demo", "--no-serve", stdout=out)
    return {**built, "output": out.getvalue(), "before": before}


@pytest.fixture(scope="module")
def demo_cases(demo_command):
    return demo_command["cases"]


def test_running_demo_again_reuses_the_town(demo, demo_command):
    assert "reusing" in demo_command["output"]
    assert "jiajie" in demo_command["output"]
    assert (Town.objects.count(), Resident.objects.count()) == demo_command["before"]["counts"]
    # No staff twice: the only new accounts are those of the parts built now
    # (the special team of field work, the Open311 client).
    added = User.objects.exclude(pk__in=demo_command["before"]["people"])
    names = list(added.values_list("username", flat=True))
    assert names and all(name.startswith("zhuanban") or name == "fixmystreet" for name in names)


def test_the_year_of_cases_echoes_the_brief(demo, demo_cases):
    from wangge.demo.cases import year_figures

    with translation.override("en"):
        figures = {label: built for label, built, _ in year_figures(demo, DEMO_NOW)}
    assert 240 <= figures["safety hazards reported"] <= 260
    assert 55 <= figures["disputes settled jointly by police and grid"] <= 70
    assert 280 <= figures["livelihood matters through the four-step dispatch"] <= 295
    assert figures["disputes handled"] >= 130
    satisfied = float(figures["satisfied or basically satisfied"].rstrip(" %"))
    assert 93 <= satisfied <= 97.5
    assert demo_cases.get("stopped", 0) <= 5


def test_every_case_went_through_the_lifecycle(demo, demo_cases):
    from wangge.cases.models import Case, CaseEvent

    cases = Case.objects.filter(town=demo)
    assert cases.count() >= 1300
    # Each case's events chain: every event starts where the previous one ended.
    chains = {}
    for case_id, action, before, after in (
        CaseEvent.objects.filter(case__town=demo)
        .order_by("case_id", "at", "id")
        .values_list("case_id", "action", "from_state", "to_state")
    ):
        previous = chains.get(case_id)
        if previous is None:
            assert action == "report"
        else:
            assert before == previous
        chains[case_id] = after
    assert all(cases.get(pk=pk).state == state for pk, state in list(chains.items())[:200])


def test_emergencies_were_answered_within_fifteen_minutes(demo, demo_cases):
    from wangge.cases.models import Case
    from wangge.dashboard.metrics import emergency_response

    year = Case.objects.filter(
        town=demo, reported_at__lt=DEMO_NOW - __import__("datetime").timedelta(hours=3)
    )
    figures = emergency_response(year)
    assert figures["total"] >= 30
    assert figures["on_scene_in_time"] == figures["total"]


def test_the_live_tail_has_open_cases_at_every_stage(demo, demo_cases):
    from wangge.cases.models import Case

    states = set(Case.objects.filter(town=demo).open().values_list("state", flat=True))
    assert {"reported", "accepted", "dispatched", "claimed", "resolved", "suspended"} <= states
    assert Case.objects.filter(town=demo, extension_pending_minutes__isnull=False).exists()
    assert Case.objects.filter(town=demo, events__actor_label="system").exists()


@pytest.fixture(scope="module")
def demo_more(demo_command):
    return demo_command["rows"], demo_command["steps"]


def test_every_app_adds_its_part_of_the_demo(demo, demo_more):
    from wangge.community.models import ReserveCadre
    from wangge.demo.more import built
    from wangge.fieldwork.models import Inspection, PlaceWatch, ServiceStation, Visit
    from wangge.grids.models import PlaceKind
    from wangge.integrations.models import Camera, HookSource
    from wangge.open311.models import Open311Request
    from wangge.points.models import PointEntry, Redemption, StarRating

    rows, steps = demo_more
    assert steps == list(range(6))  # five apps, then done
    assert built(demo)
    assert rows and all(str(label) for label, _built, _brief in rows)
    watched = PlaceWatch.objects.filter(place__town=demo)
    assert watched.filter(place__kind=PlaceKind.SEALED_ADIT).count() == 192
    assert Inspection.objects.exists() and Visit.objects.exists()
    assert ServiceStation.objects.exists()
    assert ReserveCadre.objects.count() == 52
    assert PointEntry.objects.exists() and Redemption.objects.exists()
    assert StarRating.objects.exists()
    assert HookSource.objects.count() == 2 and Camera.objects.exists()
    assert Open311Request.objects.exists()


def test_the_demo_visits_cover_most_households_this_month(demo, demo_more):
    from datetime import timedelta

    from wangge.dashboard.metrics import Period, make_scope
    from wangge.dashboard.metrics.fieldwork import visit_coverage

    month = Period(DEMO_NOW - timedelta(days=30), DEMO_NOW)
    coverage = visit_coverage(make_scope("town", demo.pk), month)
    assert 0.6 < coverage["coverage"] < 1
