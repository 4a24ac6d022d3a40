"""The REST API v1 (django-ninja), mounted at /api/v1/.

Devices authenticate with a personal token (`Authorization: Bearer wg_…`),
the browser with its session (CSRF on writes). Errors are one JSON shape
(see `errors.py`). Schema: /api/v1/openapi.json; docs page: /api/v1/docs.
"""

from __future__ import annotations

from django.utils import translation
from ninja import NinjaAPI

from wangge.api import cases, errors, figures, notices, places, residents
from wangge.api.auth import BrowserSession, TokenAuth, rate_limited_public
from wangge.api.docs import LocalSwagger
from wangge.api.schemas import ERRORS, ErrorOut, MeOut
from wangge.staff.scope import assignments

api = NinjaAPI(
    title="wangge 网格 API",
    version="1",
    description=(
        "Case management for grid-based governance: cases and their lifecycle, grids, "
        "places, households (masked), figures and notifications. Errors are "
        '`{"code", "message", "fields"}`; messages follow `Accept-Language` (zh-hans by default).'
    ),
    auth=[TokenAuth(), BrowserSession(csrf=True)],
    urls_namespace="api",
    docs=LocalSwagger(),
    docs_decorator=rate_limited_public,
)
errors.install(api)


@api.get("/me", response={200: MeOut, ERRORS: ErrorOut}, tags=["account"], summary="Who am I")
def me(request):
    user = request.auth
    return {
        "id": user.pk,
        "username": user.username,
        "full_name": user.full_name,
        "town": user.town_id,
        "roles": sorted({a.role for a in assignments(user)}),
        "language": translation.get_language(),
    }


api.add_router("/cases", cases.router)
api.add_router("/", places.router)
api.add_router("/", residents.router)
api.add_router("/figures", figures.router)
api.add_router("/notifications", notices.router)
