"""The demo town's people: households, residents, villager groups and tags.

Pure planning, no database. The age structure is a mountain town's: many old
people and children, working-age adults often away, so many children live
with their grandparents (留守儿童) and many old people live alone (独居老人).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import shapely

from wangge.demo import names
from wangge.demo.geometry import sample_near, sample_uniform
from wangge.demo.layout import GridPlan, HamletPlan, Land, VillagePlan, apportion

# Ages are counted at this date, fixed so a seed always gives the same people.
REFERENCE_DATE = date(2025, 7, 1)

# Household sizes in a mountain village (mean ≈ 3.3 people).
SIZES = {1: 0.15, 2: 0.22, 3: 0.20, 4: 0.19, 5: 0.14, 6: 0.07, 7: 0.03}
# Tags: code → (name, vulnerable). Household tags first.
TAGS = {
    "tuopin": ("脱贫户", False),
    "dibao": ("低保", True),
    "monitored": ("防返贫监测户", True),
    "alone_elderly": ("独居老人", True),
    "empty_nest_elderly": ("空巢老人", True),
    "left_behind_child": ("留守儿童", True),
    "disabled": ("残疾人", True),
    "veteran": ("退役军人", False),
    "party_member": ("党员", False),
}
PARTY_SHARE = 0.06
SERVED_PER_CENTRAL = 11  # a 党员中心户 and about ten households around it


@dataclass(slots=True)
class PersonPlan:
    name: str
    gender: str
    birth: date
    relation: str
    id_number: str
    phone: str = ""
    party: bool = False
    tags: list[str] = field(default_factory=list)

    @property
    def age(self) -> int:
        return _age(self.birth)


@dataclass(eq=False)
class GroupPlan:
    village: VillagePlan
    number: int
    name: str
    hamlet: HamletPlan | None = None


@dataclass(eq=False)
class HouseholdPlan:
    grid: GridPlan
    lon: float
    lat: float
    hamlet: HamletPlan | None
    micro: int = 0  # index into grid.micro
    group: GroupPlan | None = None
    number: str = ""
    address: str = ""
    members: list[PersonPlan] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    central: bool = False
    served_by: HouseholdPlan | None = None


@dataclass(eq=False)
class Population:
    households: list[HouseholdPlan]
    groups: list[GroupPlan]

    @property
    def residents(self) -> int:
        return sum(len(h.members) for h in self.households)


def _age(birth: date) -> int:
    before = (REFERENCE_DATE.month, REFERENCE_DATE.day) < (birth.month, birth.day)
    return REFERENCE_DATE.year - birth.year - before


def plan_population(land: Land) -> Population:
    """Households with their places, groups, numbers, members and tags."""
    rng = np.random.default_rng([land.seed, 2])
    pyrng = random.Random(f"{land.seed}:people")
    targets = land.targets
    households: list[HouseholdPlan] = []
    groups: list[GroupPlan] = []
    village_grids = [g for v in land.villages if v.kind == "village" for g in v.basic]
    weights = np.sqrt([g.mass for g in village_grids]) * rng.lognormal(0, 0.25, len(village_grids))
    counts = apportion(weights, targets.households - targets.community_households)
    for grid, count in zip(village_grids, counts, strict=True):
        households += _place_in_grid(grid, count, rng)
    for village in land.villages:
        if village.kind == "village":
            theirs = [h for h in households if h.grid.village is village]
            groups += _number_village(village, theirs)
        else:
            community_households, community_groups = _community(village, targets, rng)
            households += community_households
            groups += community_groups
    households.sort(key=lambda h: h.number)
    _locate_micro(households)
    sizes = _sizes(pyrng, len(households), targets.residents)
    ids = names.IdNumbers(pyrng)
    for household, size in zip(households, sizes, strict=True):
        household.members = _members(pyrng, ids, size, household)
    _household_tags(pyrng, households)
    _party(pyrng, households, round(PARTY_SHARE * sum(sizes)))
    return Population(households, groups)


def _place_in_grid(grid: GridPlan, count: int, rng) -> list[HouseholdPlan]:
    """Houses cluster around the grid's hamlets, ~200 m around each."""
    if count == 0:
        return []
    shares = apportion(rng.uniform(0.5, 1.5, len(grid.hamlets)), count)
    placed = []
    for hamlet, n in zip(grid.hamlets, shares, strict=True):
        if n == 0:
            continue
        points = sample_near(grid.polygon, np.array([[hamlet.lon, hamlet.lat]]), n, 0.2, rng)
        placed += [HouseholdPlan(grid, float(x), float(y), hamlet) for x, y in points]
    return placed


def _number_village(village: VillagePlan, households: list[HouseholdPlan]) -> list[GroupPlan]:
    """Split the village into groups along its hamlets; number houses within groups."""
    rank = {id(h): i for i, h in enumerate(village.hamlets)}
    households.sort(key=lambda h: (rank[id(h.hamlet)], h.lon, h.lat))
    sizes = apportion(np.ones(village.group_count), len(households))
    groups, start = [], 0
    for number, size in enumerate(sizes, start=1):
        members = households[start : start + size]
        start += size
        hamlets = [h.hamlet for h in members]
        main = max(hamlets, key=lambda x: (hamlets.count(x), -rank[id(x)])) if hamlets else None
        group = GroupPlan(village, number, f"{names.cn_number(number)}组", main)
        groups.append(group)
        for house, h in enumerate(members, start=1):
            h.group = group
            h.number = f"{village.code[-3:]}-{number:02d}-{house:03d}"
            h.address = f"{names.ADDRESS_PREFIX}{village.name}{group.name}{house}号"
    return groups


def _community(village: VillagePlan, targets, rng):
    """德福苑: apartment blocks in its basic grids, two blocks to a residents' group."""
    blocks = 2 * village.group_count
    counts = apportion(np.ones(blocks), targets.community_households)
    per_grid = apportion(np.ones(len(village.basic)), blocks)
    households: list[HouseholdPlan] = []
    groups: list[GroupPlan] = []
    block = 0
    for grid, count in zip(village.basic, per_grid, strict=True):
        inner = grid.polygon.buffer(-0.0005)
        area = inner if not inner.is_empty else grid.polygon
        lon, lat = sample_uniform(area, count, rng)
        for x, y in zip(lon, lat, strict=True):
            block += 1
            if block % 2 == 1:
                number = (block + 1) // 2
                groups.append(GroupPlan(village, number, f"{block}-{block + 1}号楼"))
            group = groups[-1]
            centre = np.array([[x, y]])
            points = sample_near(grid.polygon, centre, counts[block - 1], 0.01, rng)
            for i, (px, py) in enumerate(points):
                unit, rest = divmod(i, 18)
                floor, door = divmod(rest, 3)
                h = HouseholdPlan(grid, float(px), float(py), None, group=group)
                h.address = (
                    f"{names.ADDRESS_PREFIX}{village.name}{block}号楼"
                    f"{unit + 1}单元{floor + 1}0{door + 1}室"
                )
                h.tags.append("tuopin")
                households.append(h)
    seq: dict[int, int] = {}
    for h in households:
        seq[h.group.number] = seq.get(h.group.number, 0) + 1
        h.number = f"{village.code[-3:]}-{h.group.number:02d}-{seq[h.group.number]:03d}"
    return households, groups


def _locate_micro(households: list[HouseholdPlan]) -> None:
    """The micro-grid each house stands in (the nearest one if it sits on an edge)."""
    by_grid: dict[str, list[HouseholdPlan]] = {}
    for h in households:
        by_grid.setdefault(h.grid.code, []).append(h)
    for members in by_grid.values():
        micro = members[0].grid.micro
        tree = shapely.STRtree(micro)
        points = shapely.points([h.lon for h in members], [h.lat for h in members])
        nearest = tree.query_nearest(points, all_matches=False)[1]
        for h, m in zip(members, nearest, strict=True):
            h.micro = int(m)


def _sizes(rng: random.Random, count: int, residents: int) -> list[int]:
    """Household sizes drawn from SIZES, nudged so they add up to `residents`."""
    sizes = rng.choices(list(SIZES), list(SIZES.values()), k=count)
    gap = residents - sum(sizes)
    while gap:
        i = rng.randrange(count)
        if gap > 0 and sizes[i] < 8:
            sizes[i] += 1
            gap -= 1
        elif gap < 0 and sizes[i] > 1:
            sizes[i] -= 1
            gap += 1
    return sizes


class _Family:
    """Builds one household's members with consistent surnames, ages and ID numbers."""

    def __init__(self, rng: random.Random, ids: names.IdNumbers, family_name: str):
        self.rng = rng
        self.ids = ids
        self.family_name = family_name
        self.members: list[PersonPlan] = []

    def add(self, relation, gender, age, *, surname=None, outsider=0.0) -> PersonPlan:
        rng = self.rng
        age = max(0, age)
        birth = REFERENCE_DATE - timedelta(days=age * 365 + age // 4 + rng.randrange(1, 365))
        family = surname or self.family_name
        person = PersonPlan(
            name=family + names.given_name(rng, gender, birth.year),
            gender=gender,
            birth=birth,
            relation=relation,
            id_number=self.ids.make(names.region(rng, outsider), birth, gender),
        )
        self.members.append(person)
        if relation == "head" and gender == "female":
            # A widow's children and grandchildren carry her late husband's name.
            self.family_name = names.surname(rng, avoid=family)
        return person

    def spouse_of(self, head: PersonPlan, age: int) -> PersonPlan:
        gender = "female" if head.gender == "male" else "male"
        other = names.surname(self.rng, avoid=head.name[0])
        return self.add("spouse", gender, age, surname=other, outsider=0.3)

    def child(self, parent_age: int, relation="child", low=22, high=34) -> PersonPlan:
        age = parent_age - self.rng.randint(low, high)
        return self.add(relation, self.rng.choice(["male", "female"]), age)


def _sex(rng, female_share=0.5) -> str:
    return "female" if rng.random() < female_share else "male"


def _members(rng: random.Random, ids: names.IdNumbers, size: int, h: HouseholdPlan):
    """The people of one household of `size`, head first."""
    family_name = names.surname(rng)
    # In 王家沟 many families are called 王.
    clan = h.hamlet.name[0] if h.hamlet and h.hamlet.name[1:2] == "家" else ""
    if clan in names.SURNAMES and rng.random() < 0.45:
        family_name = clan
    f = _Family(rng, ids, family_name)
    roll = rng.random()
    r = rng.randint
    if size == 1:
        if roll < 0.68:
            f.add("head", _sex(rng, 0.6), r(62, 92), outsider=0.05)
        else:
            f.add("head", "male", r(30, 64))
    elif size == 2:
        if roll < 0.55:
            head = f.add("head", "male", r(60, 86))
            f.spouse_of(head, head.age - r(0, 6))
        elif roll < 0.75:
            head = f.add("head", "male", r(40, 59))
            f.spouse_of(head, head.age - r(0, 5))
        elif roll < 0.9:
            head = f.add("head", _sex(rng, 0.6), r(58, 80))
            f.add("grandchild", _sex(rng), r(4, 15))
        else:
            head = f.add("head", _sex(rng, 0.6), r(60, 85))
            f.child(head.age, low=25, high=35)
    elif size == 3:
        if roll < 0.35:
            head = f.add("head", "male", r(38, 56))
            f.spouse_of(head, head.age - r(0, 5))
            f.child(head.age)
        elif roll < 0.65:
            head = f.add("head", "male", r(55, 76))
            f.spouse_of(head, head.age - r(0, 5))
            f.add("grandchild", _sex(rng), r(2, 15))
        elif roll < 0.85:
            head = f.add("head", "male", r(25, 38))
            f.spouse_of(head, head.age - r(0, 4))
            f.add("child", _sex(rng), max(0, head.age - r(22, 30)))
        else:
            head = f.add("head", "male", r(40, 56))
            f.spouse_of(head, head.age - r(0, 5))
            f.add("parent", _sex(rng, 0.7), head.age + r(22, 32), outsider=0.05)
    elif size == 4 and roll < 0.4:
        head = f.add("head", "male", r(32, 50))
        f.spouse_of(head, head.age - r(0, 5))
        for _ in range(2):
            f.child(head.age)
    elif size == 4 and roll < 0.7:
        head = f.add("head", "male", r(55, 76))
        f.spouse_of(head, head.age - r(0, 5))
        for _ in range(2):
            f.add("grandchild", _sex(rng), r(1, 15))
    elif size == 4 or roll < 0.7:
        head = f.add("head", "male", r(50, 72))
        f.spouse_of(head, head.age - r(0, 5))
        son = f.add("child", "male", head.age - r(22, 32))
        if size > 4:
            f.add(
                "child_in_law",
                "female",
                son.age - r(0, 4),
                surname=names.surname(rng, son.name[0]),
                outsider=0.3,
            )
        for _ in range(size - len(f.members)):
            f.child(son.age, relation="grandchild", low=20, high=32)
    else:
        head = f.add("head", "male", r(32, 48))
        f.spouse_of(head, head.age - r(0, 5))
        father = f.add("parent", "male", head.age + r(22, 32))
        f.add("parent", "female", father.age - r(0, 5), surname=names.surname(rng, father.name[0]))
        for _ in range(size - len(f.members)):
            f.child(head.age)
    _person_tags(rng, f.members)
    return f.members


def _person_tags(rng: random.Random, members: list[PersonPlan]) -> None:
    ages = [p.age for p in members]
    has_parents = any(p.relation in ("child", "child_in_law") and p.age >= 20 for p in members)
    for p, age in zip(members, ages, strict=True):
        if len(members) == 1 and age >= 60:
            p.tags.append("alone_elderly")
        if len(members) == 2 and min(ages) >= 60:
            p.tags.append("empty_nest_elderly")
        if (
            p.relation == "grandchild"
            and age < 16
            and rng.random() < (0.1 if has_parents else 0.85)
        ):
            p.tags.append("left_behind_child")
        disabled = 0.012 if age < 18 else 0.045 if age < 60 else 0.12
        if rng.random() < disabled:
            p.tags.append("disabled")
        if p.gender == "male" and 25 <= age <= 75 and rng.random() < 0.05:
            p.tags.append("veteran")
        if age >= 18:
            p.phone = names.mobile(rng) if rng.random() < (0.93 if age < 70 else 0.45) else ""
        elif age >= 16 and rng.random() < 0.5:
            p.phone = names.mobile(rng)


def _household_tags(rng: random.Random, households: list[HouseholdPlan]) -> None:
    """脱贫户 (all of 德福苑 and about one in nine elsewhere), 低保 and 监测户."""
    for h in households:
        needy = any("disabled" in p.tags or "alone_elderly" in p.tags for p in h.members)
        if "tuopin" not in h.tags and rng.random() < (0.2 if needy else 0.09):
            h.tags.append("tuopin")
        poor = "tuopin" in h.tags
        if rng.random() < (0.3 if poor else 0.03):
            h.tags.append("dibao")
        if rng.random() < (0.05 if poor else 0.01):
            h.tags.append("monitored")


def _eligible(p: PersonPlan) -> bool:
    return 25 <= p.age <= 75


def _party(rng: random.Random, households: list[HouseholdPlan], target: int) -> None:
    """党员中心户 every ~11 households of a grid, then party members up to `target`."""
    by_grid: dict[str, list[HouseholdPlan]] = {}
    for h in households:
        by_grid.setdefault(h.grid.code, []).append(h)
    for members in by_grid.values():
        members = sorted(members, key=lambda h: (h.number, h.lon))
        parts = apportion(np.ones(max(1, round(len(members) / SERVED_PER_CENTRAL))), len(members))
        start = 0
        for size in parts:
            chunk = members[start : start + size]
            start += size
            able = [h for h in chunk if any(_eligible(p) for p in h.members)] or chunk
            mx = sum(h.lon for h in chunk) / len(chunk)
            my = sum(h.lat for h in chunk) / len(chunk)
            central = min(able, key=lambda h: ((h.lon - mx) ** 2 + (h.lat - my) ** 2, h.number))
            central.central = True
            member = next((p for p in central.members if _eligible(p)), central.members[0])
            member.party = True
            for h in chunk:
                if h is not central:
                    h.served_by = central
    people = [p for h in households for p in h.members]
    have = sum(p.party for p in people)

    def weight(p):
        if p.party or p.age < 22 or p.age > 80:
            return 0.0
        return 3.0 if p.gender == "male" and p.age >= 30 else 1.0

    # Weighted sampling without replacement (Efraimidis–Spirakis keys).
    keyed = [(rng.random() ** (1 / w), i) for i, p in enumerate(people) if (w := weight(p)) > 0]
    keyed.sort(reverse=True)
    for _, i in keyed[: max(0, target - have)]:
        people[i].party = True
    for p in people:
        if p.party:
            p.tags.append("party_member")
