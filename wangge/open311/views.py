"""Open311 GeoReport v2 endpoints (https://wiki.open311.org/GeoReport_v2).

Thin views: check the format and the api_key, call one function, answer in the
format the path asked for. Every refusal is the spec's error document with the
spec's status (400, 403, 404; 429 when a client posts too fast).
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django_ratelimit.core import is_ratelimited

from wangge.api.tokens import user_for_token
from wangge.open311 import catalogue, reading
from wangge.open311.errors import Open311Error
from wangge.open311.formats import FORMATS, error, has_forbidden, respond, xml_safe
from wangge.open311.models import Open311Request
from wangge.open311.submit import submit, town_for

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this API last changed in a way a client should notice (discovery's changeset).
CHANGESET = "2026-11-27T00:00:00+08:00"
POST_GROUP = "wangge.open311.post"


def _post_rate(group, request) -> str:
    return getattr(settings, "WANGGE_OPEN311_POST_RATE", "60/m")


def georeport(*methods):
    """Check the method and the format; turn an Open311Error into the spec's error."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, fmt, **kwargs):
            fmt = fmt.lower()
            if fmt not in FORMATS:
                return error("xml", 404, _("The format must be xml or json."))
            if request.method not in methods:
                response = error(fmt, 405, _("This method is not allowed here."))
                response["Allow"] = ", ".join(methods)
                return response
            try:
                _check_characters(request)
                return view(request, *args, fmt=fmt, **kwargs)
            except Open311Error as refusal:
                return error(fmt, refusal.status, refusal.message)

        return never_cache(wrapper)

    return decorate


def _check_characters(request) -> None:
    """Refuse control characters (NUL among them) in any parameter, before any look-up.

    Raises Open311Error 400.
    """
    params = [request.GET, request.POST] if request.method == "POST" else [request.GET]
    for query in params:
        for name, values in query.lists():
            if has_forbidden(name) or any(has_forbidden(value) for value in values):
                raise Open311Error(
                    400,
                    _("%(name)s contains a control character (such as NUL), which is not allowed.")
                    % {"name": xml_safe(name)},
                )
    if has_forbidden(request.headers.get("Idempotency-Key", "")):
        raise Open311Error(
            400,
            _("%(name)s contains a control character (such as NUL), which is not allowed.")
            % {"name": "Idempotency-Key"},
        )


def _key_user(request, *, required: bool):
    """The api_key's user; None when no key was sent to a public method.

    Raises Open311Error 403 for a missing (where required) or invalid key.
    """
    params = request.POST if request.method == "POST" else request.GET
    raw = (params.get("api_key") or "").strip()
    if not raw and not required:
        return None
    user = user_for_token(raw)
    if user is None:
        raise Open311Error(403, _("api_key is missing or not valid."))
    return user


@georeport("GET")
def discovery(request, fmt):
    base = request.build_absolute_uri(reverse("open311:discovery", kwargs={"fmt": fmt}))
    return respond(
        fmt,
        "discovery",
        None,
        {
            "changeset": CHANGESET,
            "contact": _("The town's command centre."),
            "key_service": _("Ask the town's administrator for an API token; send it as api_key."),
            "endpoints": [
                {
                    "specification": SPECIFICATION,
                    "url": base.rsplit("/", 1)[0],
                    "changeset": CHANGESET,
                    "type": "production",
                    "formats": ["text/xml", "application/json"],
                }
            ],
        },
    )


@georeport("GET")
def service_list(request, fmt):
    town_for(request.GET.get("jurisdiction_id"))
    return respond(fmt, "services", "service", catalogue.service_list())


@georeport("GET")
def service_definition(request, fmt, code):
    town_for(request.GET.get("jurisdiction_id"))
    category = catalogue.service(code)
    if category is None:
        raise Open311Error(404, _("service_code was not found."))
    return respond(fmt, "service_definition", None, catalogue.definition(category))


@csrf_exempt
@georeport("GET", "POST")
def requests(request, fmt):
    if request.method == "POST":
        return _post_request(request, fmt)
    user = _key_user(request, required=False)
    town = town_for(request.GET.get("jurisdiction_id"), user)
    rows = reading.search(request.GET, user=user, town=town)
    return respond(fmt, "service_requests", "request", rows)


def _post_request(request, fmt):
    if is_ratelimited(request, group=POST_GROUP, key="ip", rate=_post_rate, increment=True):
        raise Open311Error(429, _("Too many requests. Wait a moment and send it again."))
    user = _key_user(request, required=True)
    received = submit(
        request.POST,
        user=user,
        idempotency_key=request.headers.get("Idempotency-Key", "").strip()[:100],
    )
    case = received.case
    row = {
        "service_request_id": case.number,
        # Realtime, so the id is the answer; the token is given too, for
        # clients that only follow tokens (tokens/{token} maps it to the id).
        "token": received.token,
        "service_notice": catalogue.service_notice(case.category),
        "account_id": "",
    }
    return respond(fmt, "service_requests", "request", [row])


@georeport("GET")
def request_detail(request, fmt, number):
    user = _key_user(request, required=False)
    town_for(request.GET.get("jurisdiction_id"), user)
    return respond(fmt, "service_requests", "request", [reading.one(number, user=user)])


@georeport("GET")
def token(request, fmt, token):
    town_for(request.GET.get("jurisdiction_id"))
    # Tokens are unique across towns, like case numbers (see reading.one).
    received = Open311Request.objects.filter(token=token).select_related("case").first()
    if received is None:
        raise Open311Error(404, _("The token was not found."))
    return respond(
        fmt,
        "service_requests",
        "request",
        [{"service_request_id": received.case.number, "token": received.token}],
    )


@georeport("GET")
def service_request_updates(request, fmt):
    user = _key_user(request, required=False)
    town = town_for(request.GET.get("jurisdiction_id"), user)
    rows = reading.updates(request.GET, user=user, town=town)
    return respond(fmt, "service_requests_updates", "request_update", rows)
