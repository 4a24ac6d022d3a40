"""On a phone: create a token, see it once, use it, revoke it (Chromium)."""

import json
import urllib.error
import urllib.request

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def _browser_settings(settings, tmp_path, town):
    settings.MEDIA_ROOT = tmp_path / "media"
    # Rate-limit counters live in the database cache, which a flush does not empty.
    cache.clear()


def _me(base_url: str, raw: str) -> int:
    request = urllib.request.Request(
        f"{base_url}/api/v1/me", headers={"Authorization": f"Bearer {raw}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            assert json.load(response)["username"] == "worker_a1"
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_a_grid_worker_creates_uses_and_revokes_a_token(page, town):
    worker = page("worker_a1", device="mobile")
    worker.login("worker_a1")
    worker.goto("/account/tokens/")
    expect(worker.page.locator("h1")).to_have_text("我的接口令牌")
    worker.page.locator("#token-form input[name=name]").fill("巡查手机")
    worker.page.get_by_role("button", name="创建令牌").click()
    raw = worker.page.locator("#new-token code").inner_text().strip()
    assert raw.startswith("wg_")
    worker.step("token-shown-once")
    assert _me(worker.base_url, raw) == 200

    worker.goto("/account/tokens/")
    expect(worker.page.locator("#new-token")).to_have_count(0)
    expect(worker.page.locator("#tokens")).to_contain_text("巡查手机")
    worker.page.get_by_role("button", name="撤销").click()
    expect(worker.page.locator("#tokens")).to_contain_text("已撤销")
    worker.step("token-revoked")
    assert _me(worker.base_url, raw) == 401
