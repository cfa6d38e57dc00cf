"""Who may use the service: token rules, the sign-in cookie, cross-site requests, headers."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest

from tests.web.service_kit import SERVE_TOKEN, serving
from tests.world_kit import World, auth0_user, seed

WorldFactory = Callable[..., World]
TOKEN_CONFIG = f'[serve]\ntoken = "{SERVE_TOKEN}"\n'
GUARDED = ("/", "/metrics", "/api/status", "/audit?identity=x")


def _csrf(client: httpx.Client, path: str = "/signin") -> str:
    page = client.get(path)
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match, page.text
    return match.group(1)


def test_without_the_token_only_the_probes_answer(world_factory: WorldFactory) -> None:
    world = world_factory(seed([auth0_user(1)]))
    with serving(world, extra_config=TOKEN_CONFIG) as svc:
        http = svc.http
        assert http.get("/healthz").status_code == 200
        assert http.get("/readyz").status_code == 200
        for path in ("/metrics", "/api/status"):
            answer = http.get(path)
            assert answer.status_code == 401 and answer.headers["www-authenticate"].startswith(
                "Bearer"
            )
        assert http.get("/").status_code == 303 and http.get("/").headers["location"] == "/signin"
        assert http.post("/api/runs", json={}).status_code == 401
        wrong = {"Authorization": "Bearer " + SERVE_TOKEN[:-1] + "x"}
        for path in GUARDED:
            assert http.get(path, headers=wrong).status_code in (401, 303), path
        assert http.post("/api/runs", json={}, headers=wrong).status_code == 401
        right = {"Authorization": f"Bearer {SERVE_TOKEN}"}
        for path in GUARDED:
            assert http.get(path, headers=right).status_code in (200, 404), path
        assert http.post("/api/runs", json={}, headers=right).status_code == 202


def test_sign_in_sets_a_cookie_that_is_not_the_token(world_factory: WorldFactory) -> None:
    world = world_factory(seed([auth0_user(1)]))
    with serving(world, extra_config=TOKEN_CONFIG) as svc:
        http = svc.http
        csrf = _csrf(http)
        refused = http.post("/signin", data={"csrf": csrf, "token": "not-the-token-at-all"})
        assert refused.status_code == 401 and "spokesync_session" not in refused.cookies
        no_csrf = http.post("/signin", data={"csrf": "forged", "token": SERVE_TOKEN})
        assert no_csrf.status_code == 403
        signed = http.post("/signin", data={"csrf": csrf, "token": SERVE_TOKEN})
        assert signed.status_code == 303
        cookie = signed.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie
        assert SERVE_TOKEN not in cookie
        page = http.get("/")
        assert page.status_code == 200 and "Run a sync now" in page.text
        assert http.get("/api/status").status_code == 200
        # A forged cookie is no session.
        other = httpx.Client(base_url=svc.url, cookies={"spokesync_session": "0" * 64})
        assert other.get("/api/status").status_code == 401
        # Signing out ends it.
        http.post("/signout", data={"csrf": csrf})
        assert http.get("/api/status").status_code == 401
        for body in (page.text, http.get("/signin").text):
            assert SERVE_TOKEN not in body


def test_cross_site_posts_are_refused(world_factory: WorldFactory) -> None:
    world = world_factory(seed([auth0_user(1)]))
    with serving(world) as svc:
        http = svc.http
        csrf = _csrf(http, "/")
        evil = [
            {"Sec-Fetch-Site": "cross-site"},
            {"Sec-Fetch-Site": "same-site"},
            {"Origin": "http://evil.example"},
        ]
        for headers in evil:
            assert http.post("/runs", data={"csrf": csrf}, headers=headers).status_code == 403
            assert http.post("/api/runs", json={}, headers=headers).status_code == 403
        # A form without the CSRF token (as another site would post it) starts nothing.
        assert http.post("/runs", data={}).status_code == 403
        assert http.post("/runs", data={"csrf": "guess"}).status_code == 403
        # A DNS-rebound name is not a loopback Host: nothing is answered.
        assert http.get("/api/status", headers={"Host": "evil.example"}).status_code == 400
        status = http.get("/api/status").json()
        assert status["runs"] == []
        # The page's own form does start a run.
        same = {"Origin": svc.url, "Sec-Fetch-Site": "same-origin"}
        started = http.post("/runs", data={"csrf": csrf}, headers=same)
        assert started.status_code == 303 and started.headers["location"].startswith("/?queued=")
        run_id = started.headers["location"].split("=", 1)[1]
        assert svc.wait_for_run(run_id)["outcome"] == "succeeded"


def test_every_answer_carries_the_security_headers(world_factory: WorldFactory) -> None:
    world = world_factory(seed([auth0_user(1)]))
    with serving(world) as svc:
        for path in (
            "/",
            "/healthz",
            "/metrics",
            "/api/status",
            "/audit?identity=nobody",
            "/signin",
        ):
            headers = svc.http.get(path).headers
            csp = headers["content-security-policy"]
            assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, path
            assert "unsafe-inline" not in csp
            assert headers["x-content-type-options"] == "nosniff"


def test_serve_refuses_a_public_address_without_a_token(world_factory: WorldFactory) -> None:
    world = world_factory(seed([auth0_user(1)]))
    result = world.cli("serve", "--http", "0.0.0.0:8470")
    assert result.exit_code == 2
    assert "[serve] token" in result.stderr + result.stdout
    bad = world.cli("serve", "--http", "nowhere")
    assert bad.exit_code == 2 and "HOST:PORT" in bad.stderr + bad.stdout


def test_serve_refuses_a_public_address_with_oidc_but_no_token(
    world_factory: WorldFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Service contract (docs/design.md): off loopback, [serve] token is required;
    [serve.oidc] signs people in beside it, it does not replace it."""
    monkeypatch.setenv("TEST_OIDC_SECRET", "an-oidc-client-secret-of-some-length")
    world = world_factory(seed([auth0_user(1)]))
    world.write_config(
        extra=f"""[serve.oidc]
issuer = "{world.okta_url}"
client_id = "0oaweb"
client_secret = "${{TEST_OIDC_SECRET}}"
redirect_url = "http://127.0.0.1:8470/auth/callback"

[serve.roles]
viewer = ["spokesync-viewers"]
"""
    )
    assert world.cli("config", "check").exit_code == 0  # the config itself is sound
    result = world.cli("serve", "--http", "0.0.0.0:8470")
    assert result.exit_code == 2
    line = result.stderr + result.stdout
    assert "not a loopback address" in line and "[serve] token" in line, line


def test_behind_a_listed_tls_proxy_the_session_cookie_is_host_prefixed_and_secure(
    world_factory: WorldFactory,
) -> None:
    """[serve] forwarded_allow_ips (hardening) and the sessions (sign-in) together: a proxy
    listed there saying https gets ``__Host-spokesync_session; Secure``; the same headers from
    anyone else change nothing."""
    world = world_factory(seed([auth0_user(1)]))
    https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    for allowed, name, secure in (
        ("[]", "spokesync_session", False),
        ('["127.0.0.1"]', "__Host-spokesync_session", True),
    ):
        config = TOKEN_CONFIG + f"forwarded_allow_ips = {allowed}\n"
        with serving(world, extra_config=config) as svc:
            # No cookie jar: a client keeps a Secure cookie for https, and this one speaks
            # plain HTTP to the service as the proxy does; the form's cookie goes back by hand.
            http = httpx.Client(base_url=svc.url, headers=https, timeout=30)
            form = http.get("/signin")
            csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
            assert csrf, form.text
            echoed = "; ".join(c.split(";", 1)[0] for c in form.headers.get_list("set-cookie"))
            http.cookies.clear()
            signed = http.post(
                "/signin",
                data={"csrf": csrf.group(1), "token": SERVE_TOKEN},
                headers={"Cookie": echoed},
            )
            assert signed.status_code == 303, signed.text
            cookie = next(
                c for c in signed.headers.get_list("set-cookie") if "spokesync_session=" in c
            )
            assert cookie.startswith(f"{name}="), cookie
            assert ("; secure" in cookie.lower()) is secure, cookie
            http.close()
