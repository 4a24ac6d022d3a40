"""Households and residents, masked. The full ID or phone number only through
`residents.services.unmask`: with its permission, and logged."""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Schema

from wangge.api import paging
from wangge.api.errors import ApiError
from wangge.api.schemas import (
    ERRORS,
    MAX_ID,
    ErrorOut,
    HouseholdDetailOut,
    HouseholdPage,
    Id,
    Limit,
    ResidentOut,
    ResidentPage,
    UnmaskIn,
    UnmaskOut,
    text,
)
from wangge.residents import services
from wangge.residents.models import Household, Resident, UnmaskField

router = Router(tags=["residents"])


def _not_found():
    return ApiError(404, "not_found", _("Not found."))


class HouseholdFilters(Schema):
    village: Id | None = None
    grid: Id | None = None
    number: text(30) | None = None
    cursor: text(200) | None = None
    limit: Limit = paging.DEFAULT_LIMIT


@router.get("/households", response={200: HouseholdPage, ERRORS: ErrorOut})
def households(request, filters: Query[HouseholdFilters]):
    """Households the caller may see, by id."""
    queryset = Household.objects.visible_to(request.auth)
    if filters.village is not None:
        queryset = queryset.filter(village_id=filters.village)
    if filters.grid is not None:
        queryset = queryset.filter(grid_id=filters.grid)
    if filters.number:
        queryset = queryset.filter(number=filters.number)
    rows, cursor = paging.by_id(queryset, filters.cursor, filters.limit)
    return {"items": rows, "next_cursor": cursor}


@router.get("/households/{int:household_id}", response={200: HouseholdDetailOut, ERRORS: ErrorOut})
def household(request, household_id: int = Path(..., ge=1, le=MAX_ID)):
    """One household with its members (masked)."""
    members = Prefetch("members", queryset=Resident.objects.visible_to(request.auth))
    found = (
        Household.objects.visible_to(request.auth).prefetch_related(members).filter(pk=household_id)
    )
    if not found:
        raise _not_found()
    return found[0]


class ResidentFilters(Schema):
    household: Id | None = None
    cursor: text(200) | None = None
    limit: Limit = paging.DEFAULT_LIMIT


@router.get("/residents", response={200: ResidentPage, ERRORS: ErrorOut})
def residents(request, filters: Query[ResidentFilters]):
    """Residents the caller may see, by id (ID and phone numbers masked)."""
    queryset = Resident.objects.visible_to(request.auth)
    if filters.household is not None:
        queryset = queryset.filter(household_id=filters.household)
    rows, cursor = paging.by_id(queryset, filters.cursor, filters.limit)
    return {"items": rows, "next_cursor": cursor}


def _resident(request, resident_id: int) -> Resident:
    resident = Resident.objects.visible_to(request.auth).filter(pk=resident_id).first()
    if resident is None:
        raise _not_found()
    return resident


@router.get("/residents/{int:resident_id}", response={200: ResidentOut, ERRORS: ErrorOut})
def resident(request, resident_id: int = Path(..., ge=1, le=MAX_ID)):
    return _resident(request, resident_id)


@router.post("/residents/{int:resident_id}/unmask", response={200: UnmaskOut, ERRORS: ErrorOut})
def unmask(request, payload: UnmaskIn, resident_id: int = Path(..., ge=1, le=MAX_ID)):
    """The full ID number or phone: needs the unmask permission; every look is logged."""
    if payload.field not in UnmaskField.values:
        raise ApiError(
            422,
            "invalid_input",
            _("The input is not valid."),
            fields={"field": [_("Unknown value.")]},
        )
    value = services.unmask(
        request.auth, _resident(request, resident_id), payload.field, payload.reason
    )
    return {"field": payload.field, "value": value}
