"""Who is calling: a device with a personal token, or a browser with its session.

Requests without valid credentials, and the public schema and docs pages,
count against one limit per client address (django-ratelimit, shared cache).
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.http import JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django_ratelimit.core import is_ratelimited
from ninja.security import APIKeyCookie, HttpBearer

from wangge.api import tokens

PUBLIC_GROUP = "wangge.api.public"
DEFAULT_PUBLIC_RATE = "60/m"


def public_rate(group=None, request=None) -> str:
    return getattr(settings, "WANGGE_API_PUBLIC_RATE", DEFAULT_PUBLIC_RATE)


class TokenAuth(HttpBearer):
    """`Authorization: Bearer wg_…` — a token from the user's tokens page."""

    def authenticate(self, request, token):
        user = tokens.user_for_token(token)
        if user is not None:
            # Code that reads request.user (permissions, scope) sees the token's user.
            request.user = user
        return user


class BrowserSession(APIKeyCookie):
    """The signed-in browser (the docs page, htmx): its session, with CSRF on writes."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request):
        # No signed-in session: nothing to protect with CSRF, the answer is 401.
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        return super()._get_key(request)

    def authenticate(self, request, key):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            return user
        return None


def _client(group, request) -> str:
    # The address the deployment names (settings.RATELIMIT_IP_META_KEY); a request
    # without one (a misconfigured proxy, a test client) shares one bucket.
    meta_key = getattr(settings, "RATELIMIT_IP_META_KEY", None) or "REMOTE_ADDR"
    return request.META.get(meta_key) or request.META.get("REMOTE_ADDR") or "unknown"


def failed_attempt(request) -> bool:
    """Count a request without valid credentials; True when the address is over its limit."""
    return is_ratelimited(
        request, group=PUBLIC_GROUP, key=_client, rate=public_rate(), increment=True
    )


def rate_limited_public(view):
    """For the schema and docs pages, which need no sign-in."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if is_ratelimited(
            request, group=PUBLIC_GROUP, key=_client, rate=public_rate(), increment=True
        ):
            return JsonResponse(
                {
                    "code": "rate_limited",
                    "message": _("Too many requests. Try again later."),
                    "fields": {},
                },
                status=429,
            )
        return view(request, *args, **kwargs)

    return wrapper


def client_language(view):
    """Devices may ask for English with `Accept-Language: en`; Chinese otherwise.

    A browser (it has a session or the language cookie) is treated as on the
    pages: Chinese unless the person switched the language.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        cookies = request.COOKIES
        if not (
            settings.LANGUAGE_COOKIE_NAME in cookies or settings.SESSION_COOKIE_NAME in cookies
        ):
            code = _accepted(request.headers.get("Accept-Language", ""))
            if code:
                translation.activate(code)
                request.LANGUAGE_CODE = code
        return view(request, *args, **kwargs)

    return wrapper


def _accepted(header: str) -> str | None:
    supported = dict(settings.LANGUAGES)
    for code, _quality in translation.trans_real.parse_accept_lang_header(header)[:5]:
        if code == "*":
            return None
        try:
            variant = translation.get_supported_language_variant(code)
        except LookupError:
            continue
        if variant in supported:
            return variant
    return None
