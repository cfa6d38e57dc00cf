"""Signing in to the service with the hub over HTTP: the whole code flow against the Okta
emulator as OpenID provider, roles from groups, sessions ending at sign-out and when roles
change, and requested_by on run records and audit rows."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from spokesync.store import open_store
from tests.web.oidc_kit import (
    AMY,
    GROUP_IDS,
    NORA,
    OLGA,
    OPERATORS,
    VIC,
    csrf_of,
    oidc_config,
    oidc_world,
    sign_in,
    sign_in_answer,
)
from tests.web.service_kit import serving
from tests.world_kit import OKTA_TOKEN, World, auth0_user, seed

WorldFactory = Callable[..., World]


def test_a_browser_without_a_session_is_sent_to_sign_in_and_the_api_asks_for_a_token(
    world_factory: WorldFactory,
) -> None:
    world, sock, url = oidc_world(world_factory, seed([auth0_user(1)]))
    with serving(world, extra_config=oidc_config(world, url), sock=sock) as svc:
        home = svc.http.get("/")
        assert home.status_code == 303 and home.headers["location"] == "/auth/login"
        login = svc.http.get("/auth/login")
        assert login.headers["location"].startswith(f"{world.okta_url}/oauth2/v1/authorize?")
        assert "code_challenge_method=S256" in login.headers["location"]
        cookie = login.headers["set-cookie"]
        assert "spokesync_oidc=" in cookie and "samesite=lax" in cookie.lower()
        assert "httponly" in cookie.lower()
        assert svc.http.get("/api/status").status_code == 401
        assert svc.http.get("/signin").headers["location"] == "/auth/login"


def test_a_viewer_sees_runs_but_may_not_start_one(world_factory: WorldFactory) -> None:
    world, sock, url = oidc_world(world_factory, seed([auth0_user(1)]))
    with serving(world, extra_config=oidc_config(world, url), sock=sock):
        viewer = sign_in(url, VIC)
        cookie = viewer.cookies["spokesync_session"]
        assert len(cookie) == 43
        page = viewer.get("/")
        assert page.status_code == 200 and "vic@hub.example" in page.text
        assert 'id="run-now"' not in page.text and 'id="view-only"' in page.text
        assert viewer.get("/api/status").status_code == 200
        refused = viewer.post("/api/runs", json={})
        assert refused.status_code == 403 and "operator" in refused.json()["error"]
        form = viewer.post("/runs", data={"csrf": csrf_of(page.text)})
        assert form.status_code == 403 and "operator role" in form.text
        approve = viewer.post("/api/runs/20261201T000000Z-000000/approve")
        assert approve.status_code == 403 and "approver" in approve.json()["error"]


def test_an_operator_starts_a_run_and_the_run_and_its_audit_name_them(
    world_factory: WorldFactory,
) -> None:
    world, sock, url = oidc_world(world_factory, seed([auth0_user(1), auth0_user(2)]))
    with serving(world, extra_config=oidc_config(world, url), sock=sock) as svc:
        operator = sign_in(url, OLGA)
        answer = operator.post("/api/runs", json={})
        assert answer.status_code == 202, answer.text
        run_id = answer.json()["run_id"]
        svc.http.headers["Cookie"] = f"spokesync_session={operator.cookies['spokesync_session']}"
        run = svc.wait_for_run(run_id)
        olga = {"subject": OLGA.okta_id, "email": OLGA.login}
        assert run["requested_by"] == olga and run["summary"]["created"] == 2
        page = operator.get("/")
        assert 'id="run-now"' in page.text
        assert operator.post(f"/api/runs/{run_id}/approve").status_code == 403
        assert "olga@hub.example</td>" in page.text
        # The dashboard's own button records the person too.
        form = operator.post("/runs", data={"csrf": csrf_of(page.text)})
        assert form.status_code == 303
    assert len(world.okta().members()) == 2
    store = open_store(world.state_url)
    try:
        rows = [row for row in store.audit() if row.run_id == run_id]
        assert rows and all(row.requested_by == olga for row in rows)
    finally:
        store.close()
    world.write_config()  # status reads the same store; [serve] is the service's business
    status = world.cli("status", "--json").json()
    assert any(r["run_id"] == run_id and r["requested_by"] == olga for r in status["runs"])


def test_a_person_without_a_role_is_refused_with_a_page_saying_so(
    world_factory: WorldFactory,
) -> None:
    world, sock, url = oidc_world(world_factory, seed([auth0_user(1)]))
    with serving(world, extra_config=oidc_config(world, url), sock=sock):
        http = httpx.Client(base_url=url, timeout=30)
        answer = sign_in_answer(http, NORA)
        assert answer.status_code == 403
        assert "none of your Okta groups" in answer.text and "nora@hub.example" in answer.text
        assert "spokesync_session" not in http.cookies
        assert http.get("/").status_code == 303


def test_sign_out_ends_the_session_and_the_old_cookie_is_refused(
    world_factory: WorldFactory,
) -> None:
    world, sock, url = oidc_world(world_factory, seed([auth0_user(1)]))
    with serving(world, extra_config=oidc_config(world, url), sock=sock):
        approver = sign_in(url, AMY)
        old = approver.cookies["spokesync_session"]
        page = approver.get("/")
        out = approver.post("/auth/logout", data={"csrf": csrf_of(page.text)})
        assert out.status_code == 200 and "Signed out" in out.text
        stale = httpx.Client(base_url=url, cookies={"spokesync_session": old})
        assert stale.get("/api/status").status_code == 401
        assert stale.get("/").status_code == 303


def test_signing_in_with_changed_groups_ends_the_sessions_held_with_the_old_roles(
    world_factory: WorldFactory,
) -> None:
    world, sock, url = oidc_world(world_factory, seed([auth0_user(1)]))
    with serving(world, extra_config=oidc_config(world, url), sock=sock):
        first = sign_in(url, VIC)
        also = sign_in(url, VIC)  # same roles: both sessions live on
        assert first.get("/api/status").status_code == 200
        okta = httpx.Client(
            base_url=world.okta_url, headers={"Authorization": f"SSWS {OKTA_TOKEN}"}
        )
        added = okta.put(f"/api/v1/groups/{GROUP_IDS[OPERATORS]}/users/{VIC.okta_id}")
        assert added.status_code == 204
        promoted = sign_in(url, VIC)
        assert first.get("/api/status").status_code == 401
        assert also.get("/api/status").status_code == 401
        assert promoted.post("/api/runs", json={}).status_code == 202


def test_a_forged_or_replayed_callback_is_refused_never_a_500(world_factory: WorldFactory) -> None:
    world, sock, url = oidc_world(world_factory, seed([auth0_user(1)]))
    with serving(world, extra_config=oidc_config(world, url), sock=sock):
        http = httpx.Client(base_url=url, timeout=30)
        assert http.get("/auth/callback?code=x&state=y").status_code == 400  # no login cookie
        http.get("/auth/login")
        assert http.get("/auth/callback?code=x&state=wrong").status_code == 401
        http.cookies.set("spokesync_oidc", "bm90LW91cnM.Zm9yZ2Vk")
        assert http.get("/auth/callback?code=x&state=y").status_code == 400
        error = http.get("/auth/callback?error=access_denied&error_description=%3Cb%3Enope")
        assert error.status_code == 403 and "<b>nope" not in error.text
        # A code is good once: the second callback with the same code is refused.
        fresh = httpx.Client(base_url=url, timeout=30)
        assert sign_in_answer(fresh, OLGA).status_code == 200
