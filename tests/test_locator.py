"""Point → grid over the small town (see conftest: four 0.01° squares, a hole in B2)."""

from datetime import timedelta

import numpy as np
import shapely
import shapely.geometry
from django.utils import timezone

from wangge.grids import locator
from wangge.grids.locator import NOWHERE, Locator
from wangge.grids.models import Grid


def square(x0, y0, x1, y1):
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def grid_at(lon, lat):
    return locator.locate(lon, lat).grid_id


def test_point_inside_a_grid_finds_it_with_its_village_and_town(town):
    where = locator.locate(112.015, 34.105)
    assert where.grid_id == town.a2.id
    assert where.village_id == town.va.id
    assert where.town_id == town.town.id
    assert where.micro_grid_id is None


def test_point_outside_every_grid_is_nowhere(town):
    assert locator.locate(112.05, 34.105) is NOWHERE
    assert locator.locate(0.0, 0.0) is NOWHERE
    assert locator.locate(float("nan"), 34.105) is NOWHERE


def test_point_on_a_shared_edge_goes_to_the_lower_code(town):
    assert grid_at(112.01, 34.105) == town.a1.id  # A1 | A2
    assert grid_at(112.005, 34.10) == town.a1.id  # A1 above B1
    assert grid_at(112.01, 34.095) == town.b1.id  # B1 | B2
    assert grid_at(112.015, 34.10) == town.a2.id  # A2 above B2
    assert grid_at(112.01, 34.10) == town.a1.id  # the corner of all four


def test_point_on_the_outer_edge_of_the_town_is_in_the_grid(town):
    assert grid_at(112.00, 34.105) == town.a1.id
    assert grid_at(112.02, 34.09) == town.b2.id


def test_point_in_a_hole_belongs_to_no_grid(town):
    assert locator.locate(112.015, 34.095) is NOWHERE
    # The hole's own edge is still the grid's.
    assert grid_at(112.014, 34.095) == town.b2.id


def test_a_grid_filling_the_hole_takes_the_point(town):
    Grid.objects.create(
        town=town.town,
        village=town.vb,
        code="410325106202902",
        name="矿区内的专属网格",
        kind="special",
        boundary=square(112.014, 34.094, 112.016, 34.096),
    )
    assert grid_at(112.015, 34.095) == Grid.objects.get(code="410325106202902").id


def test_micro_grid_is_found_within_its_grid(town):
    assert locator.locate(112.002, 34.105).micro_grid_id == town.a1w.id
    assert locator.locate(112.008, 34.105).micro_grid_id == town.a1e.id
    # On the line between the two micro-grids: the lower code.
    assert locator.locate(112.005, 34.105).micro_grid_id == town.a1w.id
    # On the edge A1 | A2 the point is A1's, so it is in A1's east micro-grid.
    assert locator.locate(112.01, 34.105).micro_grid_id == town.a1e.id


def test_micro_grid_of_another_grid_is_not_reported(town):
    # A micro-grid drawn across its grid's edge into A2 does not claim A2's points.
    town.a1e.boundary = square(112.005, 34.10, 112.015, 34.11)
    town.a1e.save()
    where = locator.locate(112.012, 34.105)
    assert where.grid_id == town.a2.id
    assert where.micro_grid_id is None


def test_locate_grids_agrees_with_single_lookups(town):
    rng = np.random.default_rng(7)
    lons = rng.uniform(111.995, 112.115, 4000)
    lats = rng.uniform(34.085, 34.115, 4000)
    # Edges, corners and the hole, where the rules matter most.
    lons = np.concatenate([lons, [112.01, 112.005, 112.01, 112.015, 112.014, 112.0, 112.11]])
    lats = np.concatenate([lats, [34.105, 34.10, 34.10, 34.095, 34.095, 34.09, 34.11]])
    bulk = locator.get_locator().locate_grids(lons, lats)
    single = [grid_at(x, y) for x, y in zip(lons.tolist(), lats.tolist(), strict=True)]
    assert bulk.tolist() == [-1 if s is None else s for s in single]
    assert {town.a1.id, town.a2.id, town.b1.id, town.b2.id, town.c1.id, -1} == set(bulk.tolist())


def test_answers_match_a_plain_polygon_test(town):
    # A 0.001° lattice hits every edge, corner and hole edge of the small town exactly.
    lons, lats = np.meshgrid(
        np.round(np.arange(111.998, 112.113, 0.001), 3),
        np.round(np.arange(34.088, 34.113, 0.001), 3),
    )
    lons, lats = lons.ravel(), lats.ravel()
    polygons = [(g.id, shapely.geometry.shape(g.boundary)) for g in Grid.objects.order_by("code")]
    expected = [
        next((gid for gid, polygon in polygons if polygon.intersects(shapely.Point(x, y))), -1)
        for x, y in zip(lons.tolist(), lats.tolist(), strict=True)
    ]
    assert locator.get_locator().locate_grids(lons, lats).tolist() == expected
    assert [grid_at(x, y) or -1 for x, y in zip(lons.tolist(), lats.tolist(), strict=True)] == (
        expected
    )


def test_locate_grids_handles_no_points_and_nan(town):
    found = locator.get_locator().locate_grids([], [])
    assert found.tolist() == []
    found = locator.get_locator().locate_grids([np.nan, 112.005], [34.105, np.nan])
    assert found.tolist() == [-1, -1]


def test_locator_without_grids_finds_nothing():
    empty = Locator([], [])
    assert empty.locate(112.0, 34.1) is NOWHERE
    assert empty.locate_grids([112.0], [34.1]).tolist() == [-1]


def test_empty_and_broken_boundaries_do_not_break_the_locator():
    bowtie = [[112.02, 34.10], [112.03, 34.11], [112.03, 34.10], [112.02, 34.11], [112.02, 34.10]]
    odd = Locator(
        [
            (1, {"type": "Polygon", "coordinates": []}, 1, 1),
            (2, {"type": "Polygon", "coordinates": [bowtie]}, 1, 1),
            (3, square(112.00, 34.10, 112.01, 34.11), 1, 1),
        ],
        [(10, None, 3), (11, {"type": "Polygon", "coordinates": []}, 3)],
    )
    assert odd.locate(112.005, 34.105).grid_id == 3
    assert odd.locate(112.0275, 34.105).grid_id == 2
    assert odd.locate(112.025, 34.109).grid_id is None
    found = odd.locate_grids([112.005, 112.0275, 112.025], [34.105, 34.105, 34.109])
    assert found.tolist() == [3, 2, -1]


def test_a_grid_far_from_the_others_is_found_exactly(town):
    far = Grid.objects.create(
        town=town.other_town,
        village=town.vc,
        code="410325107201002",
        name="外村远处网格",
        boundary=square(114.00, 36.00, 114.001, 36.001),
    )
    assert grid_at(114.0005, 36.0005) == far.id
    assert grid_at(114.001, 36.0005) == far.id
    assert grid_at(114.0011, 36.0005) is None
    assert grid_at(112.01, 34.105) == town.a1.id


def test_adding_a_grid_refreshes_the_locator(town):
    assert grid_at(112.025, 34.105) is None
    a3 = Grid.objects.create(
        town=town.town,
        village=town.va,
        code="410325106201003",
        name="杨村第三网格",
        boundary=square(112.02, 34.10, 112.03, 34.11),
    )
    assert grid_at(112.025, 34.105) == a3.id


def test_moving_a_grid_refreshes_the_locator(town):
    assert grid_at(112.105, 34.105) == town.c1.id
    town.c1.boundary = square(112.20, 34.10, 112.21, 34.11)
    town.c1.save()
    assert grid_at(112.105, 34.105) is None
    assert grid_at(112.205, 34.105) == town.c1.id


def test_deleting_a_grid_refreshes_the_locator(town):
    assert grid_at(112.015, 34.095) is None
    assert grid_at(112.105, 34.105) == town.c1.id
    town.h_c1.delete()
    town.c1.delete()
    assert grid_at(112.105, 34.105) is None


def test_change_by_another_process_is_noticed_by_fingerprint(town, settings):
    settings.WANGGE_LOCATOR_RECHECK_SECONDS = 3600
    assert grid_at(112.105, 34.105) == town.c1.id
    # update() sends no signal: as if another process had moved the grid.
    Grid.objects.filter(pk=town.c1.pk).update(
        boundary=square(112.20, 34.10, 112.21, 34.11),
        updated_at=timezone.now() + timedelta(seconds=1),
    )
    # Within the recheck interval this process still uses its map ...
    assert grid_at(112.105, 34.105) == town.c1.id
    # ... and once the interval has passed, it sees the change.
    settings.WANGGE_LOCATOR_RECHECK_SECONDS = 0
    assert grid_at(112.105, 34.105) is None
    assert grid_at(112.205, 34.105) == town.c1.id


def test_unchanged_grid_map_is_not_rebuilt(town, settings):
    settings.WANGGE_LOCATOR_RECHECK_SECONDS = 0
    first = locator.get_locator()
    assert locator.get_locator() is first
