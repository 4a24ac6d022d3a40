"""Point → grid (and micro-grid), with shapely's STRtree and prepared polygons.

The index (a raster of cells over the grid map, see `_Layer`) is built once per
process and rebuilt when grids change: saving or deleting a grid in this process
drops it at once, and other processes notice within
WANGGE_LOCATOR_RECHECK_SECONDS by a cheap fingerprint query.
A point on an edge shared by two grids goes to the grid with the lower code,
so every point has one answer; a point in a hole of a grid belongs to it only
if another grid fills the hole.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

import numpy as np
import shapely
from django.conf import settings
from django.db.models import Count, Max
from shapely.geometry import shape


@dataclass(frozen=True)
class Location:
    grid_id: int | None
    micro_grid_id: int | None = None
    village_id: int | None = None
    town_id: int | None = None


NOWHERE = Location(None)

# A layer's raster has about this many cells along a typical polygon's side, and at
# most MAX_CELLS cells in all (a far-flung polygon makes cells coarser, not more).
CELLS_PER_SIDE = 12
MAX_CELLS = 1 << 18
_NOTHING = -1
_TEST = -2


class _Layer:
    """Polygons in code order, found through a raster of cells over their extent.

    The STRtree tells each cell which polygons touch it. A cell inside one polygon
    and touching no other answers without a geometry test; elsewhere the point is
    tested against the cell's polygons in code order, so the first hit is the
    lowest code. Tests use prepared polygons and bare coordinates, no Point objects:
    making points costs more than the lookup.
    """

    def __init__(self, ids: list[int], geometries: list, parents: list[int] | None = None):
        parents = list(parents) if parents is not None else [None] * len(ids)
        # An empty boundary holds nothing; a broken one (saved by hand, not through the
        # import) is repaired rather than allowed to break every lookup.
        kept = [k for k, g in enumerate(geometries) if not g.is_empty]
        self._ids = [int(ids[k]) for k in kept]
        self._parents = [parents[k] for k in kept]
        self.ids = np.asarray(self._ids, dtype=np.int64)
        self.geometries = np.empty(len(kept), dtype=object)
        self.geometries[:] = [geometries[k] for k in kept]
        broken = ~shapely.is_valid(self.geometries)
        self.geometries[broken] = shapely.make_valid(self.geometries[broken])
        self._geometries = list(self.geometries)
        self.cells: list | None = None
        if kept:
            self._index()

    def _index(self) -> None:
        geometries = self.geometries
        shapely.prepare(geometries)
        # GEOS builds a prepared polygon's point index on first use; build it now,
        # not in two request threads at once.
        inner = shapely.point_on_surface(geometries)
        shapely.intersects_xy(geometries, shapely.get_x(inner), shapely.get_y(inner))

        bounds = shapely.bounds(geometries)
        x0, y0 = float(bounds[:, 0].min()), float(bounds[:, 1].min())
        x1, y1 = float(bounds[:, 2].max()), float(bounds[:, 3].max())
        sides = np.maximum(bounds[:, 2] - bounds[:, 0], bounds[:, 3] - bounds[:, 1])
        size = max(
            float(np.median(sides)) / CELLS_PER_SIDE,
            max(x1 - x0, y1 - y0) / math.sqrt(MAX_CELLS),
            1e-7,
        )
        nx, ny = int((x1 - x0) / size) + 1, int((y1 - y0) / size) + 1
        self.x0, self.y0, self.x1, self.y1 = x0, y0, x1, y1
        self.size, self.nx = size, nx

        # Cell k = row · nx + column. Cells are padded so that a point which rounding
        # puts in a cell is in that cell's box, however close it is to the cell's edge.
        columns, rows = (a.ravel() for a in np.meshgrid(np.arange(nx), np.arange(ny)))
        pad = size / 1024
        boxes = shapely.box(
            x0 + columns * size - pad,
            y0 + rows * size - pad,
            x0 + (columns + 1) * size + pad,
            y0 + (rows + 1) * size + pad,
        )
        # Querying a tree of cells with the (prepared) polygons is the fast way round.
        geom_idx, cell_idx = shapely.STRtree(boxes).query(geometries, predicate="intersects")
        order = np.lexsort((geom_idx, cell_idx))
        cell_idx, self.candidates = cell_idx[order], geom_idx[order]
        counts = np.bincount(cell_idx, minlength=nx * ny)
        self.start = np.concatenate([[0], np.cumsum(counts)])
        self.answer = np.where(counts > 0, _TEST, _NOTHING)
        lone = np.flatnonzero(counts == 1)
        owner = self.candidates[self.start[lone]]
        covered = shapely.covers(geometries[owner], boxes[lone])
        self.answer[lone[covered]] = owner[covered]

        # The same raster as Python objects, for single lookups without numpy overhead:
        # None (no polygon), an index (the one polygon), or a tuple of indices to test.
        self.cells = [None] * (nx * ny)
        for cell in np.flatnonzero(counts).tolist():
            answer = int(self.answer[cell])
            if answer >= 0:
                self.cells[cell] = answer
            else:
                first, last = self.start[cell], self.start[cell + 1]
                self.cells[cell] = tuple(self.candidates[first:last].tolist())

    def locate(self, lon: float, lat: float, parent: int | None = None) -> int | None:
        """Id of the lowest-code polygon holding the point; only `parent`'s, if given."""
        if self.cells is None or not (self.x0 <= lon <= self.x1 and self.y0 <= lat <= self.y1):
            return None
        entry = self.cells[
            int((lat - self.y0) / self.size) * self.nx + int((lon - self.x0) / self.size)
        ]
        if entry is None:
            return None
        if type(entry) is int:
            if parent is None or self._parents[entry] == parent:
                return self._ids[entry]
            return None
        for k in entry:
            if (parent is None or self._parents[k] == parent) and shapely.intersects_xy(
                self._geometries[k], lon, lat
            ):
                return self._ids[k]
        return None

    def locate_many(self, lons, lats) -> np.ndarray:
        """Ids for arrays of points; -1 where no polygon holds the point."""
        lons = np.asarray(lons, dtype=float)
        lats = np.asarray(lats, dtype=float)
        result = np.full(len(lons), -1, dtype=np.int64)
        if self.cells is None or len(lons) == 0:
            return result
        # Comparisons are False for NaN, so such points stay nowhere.
        points = np.flatnonzero(
            (lons >= self.x0) & (lons <= self.x1) & (lats >= self.y0) & (lats <= self.y1)
        )
        lons, lats = lons[points], lats[points]
        # The same arithmetic as locate(), so both put a point in the same cell.
        cells = ((lats - self.y0) / self.size).astype(np.int64) * self.nx + (
            (lons - self.x0) / self.size
        ).astype(np.int64)
        answer = self.answer[cells]
        known = answer >= 0
        result[points[known]] = self.ids[answer[known]]

        test = np.flatnonzero(answer == _TEST)
        first = self.start[cells[test]]
        counts = self.start[cells[test] + 1] - first
        # One row per (point, candidate), candidates in code order within each point.
        row_point = np.repeat(np.arange(len(test)), counts)
        offsets = np.arange(len(row_point)) - np.repeat(np.cumsum(counts) - counts, counts)
        row_geom = self.candidates[np.repeat(first, counts) + offsets]
        hit = shapely.intersects_xy(
            self.geometries[row_geom], lons[test][row_point], lats[test][row_point]
        )
        best = np.full(len(test), len(self.ids), dtype=np.int64)
        np.minimum.at(best, row_point[hit], row_geom[hit])
        found = best < len(self.ids)
        result[points[test[found]]] = self.ids[best[found]]
        return result


class Locator:
    """Point → grid and micro-grid over one snapshot of the grid map."""

    def __init__(self, grids, micro_grids):
        """`grids`: (id, GeoJSON, village_id, town_id) in code order;
        `micro_grids`: (id, GeoJSON or None, grid_id) in code order."""
        grids = list(grids)
        self.grid_layer = _Layer([g[0] for g in grids], [shape(g[1]) for g in grids])
        self.grid_parents = {g[0]: (g[2], g[3]) for g in grids}
        micro = [m for m in micro_grids if m[1]]
        self.micro_layer = _Layer(
            [m[0] for m in micro], [shape(m[1]) for m in micro], parents=[m[2] for m in micro]
        )

    def locate(self, lon: float, lat: float) -> Location:
        lon, lat = float(lon), float(lat)
        grid_id = self.grid_layer.locate(lon, lat)
        if grid_id is None:
            return NOWHERE
        # Only the grid's own micro-grids: on an edge between two grids the point
        # belongs to one grid, and so to one of that grid's micro-grids.
        micro_id = self.micro_layer.locate(lon, lat, parent=grid_id)
        village_id, town_id = self.grid_parents[grid_id]
        return Location(grid_id, micro_id, village_id, town_id)

    def locate_grids(self, lons, lats) -> np.ndarray:
        """Grid ids for arrays of points; -1 where no grid holds the point."""
        return self.grid_layer.locate_many(lons, lats)


_lock = threading.Lock()
_state: dict = {"locator": None, "fingerprint": None, "checked": 0.0}


def _fingerprint():
    from wangge.grids.models import Grid, MicroGrid

    g = Grid.objects.aggregate(n=Count("id"), t=Max("updated_at"))
    m = MicroGrid.objects.aggregate(n=Count("id"), t=Max("updated_at"))
    return (g["n"], g["t"], m["n"], m["t"])


def _build() -> Locator:
    from wangge.grids.models import Grid, MicroGrid

    grids = Grid.objects.order_by("code").values_list("id", "boundary", "village_id", "town_id")
    micro = MicroGrid.objects.order_by("code").values_list("id", "boundary", "grid_id")
    return Locator(grids, micro)


def get_locator() -> Locator:
    """The process's locator, rebuilt if the grid map changed."""
    now = time.monotonic()
    with _lock:
        recheck = settings.WANGGE_LOCATOR_RECHECK_SECONDS
        if _state["locator"] is None or now - _state["checked"] >= recheck:
            fingerprint = _fingerprint()
            if _state["locator"] is None or fingerprint != _state["fingerprint"]:
                _state["locator"] = _build()
                _state["fingerprint"] = fingerprint
            _state["checked"] = now
        return _state["locator"]


def invalidate() -> None:
    with _lock:
        _state["locator"] = None


def locate(lon: float, lat: float) -> Location:
    return get_locator().locate(lon, lat)


EARTH_RADIUS_M = 6_371_000


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine): duplicates near a case,
    check-ins near a place, households near a station."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))
