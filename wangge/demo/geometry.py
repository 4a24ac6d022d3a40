"""Synthetic land for the demo town: an outline, where people settle, and tilings.

Planning happens in a local kilometre plane centred on the town seat. Polygons
are converted to WGS84 (lon, lat) and snap-rounded to 1e-7° *together* (one
noding of all edges), so neighbouring grids share identical vertices: no
slivers, no overlaps, and every polygon is valid.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
import shapely.affinity
from shapely.geometry import LineString, MultiPoint, Polygon

CENTRE_LON = 112.0
CENTRE_LAT = 34.1
KM_PER_DEG_LAT = 111.0
KM_PER_DEG_LON = 111.32 * math.cos(math.radians(CENTRE_LAT))
# 1e-7° is about 1 cm: fine enough for a map, coarse enough to snap shared edges.
GRID_SIZE = 1e-7
DECIMALS = 7


def km_to_lonlat(x, y):
    """Arrays of local km coordinates → arrays of (lon, lat)."""
    return (
        CENTRE_LON + np.asarray(x, dtype=float) / KM_PER_DEG_LON,
        CENTRE_LAT + np.asarray(y, dtype=float) / KM_PER_DEG_LAT,
    )


def lonlat_to_km(lon, lat):
    """Arrays of (lon, lat) → arrays of local km coordinates."""
    return (
        (np.asarray(lon, dtype=float) - CENTRE_LON) * KM_PER_DEG_LON,
        (np.asarray(lat, dtype=float) - CENTRE_LAT) * KM_PER_DEG_LAT,
    )


def _to_lonlat(geom):
    return shapely.transform(geom, lambda xy: np.column_stack(km_to_lonlat(xy[:, 0], xy[:, 1])))


def _to_km(geom):
    return shapely.transform(geom, lambda xy: np.column_stack(lonlat_to_km(xy[:, 0], xy[:, 1])))


def area_km2(geom_lonlat) -> float:
    """Area of a lon/lat geometry in km², in the same plane the town was drawn in."""
    return float(shapely.area(geom_lonlat)) * KM_PER_DEG_LON * KM_PER_DEG_LAT


def town_outline(rng: np.random.Generator, area: float) -> Polygon:
    """An irregular, star-shaped outline of `area` km² around the town seat (0, 0)."""
    theta = np.linspace(0, 2 * math.pi, 240, endpoint=False)
    radius = np.ones_like(theta)
    for k in range(2, 8):
        radius += rng.uniform(0.03, 0.11) / k**0.7 * np.cos(k * theta + rng.uniform(0, 2 * math.pi))
    # Mountain towns follow their valleys: stretch along a slightly tilted axis.
    x, y = 1.3 * radius * np.cos(theta), 0.8 * radius * np.sin(theta)
    tilt = rng.uniform(-0.35, 0.35)
    xs = x * math.cos(tilt) - y * math.sin(tilt)
    ys = x * math.sin(tilt) + y * math.cos(tilt)
    shape = Polygon(np.column_stack([xs, ys]))
    scale = math.sqrt(area / shape.area)
    return Polygon(np.column_stack([xs * scale, ys * scale]))


def _meander(rng, angle: float, offset: float, length: float, through_origin: bool) -> LineString:
    t = np.linspace(-length / 2, length / 2, 161)
    amp, wave = rng.uniform(0.6, 1.4), rng.uniform(6.0, 10.0)
    p1, p2 = rng.uniform(0, 2 * math.pi, size=2)
    v = amp * np.sin(2 * math.pi * t / wave + p1) + 0.5 * amp * np.sin(
        2 * math.pi * t / (2.3 * wave) + p2
    )
    if through_origin:
        v -= v[len(t) // 2]
    v += offset
    c, s = math.cos(angle), math.sin(angle)
    return LineString(np.column_stack([t * c - v * s, t * s + v * c]))


class Terrain:
    """三川两岭三道沟: three river valleys and three gullies where people live.

    `density` is the relative settlement density: high in the valleys and
    around the town seat, low on the ridges (where the mines are).
    """

    STEP = 0.2  # km, the density raster's cell

    def __init__(self, rng: np.random.Generator, area: float):
        self.outline = town_outline(rng, area)
        size = math.sqrt(area)
        base = rng.uniform(-0.3, 0.3)
        spread = 0.28 * size
        self.rivers = shapely.MultiLineString(
            [
                _meander(rng, base, 0.0, 3 * size, through_origin=True),
                _meander(rng, base + rng.uniform(0.3, 0.6), spread, 3 * size, False),
                _meander(rng, base - rng.uniform(0.3, 0.6), -spread, 3 * size, False),
            ]
        )
        gullies = []
        for _ in range(3):
            start = shapely.line_interpolate_point(
                self.rivers.geoms[int(rng.integers(3))], rng.uniform(0.35, 0.65), normalized=True
            )
            angle = (
                base + math.pi / 2 + rng.uniform(-0.5, 0.5) + (math.pi if rng.random() < 0.5 else 0)
            )
            line = _meander(rng, angle, 0.0, 0.5 * size, through_origin=True)
            gullies.append(shapely.affinity.translate(line, start.x, start.y))
        self.gullies = shapely.MultiLineString(gullies)
        shapely.prepare(self.outline)
        # The density is looked up on a 200 m raster: distances to every river
        # for every sample point would dominate the build time.
        minx, miny, maxx, maxy = self.outline.bounds
        self._origin = (minx, miny)
        self._xs = np.arange(minx, maxx + self.STEP, self.STEP)
        self._ys = np.arange(miny, maxy + self.STEP, self.STEP)
        gx, gy = np.meshgrid(self._xs, self._ys)
        self._raster = self._exact_density(gx.ravel(), gy.ravel()).reshape(gx.shape)

    def _exact_density(self, x, y) -> np.ndarray:
        points = shapely.points(x, y)
        river = shapely.distance(points, self.rivers)
        gully = shapely.distance(points, self.gullies)
        seat = np.hypot(x, y)
        return (
            0.2
            + 1.0 * np.exp(-(river**2) / (2 * 0.9**2))
            + 0.5 * np.exp(-(gully**2) / (2 * 0.6**2))
            + 2.5 * np.exp(-(seat**2) / (2 * 1.6**2))
        )

    def density(self, x, y) -> np.ndarray:
        """Relative settlement density at km points (nearest 200 m raster cell)."""
        i = np.clip(np.rint((np.asarray(y) - self._origin[1]) / self.STEP), 0, len(self._ys) - 1)
        j = np.clip(np.rint((np.asarray(x) - self._origin[0]) / self.STEP), 0, len(self._xs) - 1)
        return self._raster[i.astype(int), j.astype(int)]

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """n points (km) inside the outline, drawn in proportion to the density."""
        minx, miny, maxx, maxy = self.outline.bounds
        top = 4.2
        chunks, have = [], 0
        while have < n:
            x = rng.uniform(minx, maxx, 4 * n)
            y = rng.uniform(miny, maxy, 4 * n)
            inside = shapely.contains_xy(self.outline, x, y)
            x, y = x[inside], y[inside]
            keep = rng.random(len(x)) * top < self.density(x, y)
            chunks.append(np.column_stack([x[keep], y[keep]]))
            have += int(keep.sum())
        return np.concatenate(chunks)[:n]


def kmeans(points: np.ndarray, k: int, rng: np.random.Generator, iterations: int) -> np.ndarray:
    """Lloyd relaxation of k centres over sample points (a density-weighted CVT)."""
    centres = points[rng.choice(len(points), size=k, replace=False)].copy()
    samples = shapely.points(points)
    for _ in range(iterations):
        tree = shapely.STRtree(shapely.points(centres))
        nearest = tree.query_nearest(samples, all_matches=False)[1]
        counts = np.bincount(nearest, minlength=k)
        moved = counts > 0
        for axis in (0, 1):
            sums = np.bincount(nearest, weights=points[:, axis], minlength=k)
            centres[moved, axis] = sums[moved] / counts[moved]
    return centres


def _nearest_seed(points_lonlat, seeds_km: np.ndarray) -> np.ndarray:
    x, y = lonlat_to_km(shapely.get_x(points_lonlat), shapely.get_y(points_lonlat))
    tree = shapely.STRtree(shapely.points(seeds_km))
    return tree.query_nearest(shapely.points(x, y), all_matches=False)[1]


def _faces(lines_lonlat: list, region_lonlat) -> np.ndarray:
    """Faces of the snap-rounded arrangement of `lines` that lie inside `region`."""
    noded = shapely.union_all(lines_lonlat, grid_size=GRID_SIZE)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    inside = shapely.contains(region_lonlat, shapely.point_on_surface(faces))
    return faces[inside]


def _merge(faces: np.ndarray, owner: np.ndarray, k: int) -> list[Polygon]:
    """One polygon per owner; a stray face (a cell cut in two) joins its longest neighbour."""
    owner = owner.copy()
    areas = shapely.area(faces)
    for cell in range(k):
        mine = np.flatnonzero(owner == cell)
        if len(mine) <= 1:
            continue
        biggest = mine[np.argmax(areas[mine])]
        for face in mine:
            if face == biggest:
                continue
            shared = shapely.length(
                shapely.intersection(shapely.boundary(faces[face]), shapely.boundary(faces))
            )
            shared[owner == cell] = 0
            owner[face] = owner[int(np.argmax(shared))]
    polygons = []
    for cell in range(k):
        mine = faces[owner == cell]
        if len(mine) == 1:
            polygons.append(mine[0])
        else:
            polygons.append(shapely.union_all(mine, grid_size=GRID_SIZE))
    return polygons


def tile(seeds_km: np.ndarray, region_km: Polygon) -> list[Polygon]:
    """Voronoi cells of the seeds clipped to the region, in lon/lat, one per seed, in order."""
    envelope = shapely.box(*region_km.buffer(5.0).bounds)
    cells = shapely.voronoi_polygons(MultiPoint(seeds_km), extend_to=envelope, ordered=True)
    lines = [_to_lonlat(c.exterior) for c in cells.geoms] + [_to_lonlat(region_km.exterior)]
    region = _to_lonlat(region_km)
    faces = _faces(lines, region)
    owner = _nearest_seed(shapely.point_on_surface(faces), seeds_km)
    return [rounded(p) for p in _merge(faces, owner, len(seeds_km))]


def subdivide(polygon: Polygon, k: int, rng: np.random.Generator) -> list[Polygon]:
    """Split a lon/lat polygon into k compact parts (micro-grids), ordered north→south."""
    km = _to_km(polygon)
    samples = np.column_stack(sample_uniform(km, 60 * k, rng))
    seeds = kmeans(samples, k, rng, iterations=6)
    order = np.lexsort((seeds[:, 0], -np.round(seeds[:, 1] / 0.6)))
    seeds = seeds[order]
    envelope = shapely.box(*km.buffer(2.0).bounds)
    cells = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=envelope, ordered=True)
    lines = [_to_lonlat(c.exterior) for c in cells.geoms] + list(
        shapely.get_parts(shapely.boundary(polygon))
    )
    faces = _faces(lines, polygon)
    owner = _nearest_seed(shapely.point_on_surface(faces), seeds)
    parts = [rounded(p) for p in _merge(faces, owner, k)]
    return [p for p in parts if not p.is_empty]


def rounded(geom):
    """The geometry as it will be stored: coordinates rounded to DECIMALS, rings oriented."""
    return shapely.geometry.shape(to_geojson(geom))


def to_geojson(geom) -> dict:
    """GeoJSON (RFC 7946: exterior rings counter-clockwise) with rounded coordinates."""
    geom = shapely.orient_polygons(geom)

    def ring(r):
        return [[round(x, DECIMALS), round(y, DECIMALS)] for x, y in r.coords]

    def rings(p):
        return [ring(p.exterior)] + [ring(i) for i in p.interiors]

    if geom.geom_type == "Polygon":
        return {"type": "Polygon", "coordinates": rings(geom)}
    if geom.geom_type == "MultiPolygon":
        return {"type": "MultiPolygon", "coordinates": [rings(p) for p in geom.geoms]}
    raise ValueError(f"not a polygon: {geom.geom_type}")


def sample_uniform(polygon, n: int, rng: np.random.Generator):
    """n points (arrays x, y) uniformly inside a polygon."""
    shapely.prepare(polygon)
    minx, miny, maxx, maxy = polygon.bounds
    xs, ys = [], []
    have = 0
    while have < n:
        x = rng.uniform(minx, maxx, 2 * n + 8)
        y = rng.uniform(miny, maxy, 2 * n + 8)
        inside = shapely.contains_xy(polygon, x, y)
        xs.append(x[inside])
        ys.append(y[inside])
        have += int(inside.sum())
    return np.concatenate(xs)[:n], np.concatenate(ys)[:n]


def sample_near(
    polygon: Polygon,
    centres: np.ndarray,
    n: int,
    sigma_km: float,
    rng: np.random.Generator,
    decimals: int = 6,
) -> np.ndarray:
    """n lon/lat points inside `polygon`, clustered around the lon/lat `centres`.

    Points are rounded to `decimals` before the inside test, so the stored point
    is inside, not just the drawn one. Falls back to uniform points when the
    polygon is too thin around the centres.
    """
    shapely.prepare(polygon)
    out = np.empty((0, 2))
    for _ in range(40):
        need = n - len(out)
        if need <= 0:
            break
        which = rng.integers(len(centres), size=2 * need + 4)
        lon = centres[which, 0] + rng.normal(0, sigma_km / KM_PER_DEG_LON, len(which))
        lat = centres[which, 1] + rng.normal(0, sigma_km / KM_PER_DEG_LAT, len(which))
        lon, lat = np.round(lon, decimals), np.round(lat, decimals)
        inside = shapely.contains_xy(polygon, lon, lat)
        out = np.concatenate([out, np.column_stack([lon[inside], lat[inside]])])
    if len(out) < n:
        out = np.concatenate([out, sample_inside(polygon, n - len(out), rng, decimals)])
    return out[:n]


def sample_inside(polygon: Polygon, n: int, rng: np.random.Generator, decimals: int = 6):
    """n lon/lat points uniformly inside `polygon`, rounded as stored and still inside."""
    out = np.empty((0, 2))
    while len(out) < n:
        lon, lat = sample_uniform(polygon, n - len(out), rng)
        lon, lat = np.round(lon, decimals), np.round(lat, decimals)
        inside = shapely.contains_xy(polygon, lon, lat)
        out = np.concatenate([out, np.column_stack([lon[inside], lat[inside]])])
    return out[:n]


def adjacency(polygons: list[Polygon]) -> list[set[int]]:
    """For each polygon, the polygons that share an edge with it (not just a corner)."""
    tree = shapely.STRtree(polygons)
    left, right = tree.query(polygons, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    geoms = np.asarray(polygons, dtype=object)
    shared = shapely.length(
        shapely.intersection(shapely.boundary(geoms[left]), shapely.boundary(geoms[right]))
    )
    neighbours: list[set[int]] = [set() for _ in polygons]
    for a, b, length in zip(left, right, shared, strict=True):
        if length > 0:
            neighbours[a].add(int(b))
            neighbours[b].add(int(a))
    return neighbours


def centroid_km(polygon: Polygon) -> tuple[float, float]:
    c = polygon.centroid
    x, y = lonlat_to_km(c.x, c.y)
    return float(x), float(y)
