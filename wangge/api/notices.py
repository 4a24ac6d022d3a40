"""The caller's own in-app notices: list, mark read."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Schema

from wangge.api import paging
from wangge.api.errors import ApiError
from wangge.api.schemas import ERRORS, MAX_ID, ErrorOut, Limit, NoticeOut, NoticePage, ReadOut, text
from wangge.cases import notify
from wangge.cases.models import Notice

router = Router(tags=["notifications"])


def _mine(request):
    return Notice.objects.filter(recipient=request.auth)


class NoticeFilters(Schema):
    unread: bool = False
    cursor: text(200) | None = None
    limit: Limit = paging.DEFAULT_LIMIT


@router.get("", response={200: NoticePage, ERRORS: ErrorOut}, summary="My notifications")
def notices(request, filters: Query[NoticeFilters]):
    """Newest first; `unread` counts all unread ones."""
    queryset = _mine(request)
    if filters.unread:
        queryset = queryset.filter(read_at=None)
    rows, cursor = paging.by_newest(queryset, "created_at", filters.cursor, filters.limit)
    return {"items": rows, "unread": notify.unread_count(request.auth), "next_cursor": cursor}


@router.post("/read", response={200: ReadOut, ERRORS: ErrorOut}, summary="Mark all read")
def read_all(request):
    marked = _mine(request).filter(read_at=None).update(read_at=timezone.now())
    return {"marked": marked}


@router.post(
    "/{int:notice_id}/read", response={200: NoticeOut, ERRORS: ErrorOut}, summary="Mark read"
)
def read_one(request, notice_id: int = Path(..., ge=1, le=MAX_ID)):
    notice = _mine(request).filter(pk=notice_id).first()
    if notice is None:
        raise ApiError(404, "not_found", _("Not found."))
    if notice.read_at is None:
        notice.read_at = timezone.now()
        notice.save(update_fields=["read_at"])
    return notice
