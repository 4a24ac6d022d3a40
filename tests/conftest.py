"""A small town for tests: two villages, four grids, one user per role, one outsider.

Grids are 0.01° squares near (112.0, 34.1):

    village A (杨村):   A1 [112.00,112.01]×[34.10,34.11]   A2 [112.01,112.02]×[34.10,34.11]
    village B (庄科村): B1 [112.00,112.01]×[34.09,34.10]   B2 (special) [112.01,112.02]×[34.09,34.10]
                        with a hole [112.014,112.016]×[34.094,34.096]

A1 has two micro-grids splitting it west/east at lon 112.005.
"""

import pytest
from django.contrib.auth.models import Permission

from wangge.grids import locator
from wangge.grids.models import Grid, GridKind, MicroGrid, Town, Village, VillageKind
from wangge.residents.models import Household, Resident
from wangge.staff.models import Department, PoliceBeat, Role, User
from wangge.staff.services import assign_role


def square(x0, y0, x1, y1, hole=None):
    ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
    rings = [ring]
    if hole:
        hx0, hy0, hx1, hy1 = hole
        rings.append([[hx0, hy0], [hx0, hy1], [hx1, hy1], [hx1, hy0], [hx0, hy0]])
    return {"type": "Polygon", "coordinates": rings}


# Valid, fictional ID numbers (check digits computed by GB 11643).
ID_NUMBERS = [
    "410325196503120017",
    "410325197001010026",
    "410325199508080034",
    "410325200101010047",
    "410325195012120012",
    "410325198806060010",
]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_locator():
    locator.invalidate()
    yield
    locator.invalidate()


class SmallTown:
    """Handles to everything the `town` fixture made."""


def _user(username, home_town, role, **scope):
    user = User.objects.create_user(username, password="pw-" + username, town=home_town)
    user.full_name = username
    user.save()
    if role:
        assign_role(user, role, **scope)
    return user


@pytest.fixture
def town(db):
    t = SmallTown()
    t.town = Town.objects.create(
        name="德亭镇",
        code="410325106000",
        county_code="410325",
        county_name="嵩县",
        case_prefix="DT",
    )
    t.other_town = Town.objects.create(
        name="大章镇", code="410325107000", county_code="410325", county_name="嵩县"
    )
    t.va = Village.objects.create(town=t.town, name="杨村", code="410325106201")
    t.vb = Village.objects.create(town=t.town, name="庄科村", code="410325106202")
    t.vc = Village.objects.create(
        town=t.other_town, name="外村", code="410325107201", kind=VillageKind.VILLAGE
    )
    t.a1 = Grid.objects.create(
        town=t.town,
        village=t.va,
        code="410325106201001",
        name="杨村第一网格",
        boundary=square(112.00, 34.10, 112.01, 34.11),
    )
    t.a2 = Grid.objects.create(
        town=t.town,
        village=t.va,
        code="410325106201002",
        name="杨村第二网格",
        boundary=square(112.01, 34.10, 112.02, 34.11),
    )
    t.b1 = Grid.objects.create(
        town=t.town,
        village=t.vb,
        code="410325106202001",
        name="庄科村第一网格",
        boundary=square(112.00, 34.09, 112.01, 34.10),
    )
    t.b2 = Grid.objects.create(
        town=t.town,
        village=t.vb,
        code="410325106202901",
        name="庄科矿区专属网格",
        kind=GridKind.SPECIAL,
        special_subject="矿区",
        boundary=square(112.01, 34.09, 112.02, 34.10, hole=(112.014, 34.094, 112.016, 34.096)),
    )
    t.c1 = Grid.objects.create(
        town=t.other_town,
        village=t.vc,
        code="410325107201001",
        name="外村第一网格",
        boundary=square(112.10, 34.10, 112.11, 34.11),
    )
    t.a1w = MicroGrid.objects.create(
        town=t.town,
        grid=t.a1,
        code="41032510620100101",
        name="杨村一格西片",
        boundary=square(112.00, 34.10, 112.005, 34.11),
    )
    t.a1e = MicroGrid.objects.create(
        town=t.town,
        grid=t.a1,
        code="41032510620100102",
        name="杨村一格东片",
        boundary=square(112.005, 34.10, 112.01, 34.11),
    )
    t.pcs = Department.objects.create(town=t.town, name="德亭派出所", code="pcs")
    t.yjb = Department.objects.create(town=t.town, name="应急办", code="yjb")
    t.beat = PoliceBeat.objects.create(town=t.town, name="杨村警格")
    t.beat.villages.add(t.va)

    t.grid_worker = _user("worker_a1", t.town, Role.GRID_WORKER, grid=t.a1)
    t.grid_worker_b1 = _user("worker_b1", t.town, Role.GRID_WORKER, grid=t.b1)
    t.grid_helper = _user("helper_a1e", t.town, Role.GRID_HELPER, grid=t.a1, micro_grid=t.a1e)
    t.grid_leader = _user("leader_va", t.town, Role.GRID_LEADER, village=t.va)
    t.instructor = _user("instructor", t.town, Role.GRID_INSTRUCTOR, grid=t.a2)
    t.police = _user("police_va", t.town, Role.POLICE, beat=t.beat)
    t.dispatcher = _user("dispatcher", t.town, Role.DISPATCHER, town=t.town)
    t.department = _user("dept_pcs", t.town, Role.DEPARTMENT, department=t.pcs)
    t.leader = _user("leader", t.town, Role.LEADER, town=t.town)
    t.county_leader = _user("county", None, Role.LEADER, county_code="410325")
    t.admin = _user("town_admin", t.town, Role.ADMIN, town=t.town)
    t.outsider = _user("outsider", None, None)

    def household(number, grid, micro=None, lon=None, lat=None):
        return Household.objects.create(
            town=grid.town,
            village=grid.village,
            grid=grid,
            micro_grid=micro,
            number=number,
            address=f"{grid.village.name}{number}号",
            longitude=lon,
            latitude=lat,
        )

    t.h_a1w = household("A1-001", t.a1, t.a1w)
    t.h_a1e = household("A1-002", t.a1, t.a1e)
    t.h_a2 = household("A2-001", t.a2)
    t.h_b1 = household("B1-001", t.b1)
    t.h_c1 = household("C1-001", t.c1)

    def resident(household, name, id_number, phone=""):
        r = Resident(town=household.town, household=household, name=name)
        r.set_id_number(id_number)
        r.set_phone(phone)
        r.save()
        return r

    t.r_a1w = resident(t.h_a1w, "王秀英", ID_NUMBERS[0], "13837900001")
    t.r_a1e = resident(t.h_a1e, "李建国", ID_NUMBERS[1], "13837900002")
    t.r_a2 = resident(t.h_a2, "张峻瑜", ID_NUMBERS[2])
    t.r_b1 = resident(t.h_b1, "刘宝林", ID_NUMBERS[3])
    t.r_c1 = resident(t.h_c1, "闫春民", ID_NUMBERS[4])
    return t


def grant(user, codename):
    user.user_permissions.add(Permission.objects.get(codename=codename))
    # Django caches permissions on the user object.
    for attr in ("_perm_cache", "_user_perm_cache"):
        user.__dict__.pop(attr, None)


# --- Cases ---------------------------------------------------------------------


@pytest.fixture
def catalogue(db):
    """The starter catalogue and default deadline policies (a flush removes migration data)."""
    from wangge.cases.catalogue import install_catalogue
    from wangge.cases.sla import install_default_policies

    install_default_policies()
    install_catalogue()


@pytest.fixture
def make_case(town, catalogue):
    """Report a case through intake, in grid A1 by default, as grid worker A1."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from wangge.cases.intake import report

    def make(category="MS01", *, actor=None, lon=112.003, lat=34.105, now=None, **kwargs):
        kwargs.setdefault("title", "村口自来水管破裂")
        kwargs.setdefault("channel", "patrol")
        return report(
            actor=actor or town.grid_worker,
            category=category,
            longitude=lon,
            latitude=lat,
            now=now or datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")),
            **kwargs,
        )

    return make


@pytest.fixture(autouse=True)
def _fresh_policy_cache():
    from wangge.cases import sla

    sla.clear_cache()
    yield
    sla.clear_cache()
