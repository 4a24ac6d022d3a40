"""Grids (GeoJSON) and places (sealed adits, schools, enterprises …) the caller may see."""

from __future__ import annotations

from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Schema

from wangge.api import paging
from wangge.api.errors import ApiError
from wangge.api.schemas import (
    ERRORS,
    MAX_ID,
    ErrorOut,
    GridCollection,
    GridFeature,
    Id,
    Limit,
    PlacePage,
    text,
)
from wangge.grids.models import Grid, Place, PlaceKind

router = Router(tags=["places"])


def _feature(grid: Grid) -> dict:
    return {
        "type": "Feature",
        "id": grid.pk,
        "properties": {
            "id": grid.pk,
            "code": grid.code,
            "name": grid.name,
            "kind": grid.kind,
            "village": grid.village_id,
            "village_name": grid.village.name,
            "special_subject": grid.special_subject,
            "area_km2": grid.area_km2,
        },
        "geometry": grid.boundary or None,
    }


@router.get("/grids", response={200: GridCollection, ERRORS: ErrorOut}, summary="Grids")
def grids(request, village: Id | None = None):
    """The caller's grids as a GeoJSON FeatureCollection (WGS 84 longitude, latitude)."""
    queryset = Grid.objects.visible_to(request.auth).select_related("village").order_by("code")
    if village is not None:
        queryset = queryset.filter(village_id=village)
    return {"type": "FeatureCollection", "features": [_feature(g) for g in queryset]}


@router.get("/grids/{int:grid_id}", response={200: GridFeature, ERRORS: ErrorOut})
def grid(request, grid_id: int = Path(..., ge=1, le=MAX_ID)):
    """One grid as a GeoJSON Feature."""
    found = Grid.objects.visible_to(request.auth).select_related("village").filter(pk=grid_id)
    if not found:
        raise ApiError(404, "not_found", _("Not found."))
    return _feature(found[0])


class PlaceFilters(Schema):
    kind: text(20) | None = None
    grid: Id | None = None
    village: Id | None = None
    cursor: text(200) | None = None
    limit: Limit = paging.DEFAULT_LIMIT


@router.get("/places", response={200: PlacePage, ERRORS: ErrorOut}, summary="Places")
def places(request, filters: Query[PlaceFilters]):
    """Places the caller may see, by id; filter by kind, grid or village."""
    if filters.kind and filters.kind not in PlaceKind.values:
        raise ApiError(
            422,
            "invalid_input",
            _("The input is not valid."),
            fields={"kind": [_("Unknown value.")]},
        )
    queryset = Place.objects.visible_to(request.auth)
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    if filters.grid is not None:
        queryset = queryset.filter(grid_id=filters.grid)
    if filters.village is not None:
        queryset = queryset.filter(village_id=filters.village)
    rows, cursor = paging.by_id(queryset, filters.cursor, filters.limit)
    return {"items": rows, "next_cursor": cursor}
