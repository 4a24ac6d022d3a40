"""One JSON shape for every error: {"code", "message", "fields"}.

`code` is stable for programs; `message` is in the user's language; `fields`
maps an input field to its messages. The case errors of `wangge.cases.errors`
map to HTTP statuses here, once.
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from wangge.cases import errors as case_errors

logger = logging.getLogger("wangge.api")


class ApiError(Exception):
    """An error the API answers with as it is."""

    def __init__(self, status: int, code: str, message, *, fields: dict | None = None):
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or {}
        super().__init__(str(message))


class PreconditionFailed(ApiError):
    def __init__(self):
        super().__init__(
            412,
            "precondition_failed",
            _("The case has changed since you loaded it (If-Match). Reload it and try again."),
        )


CASE_ERROR_STATUS = {
    case_errors.CaseNotFound: 404,
    case_errors.NotAllowed: 403,
    case_errors.IllegalTransition: 409,
    case_errors.Conflict: 409,
    case_errors.MissingInput: 422,
    case_errors.InvalidInput: 422,
    case_errors.IdempotencyMismatch: 422,
}


def body(code: str, message, fields: dict | None = None) -> dict:
    return {"code": code, "message": str(message), "fields": fields or {}}


def install(api) -> None:
    """Register the handlers on the NinjaAPI `api`."""

    def respond(request, status, code, message, fields=None):
        return api.create_response(request, body(code, message, fields), status=status)

    @api.exception_handler(ApiError)
    def api_error(request, exc: ApiError):
        return respond(request, exc.status, exc.code, exc.message, exc.fields)

    @api.exception_handler(case_errors.CaseError)
    def case_error(request, exc: case_errors.CaseError):
        status = next(
            (s for cls, s in CASE_ERROR_STATUS.items() if isinstance(exc, cls)),
            409,
        )
        fields = {exc.field: [str(exc.message)]} if exc.field else {}
        return respond(request, status, exc.code, exc.message, fields)

    @api.exception_handler(ValidationError)
    def invalid(request, exc: ValidationError):
        fields: dict[str, list[str]] = {}
        for error in exc.errors:
            location = [str(part) for part in error.get("loc", ()) if part not in _SOURCES]
            name = location[0] if location else "body"
            fields.setdefault(name, []).append(_field_message(error))
        return respond(request, 422, "invalid_input", _("The input is not valid."), fields)

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return respond(request, 404, "not_found", _("Not found."))

    @api.exception_handler(PermissionDenied)
    def forbidden(request, exc):
        return respond(request, 403, "forbidden", str(exc) or _("You may not do this."), None)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, exc):
        from wangge.api.auth import failed_attempt

        if failed_attempt(request):
            return respond(request, 429, "rate_limited", _("Too many requests. Try again later."))
        response = respond(
            request,
            401,
            "unauthenticated",
            _("Sign in, or send a valid API token (Authorization: Bearer …)."),
        )
        response["WWW-Authenticate"] = 'Bearer realm="wangge"'
        return response

    @api.exception_handler(Throttled)
    def throttled(request, exc):
        return respond(request, 429, "rate_limited", _("Too many requests. Try again later."))

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        if exc.status_code == 403:
            # CSRF refused for a browser session.
            return respond(request, 403, "forbidden", _("You may not do this."))
        return respond(request, exc.status_code, "error", exc.message)

    @api.exception_handler(Exception)
    def server_error(request, exc):
        logger.exception("API error on %s %s", request.method, request.path)
        return respond(request, 500, "server_error", _("Something went wrong on our side."))


_SOURCES = {"body", "query", "path", "header", "form", "file", "cookie", "payload"}


def _field_message(error: dict) -> str:
    kind = error.get("type", "")
    if kind == "missing":
        return _("This field is required.")
    if kind in ("string_too_long", "too_long"):
        return _("This value is too long.")
    if kind in ("string_too_short", "too_short"):
        return _("This value is too short.")
    if kind.startswith(("greater_than", "less_than")):
        return _("This value is out of range.")
    if kind == "literal_error" and (error.get("ctx") or {}).get("expected"):
        return _("Choose one of: %(values)s.") % {"values": error["ctx"]["expected"]}
    if kind == "value_error" and "control character" in str(error.get("msg", "")):
        return _("Control characters (such as NUL) are not allowed in text.")
    return _("Enter a valid value.")
