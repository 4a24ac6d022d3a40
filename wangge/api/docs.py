"""The interactive docs page (Swagger UI), served from our own static files.

django-ninja's own page loads Swagger UI from a CDN unless ninja is an
installed app; ours takes it from npm's swagger-ui-dist, served as
`static/vendor/swagger-ui/` like the other front-end libraries.
"""

from __future__ import annotations

import json

from django.shortcuts import render
from ninja.openapi.docs import DocsBase


class LocalSwagger(DocsBase):
    def render_page(self, request, api, **kwargs):
        settings = {
            "url": self.get_openapi_url(api, kwargs),
            "layout": "BaseLayout",
            "deepLinking": True,
        }
        return render(
            request,
            "api/docs.html",
            {"api": api, "swagger_settings": json.dumps(settings)},
        )
