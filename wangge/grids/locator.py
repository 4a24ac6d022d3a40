"""Point → grid (and micro-grid), with shapely's STRtree.

The tree is built once per process and rebuilt when grids change: saving or
deleting a grid in this process drops it at once, and other processes notice
within WANGGE_LOCATOR_RECHECK_SECONDS by a cheap fingerprint query.
A point on an edge shared by two grids goes to the grid with the lower code,
so every point has one answer; a point in a hole of a grid belongs to it only
if another grid fills the hole.
"""

from __future__ import annotations

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


class _Layer:
    """One STRtree over polygons, answering with the first hit in code order."""

    def __init__(self, ids: list[int], geometries: list):
        self.ids = np.asarray(ids, dtype=np.int64)
        self.geometries = geometries
        self.tree = shapely.STRtree(geometries) if geometries else None

    def locate(self, lon: float, lat: float) -> int | None:
        if self.tree is None:
            return None
        hits = self.tree.query(shapely.Point(lon, lat), predicate="intersects")
        if len(hits) == 0:
            return None
        return int(self.ids[hits.min()])

    def locate_many(self, lons, lats) -> np.ndarray:
        """Ids for arrays of points; -1 where no polygon holds the point."""
        result = np.full(len(lons), -1, dtype=np.int64)
        if self.tree is None or len(lons) == 0:
            return result
        points = shapely.points(np.asarray(lons, dtype=float), np.asarray(lats, dtype=float))
        point_idx, geom_idx = self.tree.query(points, predicate="intersects")
        # Geometries are in code order, so the smallest index is the lowest code.
        best = np.full(len(lons), np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(best, point_idx, geom_idx)
        found = best != np.iinfo(np.int64).max
        result[found] = self.ids[best[found]]
        return result


class Locator:
    def __init__(self, grids, micro_grids):
        grids = list(grids)
        self.grid_layer = _Layer([g[0] for g in grids], [shape(g[1]) for g in grids])
        self.grid_parents = {g[0]: (g[2], g[3]) for g in grids}
        micro = [m for m in micro_grids if m[1]]
        self.micro_layer = _Layer([m[0] for m in micro], [shape(m[1]) for m in micro])
        self.micro_parent = {m[0]: m[2] for m in micro}

    def locate(self, lon: float, lat: float) -> Location:
        grid_id = self.grid_layer.locate(lon, lat)
        if grid_id is None:
            return NOWHERE
        micro_id = self.micro_layer.locate(lon, lat)
        if micro_id is not None and self.micro_parent[micro_id] != grid_id:
            micro_id = None
        village_id, town_id = self.grid_parents[grid_id]
        return Location(grid_id, micro_id, village_id, town_id)

    def locate_grids(self, lons, lats) -> np.ndarray:
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
