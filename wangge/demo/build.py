"""Build the demo town 德亭镇 into the database (synthetic data).

`plan_town` draws everything in memory (pure, deterministic for a seed);
`build_demo` writes it in one transaction with bulk inserts, so a failure
leaves nothing half-built. Personal data goes through `Resident.set_id_number`
and `set_phone`, staff roles through `assign_role`, exactly as the app does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wangge.demo import geometry, names
from wangge.demo.layout import FULL, Land, Targets, plan_land
from wangge.demo.logins import DEMO_PASSWORD, SUPERUSER
from wangge.demo.places import PlacePlan, plan_places
from wangge.demo.population import TAGS, Population, plan_population
from wangge.demo.staffing import StaffPlan, plan_staff
from wangge.grids import locator
from wangge.grids.models import (
    Grid,
    Hamlet,
    MicroGrid,
    Place,
    Town,
    Village,
    VillagerGroup,
)
from wangge.residents.models import Household, Resident, Tag
from wangge.staff.models import Department, PoliceBeat, User
from wangge.staff.services import assign_role, sync_role_groups

TOWN_NOTE = "合成演示数据 synthetic demo data"
BATCH = 2000

STEPS = [
    _("Drawing villages and grids"),
    _("Planning households and residents"),
    _("Planning places and staff"),
    _("Writing the town, villages and grids"),
    _("Writing hamlets, groups and households"),
    _("Encrypting and writing residents"),
    _("Writing places"),
    _("Writing staff and their roles"),
]


@dataclass(eq=False)
class Plan:
    land: Land
    population: Population
    places: list[PlacePlan]
    staff: StaffPlan


def _nothing(step: int, label: str) -> None:
    return None


class _Rows:
    """Database rows of planned things, by the plan object's identity."""

    def __init__(self):
        self.village: dict[int, Village] = {}
        self.grid: dict[int, Grid] = {}
        self.micro: dict[int, list[MicroGrid]] = {}
        self.hamlet: dict[int, Hamlet] = {}
        self.group: dict[int, VillagerGroup] = {}


def plan_town(
    seed: int = 1, targets: Targets = FULL, on_step: Callable[[int, str], None] = _nothing
) -> Plan:
    """Everything the demo holds, in memory; the same seed gives the same plan."""
    on_step(0, STEPS[0])
    land = plan_land(seed, targets)
    on_step(1, STEPS[1])
    population = plan_population(land)
    on_step(2, STEPS[2])
    return Plan(land, population, plan_places(land, population), plan_staff(land))


def demo_town() -> Town | None:
    """The demo town if it has been built."""
    return Town.objects.filter(code=names.TOWN_CODE).first()


def reset_database() -> None:
    """Delete all data (`wangge demo --fresh`) and put back what a fresh install has.

    `flush` empties every table, then emits post_migrate, whose handlers put
    back content types and permissions, the role groups (staff) and the
    reference data (case categories and deadline policies).
    """
    call_command("flush", interactive=False, verbosity=0)
    ContentType.objects.clear_cache()
    locator.invalidate()


def build_demo(
    seed: int = 1,
    targets: Targets = FULL,
    on_step: Callable[[int, str], None] = _nothing,
) -> Town:
    """Plan the demo town and write it to the database in one transaction.

    Raises IntegrityError when the demo town (or one of its usernames) exists.
    """
    plan = plan_town(seed, targets, on_step)
    rows = _Rows()
    with transaction.atomic():
        sync_role_groups()
        on_step(3, STEPS[3])
        town = _write_land(plan.land, rows)
        on_step(4, STEPS[4])
        tags = _tags()
        households = _write_households(town, plan, tags, rows)
        on_step(5, STEPS[5])
        _write_residents(town, plan.population, households, tags)
        on_step(6, STEPS[6])
        _write_places(town, plan.places, rows)
        on_step(7, STEPS[7])
        _write_staff(town, plan.staff, rows)
    # bulk_create sends no signals, so the grid map cache must be told.
    locator.invalidate()
    transaction.on_commit(locator.invalidate)
    return town


def _write_land(land: Land, rows: _Rows) -> Town:
    town = Town.objects.create(
        name=names.TOWN_NAME,
        code=names.TOWN_CODE,
        county_code=names.COUNTY_CODE,
        county_name=names.COUNTY_NAME,
        case_prefix="DT",
        latitude=geometry.CENTRE_LAT,
        longitude=geometry.CENTRE_LON,
        area_km2=round(sum(g.area_km2 for g in land.grids), 1),
        note=TOWN_NOTE,
    )
    villages = Village.objects.bulk_create(
        [
            Village(
                town=town,
                name=v.name,
                code=v.code,
                kind=v.kind,
                boundary=geometry.to_geojson(v.boundary()),
                note=_village_note(v, land),
            )
            for v in land.villages
        ]
    )
    rows.village = dict(zip((id(v) for v in land.villages), villages, strict=True))
    grids = Grid.objects.bulk_create(
        [
            Grid(
                town=town,
                village=rows.village[id(g.village)],
                code=g.code,
                name=g.name,
                kind=g.kind,
                special_subject=g.subject,
                boundary=geometry.to_geojson(g.polygon),
                area_km2=round(g.area_km2, 4),
                centroid_lat=round(g.polygon.centroid.y, 7),
                centroid_lon=round(g.polygon.centroid.x, 7),
            )
            for g in land.grids
        ],
        batch_size=BATCH,
    )
    micro = []
    for plan, grid in zip(land.grids, grids, strict=True):
        rows.grid[id(plan)] = grid
        for i, polygon in enumerate(plan.micro, start=1):
            micro.append(
                MicroGrid(
                    town=town,
                    grid=grid,
                    code=f"{grid.code}{i:02d}",
                    name=f"{grid.name}{i}号微网格",
                    boundary=geometry.to_geojson(polygon),
                )
            )
    micro = MicroGrid.objects.bulk_create(micro, batch_size=BATCH)
    index = 0
    for plan in land.grids:
        rows.micro[id(plan)] = micro[index : index + len(plan.micro)]
        index += len(plan.micro)
    return town


def _village_note(village, land: Land) -> str:
    if village.kind != "community":
        return ""
    origins = sum(1 for v in land.villages if v.kind == "village")
    households = land.targets.community_households
    return f"易地扶贫搬迁安置社区：{households}户脱贫户，来自{origins}个行政村"


def _tags() -> dict[str, Tag]:
    """The demo's tags, reusing any that exist under the same code or name."""
    result = {}
    for code, (name, vulnerable) in TAGS.items():
        tag = Tag.objects.filter(code=code).first() or Tag.objects.filter(name=name).first()
        if tag is None:
            tag = Tag.objects.create(code=code, name=name, vulnerable=vulnerable)
        result[code] = tag
    return result


def _write_households(town: Town, plan: Plan, tags: dict[str, Tag], rows: _Rows):
    """Hamlets, villager groups and households (with their tags); returns the
    household rows in the order of the plan."""
    land, population = plan.land, plan.population
    hamlets = [h for v in land.villages for h in v.hamlets]
    hamlet_rows = Hamlet.objects.bulk_create(
        [
            Hamlet(
                town=town,
                village=rows.village[id(h.grid.village)],
                name=h.name,
                latitude=h.lat,
                longitude=h.lon,
            )
            for h in hamlets
        ],
        batch_size=BATCH,
    )
    rows.hamlet = {id(p): row for p, row in zip(hamlets, hamlet_rows, strict=True)}
    group_rows = VillagerGroup.objects.bulk_create(
        [
            VillagerGroup(
                town=town,
                village=rows.village[id(g.village)],
                number=g.number,
                name=g.name,
                hamlet=rows.hamlet.get(id(g.hamlet)),
            )
            for g in population.groups
        ],
        batch_size=BATCH,
    )
    rows.group = {id(p): row for p, row in zip(population.groups, group_rows, strict=True)}

    def row(h, served_by=None):
        return Household(
            town=town,
            village=rows.village[id(h.grid.village)],
            grid=rows.grid[id(h.grid)],
            micro_grid=rows.micro[id(h.grid)][h.micro],
            hamlet=rows.hamlet.get(id(h.hamlet)),
            group=rows.group[id(h.group)],
            number=h.number,
            address=h.address,
            latitude=h.lat,
            longitude=h.lon,
            is_party_central=h.central,
            served_by=served_by,
        )

    # Central households first, so the others can point at them in one insert.
    centrals = [h for h in population.households if h.central]
    central_rows = Household.objects.bulk_create([row(h) for h in centrals], batch_size=BATCH)
    central_db = {id(p): r for p, r in zip(centrals, central_rows, strict=True)}
    others = [h for h in population.households if not h.central]
    other_rows = Household.objects.bulk_create(
        [row(h, central_db.get(id(h.served_by))) for h in others], batch_size=BATCH
    )
    db = {id(p): r for p, r in zip(centrals + others, central_rows + other_rows, strict=True)}
    households = [db[id(h)] for h in population.households]
    through = Household.tags.through
    through.objects.bulk_create(
        [
            through(household_id=r.pk, tag_id=tags[code].pk)
            for h, r in zip(population.households, households, strict=True)
            for code in h.tags
        ],
        batch_size=BATCH,
    )
    return households


def _write_residents(town, population: Population, households, tags) -> None:
    residents, people = [], []
    for plan, household in zip(population.households, households, strict=True):
        for person in plan.members:
            resident = Resident(
                town=town,
                household=household,
                name=person.name,
                relation=person.relation,
                party_member=person.party,
            )
            resident.set_id_number(person.id_number)
            resident.set_phone(person.phone)
            residents.append(resident)
            people.append(person)
    residents = Resident.objects.bulk_create(residents, batch_size=BATCH)
    through = Resident.tags.through
    through.objects.bulk_create(
        [
            through(resident_id=r.pk, tag_id=tags[code].pk)
            for person, r in zip(people, residents, strict=True)
            for code in person.tags
        ],
        batch_size=BATCH,
    )


def _write_places(town: Town, places: list[PlacePlan], rows: _Rows) -> None:
    Place.objects.bulk_create(
        [
            Place(
                town=town,
                village=rows.village[id(p.grid.village)],
                grid=rows.grid[id(p.grid)],
                kind=p.kind,
                name=p.name,
                code=p.code,
                latitude=p.lat,
                longitude=p.lon,
                address=p.address,
                details=p.details,
            )
            for p in places
        ],
        batch_size=BATCH,
    )


def _write_staff(town: Town, staff: StaffPlan, rows: _Rows) -> None:
    """Departments, police beats, users (one password hash) and their roles."""
    departments = {
        d.code: d
        for d in Department.objects.bulk_create(
            [
                Department(town=town, code=code, name=name, handles=handles, phone=phone)
                for code, (name, handles, phone) in staff.departments.items()
            ]
        )
    }
    beats = []
    for name, villages in staff.beats:
        beat = PoliceBeat.objects.create(town=town, name=name)
        beat.villages.set([rows.village[id(v)] for v in villages])
        beats.append(beat)
    # One hash for everyone: hashing each of ~800 passwords would take minutes.
    password = make_password(DEMO_PASSWORD)
    users = User.objects.bulk_create(
        [
            User(
                username=p.username,
                full_name=p.full_name,
                last_name=p.full_name[:1],
                first_name=p.full_name[1:],
                phone=p.phone,
                town=town if p.in_town else None,
                password=password,
            )
            for p in staff.people
        ],
        batch_size=BATCH,
    )
    for person, user in zip(staff.people, users, strict=True):
        for duty in person.duties:
            scope = {}
            if duty.grid is not None:
                scope["grid"] = rows.grid[id(duty.grid)]
            if duty.micro is not None:
                scope["micro_grid"] = rows.micro[id(duty.grid)][duty.micro]
            if duty.village is not None:
                scope["village"] = rows.village[id(duty.village)]
            if duty.beat is not None:
                scope["beat"] = beats[duty.beat]
            if duty.department:
                scope["department"] = departments[duty.department]
            if duty.town:
                scope["town"] = town
            if duty.county_code:
                scope["county_code"] = duty.county_code
            assign_role(user, duty.role, title=duty.title, **scope)
    if not User.objects.filter(username=SUPERUSER).exists():
        User.objects.create(
            username=SUPERUSER,
            full_name="超级管理员",
            password=password,
            is_staff=True,
            is_superuser=True,
        )


def demo_counts(town: Town) -> list[tuple[str, int, str]]:
    """What the demo holds next to the brief's figures: (what, count, brief)."""
    grids = Grid.objects.filter(town=town)
    places = Place.objects.filter(town=town)
    households = Household.objects.filter(town=town)
    return [
        (_("villages (incl. community)"), Village.objects.filter(town=town).count(), "25"),
        (_("hamlets"), Hamlet.objects.filter(town=town).count(), "264"),
        (_("villager groups"), VillagerGroup.objects.filter(town=town).count(), ""),
        (_("basic grids"), grids.filter(kind="basic").count(), "213"),
        (_("special grids"), grids.filter(kind="special").count(), "28"),
        (_("micro-grids"), MicroGrid.objects.filter(town=town).count(), ""),
        (_("area (km²)"), round(town.area_km2 or 0), "321"),
        (_("households"), households.count(), ""),
        (
            _("德福苑 households (脱贫户)"),
            households.filter(village__kind="community", tags__code="tuopin").count(),
            "381",
        ),
        (_("residents"), Resident.objects.filter(town=town).count(), "48000"),
        (
            _("party-member central households"),
            households.filter(is_party_central=True).count(),
            "",
        ),
        (_("sealed mine adits"), places.filter(kind="sealed_adit").count(), "192"),
        (_("service venues"), places.filter(kind="service_venue").count(), "316"),
        (_("enterprises"), places.filter(kind="enterprise").count(), "12"),
        (
            _("other places"),
            places.exclude(kind__in=["sealed_adit", "service_venue", "enterprise"]).count(),
            "",
        ),
        (
            _("staff accounts"),
            User.objects.filter(
                Q(role_assignments__town=town)
                | Q(town=town)
                | Q(role_assignments__county_code=town.county_code)
            )
            .distinct()
            .count(),
            "",
        ),
        (_("departments"), Department.objects.filter(town=town).count(), ""),
        (_("police beats"), PoliceBeat.objects.filter(town=town).count(), ""),
    ]
