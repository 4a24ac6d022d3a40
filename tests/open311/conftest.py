import pytest

from wangge.api.tokens import issue_token
from wangge.staff.models import User

from .georeport import BASE, JURISDICTION


@pytest.fixture
def integration(town, catalogue):
    """FixMyStreet's account: a user without a role, and its API token."""
    user = User.objects.create_user("fixmystreet", password="pw-fms", town=town.town)
    _token, raw = issue_token(user, "FixMyStreet")
    user.raw_key = raw
    return user


@pytest.fixture
def post_request(client, integration):
    """POST requests.{fmt} form-encoded, as a GeoReport client does."""

    def post(fmt="xml", *, headers=None, **fields):
        data = {
            "api_key": integration.raw_key,
            "jurisdiction_id": JURISDICTION,
            "service_code": "MS01",
            "lat": "34.105",
            "long": "112.003",
            "description": "村口自来水管破裂，水流到路上",
            **fields,
        }
        data = {k: v for k, v in data.items() if v is not None}
        return client.post(f"{BASE}requests.{fmt}", data, headers=headers or {})

    return post
