"""The hooks: thin views that authenticate, parse and hand the alarm to `services`."""

import json

from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from wangge.cases import clock
from wangge.integrations import services
from wangge.integrations.models import SourceKind


def _error(status: int, message: str, field: str | None = None) -> JsonResponse:
    body = {"error": str(message)}
    if field:
        body["field"] = field
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def _answer(received: services.Received) -> JsonResponse:
    case = received.case
    return JsonResponse(
        {
            "status": "replayed" if received.replayed else "created",
            "case": case.number,
            "case_id": case.pk,
            "grid": case.grid.code if case.grid_id else None,
            "needs_placing": case.needs_placing,
        },
        status=200 if received.replayed else 201,
    )


def _handle(request, kind: str, receive) -> JsonResponse:
    try:
        body = request.body
    except RequestDataTooBig:
        return _error(413, _("The request is too large."))
    now = clock.now()
    try:
        source = services.authenticate(kind, request.headers, body, now)
        if request.content_type == "multipart/form-data":
            data, files = request.POST.dict(), request.FILES
        else:
            try:
                data, files = json.loads(body or b"null"), None
            except (UnicodeDecodeError, json.JSONDecodeError):
                raise services.HookError(400, _("The body is not valid JSON.")) from None
            if not isinstance(data, dict):
                raise services.HookError(400, _("The body must be a JSON object."))
        return _answer(receive(source, data, files, body, now))
    except services.HookError as error:
        return _error(error.status, error.message, error.field)


@csrf_exempt
@require_POST
def police_directive(request):
    return _handle(
        request,
        SourceKind.POLICE,
        lambda source, data, files, body, now: services.receive_police_directive(
            source, data, body, now
        ),
    )


@csrf_exempt
@require_POST
def video_alarm(request):
    return _handle(request, SourceKind.VIDEO, services.receive_video_alarm)
