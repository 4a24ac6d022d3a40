from django.urls import URLPattern

from wangge.api.api import api
from wangge.api.auth import client_language

app_name = "api"


def _localised(pattern: URLPattern) -> URLPattern:
    return URLPattern(
        pattern.pattern, client_language(pattern.callback), pattern.default_args, pattern.name
    )


# The namespace comes from app_name. The API's answers honour Accept-Language;
# the docs page is a page like the others (Chinese first).
urlpatterns = [p if p.name == "openapi-view" else _localised(p) for p in api.urls[0]]
