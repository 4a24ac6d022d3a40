"""Grids from and to GeoJSON: `wangge import-grids` and `wangge export-grids`."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from wangge.grids import locator
from wangge.grids.geojson_io import GridImportError, export_grids, import_grids, read_geojson
from wangge.grids.models import Grid

A3 = "410325106201003"  # east of A2, free in the small town
B902 = "410325106202902"  # east of B2, free


@pytest.fixture(autouse=True)
def _english():
    # Messages are asserted in their English source form.
    with translation.override("en"):
        yield


def square(x0, y0, x1, y1):
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


A3_SQUARE = square(112.02, 34.10, 112.03, 34.11)


def feature(code, name="新网格", geometry=A3_SQUARE, **properties):
    return {
        "type": "Feature",
        "properties": {"code": code, "name": name, **properties},
        "geometry": geometry,
    }


def collection(*features):
    return {"type": "FeatureCollection", "features": list(features)}


def snapshot():
    return sorted(Grid.objects.values_list("code", "name", "kind", "boundary", "updated_at"))


def import_errors(data):
    """The errors of an import that must fail, after checking it wrote nothing."""
    before = snapshot()
    with pytest.raises(GridImportError) as failure:
        import_grids(data)
    assert snapshot() == before
    return failure.value.errors


def the_error(data):
    errors = import_errors(data)
    assert len(errors) == 1, errors
    return errors[0]


# --- a good import ------------------------------------------------------------------


def test_import_creates_grids_in_their_village_and_town(town):
    result = import_grids(
        collection(
            feature(A3, "杨村第三网格"),
            feature(
                B902,
                "庄科石料厂专属网格",
                square(112.02, 34.09, 112.03, 34.10),
                kind="专属网格",
                village_code="410325106202",
                special_subject="石料厂",
            ),
        )
    )
    assert (result.created, result.updated, result.dry_run) == (2, 0, False)
    a3 = Grid.objects.get(code=A3)
    assert (a3.village, a3.town, a3.kind, a3.name) == (town.va, town.town, "basic", "杨村第三网格")
    # 0.01° × 0.01° at 34.1°N; on the WGS 84 ellipsoid that cell is 1.023509 km².
    assert a3.area_km2 == pytest.approx(1.023509, rel=1e-5)
    assert (a3.centroid_lon, a3.centroid_lat) == pytest.approx((112.025, 34.105))
    assert a3.boundary["type"] == "Polygon"
    special = Grid.objects.get(code=B902)
    assert (special.village, special.kind, special.special_subject) == (
        town.vb,
        "special",
        "石料厂",
    )


def test_imported_grids_are_located_at_once(town):
    locator.get_locator()
    import_grids(collection(feature(A3)))
    assert locator.locate(112.025, 34.105).grid_id == Grid.objects.get(code=A3).id


def test_reimport_updates_the_grid_with_that_code(town):
    smaller = square(112.01, 34.10, 112.015, 34.11)
    result = import_grids(collection(feature(town.a2.code, "杨村二格（新）", smaller)))
    assert (result.created, result.updated) == (0, 1)
    town.a2.refresh_from_db()
    assert town.a2.name == "杨村二格（新）"
    assert town.a2.boundary["coordinates"][0][1] == [112.015, 34.10]
    assert town.a2.area_km2 == pytest.approx(1.023509 / 2, rel=1e-5)
    assert Grid.objects.count() == 5


def test_a_grid_may_move_into_the_place_of_a_grid_the_file_also_moves(town):
    result = import_grids(
        collection(
            feature(town.a2.code, "杨村第二网格", square(112.02, 34.10, 112.03, 34.11)),
            feature(A3, "杨村第三网格", square(112.01, 34.10, 112.02, 34.11)),
        )
    )
    assert (result.created, result.updated) == (1, 1)


def test_single_part_multipolygon_is_stored_as_a_polygon(town):
    ring = square(112.02, 34.10, 112.03, 34.11)["coordinates"]
    import_grids(collection(feature(A3, geometry={"type": "MultiPolygon", "coordinates": [ring]})))
    assert Grid.objects.get(code=A3).boundary["type"] == "Polygon"


def test_multipart_grid_is_stored_as_a_multipolygon(town):
    parts = [
        square(112.02, 34.10, 112.03, 34.11)["coordinates"],
        square(112.04, 34.10, 112.05, 34.11)["coordinates"],
    ]
    import_grids(collection(feature(A3, geometry={"type": "MultiPolygon", "coordinates": parts})))
    a3 = Grid.objects.get(code=A3)
    assert a3.boundary["type"] == "MultiPolygon"
    assert a3.area_km2 == pytest.approx(2 * 1.023509, rel=1e-5)


def test_three_dimensional_coordinates_are_flattened(town):
    ring = [[x, y, 800.0] for x, y in square(112.02, 34.10, 112.03, 34.11)["coordinates"][0]]
    import_grids(collection(feature(A3, geometry={"type": "Polygon", "coordinates": [ring]})))
    assert Grid.objects.get(code=A3).boundary["coordinates"][0][0] == [112.02, 34.10]


@pytest.mark.parametrize("number", [int(A3), float(A3)])
def test_code_from_a_qgis_number_field_is_accepted(town, number):
    import_grids(collection(feature(number, village_code=float(A3[:12]))))
    assert Grid.objects.filter(code=A3).exists()


def test_dry_run_counts_but_writes_nothing(town):
    before = snapshot()
    result = import_grids(
        collection(
            feature(A3), feature(town.c1.code, "外村第一网格", square(112.1, 34.1, 112.11, 34.11))
        ),
        dry_run=True,
    )
    assert (result.created, result.updated, result.dry_run) == (1, 1, True)
    assert snapshot() == before


def test_wgs84_and_cgcs2000_crs_are_accepted(town):
    for name in ("urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:EPSG::4490"):
        data = collection(feature(A3)) | {"crs": {"type": "name", "properties": {"name": name}}}
        assert import_grids(data, dry_run=True).created == 1


# --- bad input: every problem named, nothing written ------------------------------------


@pytest.mark.parametrize(
    "data",
    [[], {"type": "Feature", "properties": {}, "geometry": None}, {"features": []}, "grids"],
)
def test_not_a_feature_collection(town, data):
    assert the_error(data) == "the file is not a GeoJSON FeatureCollection"


def test_empty_feature_collection(town):
    assert the_error(collection()) == "the FeatureCollection has no features"


def test_projected_crs_is_refused(town):
    data = collection(feature(A3)) | {
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4547"}}
    }
    assert "coordinate reference system is urn:ogc:def:crs:EPSG::4547" in the_error(data)


def test_not_json(town, tmp_path):
    path = tmp_path / "grids.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    with pytest.raises(GridImportError) as failure:
        read_geojson(path)
    assert failure.value.errors[0].startswith("the file is not valid JSON: ")


def test_not_utf8(town, tmp_path):
    path = tmp_path / "grids.geojson"
    path.write_bytes('{"name": "杨村"}'.encode("gbk"))
    with pytest.raises(GridImportError) as failure:
        read_geojson(path)
    assert failure.value.errors == ["the file is not UTF-8 text"]


def test_utf8_with_byte_order_mark_is_read(town, tmp_path):
    path = tmp_path / "grids.geojson"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(collection(feature(A3))).encode())
    assert read_geojson(path)["type"] == "FeatureCollection"


def test_not_a_feature(town):
    data = collection(feature(A3), ["not", "a", "feature"])
    assert the_error(data) == "feature 2 (no code): not a GeoJSON Feature"


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (None, "feature 1 (no code): the code is missing"),
        ("", "feature 1 (no code): the code is missing"),
        (
            "41032510620100",
            "feature 1 (41032510620100): the code '41032510620100' is not 15 digits",
        ),
        (
            "4103251062010O3",
            "feature 1 (4103251062010O3): the code '4103251062010O3' is not 15 digits",
        ),
        (
            4.103251062010035e14,
            "feature 1 (410325106201003.5): the code 410325106201003.5 is not 15 digits",
        ),
    ],
)
def test_missing_or_ill_formed_code(town, code, message):
    assert the_error(collection(feature(code))) == message


def test_missing_name(town):
    assert the_error(collection(feature(A3, name=" "))) == (
        f"feature 1 ({A3}): the name is missing"
    )


def test_name_too_long(town):
    assert the_error(collection(feature(A3, name="格" * 81))) == (
        f"feature 1 ({A3}): the name is longer than 80 characters"
    )


def test_unknown_village(town):
    assert the_error(collection(feature("410325106299001"))) == (
        "feature 1 (410325106299001): village 410325106299 is unknown"
    )


def test_village_code_must_match_the_code(town):
    assert the_error(collection(feature(A3, village_code="410325106202"))) == (
        f"feature 1 ({A3}): village_code 410325106202 is not the code's first 12 digits "
        "(410325106201)"
    )


def test_unknown_kind(town):
    assert the_error(collection(feature(A3, kind="矿区"))) == (
        f"feature 1 ({A3}): the kind '矿区' is neither basic (基础网格) nor special (专属网格)"
    )


@pytest.mark.parametrize(
    ("code", "kind", "message"),
    [
        ("410325106201901", "basic", "a basic grid's sequence is 001–899, not 901"),
        ("410325106201000", "基础网格", "a basic grid's sequence is 001–899, not 000"),
        ("410325106201003", "special", "a special grid's sequence is 901–999, not 003"),
        ("410325106201900", "专属网格", "a special grid's sequence is 901–999, not 900"),
    ],
)
def test_sequence_must_fit_the_kind(town, code, kind, message):
    assert the_error(collection(feature(code, kind=kind))) == f"feature 1 ({code}): {message}"


def test_missing_geometry(town):
    data = collection(feature(A3) | {"geometry": None})
    assert the_error(data) == f"feature 1 ({A3}): the geometry is missing"


def test_geometry_not_a_polygon(town):
    data = collection(feature(A3, geometry={"type": "Point", "coordinates": [112.02, 34.10]}))
    assert the_error(data) == (
        f"feature 1 ({A3}): the geometry is a Point, not a Polygon or MultiPolygon"
    )


def test_malformed_polygon(town):
    ring = [[112.02, 34.10], [112.03, 34.10]]
    data = collection(feature(A3, geometry={"type": "Polygon", "coordinates": [ring]}))
    assert the_error(data) == (
        f"feature 1 ({A3}): the geometry is malformed: "
        "A linearring requires at least 4 coordinates."
    )


def test_empty_polygon(town):
    data = collection(feature(A3, geometry={"type": "Polygon", "coordinates": []}))
    assert the_error(data) == f"feature 1 ({A3}): the geometry is empty"


def test_self_intersecting_polygon(town):
    bowtie = [[112.02, 34.10], [112.03, 34.11], [112.03, 34.10], [112.02, 34.11], [112.02, 34.10]]
    data = collection(feature(A3, geometry={"type": "Polygon", "coordinates": [bowtie]}))
    assert the_error(data) == (
        f"feature 1 ({A3}): the polygon is invalid: Self-intersection[112.025 34.105]"
    )


def test_coordinates_outside_lon_lat_range(town):
    # A layer left in a projected CRS (CGCS2000 / 3-degree Gauss-Kruger, metres).
    projected = square(38_500_000, 3_770_000, 38_501_000, 3_771_000)
    assert the_error(collection(feature(A3, geometry=projected))) == (
        f"feature 1 ({A3}): coordinates are outside the longitude/latitude range "
        "(is the layer in WGS 84?)"
    )


def test_duplicate_code_in_the_file(town):
    data = collection(
        feature(A3),
        feature("410325106201004", geometry=square(112.03, 34.1, 112.04, 34.11)),
        feature(A3, geometry=square(112.04, 34.1, 112.05, 34.11)),
    )
    assert the_error(data) == f"feature 3 ({A3}): the code is already used by feature 1"


def test_overlapping_features_in_the_file(town):
    data = collection(
        feature(A3, geometry=square(112.02, 34.10, 112.03, 34.11)),
        feature("410325106201004", geometry=square(112.025, 34.10, 112.035, 34.11)),
    )
    assert the_error(data) == (
        f"feature 2 (410325106201004): overlaps feature 1 ({A3}) by about 511,754 m²"
    )


def test_feature_overlapping_a_saved_grid(town):
    data = collection(feature(A3, geometry=square(112.015, 34.10, 112.025, 34.11)))
    assert the_error(data) == (
        f"feature 1 ({A3}): overlaps grid 410325106201002 (杨村第二网格), already saved, "
        "by about 511,754 m²"
    )


def test_feature_inside_a_saved_grid_overlaps_it(town):
    data = collection(feature(A3, geometry=square(112.012, 34.102, 112.013, 34.103)))
    assert "overlaps grid 410325106201002" in the_error(data)


def test_touching_and_hairline_overlaps_are_accepted(town):
    # Shares A2's east edge; and overlaps it by a sliver of 1e-9° (about 0.1 mm).
    sliver = square(112.02 - 1e-9, 34.10, 112.03, 34.11)
    assert import_grids(collection(feature(A3, geometry=sliver))).created == 1


def test_every_problem_is_reported_and_the_good_features_are_not_written(town):
    errors = import_errors(
        collection(
            feature(A3),
            feature("410325106201004", name="", geometry=None),
            feature("410325106299001", geometry=square(112.04, 34.1, 112.05, 34.11)),
        )
    )
    assert errors == [
        "feature 2 (410325106201004): the name is missing",
        "feature 2 (410325106201004): the geometry is missing",
        "feature 3 (410325106299001): village 410325106299 is unknown",
    ]
    assert not Grid.objects.filter(code=A3).exists()


def test_an_unknown_level_is_refused(town):
    assert the_error(collection(feature(A3, level="village"))) == (
        f"feature 1 ({A3}): level 'village' is neither grid nor micro_grid"
    )


# --- export --------------------------------------------------------------------------------


def test_export_writes_every_grid_with_its_place(town):
    data = export_grids()
    assert data["type"] == "FeatureCollection"
    assert [f["properties"]["code"] for f in data["features"]] == sorted(
        Grid.objects.values_list("code", flat=True)
    )
    b2 = next(f for f in data["features"] if f["properties"]["code"] == town.b2.code)
    assert b2["properties"] == {
        "level": "grid",
        "code": "410325106202901",
        "name": "庄科矿区专属网格",
        "kind": "special",
        "village_code": "410325106202",
        "village_name": "庄科村",
        "town_code": "410325106000",
        "town_name": "德亭镇",
        "special_subject": "矿区",
        "area_km2": 0.0,
    }
    assert b2["geometry"] == town.b2.boundary


def test_export_of_one_village_with_micro_grids(town):
    data = export_grids(village=town.va, micro_grids=True)
    assert [(f["properties"]["level"], f["properties"]["code"]) for f in data["features"]] == [
        ("grid", town.a1.code),
        ("grid", town.a2.code),
        ("micro_grid", town.a1w.code),
        ("micro_grid", town.a1e.code),
    ]
    assert data["features"][2]["properties"]["grid_code"] == town.a1.code


def test_export_then_import_round_trips(town):
    first = json.loads(json.dumps(export_grids(micro_grids=True)))
    result = import_grids(first)
    assert (result.created, result.updated, result.skipped) == (0, 5, 2)
    second = export_grids(micro_grids=True)
    # The import computed the areas the fixture left at 0; nothing else changed.
    for before, after in zip(first["features"], second["features"], strict=True):
        assert before["geometry"] == after["geometry"]
        assert {k: v for k, v in before["properties"].items() if k != "area_km2"} == {
            k: v for k, v in after["properties"].items() if k != "area_km2"
        }
    assert import_grids(json.loads(json.dumps(second))).updated == 5
    assert export_grids(micro_grids=True) == second


def test_export_then_import_recreates_deleted_grids(town):
    exported = export_grids(village=town.vb)
    town.h_b1.delete()
    Grid.objects.filter(village=town.vb).delete()
    result = import_grids(exported)
    assert (result.created, result.updated) == (2, 0)
    b2 = Grid.objects.get(code=town.b2.code)
    assert (b2.village, b2.kind, b2.boundary) == (town.vb, "special", town.b2.boundary)
    assert locator.locate(112.015, 34.095).grid_id is None  # the hole survived


# --- the commands ----------------------------------------------------------------------


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_import_command(town, tmp_path):
    path = tmp_path / "grids.geojson"
    path.write_text(json.dumps(collection(feature(A3)), ensure_ascii=False), encoding="utf-8")
    assert "Dry run" in run("import_grids", str(path), "--dry-run")
    assert not Grid.objects.filter(code=A3).exists()
    assert "Grids: 1 created, 0 updated." in run("import_grids", str(path))
    assert "Grids: 0 created, 1 updated." in run("import_grids", str(path))


def test_import_command_lists_every_problem(town, tmp_path):
    path = tmp_path / "grids.geojson"
    elsewhere = square(112.04, 34.10, 112.05, 34.11)
    data = collection(feature(A3, name=""), feature("410325106299001", geometry=elsewhere))
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(CommandError) as failure:
        run("import_grids", str(path))
    assert str(failure.value).splitlines() == [
        "2 problems; nothing was imported:",
        f"feature 1 ({A3}): the name is missing",
        "feature 2 (410325106299001): village 410325106299 is unknown",
    ]


def test_import_command_with_a_missing_file(town, tmp_path):
    with pytest.raises(CommandError, match="cannot read .*missing.geojson"):
        run("import_grids", str(tmp_path / "missing.geojson"))


def test_export_command_to_a_file_and_back(town, tmp_path):
    path = tmp_path / "out.geojson"
    assert "Wrote 7 features" in run("export_grids", "-o", str(path), "--micro-grids")
    text = path.read_text(encoding="utf-8")
    assert "杨村第一网格" in text  # UTF-8, not \\u escapes
    assert len(text.splitlines()) == 7 + 2  # one feature per line
    assert "Grids: 0 created, 5 updated." in run("import_grids", str(path))
    assert "2 micro-grid features skipped" in run("import_grids", str(path))


def test_export_command_to_stdout_for_one_village(town):
    data = json.loads(run("export_grids", "--village", town.vb.code))
    assert [f["properties"]["code"] for f in data["features"]] == [town.b1.code, town.b2.code]


def test_export_command_with_an_unknown_village(town):
    with pytest.raises(CommandError, match="village 410325106299 is unknown"):
        run("export_grids", "--village", "410325106299")
