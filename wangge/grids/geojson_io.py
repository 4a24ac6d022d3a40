"""Grids to and from GeoJSON, the format QGIS users hand over (WGS 84, lon/lat).

An import is checked in full before anything is written: every problem is
reported, naming the feature, and a file with any problem writes nothing.
See docs/import-formats.md, "Grids (GeoJSON)".
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field

import numpy as np
import shapely
from django.db import transaction
from django.utils.translation import gettext as _
from shapely.errors import ShapelyError
from shapely.geometry import shape

from wangge.grids import locator
from wangge.grids.models import Grid, GridKind, MicroGrid, Village

GRID_CODE = re.compile(r"^\d{15}$")
KINDS = {
    "basic": GridKind.BASIC,
    "基础网格": GridKind.BASIC,
    "special": GridKind.SPECIAL,
    "专属网格": GridKind.SPECIAL,
}
SEQUENCES = {GridKind.BASIC: range(1, 900), GridKind.SPECIAL: range(901, 1000)}
LEVEL_GRID, LEVEL_MICRO_GRID = "grid", "micro_grid"
# Neighbouring grids share edges; an overlap smaller than this is digitising noise.
OVERLAP_TOLERANCE_M2 = 1.0
# Geographic coordinate systems whose lon/lat we take as they are (CGCS2000 differs
# from WGS 84 by centimetres).
ACCEPTED_CRS = ("CRS84", "EPSG::4326", "EPSG:4326", "EPSG::4490", "EPSG:4490")
_PARSE_ERRORS = (ShapelyError, ValueError, TypeError, IndexError, KeyError, AttributeError)


class GridImportError(Exception):
    """A grid file that cannot be imported; `errors` holds one message per problem."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    # Micro-grid features (as `export_grids` writes them) are not imported.
    skipped: int = 0
    dry_run: bool = False


@dataclass
class _Feature:
    index: int
    code: str
    name: str = ""
    kind: str = GridKind.BASIC
    special_subject: str = ""
    village: Village | None = None
    geometry: shapely.Geometry | None = None
    errors: list[str] = field(default_factory=list)

    def problem(self, message: str) -> None:
        self.errors.append(
            _("feature %(index)s (%(code)s): %(problem)s")
            % {"index": self.index, "code": self.code or _("no code"), "problem": message}
        )


def km_per_degree(lat: float) -> tuple[float, float]:
    """Kilometres per degree of longitude and of latitude at `lat` (WGS 84 ellipsoid)."""
    phi = math.radians(lat)
    lon_km = 111.41284 * math.cos(phi) - 0.0935 * math.cos(3 * phi) + 0.000118 * math.cos(5 * phi)
    lat_km = 111.13292 - 0.55982 * math.cos(2 * phi) + 0.001175 * math.cos(4 * phi)
    return lon_km, lat_km


def area_km2(geometry) -> float:
    """Area of a lon/lat polygon in km², scaled at its centroid's latitude."""
    lon_km, lat_km = km_per_degree(geometry.centroid.y)
    return geometry.area * lon_km * lat_km


def read_geojson(path) -> dict:
    """The parsed content of a GeoJSON file; raises GridImportError if it is unreadable."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise GridImportError(
            [_("cannot read %(path)s: %(reason)s") % {"path": path, "reason": e.strerror}]
        ) from e
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as e:
        raise GridImportError([_("the file is not UTF-8 text")]) from e
    except json.JSONDecodeError as e:
        raise GridImportError([_("the file is not valid JSON: %(reason)s") % {"reason": e}]) from e


def import_grids(data, *, dry_run: bool = False) -> ImportResult:
    """Create or update (by code) the grids of a GeoJSON FeatureCollection.

    Everything is checked before anything is written, in one transaction.
    Raises GridImportError listing every problem; then nothing is written.
    """
    with transaction.atomic():
        features, skipped = _check(data)
        existing = {
            g.code: g
            for g in Grid.objects.select_for_update().filter(code__in=[f.code for f in features])
        }
        result = ImportResult(
            created=len(features) - len(existing),
            updated=len(existing),
            skipped=skipped,
            dry_run=dry_run,
        )
        if dry_run:
            return result
        for feature in features:
            grid = existing.get(feature.code) or Grid(code=feature.code)
            _fill(grid, feature)
            grid.save()
    locator.invalidate()
    return result


def _fill(grid: Grid, feature: _Feature) -> None:
    geometry = feature.geometry
    centroid = geometry.centroid
    grid.village = feature.village
    grid.town = feature.village.town
    grid.name = feature.name
    grid.kind = feature.kind
    grid.special_subject = feature.special_subject
    grid.boundary = json.loads(shapely.to_geojson(geometry))
    grid.area_km2 = round(area_km2(geometry), 6)
    grid.centroid_lat = round(centroid.y, 7)
    grid.centroid_lon = round(centroid.x, 7)


def _check(data) -> tuple[list[_Feature], int]:
    """The file's grid features, all checked, and the number of micro-grid features.

    Raises GridImportError with every problem found.
    """
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise GridImportError([_("the file is not a GeoJSON FeatureCollection")])
    crs = _crs_name(data)
    if crs and not crs.endswith(ACCEPTED_CRS):
        raise GridImportError(
            [
                _(
                    "the file's coordinate reference system is %(crs)s; "
                    "export the layer in WGS 84 (EPSG:4326)"
                )
                % {"crs": crs}
            ]
        )
    raw_features = data.get("features")
    if not isinstance(raw_features, list) or not raw_features:
        raise GridImportError([_("the FeatureCollection has no features")])

    features, skipped = [], 0
    for index, raw in enumerate(raw_features, start=1):
        properties = raw.get("properties") if isinstance(raw, dict) else None
        properties = properties if isinstance(properties, dict) else {}
        level = properties.get("level") or LEVEL_GRID
        if level == LEVEL_MICRO_GRID:
            skipped += 1
            continue
        feature = _Feature(index, _text(properties, "code"))
        if not isinstance(raw, dict) or raw.get("type") != "Feature":
            feature.problem(_("not a GeoJSON Feature"))
        elif level != LEVEL_GRID:
            feature.problem(
                _("level %(value)s is neither grid nor micro_grid") % {"value": repr(level)}
            )
        else:
            _check_properties(feature, properties)
            _check_geometry(feature, raw.get("geometry"))
        features.append(feature)

    _attach_villages(features)
    _check_duplicates(features)
    _check_overlaps(features)
    errors = [e for f in features for e in f.errors]
    if errors:
        raise GridImportError(errors)
    return features, skipped


def _crs_name(data: dict) -> str:
    """The name in a (2008-style) `crs` member, as QGIS writes it; "" if there is none."""
    crs = data.get("crs")
    properties = crs.get("properties") if isinstance(crs, dict) else None
    name = properties.get("name") if isinstance(properties, dict) else None
    return str(name) if name else ""


def _text(properties: dict, key: str) -> str:
    value = properties.get(key)
    # A code kept in a QGIS number field arrives as a number (a Real one with ".0").
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or value is None:
        return ""
    return value.strip() if isinstance(value, str) else str(value)


def _check_properties(feature: _Feature, properties: dict) -> None:
    raw_code = properties.get("code")
    if raw_code is None or (isinstance(raw_code, str) and not raw_code.strip()):
        feature.problem(_("the code is missing"))
    elif not GRID_CODE.match(feature.code):
        feature.problem(_("the code %(value)s is not 15 digits") % {"value": repr(raw_code)})

    feature.name = _text(properties, "name")
    name_max = Grid._meta.get_field("name").max_length
    if not feature.name:
        feature.problem(_("the name is missing"))
    elif len(feature.name) > name_max:
        feature.problem(_("the name is longer than %(max)s characters") % {"max": name_max})

    kind = _text(properties, "kind").lower() or GridKind.BASIC
    if kind not in KINDS:
        feature.problem(
            _("the kind %(value)s is neither basic (基础网格) nor special (专属网格)")
            % {"value": repr(properties.get("kind"))}
        )
    else:
        feature.kind = KINDS[kind]
        if GRID_CODE.match(feature.code) and int(feature.code[12:]) not in SEQUENCES[feature.kind]:
            feature.problem(
                (
                    _("a basic grid's sequence is 001–899, not %(sequence)s")
                    if feature.kind == GridKind.BASIC
                    else _("a special grid's sequence is 901–999, not %(sequence)s")
                )
                % {"sequence": feature.code[12:]}
            )

    village_code = _text(properties, "village_code")
    if village_code and GRID_CODE.match(feature.code) and village_code != feature.code[:12]:
        feature.problem(
            _("village_code %(value)s is not the code's first 12 digits (%(expected)s)")
            % {"value": village_code, "expected": feature.code[:12]}
        )

    feature.special_subject = _text(properties, "special_subject")
    subject_max = Grid._meta.get_field("special_subject").max_length
    if len(feature.special_subject) > subject_max:
        feature.problem(
            _("special_subject is longer than %(max)s characters") % {"max": subject_max}
        )


def _check_geometry(feature: _Feature, geometry) -> None:
    if not geometry:
        feature.problem(_("the geometry is missing"))
        return
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    if kind not in ("Polygon", "MultiPolygon"):
        feature.problem(
            _("the geometry is a %(type)s, not a Polygon or MultiPolygon")
            % {"type": kind or type(geometry).__name__}
        )
        return
    try:
        shapely_geometry = shapely.force_2d(shape(geometry))
        coordinates = shapely.get_coordinates(shapely_geometry)
    except _PARSE_ERRORS as e:
        feature.problem(_("the geometry is malformed: %(reason)s") % {"reason": e})
        return
    if shapely_geometry.is_empty:
        feature.problem(_("the geometry is empty"))
        return
    lons, lats = coordinates[:, 0], coordinates[:, 1]
    if not (
        np.isfinite(coordinates).all()
        and (np.abs(lons) <= 180).all()
        and (np.abs(lats) <= 90).all()
    ):
        feature.problem(
            _("coordinates are outside the longitude/latitude range (is the layer in WGS 84?)")
        )
        return
    if not shapely_geometry.is_valid:
        feature.problem(
            _("the polygon is invalid: %(reason)s")
            % {"reason": shapely.is_valid_reason(shapely_geometry)}
        )
        return
    if isinstance(shapely_geometry, shapely.MultiPolygon) and len(shapely_geometry.geoms) == 1:
        shapely_geometry = shapely_geometry.geoms[0]
    feature.geometry = shapely_geometry


def _attach_villages(features: list[_Feature]) -> None:
    wanted = {f.code[:12] for f in features if GRID_CODE.match(f.code)}
    villages = {v.code: v for v in Village.objects.filter(code__in=wanted).select_related("town")}
    for feature in features:
        if not GRID_CODE.match(feature.code):
            continue
        feature.village = villages.get(feature.code[:12])
        if feature.village is None:
            feature.problem(_("village %(village)s is unknown") % {"village": feature.code[:12]})


def _check_duplicates(features: list[_Feature]) -> None:
    first: dict[str, int] = {}
    for feature in features:
        if not feature.code:
            continue
        if feature.code in first:
            feature.problem(
                _("the code is already used by feature %(first)s") % {"first": first[feature.code]}
            )
        else:
            first[feature.code] = feature.index


def _overlap_m2(a, b) -> float:
    overlap = shapely.intersection(a, b)
    if overlap.is_empty:
        return 0.0
    return area_km2(overlap) * 1e6


def _check_overlaps(features: list[_Feature]) -> None:
    """Grids must not overlap each other, in the file or with grids it does not replace."""
    placed = [f for f in features if f.geometry is not None]
    if not placed:
        return
    geometries = np.array([f.geometry for f in placed], dtype=object)
    tree = shapely.STRtree(geometries)
    left, right = tree.query(geometries, predicate="intersects")
    for i, j in zip(left.tolist(), right.tolist(), strict=True):
        if i < j and (m2 := _overlap_m2(geometries[i], geometries[j])) > OVERLAP_TOLERANCE_M2:
            placed[j].problem(
                _("overlaps feature %(index)s (%(code)s) by about %(area)s m²")
                % {"index": placed[i].index, "code": placed[i].code, "area": f"{m2:,.0f}"}
            )

    others, stored = [], []
    for code, name, boundary in Grid.objects.exclude(
        code__in=[f.code for f in features]
    ).values_list("code", "name", "boundary"):
        try:
            stored.append(shape(boundary))
        except _PARSE_ERRORS:
            continue  # a broken stored boundary overlaps nothing the check can see
        others.append((code, name))
    if not others:
        return
    stored = shapely.make_valid(np.array(stored, dtype=object))
    mine, theirs = shapely.STRtree(stored).query(geometries, predicate="intersects")
    for i, j in zip(mine.tolist(), theirs.tolist(), strict=True):
        if (m2 := _overlap_m2(geometries[i], stored[j])) > OVERLAP_TOLERANCE_M2:
            placed[i].problem(
                _("overlaps grid %(code)s (%(name)s), already saved, by about %(area)s m²")
                % {"code": others[j][0], "name": others[j][1], "area": f"{m2:,.0f}"}
            )


def export_grids(*, village: Village | None = None, micro_grids: bool = False) -> dict:
    """The grids (of one village, if given) as a GeoJSON FeatureCollection."""
    grids = Grid.objects.select_related("village", "town").order_by("code")
    if village is not None:
        grids = grids.filter(village=village)
    features = [
        {
            "type": "Feature",
            "properties": {
                "level": LEVEL_GRID,
                "code": g.code,
                "name": g.name,
                "kind": g.kind,
                "village_code": g.village.code,
                "village_name": g.village.name,
                "town_code": g.town.code,
                "town_name": g.town.name,
                "special_subject": g.special_subject,
                "area_km2": g.area_km2,
            },
            "geometry": g.boundary,
        }
        for g in grids
    ]
    if micro_grids:
        micro = MicroGrid.objects.select_related("grid").order_by("code")
        if village is not None:
            micro = micro.filter(grid__village=village)
        features += [
            {
                "type": "Feature",
                "properties": {
                    "level": LEVEL_MICRO_GRID,
                    "code": m.code,
                    "name": m.name,
                    "grid_code": m.grid.code,
                },
                "geometry": m.boundary,
            }
            for m in micro
        ]
    return {"type": "FeatureCollection", "features": features}


def dumps(collection: dict) -> str:
    """GeoJSON text with one feature per line: readable, and diffs well."""
    lines = [
        json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in collection["features"]
    ]
    if not lines:
        return '{"type":"FeatureCollection","features":[]}\n'
    return '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"
