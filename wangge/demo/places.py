"""The demo town's places: sealed mine adits, service venues, enterprises, schools,
service stations, clinics, cameras and the facilities of the special grids.

Pure planning, no database. Every place lies inside its grid.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
from stdnum.cn import uscc

from wangge.demo import names
from wangge.demo.geometry import sample_inside, sample_near
from wangge.demo.layout import GridPlan, Land, apportion
from wangge.demo.population import Population

# Service venues of the brief's 316 by kind: category → (weight, name patterns).
# {s} is an owner's surname, {h} a hamlet, {v} the village's short name.
VENUES = {
    "超市": (60, ["{v}惠民超市", "{s}家便民超市", "{h}便利店"]),
    "小卖部": (45, ["{h}小卖部", "{s}家小卖部"]),
    "饭店": (40, ["{s}记饭店", "{v}家常菜馆", "{s}家烩面馆", "{h}土菜馆"]),
    "农家乐": (35, ["{h}农家乐", "{s}家农家院"]),
    "民宿": (18, ["{h}山居民宿", "{v}云端民宿"]),
    "宾馆": (8, ["{v}宾馆", "{s}家旅社"]),
    "理发店": (14, ["{s}记理发店", "{h}理发店"]),
    "药店": (10, ["{v}大药房", "{s}氏药店"]),
    "农资店": (16, ["{v}农资服务部", "{s}家农资店"]),
    "快递驿站": (12, ["{v}快递驿站"]),
    "汽修店": (12, ["{s}氏汽修", "{v}汽车修理部"]),
    "五金建材": (12, ["{v}五金建材", "{s}家五金店"]),
    "服装店": (10, ["{s}家服装店", "{v}时装店"]),
    "加油站": (2, ["德亭加油站", "德亭第二加油站"]),
    "液化气站": (2, ["德亭液化气供应站", "{v}液化气供应点"]),
    "废品收购站": (4, ["{s}家废品收购站"]),
    "网吧": (2, ["{v}网吧"]),
}
MINERALS = [("金", 0.55), ("钼", 0.3), ("铅锌", 0.1), ("萤石", 0.05)]
SEAL_METHODS = ["浆砌石封堵", "混凝土封堵", "爆破封闭", "回填封闭"]
# The facilities of the resettlement community named in the brief.
COMMUNITY_FACILITIES = ["社区卫生中心", "养老服务中心", "大食堂", "四点半课堂", "培训中心"]


@dataclass(eq=False)
class PlacePlan:
    kind: str
    name: str
    grid: GridPlan
    lon: float
    lat: float
    code: str = ""
    address: str = ""
    details: dict = field(default_factory=dict)


def plan_places(land: Land, population: Population) -> list[PlacePlan]:
    """All places of the town, each inside its grid."""
    rng = np.random.default_rng([land.seed, 3])
    pyrng = random.Random(f"{land.seed}:places")
    places: list[PlacePlan] = []
    places += _adits(land, rng, pyrng)
    places += _enterprises(land, rng, pyrng)
    places += _venues(land, population, rng, pyrng)
    places += _public(land, population, rng, pyrng)
    return places


def _spot(grid: GridPlan, rng, near: tuple[float, float] | None = None, sigma: float = 0.12):
    """A stored-precision point inside the grid, near a point if given."""
    if near is None:
        lon, lat = sample_inside(grid.polygon, 1, rng)[0]
    else:
        lon, lat = sample_near(grid.polygon, np.array([near]), 1, sigma, rng)[0]
    return float(lon), float(lat)


def _address(grid: GridPlan, hamlet=None) -> str:
    return f"{names.ADDRESS_PREFIX}{grid.village.name}{hamlet.name if hamlet else ''}"


def _belt(land: Land, grid: GridPlan) -> str:
    if grid.topic in names.MINE_BELTS:
        return names.MINE_BELTS[grid.topic]
    north = grid.polygon.centroid.y >= land.seat.polygon.centroid.y
    return names.MINE_BELTS["mine_north" if north else "mine_south"]


def _adits(land: Land, rng, pyrng: random.Random) -> list[PlacePlan]:
    """封闭矿洞: most in the mine grids, the rest in the remotest grids of mine villages."""
    total = land.targets.sealed_adits
    mines = [g for g in land.grids if g.topic.startswith("mine")]
    villages = {id(g.village) for g in mines}
    remote = sorted(
        (g for g in land.grids if g.kind == "basic" and id(g.village) in villages),
        key=lambda g: (g.mass / g.area_km2, g.code),
    )[: max(1, len(mines))]
    in_mines = round(total * 0.88)
    counts = apportion([g.area_km2 for g in mines], in_mines) + apportion(
        np.ones(len(remote)), total - in_mines
    )
    adits, per_village = [], {}
    for grid, count in zip(mines + remote, counts, strict=True):
        for lon, lat in sample_inside(grid.polygon, count, rng):
            seq = per_village[grid.village.code] = per_village.get(grid.village.code, 0) + 1
            sealed = date(2019, 3, 1) + timedelta(days=pyrng.randrange(0, 2100))
            mineral = pyrng.choices([m for m, _ in MINERALS], [w for _, w in MINERALS])[0]
            details = {
                "seal_state": "sealed",
                "sealed_on": sealed.isoformat(),
                "mine": _belt(land, grid),
                "mineral": mineral,
                "seal_method": pyrng.choice(SEAL_METHODS),
                "elevation_m": pyrng.randrange(650, 1600, 10),
                "inspection_cycle_days": 30,
            }
            adits.append(
                PlacePlan(
                    "sealed_adit",
                    f"{grid.village.name}{seq}号封闭矿洞",
                    grid,
                    float(lon),
                    float(lat),
                    code=f"KD{grid.village.code[-3:]}{seq:03d}",
                    address=_address(grid),
                    details=details,
                )
            )
    return adits


def credit_code(rng: random.Random) -> str:
    """A fictional unified social credit code (统一社会信用代码) with a valid check digit."""
    body = (
        "91"
        + names.COUNTY_CODE
        + "MA"
        + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(7))
    )
    code = body + uscc.calc_check_digit(body)
    return uscc.validate(code)


def _enterprises(land: Land, rng, pyrng: random.Random) -> list[PlacePlan]:
    """The 12 enterprises: one per enterprise grid, the others in mine grids."""
    own = sorted((g for g in land.grids if g.topic == "enterprise"), key=lambda g: g.topic_index)
    mines = [g for g in land.grids if g.topic.startswith("mine")]
    result = []
    for i in range(land.targets.enterprises):
        name, short, industry, _where = names.ENTERPRISES[i % len(names.ENTERPRISES)]
        grid = own[i] if i < len(own) else mines[(i - len(own)) * 3 % len(mines)]
        lon, lat = _spot(grid, rng)
        details = {
            "industry": industry,
            "credit_code": credit_code(pyrng),
            "employees": pyrng.randrange(12, 260),
            "legal_representative": names.surname(pyrng) + names.given_name(pyrng, "male", 1972),
            "safety_grade": pyrng.choice(["A", "A", "B", "B", "C"]),
        }
        result.append(
            PlacePlan(
                "enterprise",
                name,
                grid,
                lon,
                lat,
                code=details["credit_code"],
                address=_address(grid),
                details=details,
            )
        )
    return result


def _venues(land: Land, population: Population, rng, pyrng: random.Random) -> list[PlacePlan]:
    """Shops, restaurants, 农家乐 … a third around the town seat, the rest by the hamlets."""
    kinds = list(VENUES)
    counts = apportion([VENUES[k][0] for k in kinds], land.targets.service_venues)
    centre_grids = [
        g
        for g in land.grids
        if g.topic == "market" or (g.village is land.seat.village and g.kind == "basic")
    ]
    hamlets = [h for v in land.villages for h in v.hamlets]
    people = {}
    for h in population.households:
        if h.hamlet is not None:
            people[id(h.hamlet)] = people.get(id(h.hamlet), 0) + 1
    weights = [people.get(id(h), 0) + 1 for h in hamlets]
    venues = []
    for kind, count in zip(kinds, counts, strict=True):
        for n in range(count):
            if kind == "加油站" or pyrng.random() < 0.33:
                grid = pyrng.choice(centre_grids)
                hamlet = grid.hamlets[0] if grid.hamlets else None
                lon, lat = _spot(grid, rng, (grid.polygon.centroid.x, grid.polygon.centroid.y), 0.3)
            else:
                hamlet = pyrng.choices(hamlets, weights)[0]
                grid = hamlet.grid
                lon, lat = _spot(grid, rng, (hamlet.lon, hamlet.lat), 0.1)
            pattern = VENUES[kind][1][n % len(VENUES[kind][1])]
            name = pattern.format(
                s=names.surname(pyrng),
                h=hamlet.name if hamlet else names.short_name(grid.village.name),
                v=names.short_name(grid.village.name),
            )
            details = {
                "category": kind,
                "fire_check": pyrng.choices(["合格", "限期整改"], [0.9, 0.1])[0],
                "opened": (date(2005, 1, 1) + timedelta(days=pyrng.randrange(7000))).isoformat(),
            }
            venues.append(
                PlacePlan(
                    "service_venue",
                    name,
                    grid,
                    lon,
                    lat,
                    address=_address(grid, hamlet),
                    details=details,
                )
            )
    for i, venue in enumerate(venues, start=1):
        venue.code = f"FW{i:03d}"
    return venues


def _main_hamlet(village, population: Population):
    counts: dict[int, int] = {}
    for h in population.households:
        if h.hamlet is not None and h.grid.village is village:
            counts[id(h.hamlet)] = counts.get(id(h.hamlet), 0) + 1
    return max(village.hamlets, key=lambda h: (counts.get(id(h), 0), h.name))


def _public(land: Land, population: Population, rng, pyrng: random.Random) -> list[PlacePlan]:
    """Schools, stations, clinics, cameras and each special grid's own facility."""
    places = []

    def add(kind, name, grid, near=None, sigma=0.08, hamlet=None, **details):
        lon, lat = _spot(grid, rng, near, sigma)
        places.append(
            PlacePlan(kind, name, grid, lon, lat, address=_address(grid, hamlet), details=details)
        )

    community_centre = next(g for g in land.community.grids if g.kind == "special")
    add("clinic", "德亭镇卫生院", land.seat, beds=40)
    for grid in land.grids:
        if grid.topic == "school":
            level = "九年一贯制" if grid.topic_index == 0 else "初中"
            add("school", names.SCHOOLS[grid.topic_index % len(names.SCHOOLS)], grid, level=level)
        elif grid.topic == "market":
            add("other", "德亭集贸市场", grid, category="集贸市场", market_days="逢三六九")
        elif grid.topic == "elderly_home":
            add("other", "德亭镇敬老院", grid, category="敬老院", beds=60)
        elif grid.topic == "scenic":
            add("other", "青龙峡景区", grid, category="景区")
        elif grid.topic == "reservoir":
            add("other", f"{names.short_name(grid.village.name)}水库", grid, category="水库")
    for facility in COMMUNITY_FACILITIES:
        kind = "clinic" if facility == "社区卫生中心" else "other"
        add(kind, f"德福苑{facility}", community_centre, category=facility)
    add("service_station", "德福苑社区便民服务驿站", community_centre, services=42)
    add("camera", "德福苑社区出入口监控", community_centre, system="雪亮工程")

    villages = [v for v in land.villages if v.kind == "village"]
    by_size = sorted(villages, key=lambda v: (-len(v.basic), v.code))
    with_school = {id(v) for v in by_size[: max(1, len(villages) // 4)]}
    for village in villages:
        main = _main_hamlet(village, population)
        near = (main.lon, main.lat)
        add(
            "service_station",
            f"{village.name}便民服务驿站",
            main.grid,
            near,
            hamlet=main,
            services=42,
        )
        add("clinic", f"{village.name}卫生室", main.grid, near, hamlet=main)
        if id(village) in with_school:
            add(
                "school",
                f"{names.short_name(village.name)}小学",
                main.grid,
                near,
                hamlet=main,
                level="小学",
            )
        for n, hamlet in enumerate(village.hamlets[:3], start=1):
            add(
                "camera",
                f"{village.name}{hamlet.name}路口监控{n}",
                hamlet.grid,
                (hamlet.lon, hamlet.lat),
                hamlet=hamlet,
                system="雪亮工程",
            )
    for grid in land.grids:
        if grid.topic in ("school", "market", "enterprise"):
            add("camera", f"{grid.name.removesuffix('专属网格')}监控", grid, system="雪亮工程")
    counters: dict[str, int] = {}
    for place in places:
        counters[place.kind] = counters.get(place.kind, 0) + 1
        place.code = f"{place.kind[:2].upper()}{counters[place.kind]:03d}"
    return places
