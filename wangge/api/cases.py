"""Cases: report, list, read, act, attach photos.

Thin: every new case goes through `intake.report`, every change through one
`lifecycle` function; what a user may see is `Case.objects.visible_to`. A case
outside the caller's scope is a 404, the same as one that does not exist.
"""

from django.db.models import Q
from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, File, Header, Path, Query, Router, Schema, Status
from ninja.files import UploadedFile

from wangge.api import paging
from wangge.api.errors import ApiError, PreconditionFailed
from wangge.api.schemas import (
    ERRORS,
    MAX_ID,
    AttachmentOut,
    CancelIn,
    CaseDetailOut,
    CaseIn,
    CaseOut,
    CasePage,
    CheckInIn,
    DispatchIn,
    ErrorOut,
    ExtensionIn,
    Id,
    Limit,
    MergeIn,
    Moment,
    NoteIn,
    RateIn,
    ReasonIn,
    ResultIn,
    SummonIn,
    SuspendIn,
    text,
)
from wangge.cases import intake
from wangge.cases import lifecycle as lc
from wangge.cases.attachments import save_attachments
from wangge.cases.choices import OPEN_STATES, Level, Priority, State
from wangge.cases.errors import CaseNotFound, Conflict, NotAllowed
from wangge.cases.models import Case
from wangge.cases.rules import allowed_actions, roles_on_case

router = Router(tags=["cases"])

LIST_RELATED = ("category",)
CASE_ID = Path(..., ge=1, le=MAX_ID)
IDEMPOTENCY_KEY = Header(None, alias="Idempotency-Key")
IF_MATCH = Header(None, alias="If-Match")
MAX_PHOTOS = 9


def _visible(request):
    return Case.objects.visible_to(request.auth)


def _get(request, case_id: int) -> Case:
    case = _visible(request).select_related(*LIST_RELATED).filter(pk=case_id).first()
    if case is None:
        raise CaseNotFound()
    return case


def _etag(case: Case) -> str:
    return f'"{case.version}"'


def _expect(case: Case, if_match: str | None) -> bool:
    """Apply If-Match: a stale version is 412 now; True when the caller sent one."""
    if not if_match:
        return False
    wanted = if_match.strip().removeprefix("W/").strip('"')
    if if_match.strip() != "*" and wanted != str(case.version):
        raise PreconditionFailed()
    return True


class CaseFilters(Schema):
    state: text(12, description="a state, or `open` for every open state") | None = None
    category: text(20, description="category code (a parent code takes its children)") | None = None
    priority: text(10) | None = None
    level: text(8) | None = None
    village: Id | None = None
    grid: Id | None = None
    mine: bool = Field(False, description="only cases the caller owns")
    reported_after: Moment | None = None
    reported_before: Moment | None = None
    cursor: text(200) | None = None
    limit: Limit = paging.DEFAULT_LIMIT


def _choice(value: str | None, choices, field: str) -> str | None:
    if value and value not in choices:
        raise ApiError(
            422,
            "invalid_input",
            _("The input is not valid."),
            fields={field: [_("Unknown value.")]},
        )
    return value


@router.get("", response={200: CasePage, ERRORS: ErrorOut}, summary="List cases")
def list_cases(request, filters: Query[CaseFilters]):
    """Cases the caller may see, newest first. `state=open` means every open state."""
    cases = _visible(request).select_related(*LIST_RELATED)
    if filters.state == "open":
        cases = cases.filter(state__in=OPEN_STATES)
    elif _choice(filters.state, State.values, "state"):
        cases = cases.filter(state=filters.state)
    if _choice(filters.priority, Priority.values, "priority"):
        cases = cases.filter(priority=filters.priority)
    if _choice(filters.level, Level.values, "level"):
        cases = cases.filter(level=filters.level)
    if filters.category:
        cases = cases.filter(
            Q(category__code=filters.category) | Q(category__parent__code=filters.category)
        )
    if filters.village is not None:
        cases = cases.filter(village_id=filters.village)
    if filters.grid is not None:
        cases = cases.filter(grid_id=filters.grid)
    if filters.mine:
        cases = cases.filter(owner_user=request.auth)
    if filters.reported_after:
        cases = cases.filter(reported_at__gte=filters.reported_after)
    if filters.reported_before:
        cases = cases.filter(reported_at__lt=filters.reported_before)
    rows, cursor = paging.by_newest(cases, "reported_at", filters.cursor, filters.limit)
    return {"items": rows, "next_cursor": cursor}


@router.post("", response={201: CaseOut, ERRORS: ErrorOut}, summary="Report a case")
def create_case(
    request,
    payload: CaseIn,
    response: HttpResponse,
    idempotency_key: text(100) | None = IDEMPOTENCY_KEY,
):
    """Report a case. Send an `Idempotency-Key` so a retry returns the first case."""
    case = intake.report(
        actor=request.auth,
        idempotency_key=idempotency_key or None,
        **payload.dict(),
    )
    response["ETag"] = _etag(case)
    response["Location"] = f"{request.path.rstrip('/')}/{case.pk}"
    return Status(201, case)


def _detail(request, case: Case) -> Case:
    case.api_allowed_actions = allowed_actions(request.auth, case)
    case.api_events = list(case.events.select_related("actor").order_by("at", "id"))
    case.api_attachments = list(case.attachments.all())
    return case


@router.get("/{int:case_id}", response={200: CaseDetailOut, ERRORS: ErrorOut}, summary="A case")
def get_case(request, response: HttpResponse, case_id: int = CASE_ID):
    """One case with its history; the `ETag` is its version (send it back as `If-Match`)."""
    case = _get(request, case_id)
    response["ETag"] = _etag(case)
    return _detail(request, case)


@router.post(
    "/{int:case_id}/attachments",
    response={201: list[AttachmentOut], ERRORS: ErrorOut},
    summary="Attach photos",
)
def attach(request, photos: File[list[UploadedFile]], case_id: int = CASE_ID):
    """Attach up to nine photos (JPEG, PNG or WebP) to a case the caller works on."""
    case = _get(request, case_id)
    if not roles_on_case(request.auth, case):
        raise NotAllowed()
    if not photos or len(photos) > MAX_PHOTOS:
        raise ApiError(
            422,
            "invalid_input",
            _("The input is not valid."),
            fields={"photos": [_("Send one to nine photos.")]},
        )
    return Status(201, save_attachments(case, photos, uploaded_by=request.auth))


# --- Actions: one endpoint per lifecycle function ------------------------------------


def _note(call):
    return lambda case, user, data: call(case, user, note=data.note)


def _reason(call):
    return lambda case, user, data: call(case, user, reason=data.reason)


def _result(call):
    return lambda case, user, data: call(case, user, result=data.result)


ACTIONS: dict[str, tuple[type[Schema], object, str]] = {
    "accept": (NoteIn, _note(lc.accept), "Accept (网格收单)"),
    "resolve_on_site": (ResultIn, _result(lc.resolve_on_site), "Resolve on site"),
    "escalate": (ReasonIn, _reason(lc.escalate), "Escalate one level"),
    "send_to_town": (ReasonIn, _reason(lc.send_to_town), "Send to the town"),
    "dispatch": (
        DispatchIn,
        lambda case, user, d: lc.dispatch(case, user, lead=d.lead, co=d.co, note=d.note),
        "Dispatch to a lead department",
    ),
    "claim": (NoteIn, _note(lc.claim), "Claim (部门接单)"),
    "return": (ReasonIn, _reason(lc.return_case), "Return the dispatch (退单)"),
    "request_extension": (
        ExtensionIn,
        lambda case, user, d: lc.request_extension(
            case, user, minutes=d.hours * 60, reason=d.reason
        ),
        "Request an extension",
    ),
    "approve_extension": (NoteIn, _note(lc.approve_extension), "Approve the extension"),
    "refuse_extension": (ReasonIn, _reason(lc.refuse_extension), "Refuse the extension"),
    "suspend": (
        SuspendIn,
        lambda case, user, d: lc.suspend(case, user, reason=d.reason, resume_at=d.resume_at),
        "Suspend",
    ),
    "resume": (NoteIn, _note(lc.resume), "Resume"),
    "urge": (NoteIn, _note(lc.urge), "Urge"),
    "summon": (
        SummonIn,
        lambda case, user, d: lc.summon(case, user, departments=d.departments, note=d.note),
        "Summon departments (吹哨报到)",
    ),
    "check_in": (
        CheckInIn,
        lambda case, user, d: lc.check_in(
            case, user, latitude=d.latitude, longitude=d.longitude, note=d.note
        ),
        "Check in on site",
    ),
    "resolve": (ResultIn, _result(lc.resolve), "Report the result"),
    "verify": (NoteIn, _note(lc.verify), "Verify and close (核查)"),
    "rework": (ReasonIn, _reason(lc.rework), "Send back as rework"),
    "rate": (
        RateIn,
        lambda case, user, d: lc.rate(case, user, rating=d.rating, comment=d.comment),
        "Rate the result",
    ),
    "reject": (ReasonIn, _reason(lc.reject), "Reject"),
    "merge": (
        MergeIn,
        lambda case, user, d: lc.merge(case, user, original=d.original, note=d.note),
        "Merge into the original",
    ),
    "cancel": (CancelIn, _reason(lc.cancel), "Withdraw the report"),
}


def _action_view(action: str, schema: type[Schema], call, summary: str):
    def view(
        request,
        payload: schema,  # type: ignore[valid-type]
        response: HttpResponse,
        case_id: int = CASE_ID,
        if_match: text(40) | None = IF_MATCH,
    ):
        case = _get(request, case_id)
        checked = _expect(case, if_match)
        try:
            case = call(case, request.auth, payload)
        except Conflict:
            # Someone acted between our read and the locked write.
            if checked:
                raise PreconditionFailed() from None
            raise
        response["ETag"] = _etag(case)
        # The case as it is now, even if the action took it out of the caller's scope
        # (a department that returns a dispatch).
        return case

    view.__name__ = f"case_{action}"
    view.__doc__ = (
        f"{summary}. Send the `ETag` of the case as `If-Match` to refuse a stale write (412)."
    )
    router.post(
        f"/{{int:case_id}}/{action}",
        response={200: CaseOut, ERRORS: ErrorOut},
        summary=summary,
        operation_id=f"case_{action}",
    )(view)


for _action, (_schema, _call, _summary) in ACTIONS.items():
    _action_view(_action, _schema, _call, _summary)
