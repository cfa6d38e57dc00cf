"""Signing in with the hub in a real browser: Debian's Chromium through the Okta emulator's
sign-in page, then what each role may do on the dashboard (fixtures: tests/web/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from spokesync.store import open_store
from tests.web.oidc_kit import AMY, OLGA, PASSWORD, VIC, Person, oidc_config, oidc_world
from tests.web.service_kit import SERVE_TOKEN, serving
from tests.world_kit import World, auth0_user, seed

WorldFactory = Callable[..., World]


def _sign_in(page: Any, url: str, person: Person) -> None:
    """Open the dashboard, get sent to the emulator's sign-in page, sign in, come back."""
    page.goto(url + "/")
    page.wait_for_selector("input[name=username]")
    assert "/oauth2/v1/authorize" in page.url
    page.fill("input[name=username]", person.login)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#signed-in-as")
    page.wait_for_url(url + "/")
    assert person.login in page.text_content("#signed-in-as")


def _session_cookie(page: Any) -> str:
    cookies = {c["name"]: c for c in page.context.cookies()}
    session = cookies["spokesync_session"]
    assert session["httpOnly"] and session["sameSite"] == "Strict"
    return str(session["value"])


def test_a_viewer_sees_runs_and_cannot_start_one(world_factory: WorldFactory, page: Any) -> None:
    world, sock, url = oidc_world(world_factory, seed([auth0_user(1), auth0_user(2)]))
    config = oidc_config(world, url, more_serve=f'token = "{SERVE_TOKEN}"')
    bearer = {"Authorization": f"Bearer {SERVE_TOKEN}"}  # automation keeps its token
    with serving(world, extra_config=config, sock=sock, headers=bearer) as svc:
        run = svc.sync()
        _sign_in(page, url, VIC)
        assert run["run_id"] in page.text_content("#runs")
        assert "succeeded" in page.text_content("#runs")
        assert page.locator("#run-now").count() == 0
        assert page.locator("#view-only").count() == 1
        cookie = _session_cookie(page)
        answer = httpx.post(
            f"{url}/api/runs", json={}, cookies={"spokesync_session": cookie}, timeout=30
        )
        assert answer.status_code == 403
        assert page.problems == []


def test_an_operator_starts_a_run_that_names_them(world_factory: WorldFactory, page: Any) -> None:
    world, sock, url = oidc_world(world_factory, seed([auth0_user(1), auth0_user(2)]))
    with serving(world, extra_config=oidc_config(world, url), sock=sock):
        _sign_in(page, url, OLGA)
        page.click("#run-now")
        run_id = page.text_content("#queued").split()[1]
        for _ in range(100):
            row = page.locator("#runs tr", has_text=run_id)
            if row.count() and "succeeded" in (row.text_content() or ""):
                break
            page.wait_for_timeout(100)
            page.reload()
        row_text = page.locator("#runs tr", has_text=run_id).text_content()
        assert "succeeded" in row_text and OLGA.login in row_text
        assert len(world.okta().members()) == 2
        assert page.problems == []
    store = open_store(world.state_url)
    try:
        run = next(r for r in store.recent_runs(5) if r.id == run_id)
        assert run.requested_by == {"subject": OLGA.okta_id, "email": OLGA.login}
    finally:
        store.close()


def test_an_approver_approves_a_refused_plan_and_okta_follows(
    world_factory: WorldFactory, page: Any
) -> None:
    world, sock, url = oidc_world(world_factory, seed([auth0_user(n) for n in range(1, 5)]))
    config = oidc_config(world, url, more_serve=f'token = "{SERVE_TOKEN}"')
    config += "\n[policy]\ndeprovision_floor = 0\n"  # two leavers of four: refused
    bearer = {"Authorization": f"Bearer {SERVE_TOKEN}"}  # the scheduled runs, as automation
    with serving(world, extra_config=config, sock=sock, headers=bearer) as svc:
        assert svc.sync()["summary"]["created"] == 4
        world.auth0().unassign("auth0|u00001")
        world.auth0().unassign("auth0|u00002")
        assert svc.sync()["outcome"] == "refused"
        _sign_in(page, url, AMY)
        assert page.locator("#run-now").count() == 0  # an approver is no operator
        assert page.locator("#approvals button.approve").text_content().startswith("Approve")
        # The refused run's own row in the runs table has the button too (docs/design.md).
        row = page.locator("#runs tr.outcome-refused")
        assert row.locator("button").text_content().startswith("Approve")
        approval = page.locator("#approvals").text_content()
        assert "partners:auth0|u00001" in approval and "partners:auth0|u00002" in approval
        assert "refused by the deprovisioning guard" in approval
        assert len(world.okta().members()) == 4
        page.click("#approvals button.approve")
        _wait_for(page, lambda: len(world.okta().members()) == 2)
        assert page.problems == []
    store = open_store(world.state_url)
    try:
        removals = [r for r in store.audit() if r.action == "remove_from_group"]
        assert len(removals) == 2
        assert all(r.requested_by == {"subject": AMY.okta_id, "email": AMY.login} for r in removals)
    finally:
        store.close()


def test_after_sign_out_the_old_cookie_is_refused(world_factory: WorldFactory, page: Any) -> None:
    world, sock, url = oidc_world(world_factory, seed([auth0_user(1)]))
    with serving(world, extra_config=oidc_config(world, url), sock=sock):
        _sign_in(page, url, VIC)
        cookie = _session_cookie(page)
        old = httpx.Client(base_url=url, cookies={"spokesync_session": cookie}, timeout=30)
        assert old.get("/api/status").status_code == 200
        page.click("#sign-out")
        page.wait_for_selector("text=Signed out")
        assert old.get("/api/status").status_code == 401
        assert old.get("/").status_code == 303
        page.goto(url + "/")
        page.wait_for_selector("input[name=username]")  # sent to sign in again
        assert page.problems == []


def _wait_for(page: Any, done: Callable[[], bool], reload: bool = False, tries: int = 150) -> None:
    for _ in range(tries):
        if done():
            return
        page.wait_for_timeout(100)
        if reload:
            page.reload()
    raise AssertionError("the page never got there")
