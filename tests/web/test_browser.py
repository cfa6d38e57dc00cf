"""The dashboard in a real browser: Debian's headless Chromium driven by Playwright.

Skipped where Chromium is not installed, except on CI (``CI=true``), where .ci/run installs it
and its absence is a failure. Playwright's own browser download is never used.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.web.service_kit import Running, serving
from tests.world_kit import World, auth0_user, seed

WorldFactory = Callable[..., World]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HOSTILE_NAME = "<script>alert(1)</script>"
HOSTILE_GIVEN = "<img src=x onerror=alert(2)>"
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "dashboard.png"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        reason = f"no Chromium at {CHROMIUM} (apt-get install -y chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}: .ci/run must install it")
        pytest.skip(reason)
    sync_api = pytest.importorskip("playwright.sync_api")
    playwright = sync_api.sync_playwright().start()
    launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        yield launched
    finally:
        launched.close()
        playwright.stop()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page that records console errors, page errors and dialogs."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.problems = []
    opened.on("console", lambda m: m.type == "error" and opened.problems.append(m.text))
    opened.on("pageerror", lambda e: opened.problems.append(str(e)))

    def dialog(d: Any) -> None:
        opened.problems.append(f"dialog: {d.message}")
        d.dismiss()

    opened.on("dialog", dialog)
    try:
        yield opened
    finally:
        context.close()


def _world(world_factory: WorldFactory) -> World:
    users = [auth0_user(n) for n in range(1, 6)]
    users.append(
        auth0_user(6, name=HOSTILE_NAME, given_name=HOSTILE_GIVEN, family_name=HOSTILE_NAME)
    )
    return world_factory(seed(users))


def _wait_for_text(page: Any, svc: Running, selector: str, text: str, tries: int = 100) -> None:
    for _ in range(tries):
        if page.locator(selector).count() and text in (page.text_content(selector) or ""):
            return
        page.wait_for_timeout(100)
        page.reload()
    raise AssertionError(f"{text!r} never appeared in {selector}")


def test_dashboard_shows_the_last_run_without_console_errors(
    world_factory: WorldFactory, page: Any
) -> None:
    world = _world(world_factory)
    policy = '[policy]\nmax_deprovision = "50%"\ndeprovision_floor = 0\n'
    with serving(world, extra_config=policy) as svc:
        run = svc.sync()
        svc.sync({"user": "auth0|u00002"})
        page.goto(svc.url + "/")
        assert run["run_id"] in page.text_content("#runs")
        assert "created 6" in page.text_content("#runs")
        assert page.locator("svg.chart rect.bar-actions").count() == 2
        linked = page.locator("#situations tr", has_text="linked").first.text_content()
        assert "6" in linked
        assert page.problems == []
        _some_history(world, svc)
        page.goto(svc.url + "/")
        assert page.locator("svg.chart rect.bar-actions").count() == 5
        # Last, a run the guard refuses (5 of the 8 members leave): it waits for approval.
        for n in (1, 2, 4, 5, 6):
            world.auth0().unassign(f"auth0|u{n:05d}")
        assert svc.sync()["outcome"] == "refused"
        page.goto(svc.url + "/")
        assert "Approve and apply" in page.text_content("#approvals")
        page.screenshot(path=str(svc_screenshot(world)), full_page=True)
        assert page.problems == []


def _some_history(world: World, svc: Running) -> None:
    """A few more runs, for the screenshot: new members, an edit, a leaver, failing calls."""
    admin = world.auth0()
    for n in (7, 8, 9):
        user = admin.create({"email": f"user{n}@partner.example", "email_verified": True,
                             "password": "Pw-1234567890!", "given_name": f"New{n}",
                             "family_name": "Partner"})  # fmt: skip
        admin.assign(user["user_id"])
    admin.patch("auth0|u00001", {"family_name": "Renamed"})
    svc.sync()
    admin.unassign("auth0|u00003")
    svc.sync()
    faults = {"rate": 0.5, "seed": 3, "kinds": {"503": 1}}
    httpx.put(f"{world.okta_url}/_emulator/faults", json=faults)
    admin.patch("auth0|u00004", {"family_name": "Again"})
    admin.patch("auth0|u00005", {"family_name": "Again"})
    svc.sync()
    httpx.put(f"{world.okta_url}/_emulator/faults", json={"rate": 0.0, "seed": 0})


def svc_screenshot(world: World) -> Path:
    """docs/dashboard.png when SPOKESYNC_UPDATE_SCREENSHOT=1, else a file in the test's dir."""
    if os.environ.get("SPOKESYNC_UPDATE_SCREENSHOT") == "1":
        return SCREENSHOT
    return world.tmp / "dashboard.png"


def test_identity_search_finds_a_partners_audit_trail(
    world_factory: WorldFactory, page: Any
) -> None:
    world = _world(world_factory)
    with serving(world) as svc:
        svc.sync()
        page.goto(svc.url + "/")
        page.fill("#identity", "user3@partner.example")  # by Okta login
        page.click("form.search button")
        assert "partners:auth0|u00003" in page.text_content("h1")
        trail = page.text_content("#audit")
        assert "create_user" in trail and "succeeded" in trail
        page.fill("#identity", "partners:auth0|nobody")
        page.click("form.search button")
        assert "No identity found" in page.text_content("h1")
        assert page.problems == []


def test_the_run_now_button_starts_a_run_the_page_then_shows(
    world_factory: WorldFactory, page: Any
) -> None:
    world = _world(world_factory)
    with serving(world) as svc:
        page.goto(svc.url + "/")
        assert "No run yet" in page.text_content("main")
        page.click("#run-now")
        queued = page.text_content("#queued")
        run_id = queued.split()[1]
        _wait_for_text(page, svc, "#runs", run_id)  # running, then done
        _wait_for_text(page, svc, "#runs", "succeeded")
        assert len(world.okta().members()) == 6
        assert page.problems == []


def test_a_hostile_display_name_renders_as_text(world_factory: WorldFactory, page: Any) -> None:
    world = _world(world_factory)
    with serving(world) as svc:
        svc.sync()
        page.goto(svc.url + "/audit?identity=" + "partners:auth0%7Cu00006")
        trail = page.text_content("#audit")
        assert HOSTILE_NAME in trail and HOSTILE_GIVEN in trail
        assert page.locator("main img").count() == 0
        assert page.locator("script").count() == 0
        page.fill("#identity", HOSTILE_NAME)
        page.click("form.search button")
        assert HOSTILE_NAME in page.text_content("main")
        assert page.problems == []


def test_chromium_is_debians(browser: Any) -> None:
    assert shutil.which("chromium") == CHROMIUM or Path(CHROMIUM).exists()
    assert browser.version
