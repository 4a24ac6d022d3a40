import pytest
from django.test import Client

from wangge.api.tokens import issue_token


class Api:
    """A device speaking to /api/v1 with a user's token."""

    def __init__(self, raw: str | None, language: str | None = None):
        self.raw = raw
        self.client = Client()
        self.language = language

    def _headers(self, headers):
        merged = {}
        if self.raw:
            merged["Authorization"] = f"Bearer {self.raw}"
        if self.language:
            merged["Accept-Language"] = self.language
        merged.update(headers or {})
        return merged

    def get(self, path, params=None, headers=None):
        return self.client.get(f"/api/v1{path}", params or {}, headers=self._headers(headers))

    def post(self, path, data=None, headers=None):
        return self.client.post(
            f"/api/v1{path}",
            data if data is not None else {},
            content_type="application/json",
            headers=self._headers(headers),
        )


@pytest.fixture
def api_as():
    """api_as(user) -> an Api speaking with a fresh token of `user`."""

    def make(user, language=None):
        _token, raw = issue_token(user, "test device")
        return Api(raw, language)

    return make
