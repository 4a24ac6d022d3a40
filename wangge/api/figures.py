"""The dashboard's figures, from the metrics package (defined there, once)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from ninja import Router

from wangge.api.errors import ApiError
from wangge.api.schemas import ERRORS, ErrorOut, text
from wangge.dashboard import metrics

router = Router(tags=["figures"])


@router.get("", response={200: dict[str, Any], ERRORS: ErrorOut}, summary="Figures")
def figures(request, scope: text(40) | None = None, period: text(40) | None = None):
    """KPI figures for a scope (`town:1`, `village:3`, `grid:7` …; default: the caller's
    widest) and a period (`today`, `month`, `2026-11`, `2026-11-01..2026-11-27` …).
    See docs/figures.md for each figure's definition."""
    try:
        chosen = metrics.Period.parse(period)
    except ValueError as error:
        raise ApiError(
            422, "invalid_input", _("The input is not valid."), fields={"period": [str(error)]}
        ) from None
    try:
        where = metrics.scope_for(request.auth, scope)
    except ValueError as error:
        raise ApiError(
            422, "invalid_input", _("The input is not valid."), fields={"scope": [str(error)]}
        ) from None
    return {
        "scope": where.param,
        "scope_name": where.name,
        "period": chosen.param,
        "figures": metrics.figures(where, chosen),
    }
