"""Input and output shapes of the API. No rule lives here: intake and the
lifecycle decide; these only say what goes in and what comes out."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from django.utils import timezone
from ninja import Field, Schema
from pydantic import AfterValidator, AwareDatetime, PlainSerializer, WithJsonSchema

# Times go out in the town's zone (Asia/Shanghai), ISO 8601 with the offset.
LocalTime = Annotated[
    datetime,
    PlainSerializer(lambda value: timezone.localtime(value).isoformat(), return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]

# Ids as the databases store them (a larger number cannot name a row).
MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


# Characters XML 1.0 forbids (NUL among them, which PostgreSQL refuses too): one of
# them in a case would make every Open311 XML answer unreadable.
FORBIDDEN_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _storable(value: str) -> str:
    # No database stores lone surrogates; no XML document carries control characters.
    if FORBIDDEN_CHARACTERS.search(value):
        raise ValueError("control character")
    value.encode("utf-8")  # UnicodeEncodeError is a ValueError: the field is invalid
    return value


def _plausible(value: datetime) -> datetime:
    if not 2000 <= value.year <= 2100:
        raise ValueError("year out of range")
    return value


def text(max_length: int, min_length: int = 0, **kwargs):
    """A string the databases can store, within the lengths of its column."""
    return Annotated[
        str,
        Field(min_length=min_length, max_length=max_length, **kwargs),
        AfterValidator(_storable),
    ]


Moment = Annotated[AwareDatetime, AfterValidator(_plausible)]
Text = text(2000)
ShortText = text(200)
Limit = Annotated[int, Field(ge=1, le=200)]

# The channels a device or an app may claim for a case it sends. Open311, police
# directives and video alarms come in through their own doors only: a case
# claiming one of them here would be published or trusted as such.
API_CHANNELS = ("api", "patrol", "visit", "inspection", "hotline", "web")
ApiChannel = Literal[API_CHANNELS]


# The statuses an operation may answer with an ErrorOut.
ERRORS = frozenset({400, 401, 403, 404, 409, 412, 422, 429})


class ErrorOut(Schema):
    """Every error: a stable code, a message in the user's language, field errors."""

    code: str
    message: str
    fields: dict[str, list[str]] = {}


class MeOut(Schema):
    id: int
    username: str
    full_name: str
    town: int | None
    roles: list[str]
    language: str


# --- Cases ------------------------------------------------------------------


class CaseIn(Schema):
    category: text(20, 1, description="category code")
    title: text(120, 1)
    description: Text = ""
    channel: ApiChannel = "api"
    priority: text(10) | None = None
    latitude: Annotated[float, Field(ge=-90, le=90)] | None = None
    longitude: Annotated[float, Field(ge=-180, le=180)] | None = None
    address: ShortText = ""
    reporter_name: text(50) = ""
    reporter_phone: text(20) = ""


class CaseOut(Schema):
    id: int
    number: str
    title: str
    category: str = Field(..., alias="category.code")
    category_name: str = Field(..., alias="category.name")
    priority: str
    channel: str
    state: str
    level: str
    town: int = Field(..., alias="town_id")
    village: int | None = Field(None, alias="village_id")
    grid: int | None = Field(None, alias="grid_id")
    needs_placing: bool
    latitude: float | None
    longitude: float | None
    address: str
    reported_at: LocalTime
    due_at: LocalTime | None
    accept_due_at: LocalTime | None
    accepted_at: LocalTime | None
    resolve_due_at: LocalTime | None
    resolved_at: LocalTime | None
    closed_at: LocalTime | None
    light: str | None = Field(None, description="red, yellow, green or null (no open deadline)")
    version: int

    @staticmethod
    def resolve_light(obj) -> str | None:
        from wangge.cases import sla

        return sla.light_of(obj, timezone.now())


class CaseDetailOut(CaseOut):
    description: str
    result: str
    reporter_name: str
    reporter_phone: str = Field(..., alias="reporter_phone_masked")
    lead_department: int | None = Field(None, alias="lead_department_id")
    rating: str
    allowed_actions: list[str] = Field([], alias="api_allowed_actions")
    events: list[EventOut] = Field([], alias="api_events")
    attachments: list[AttachmentOut] = Field([], alias="api_attachments")


class EventOut(Schema):
    at: LocalTime
    action: str
    actor: str
    from_state: str
    to_state: str
    note: str

    @staticmethod
    def resolve_actor(obj) -> str:
        return str(obj.actor) if obj.actor_id else obj.actor_label


class AttachmentOut(Schema):
    id: int
    content_type: str
    size: int
    uploaded_at: LocalTime


CaseDetailOut.model_rebuild()


class CasePage(Schema):
    items: list[CaseOut]
    next_cursor: str | None = None


# Bodies of the actions: one shape per kind, as the lifecycle functions take them.


class NoteIn(Schema):
    note: Text = ""


class ReasonIn(Schema):
    reason: text(200, 1)


class CancelIn(Schema):
    reason: ShortText = ""


class ResultIn(Schema):
    result: text(2000, 1)


class DispatchIn(Schema):
    lead: Id = Field(..., description="department id")
    co: list[Id] = Field([], max_length=20)
    note: Text = ""


class SummonIn(Schema):
    departments: list[Id] = Field(..., min_length=1, max_length=20)
    note: Text = ""


class ExtensionIn(Schema):
    hours: Annotated[int, Field(ge=1, le=400)]
    reason: text(200, 1)


class SuspendIn(Schema):
    reason: text(200, 1)
    resume_at: Moment


class CheckInIn(Schema):
    latitude: Annotated[float, Field(ge=-90, le=90)]
    longitude: Annotated[float, Field(ge=-180, le=180)]
    note: Text = ""


class RateIn(Schema):
    rating: text(12)
    comment: text(300) = ""


class MergeIn(Schema):
    original: Id = Field(..., description="id of the original case")
    note: Text = ""


# --- Places -------------------------------------------------------------------


class GridProperties(Schema):
    id: int
    code: str
    name: str
    kind: str
    village: int
    village_name: str
    special_subject: str
    area_km2: float


class GridFeature(Schema):
    type: str = "Feature"
    id: int
    properties: GridProperties
    geometry: dict[str, Any] | None


class GridCollection(Schema):
    type: str = "FeatureCollection"
    features: list[GridFeature]


class PlaceOut(Schema):
    id: int
    kind: str
    name: str
    code: str
    village: int = Field(..., alias="village_id")
    grid: int = Field(..., alias="grid_id")
    latitude: float
    longitude: float
    address: str
    details: dict[str, Any]


class PlacePage(Schema):
    items: list[PlaceOut]
    next_cursor: str | None = None


# --- Households and residents (masked) ------------------------------------------


class ResidentOut(Schema):
    id: int
    household: int = Field(..., alias="household_id")
    name: str
    gender: str
    birth_date: str
    relation: str
    party_member: bool
    id_number: str = Field(..., alias="id_number_masked")
    phone: str = Field(..., alias="phone_masked")

    @staticmethod
    def resolve_birth_date(obj) -> str:
        return obj.birth_date.isoformat()


class HouseholdOut(Schema):
    id: int
    number: str
    address: str
    village: int = Field(..., alias="village_id")
    grid: int = Field(..., alias="grid_id")
    micro_grid: int | None = Field(None, alias="micro_grid_id")
    latitude: float | None
    longitude: float | None


class HouseholdDetailOut(HouseholdOut):
    members: list[ResidentOut]


class HouseholdPage(Schema):
    items: list[HouseholdOut]
    next_cursor: str | None = None


class ResidentPage(Schema):
    items: list[ResidentOut]
    next_cursor: str | None = None


class UnmaskIn(Schema):
    field: text(12, description="id_number or phone")
    reason: ShortText = ""


class UnmaskOut(Schema):
    field: str
    value: str


# --- Notices ----------------------------------------------------------------------


class NoticeOut(Schema):
    id: int
    kind: str
    text: str
    case: int | None = Field(None, alias="case_id")
    created_at: LocalTime
    read_at: LocalTime | None


class NoticePage(Schema):
    items: list[NoticeOut]
    unread: int
    next_cursor: str | None = None


class ReadOut(Schema):
    marked: int
