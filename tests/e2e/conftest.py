"""Browser tests: real Chromium (Debian's, never Playwright's download) against
pytest-django's live server, one browser for the session and a fresh context
per person, so a resident, a grid worker and a dispatcher each keep their own
cookies, screen size and GPS.

Every `Screen.step` saves a screenshot under test-artifacts/screenshots/ (git
ignores it) and fails the test if the page logged a console error so far.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from django.core.cache import cache
from playwright.sync_api import Page, expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"  # Debian's; the Makefile's `browser` target installs it
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
MOBILE = {"width": 360, "height": 740}
DESKTOP = {"width": 1366, "height": 900}
TIMEOUT_MS = 10_000


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        # A failure, not a skip: a missing browser must not hide the browser tests.
        pytest.fail(f"no Chromium at {CHROMIUM}: run `make test` (it installs chromium)")
    # Playwright's sync API keeps an asyncio loop running on this thread, which
    # trips Django's async-safety check on every ORM call from the test itself.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield chromium
    chromium.close()
    playwright.stop()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(autouse=True)
def _e2e_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # Rate-limit counters live in the database cache, which a flush does not empty.
    cache.clear()


class Screen:
    """One person at one browser window."""

    def __init__(self, page: Page, base_url: str, who: str, shots: Path, counter: list[int]):
        self.page = page
        self.base_url = base_url
        self.who = who
        self.errors: list[str] = []
        self._shots = shots
        self._counter = counter
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))

    def _console(self, message) -> None:
        if message.type == "error":
            location = message.location or {}
            self.errors.append(f"console: {message.text} ({location.get('url', '')})")

    def goto(self, path: str) -> None:
        self.page.goto(self.base_url + path)

    def step(self, label: str) -> None:
        """A screenshot of what the person sees now; no console error so far."""
        self._counter[0] += 1
        name = re.sub(r"[^A-Za-z0-9_-]+", "-", f"{self._counter[0]:02d}-{self.who}-{label}")
        self.page.screenshot(path=str(self._shots / f"{name}.png"))
        assert not self.errors, f"{self.who} at '{label}': {self.errors}"

    # --- wangge ------------------------------------------------------------

    def login(self, username: str) -> None:
        """Log in through the real form, with the password the test town gives."""
        self.goto("/accounts/login/")
        form = self.page.locator("#login-form")
        form.locator("input[name=username]").fill(username)
        form.locator("input[name=password]").fill("pw-" + username)
        form.get_by_role("button", name="登录").click()
        expect(self.page.locator("h1")).to_have_text(f"您好，{username}")
        # htmx is served from node_modules (STATICFILES_DIRS); it polls the unread count.
        self.page.wait_for_function("() => window.htmx !== undefined")
        self.step(f"logged-in-{username}")

    def open_case(self, number: str) -> None:
        self.goto(f"/cases/{number}/")
        expect(self.page.locator("main p.muted").first).to_contain_text(number)

    def action(self, action: str):
        """The form of one action on the case page, its <details> opened like a person would."""
        form = self.page.locator(f"form[data-action={action}]")
        details = self.page.locator("section.actions details").filter(has=form)
        if details.get_attribute("open") is None:
            details.locator("summary").click()
        expect(form).to_be_visible()
        return form

    def act(self, action: str, label: str, **fields) -> None:
        """Fill an action's form, press its button, and see it done."""
        form = self.action(action)
        for name, value in fields.items():
            field = form.locator(f"[name={name}]")
            if field.evaluate("e => e.tagName") == "SELECT":
                field.select_option(label=value)
            else:
                field.fill(value)
        form.get_by_role("button", name=label).click()
        self.expect_message(f"已完成：{label}。")

    def expect_message(self, text: str) -> None:
        expect(self.page.locator("ul.messages")).to_contain_text(text)

    def expect_state(self, state: str, *, level: str = "") -> None:
        """The state (and level) as the case page shows them, in Chinese."""
        line = (
            self.page.locator("main section.card")
            .first.locator("p", has=self.page.locator("strong"))
            .first
        )
        expect(line.locator("strong").first).to_have_text(state)
        if level:
            expect(line).to_contain_text(f"{state} · {level}")


@pytest.fixture
def page(browser, live_server, request):
    """Open a browser window for one person: ``page("worker_a1", device="mobile")``.

    `geolocation` (lat, lon) grants the page the GPS permission at that point.
    """
    shots = SCREENSHOTS / request.node.name
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    counter = [0]
    screens: list[Screen] = []
    contexts = []

    def open_screen(who: str, *, device: str = "desktop", geolocation=None) -> Screen:
        options = {
            "viewport": MOBILE if device == "mobile" else DESKTOP,
            "locale": "zh-CN",
            "timezone_id": "Asia/Shanghai",
            "is_mobile": device == "mobile",
            "has_touch": device == "mobile",
        }
        if geolocation:
            options["geolocation"] = {"latitude": geolocation[0], "longitude": geolocation[1]}
            options["permissions"] = ["geolocation"]
        context = browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        screen = Screen(context.new_page(), live_server.url, who, shots, counter)
        screens.append(screen)
        return screen

    yield open_screen
    for context in contexts:
        context.close()
    leftover = [error for screen in screens for error in screen.errors]
    assert not leftover, f"console errors after the last step: {leftover}"
