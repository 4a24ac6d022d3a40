"""The API against its own OpenAPI schema (schemathesis, in-process over WSGI):
no server errors, and every answer conforms to the schema."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from wangge.api.tokens import issue_token

APP = get_wsgi_application()
# django-ninja writes OpenAPI 3.1; schemathesis 3.x checks it behind this switch.
schemathesis.experimental.OPEN_API_3_1.enable()


@pytest.fixture
def api_schema(town, make_case, settings):
    # schemathesis also checks that requests without a token are refused (401).
    settings.WANGGE_API_PUBLIC_RATE = "100000/m"
    # Something to find: cases in two grids.
    make_case()
    make_case(lon=112.005, lat=34.095, actor=town.grid_worker_b1)
    # As Django's test client does: a request must not close the test's connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.from_wsgi("/api/v1/openapi.json", APP)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def bearer(town):
    _token, raw = issue_token(town.dispatcher, "schemathesis")
    return {"Authorization": f"Bearer {raw}"}


schema = schemathesis.from_pytest_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case, bearer):
    case.call_and_validate(headers=bearer)


def test_the_schema_is_served_and_names_every_area(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/cases",
        "/api/v1/cases/{case_id}",
        "/api/v1/cases/{case_id}/accept",
        "/api/v1/cases/{case_id}/attachments",
        "/api/v1/grids",
        "/api/v1/places",
        "/api/v1/households",
        "/api/v1/residents/{resident_id}/unmask",
        "/api/v1/figures",
        "/api/v1/notifications",
    ):
        assert path in paths, path


def test_the_docs_page_loads_nothing_from_another_host(client, db):
    import re

    page = client.get("/api/v1/docs").content.decode()
    assert "vendor/swagger-ui/swagger-ui-bundle.js" in page
    sources = [s for s in re.findall(r'(?:src|href)="([^"]+)"', page) if s != "data:,"]
    assert sources and all(s.startswith("/") for s in sources), sources
