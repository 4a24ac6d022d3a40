"""The demo town's land: villages, grids, micro-grids, hamlets and villager groups.

Pure planning, no database: `plan_land(seed, targets)` returns a `Land` that
`build` writes. The same seed always gives the same land.

How the land is drawn: seeds are spread by the settlement density (dense in
the valleys and at the town seat, sparse on the ridges) and relaxed into a
centroidal Voronoi tiling, so grids are small where people live and large in
the mountains, as a town draws them. Villages grow over neighbouring cells
from one seed cell each, so each village's grids are contiguous.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry import Polygon

from wangge.demo import geometry, names


@dataclass(frozen=True)
class Targets:
    """The figures the demo reproduces (from the brief), or smaller ones for tests."""

    area_km2: float = 321.0
    villages: int = 24  # administrative villages; the resettlement community comes on top
    basic_grids: int = 213
    special_grids: int = 28
    hamlets: int = 264
    households: int = 14_600
    community_households: int = 381
    residents: int = 48_000
    sealed_adits: int = 192
    service_venues: int = 316
    enterprises: int = 12
    instructors: int = 28
    police_beats: int = 8


FULL = Targets()

# Special grids in order of priority: a town with n special grids has the first n.
# The full 28: 1 resettlement community, 14 mine areas (7 in each belt),
# 7 enterprises, 2 schools, the market, the old people's home, a scenic area
# and a reservoir.
SPECIAL_ORDER = (
    ["resettlement", "mine_north", "mine_south", "school", "market", "enterprise"]
    + ["mine_north", "mine_south", "enterprise"] * 2
    + ["school", "elderly_home", "scenic", "reservoir"]
    + ["mine_north", "mine_south", "enterprise"] * 4
)
SUBJECTS = {
    "resettlement": "安置社区",
    "mine_north": "矿区",
    "mine_south": "矿区",
    "enterprise": "企业",
    "school": "学校",
    "market": "集贸市场",
    "elderly_home": "敬老院",
    "scenic": "景区",
    "reservoir": "水库",
}
COMMUNITY_CELLS = 3  # two basic grids of apartment blocks and its service-centre grid


def special_mix(n: int) -> list[str]:
    """The subjects of n special grids."""
    if n <= len(SPECIAL_ORDER):
        return SPECIAL_ORDER[:n]
    extra = ["mine_north", "mine_south", "enterprise"] * n
    return SPECIAL_ORDER + extra[: n - len(SPECIAL_ORDER)]


@dataclass(eq=False)
class GridPlan:
    cell: int
    polygon: Polygon
    mass: float  # share of the town's settlement density
    village: VillagePlan | None = None
    kind: str = "basic"
    topic: str = ""  # key of SUBJECTS for a special grid
    topic_index: int = 0  # the how-manieth grid of its topic in the town
    code: str = ""
    name: str = ""
    micro: list[Polygon] = field(default_factory=list)
    hamlets: list[HamletPlan] = field(default_factory=list)

    @property
    def subject(self) -> str:
        return SUBJECTS.get(self.topic, "")

    @property
    def area_km2(self) -> float:
        return geometry.area_km2(self.polygon)


@dataclass(eq=False)
class HamletPlan:
    name: str
    lon: float
    lat: float
    grid: GridPlan


@dataclass(eq=False)
class VillagePlan:
    index: int
    seed_cell: int
    grids: list[GridPlan] = field(default_factory=list)
    kind: str = "village"
    name: str = ""
    slug: str = ""
    code: str = ""
    group_count: int = 0
    hamlets: list[HamletPlan] = field(default_factory=list)

    @property
    def basic(self) -> list[GridPlan]:
        return [g for g in self.grids if g.kind == "basic"]

    @property
    def special(self) -> list[GridPlan]:
        return [g for g in self.grids if g.kind == "special"]

    def boundary(self):
        return shapely.union_all([g.polygon for g in self.grids], grid_size=geometry.GRID_SIZE)


@dataclass(eq=False)
class Land:
    seed: int
    targets: Targets
    terrain: geometry.Terrain
    grids: list[GridPlan]
    villages: list[VillagePlan]  # administrative villages, then the community
    seat: GridPlan  # the grid of the town government

    @property
    def community(self) -> VillagePlan:
        return self.villages[-1]


def plan_land(seed: int, targets: Targets = FULL) -> Land:
    """Draw the town: grids, villages, special grids, micro-grids and hamlets."""
    rng = np.random.default_rng([seed, 1])
    terrain = geometry.Terrain(rng, targets.area_km2)
    n_cells = targets.basic_grids + targets.special_grids
    samples = terrain.sample(min(40_000, 170 * n_cells), rng)
    seeds = geometry.kmeans(samples, n_cells, rng, iterations=12)
    polygons = geometry.tile(seeds, terrain.outline)
    nearest = shapely.STRtree(shapely.points(seeds)).query_nearest(
        shapely.points(samples), all_matches=False
    )[1]
    mass = np.bincount(nearest, minlength=n_cells) / len(samples)
    grids = [GridPlan(i, polygons[i], float(mass[i])) for i in range(n_cells)]
    neighbours = geometry.adjacency(polygons)
    centres = np.array([geometry.centroid_km(p) for p in polygons])

    seat = int(np.argmin(np.hypot(centres[:, 0], centres[:, 1])))
    community_cells = _community_cells(seat, centres, neighbours)
    villages = _seed_villages(rng, targets.villages, seat, community_cells, centres)
    community = VillagePlan(len(villages), community_cells[0], kind="community")
    villages.append(community)
    owners = _owners(villages, community_cells, centres, neighbours, rng)
    for cell, owner in enumerate(owners):
        grids[cell].village = villages[owner]
        villages[owner].grids.append(grids[cell])

    land = Land(seed, targets, terrain, grids, villages, grids[seat])
    _choose_special(land, centres, neighbours, special_mix(targets.special_grids))
    _name_villages(land, neighbours)
    _number_grids(land)
    pyrng = random.Random(f"{seed}:land")
    for grid in grids:
        k = 3 if grid.kind == "special" else min(6, 3 + int(grid.area_km2 / 0.9))
        grid.micro = geometry.subdivide(grid.polygon, k, rng)
    _place_hamlets(land, rng, pyrng)
    for village in villages:
        if village.kind == "community":
            village.group_count = 6
        else:
            share = pyrng.uniform(0.7, 1.0)
            village.group_count = max(6, min(12, round(len(village.hamlets) * share)))
    return land


def _community_cells(seat: int, centres, neighbours) -> list[int]:
    """Three connected cells beside the seat: the resettlement community by the town."""
    dist = np.hypot(centres[:, 0], centres[:, 1])
    first = min(neighbours[seat], key=lambda c: (dist[c], c))
    around = sorted((c for c in neighbours[first] if c != seat), key=lambda c: (dist[c], c))
    return [first] + around[: COMMUNITY_CELLS - 1]


def _seed_villages(rng, count, seat, community_cells, centres) -> list[VillagePlan]:
    """One seed cell per village, spread by k-means over the cells; the seat is one."""
    free = [c for c in range(len(centres)) if c not in community_cells]
    centre_pts = geometry.kmeans(centres[free], count, rng, iterations=20)
    seeds: list[int] = []
    for cx, cy in centre_pts:
        order = sorted(free, key=lambda c: (math.hypot(centres[c, 0] - cx, centres[c, 1] - cy), c))
        seeds.append(next(c for c in order if c not in seeds))
    nearest_seat = min(range(count), key=lambda v: math.dist(centres[seeds[v]], centres[seat]))
    if seat not in seeds:
        seeds[nearest_seat] = seat
    return [VillagePlan(v, seeds[v]) for v in range(count)]


def _owners(villages, community_cells, centres, neighbours, rng) -> list[int]:
    """Region growing: the village with the fewest cells (for its planned size) takes
    the free neighbouring cell nearest its seed, until every cell is taken."""
    n_cells = len(centres)
    community = len(villages) - 1
    owner = [-1] * n_cells
    for cell in community_cells:
        owner[cell] = community
    growers = villages[:-1]
    # Villages differ in size; these weights are their planned shares.
    weights = rng.uniform(0.75, 1.25, len(growers))
    members: list[list[int]] = [[v.seed_cell] for v in growers]
    for v in growers:
        owner[v.seed_cell] = v.index
    while -1 in owner:
        for v in sorted(growers, key=lambda v: (len(members[v.index]) / weights[v.index], v.index)):
            frontier = {n for cell in members[v.index] for n in neighbours[cell] if owner[n] == -1}
            if frontier:
                seed = centres[v.seed_cell]
                pick = min(frontier, key=lambda c: (math.dist(centres[c], seed), c))
                owner[pick] = v.index
                members[v.index].append(pick)
                break
        else:
            raise RuntimeError("cells unreachable from any village")
    return owner


def apportion(weights, total: int) -> list[int]:
    """Split `total` into whole parts proportional to `weights` (largest remainder)."""
    weights = np.asarray(weights, dtype=float)
    exact = total * weights / weights.sum()
    parts = np.floor(exact).astype(int)
    short = total - int(parts.sum())
    order = sorted(range(len(parts)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[:short]:
        parts[i] += 1
    return [int(p) for p in parts]


def _reading_order(grids: list[GridPlan], band_km: float = 1.5) -> list[GridPlan]:
    """West→east within north→south bands: the order grid codes are numbered in."""
    if not grids:
        return []
    top = max(geometry.centroid_km(g.polygon)[1] for g in grids)

    def key(g):
        x, y = geometry.centroid_km(g.polygon)
        return (math.floor((top - y) / band_km), x, g.cell)

    return sorted(grids, key=key)


def _choose_special(land: Land, centres, neighbours, mix: list[str]) -> None:
    """Turn cells into special grids, each where its subject belongs.

    Mines lie on the northern (熊耳山) and southern (外方山) ridges, clustered;
    enterprises beside the mines or the town; schools, market and old people's
    home by the town seat. A village keeps at least a few basic grids.
    """
    dist = np.hypot(centres[:, 0], centres[:, 1])
    river = shapely.distance(shapely.points(centres), land.terrain.rivers)
    per_village = land.targets.basic_grids / max(1, land.targets.villages)
    min_basic = max(2, min(4, int(per_village // 2)))
    done: dict[str, int] = {}

    def near(cell, topics):
        return any(land.grids[n].topic in topics for n in neighbours[cell])

    def to_mines(cell):
        mines = [g.cell for g in land.grids if g.topic.startswith("mine")]
        if not mines:
            return -abs(centres[cell, 1])
        return min(math.dist(centres[cell], centres[m]) for m in mines)

    def score(topic, cell):
        x, y = centres[cell]
        if topic == "mine_north":
            return -y - (3.0 if near(cell, {topic}) else 0.0)
        if topic == "mine_south":
            return y - (3.0 if near(cell, {topic}) else 0.0)
        if topic == "enterprise":
            where = names.ENTERPRISES[done.get(topic, 0) % len(names.ENTERPRISES)][3]
            return to_mines(cell) - 0.2 * river[cell] if where == "mine" else dist[cell]
        if topic in ("school", "market", "elderly_home"):
            return dist[cell]
        if topic == "scenic":
            return -dist[cell] + (5.0 if near(cell, {"mine_north", "mine_south"}) else 0.0)
        return river[cell] + (0.0 if dist[cell] > 4 else 100.0)  # reservoir

    for topic in mix:
        if topic == "resettlement":
            grid = min(land.community.grids, key=lambda g: (dist[g.cell], g.cell))
        else:
            candidates = [
                g
                for g in land.grids
                if g.kind == "basic"
                and g is not land.seat
                and g.village.kind == "village"
                and len(g.village.basic) > min_basic
                and len(g.village.special) < 3
            ]
            grid = min(candidates, key=lambda g: (score(topic, g.cell), g.cell))
        grid.kind = "special"
        grid.topic = topic
        grid.topic_index = done.get(topic, 0)
        done[topic] = grid.topic_index + 1


def _name_villages(land: Land, neighbours) -> None:
    """Codes in reading order; 德亭村 at the seat, 庄科村 in the northern mines,
    杨村 beside the seat village, the other names in code order."""
    villages = [v for v in land.villages if v.kind == "village"]
    if len(villages) > 3 + len(names.OTHER_VILLAGES):
        raise ValueError("more villages than village names")
    prefix = names.TOWN_CODE[:9]
    centre = {id(v): geometry.centroid_km(v.boundary()) for v in villages}
    top = max(y for _x, y in centre.values())
    villages.sort(
        key=lambda v: (math.floor((top - centre[id(v)][1]) / 4.0), centre[id(v)][0], v.index)
    )
    for i, v in enumerate(villages):
        v.code = f"{prefix}{201 + i}"
    seat = land.seat.village
    seat.name, seat.slug = names.SEAT_VILLAGE

    def mines(v, topic):
        return sum(g.topic == topic for g in v.grids)

    others = [v for v in villages if v is not seat]
    mine = max(others, key=lambda v: (mines(v, "mine_north"), mines(v, "mine_south"), -v.index))
    mine.name, mine.slug = names.MINE_VILLAGE
    seat_cells = {g.cell for g in seat.grids}
    beside = [
        v
        for v in others
        if v is not mine and any(n in seat_cells for g in v.grids for n in neighbours[g.cell])
    ] or [v for v in others if v is not mine]
    model = max(beside, key=lambda v: (len(v.basic), -v.index))
    model.name, model.slug = names.MODEL_VILLAGE
    spare = iter(names.OTHER_VILLAGES)
    for v in villages:
        if not v.name:
            v.name, v.slug = next(spare)
    community = land.community
    community.name, community.slug = names.COMMUNITY
    community.code = f"{prefix}001"


def _special_name(grid: GridPlan, nth_in_village: int) -> str:
    village = grid.village
    short = names.short_name(village.name)
    topic = grid.topic
    if topic == "resettlement":
        return "德福苑安置社区专属网格"
    if topic.startswith("mine"):
        ordinal = "" if nth_in_village == 1 else f"第{names.cn_number(nth_in_village)}"
        return f"{short}{ordinal}矿区专属网格"
    if topic == "enterprise":
        return f"{names.ENTERPRISES[grid.topic_index][1]}专属网格"
    if topic == "school":
        return f"{names.SCHOOLS[grid.topic_index % len(names.SCHOOLS)]}专属网格"
    if topic == "market":
        return "德亭集贸市场专属网格"
    if topic == "elderly_home":
        return "德亭镇敬老院专属网格"
    if topic == "scenic":
        return f"{short}青龙峡景区专属网格"
    return f"{short}水库专属网格"


def _number_grids(land: Land) -> None:
    """Grid codes: village code + 001… for basic, 901… for special grids (DESIGN §5a)."""
    for village in land.villages:
        for seq, grid in enumerate(_reading_order(village.basic), start=1):
            grid.code = f"{village.code}{seq:03d}"
            grid.name = f"{village.name}第{names.cn_number(seq)}网格"
        mines_seen = 0
        for seq, grid in enumerate(_reading_order(village.special), start=901):
            grid.code = f"{village.code}{seq:03d}"
            if grid.topic.startswith("mine"):
                mines_seen += 1
            grid.name = _special_name(grid, mines_seen)
        village.grids.sort(key=lambda g: g.code)
    land.grids.sort(key=lambda g: g.code)
    land.villages.sort(key=lambda v: (v.kind == "community", v.code))


def _hamlet_points(grid: GridPlan, count: int, terrain, rng) -> list[tuple[float, float]]:
    """Hamlets sit in the valley parts of their grid, ~350 m apart where there is room."""
    inner = grid.polygon.buffer(-0.0009)
    if inner.is_empty or inner.area < 0.05 * grid.polygon.area:
        inner = grid.polygon
    lon, lat = geometry.sample_uniform(inner, 40 * count, rng)
    lon, lat = np.round(lon, 6), np.round(lat, 6)
    ok = shapely.contains_xy(grid.polygon, lon, lat)
    lon, lat = lon[ok], lat[ok]
    density = terrain.density(*geometry.lonlat_to_km(lon, lat))
    order = np.argsort(-density, kind="stable")
    picked: list[tuple[float, float]] = []
    for spacing in (0.35, 0.15, 0.0):
        for i in order:
            here = geometry.lonlat_to_km(lon[i], lat[i])
            far = all(math.dist(here, geometry.lonlat_to_km(*p)) >= spacing for p in picked)
            if far and (lon[i], lat[i]) not in picked:
                picked.append((float(lon[i]), float(lat[i])))
                if len(picked) == count:
                    return picked
    raise RuntimeError(f"no room for {count} hamlets in grid {grid.code}")


def _place_hamlets(land: Land, rng, pyrng: random.Random) -> None:
    """One hamlet in every basic village grid, the rest where most people live."""
    villages = [v for v in land.villages if v.kind == "village"]
    basic_total = sum(len(v.basic) for v in villages)
    extra = land.targets.hamlets - basic_total
    if extra < 0:
        raise ValueError("fewer hamlets than basic village grids")
    quotas = apportion([len(v.basic) for v in villages], extra)
    taken: set[str] = set()
    for village, quota in zip(villages, quotas, strict=True):
        per_grid = {g.code: 1 for g in village.basic}
        for _ in range(quota):
            richest = max(village.basic, key=lambda g: (g.mass / per_grid[g.code], g.code))
            per_grid[richest.code] += 1
        wanted = sum(per_grid.values())
        fixed = [n for n in names.FIXED_HAMLETS.get(village.name, []) if n not in taken]
        taken.update(fixed)
        hamlet_names = fixed + names.hamlet_names(pyrng, wanted - len(fixed), taken)
        for grid in village.basic:
            for lon, lat in _hamlet_points(grid, per_grid[grid.code], land.terrain, rng):
                hamlet = HamletPlan(hamlet_names[len(village.hamlets)], lon, lat, grid)
                grid.hamlets.append(hamlet)
                village.hamlets.append(hamlet)
