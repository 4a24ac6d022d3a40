"""Benchmark of point → grid lookup on a synthetic town of 241 grids.

No database: the grid map is built in memory and handed to the Locator class.
The grids are Voronoi cells of random seeds clipped to a 0.16° × 0.16° box,
their edges densified to about 40 m so each has about a hundred vertices, like
boundaries drawn in QGIS; each grid is split into four micro-grids.

    python bench/locator.py [--points 1000000] [--single 100000] [--seed 1]

Targets: locate_grids ≥ 500,000 points/s; locate() ≤ 20 µs per point.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import shapely
from shapely.geometry import box, mapping, shape

from wangge.grids.locator import Locator

GRIDS = 241
WEST, SOUTH, SIZE = 112.0, 34.0, 0.16
VERTEX_SPACING = 0.0004  # degrees, about 40 m
TARGET_BULK = 500_000  # points per second
TARGET_SINGLE = 20.0  # microseconds per point


def synthetic_town(rng: np.random.Generator):
    """Grid and micro-grid tuples as the locator takes them from the database."""
    extent = box(WEST, SOUTH, WEST + SIZE, SOUTH + SIZE)
    seeds = shapely.multipoints(
        np.column_stack(
            [rng.uniform(WEST, WEST + SIZE, GRIDS), rng.uniform(SOUTH, SOUTH + SIZE, GRIDS)]
        )
    )
    cells = shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=extent))
    cells = shapely.intersection(cells, extent)
    # Snap to a 1e-9° grid so shared edges are exactly shared, as in a clean QGIS layer.
    cells = shapely.set_precision(shapely.segmentize(cells, VERTEX_SPACING), 1e-9)
    cells = sorted(cells, key=lambda c: (-c.centroid.y, c.centroid.x))
    grids, micro = [], []
    for grid_id, cell in enumerate(cells, start=1):
        grids.append((grid_id, mapping(cell), 1, 1))
        c = cell.centroid
        x0, y0, x1, y1 = cell.bounds
        quarters = [
            box(x0, c.y, c.x, y1),
            box(c.x, c.y, x1, y1),
            box(x0, y0, c.x, c.y),
            box(c.x, y0, x1, c.y),
        ]
        for q, quarter in enumerate(quarters):
            part = cell.intersection(quarter)
            if not part.is_empty:
                micro.append((grid_id * 10 + q, mapping(part), grid_id))
    return grids, micro


def reference(geometries, ids, lons, lats) -> np.ndarray:
    """The plain answer: of the polygons a point intersects, the one with the lowest code."""
    point_idx, geom_idx = shapely.STRtree(geometries).query(
        shapely.points(lons, lats), predicate="intersects"
    )
    best = np.full(len(lons), len(ids))
    np.minimum.at(best, point_idx, geom_idx)
    return np.append(ids, -1)[best]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--single", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)

    t0 = time.perf_counter()
    grids, micro = synthetic_town(rng)
    t1 = time.perf_counter()
    locator = Locator(grids, micro)
    t2 = time.perf_counter()
    geometries = [shape(g[1]) for g in grids]
    vertices = shapely.get_coordinates(geometries)
    print(
        f"town: {len(grids)} grids (~{len(vertices) // len(grids)} vertices each), "
        f"{len(micro)} micro-grids; made in {t1 - t0:.2f} s, locator built in {t2 - t1:.3f} s"
    )

    # A margin around the town so some points fall outside every grid.
    margin = SIZE * 0.05
    lons = rng.uniform(WEST - margin, WEST + SIZE + margin, args.points)
    lats = rng.uniform(SOUTH - margin, SOUTH + SIZE + margin, args.points)
    locator.locate_grids(lons[:1000], lats[:1000])  # warm up
    t0 = time.perf_counter()
    found = locator.locate_grids(lons, lats)
    bulk_rate = args.points / (time.perf_counter() - t0)
    print(
        f"locate_grids: {args.points:,} points, {bulk_rate:,.0f} points/s "
        f"({(found >= 0).mean():.1%} inside a grid; target ≥ {TARGET_BULK:,})"
    )

    n = min(args.single, args.points)
    pairs = list(zip(lons[:n].tolist(), lats[:n].tolist(), strict=True))
    for lon, lat in pairs[:1000]:  # warm up
        locator.locate(lon, lat)
    t0 = time.perf_counter()
    for lon, lat in pairs:
        locator.locate(lon, lat)
    single_us = (time.perf_counter() - t0) / n * 1e6
    print(f"locate(): {n:,} points, {single_us:.2f} µs per point (target ≤ {TARGET_SINGLE:g})")

    # Correctness on random points and on every boundary vertex (shared edges, corners):
    # both lookups must give the plain answer.
    check_lons = np.concatenate([lons[:n], vertices[:, 0]])
    check_lats = np.concatenate([lats[:n], vertices[:, 1]])
    expected = reference(geometries, np.array([g[0] for g in grids]), check_lons, check_lats)
    bulk_ok = np.array_equal(locator.locate_grids(check_lons, check_lats), expected)
    single = [locator.locate(x, y).grid_id for x, y in zip(check_lons, check_lats, strict=True)]
    single_ok = np.array_equal(np.array([-1 if s is None else s for s in single]), expected)
    print(
        f"answers match a plain STRtree query on {len(check_lons):,} points "
        f"({len(vertices):,} on boundaries): locate_grids {bulk_ok}, locate() {single_ok}"
    )
    ok = bulk_ok and single_ok and bulk_rate >= TARGET_BULK and single_us <= TARGET_SINGLE
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
