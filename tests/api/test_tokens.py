"""Personal API tokens: stored hashed, shown once, revocable, listed on the user's page."""

import hashlib
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from wangge.api import tokens
from wangge.api.models import ApiToken


def test_only_the_hash_of_a_token_is_stored(town):
    token, raw = tokens.issue_token(town.grid_worker, "手机")
    stored = ApiToken.objects.get(pk=token.pk)
    assert raw.startswith("wg_") and len(raw) > 40
    assert stored.digest == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in {stored.digest, stored.prefix, stored.name}
    assert raw.startswith(stored.prefix)


def test_a_token_finds_its_user_and_records_its_use(town):
    token, raw = tokens.issue_token(town.grid_worker, "手机")
    assert tokens.user_for_token(raw) == town.grid_worker
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_use_is_recorded_at_most_once_a_minute(town):
    token, raw = tokens.issue_token(town.grid_worker, "手机")
    recent = timezone.now() - timedelta(seconds=5)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=recent)
    tokens.user_for_token(raw)
    token.refresh_from_db()
    assert token.last_used_at == recent


@pytest.mark.parametrize("raw", ["", "wg_nope", "abc", "wg_" + "x" * 200, None])
def test_unknown_tokens_find_nobody(town, raw):
    tokens.issue_token(town.grid_worker, "手机")
    assert tokens.user_for_token(raw) is None


def test_a_revoked_token_finds_nobody(town):
    token, raw = tokens.issue_token(town.grid_worker, "手机")
    tokens.revoke(token)
    assert tokens.user_for_token(raw) is None


def test_the_token_of_a_deactivated_user_finds_nobody(town):
    _token, raw = tokens.issue_token(town.grid_worker, "手机")
    town.grid_worker.is_active = False
    town.grid_worker.save()
    assert tokens.user_for_token(raw) is None


def test_a_token_needs_a_name(town):
    with pytest.raises(ValidationError):
        tokens.issue_token(town.grid_worker, "  ")
    assert not ApiToken.objects.exists()


def test_the_api_refuses_a_revoked_token(town, api_as):
    api = api_as(town.grid_worker)
    assert api.get("/me").status_code == 200
    tokens.revoke(ApiToken.objects.get(user=town.grid_worker))
    response = api.get("/me")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_the_tokens_page_shows_a_new_token_once(client, town):
    client.force_login(town.grid_worker)
    response = client.post(reverse("tokens:list"), {"name": "巡查手机"})
    assert response.status_code == 200
    token = ApiToken.objects.get(user=town.grid_worker)
    page = response.content.decode()
    raw = page.split('id="new-token"')[1].split("<code")[1].split(">")[1].split("<")[0]
    assert tokens.user_for_token(raw) == town.grid_worker
    again = client.get(reverse("tokens:list")).content.decode()
    assert raw not in again and token.prefix in again and "巡查手机" in again


def test_the_tokens_page_refuses_an_empty_name(client, town):
    client.force_login(town.grid_worker)
    response = client.post(reverse("tokens:list"), {"name": ""})
    assert response.status_code == 200
    assert not ApiToken.objects.exists()
    assert "errorlist" in response.content.decode()


def test_revoking_from_the_tokens_page(client, town):
    token, raw = tokens.issue_token(town.grid_worker, "旧手机")
    client.force_login(town.grid_worker)
    response = client.post(reverse("tokens:revoke", args=[token.pk]))
    assert response.status_code == 302
    assert tokens.user_for_token(raw) is None
    assert "已撤销" in client.get(reverse("tokens:list")).content.decode()


def test_nobody_revokes_another_users_token(client, town):
    token, raw = tokens.issue_token(town.grid_worker, "巡查平板")
    client.force_login(town.grid_worker_b1)
    response = client.post(reverse("tokens:revoke", args=[token.pk]))
    assert response.status_code == 404
    assert tokens.user_for_token(raw) == town.grid_worker
    assert "巡查平板" not in client.get(reverse("tokens:list")).content.decode()


def test_the_tokens_page_needs_a_sign_in(client, town):
    response = client.get(reverse("tokens:list"))
    assert response.status_code == 302


def test_token_rows_are_scoped_to_their_owner_or_the_towns_admin(town):
    mine, _ = tokens.issue_token(town.grid_worker, "手机")
    theirs, _ = tokens.issue_token(town.grid_worker_b1, "手机")
    assert set(ApiToken.objects.visible_to(town.grid_worker)) == {mine}
    assert set(ApiToken.objects.visible_to(town.admin)) == {mine, theirs}
    assert not ApiToken.objects.visible_to(town.outsider).exists()
