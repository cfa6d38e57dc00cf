"""ClientCredentials: request form, caching, refresh, 401 refresh, private_key_jwt, secrecy."""

from __future__ import annotations

import asyncio
import json

import httpx
import jwt
import pytest

from spokesync.auth0.token import ClientCredentials, cache_until
from spokesync.http.errors import AuthError, MalformedResponse
from spokesync.http.factory import make_client
from spokesync.http.session import ApiSession, call
from tests.http.scripted import FakeTime, Scripted, respond, rsa_key_pair

BASE = "https://tenant.example"


def token_answer(
    value: str = "at-1", expires_in: int = 86400, scope: str = "read:users read:roles"
) -> httpx.Response:
    # Reference auth0-api.md §1: {access_token, expires_in, scope, token_type}.
    return respond(
        200,
        {"access_token": value, "expires_in": expires_in, "scope": scope, "token_type": "Bearer"},
    )


def make_session(script: Scripted, credentials: ClientCredentials) -> ApiSession:
    http = make_client(BASE, timeout=5, transport=script.transport())
    return ApiSession("auth0", http, authorization=credentials)


@pytest.mark.anyio
async def test_request_body_and_caching() -> None:
    time = FakeTime()
    script = Scripted().on("POST", "/oauth/token", token_answer())
    creds = ClientCredentials("cid", "csecret", clock=time.clock)
    s = make_session(script, creds)
    assert await creds.header(s) == "Bearer at-1"
    assert await creds.header(s) == "Bearer at-1"
    assert creds.fetches == 1
    body = json.loads(script.requests[0].content)
    # Recorded auth0/oauth-token-client-credentials.json gives the request form; audience has
    # the trailing slash (reference §1).
    assert body == {
        "grant_type": "client_credentials",
        "client_id": "cid",
        "client_secret": "csecret",
        "audience": f"{BASE}/api/v2/",
    }
    assert creds.granted_scopes == ("read:users", "read:roles")


@pytest.mark.anyio
async def test_refresh_after_expiry_margin() -> None:
    time = FakeTime()
    script = Scripted().on(
        "POST", "/oauth/token", token_answer("at-1", 600), token_answer("at-2", 600)
    )
    creds = ClientCredentials("cid", "csecret", clock=time.clock)
    s = make_session(script, creds)
    assert await creds.header(s) == "Bearer at-1"
    time.now += 539  # 600 - min(60, 10 %) = 540
    assert await creds.header(s) == "Bearer at-1"
    time.now += 2
    assert await creds.header(s) == "Bearer at-2"


def test_cache_margin() -> None:
    assert cache_until(0, 86400) == 86400 - 60
    assert cache_until(0, 100) == 90


@pytest.mark.anyio
async def test_concurrent_callers_fetch_once() -> None:
    script = Scripted().on("POST", "/oauth/token", token_answer())
    creds = ClientCredentials("cid", "csecret")
    s = make_session(script, creds)
    headers = await asyncio.gather(*(creds.header(s) for _ in range(10)))
    assert set(headers) == {"Bearer at-1"}
    assert creds.fetches == 1


@pytest.mark.anyio
async def test_api_401_forces_exactly_one_refresh() -> None:
    def api(request: httpx.Request) -> httpx.Response:
        if request.headers["authorization"] == "Bearer at-2":
            return respond(200, {"ok": True})
        return respond(
            401, {"statusCode": 401, "error": "Unauthorized", "message": "Invalid token"}
        )

    script = (
        Scripted()
        .on("POST", "/oauth/token", token_answer("at-1"), token_answer("at-2"))
        .on("GET", "/api/v2/x", api)
    )
    creds = ClientCredentials("cid", "csecret")
    s = make_session(script, creds)
    assert await s.send_json(call("GET", "/api/v2/x")) == {"ok": True}
    assert creds.fetches == 2
    assert script.paths() == [
        "POST /oauth/token",
        "GET /api/v2/x",
        "POST /oauth/token",
        "GET /api/v2/x",
    ]


@pytest.mark.anyio
async def test_stale_refresh_reuses_the_new_token() -> None:
    script = Scripted().on("POST", "/oauth/token", token_answer("at-1"), token_answer("at-2"))
    creds = ClientCredentials("cid", "csecret")
    s = make_session(script, creds)
    await creds.header(s)
    await creds.header(s, refresh=True, stale="Bearer at-1")
    # A second caller that saw the old token must not trigger another fetch.
    assert await creds.header(s, refresh=True, stale="Bearer at-1") == "Bearer at-2"
    assert creds.fetches == 2


@pytest.mark.anyio
async def test_bad_credentials_are_auth_error_without_secret() -> None:
    # Reference §1: a wrong secret answers 401 access_denied (observed) or invalid_client (spec).
    script = Scripted().on(
        "POST",
        "/oauth/token",
        respond(401, {"error": "access_denied", "error_description": "Unauthorized"}),
    )
    creds = ClientCredentials("cid", "csecret-very")
    s = make_session(script, creds)
    with pytest.raises(AuthError) as info:
        await creds.header(s)
    text = str(info.value) + repr(info.value) + repr(creds)
    assert "csecret-very" not in text
    assert len(script.requests) == 1  # bad credentials are not retried


@pytest.mark.anyio
async def test_token_response_without_access_token_is_malformed() -> None:
    script = Scripted().on("POST", "/oauth/token", respond(200, {"expires_in": 10}))
    creds = ClientCredentials("cid", "s")
    with pytest.raises(MalformedResponse, match="access_token"):
        await creds.header(make_session(script, creds))


@pytest.mark.anyio
async def test_private_key_jwt_assertion() -> None:
    private, public = rsa_key_pair()
    time = FakeTime()
    script = Scripted().on("POST", "/oauth/token", token_answer())
    creds = ClientCredentials("cid", private_key_pem=private, key_id="k1", clock=time.clock)
    s = make_session(script, creds)
    await creds.header(s)
    body = json.loads(script.requests[0].content)
    assert "client_secret" not in body
    assert body["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    assertion = body["client_assertion"]
    assert jwt.get_unverified_header(assertion)["kid"] == "k1"
    claims = jwt.decode(
        assertion, public, algorithms=["RS256"], audience=f"{BASE}/", options={"verify_exp": False}
    )
    assert claims["iss"] == claims["sub"] == "cid"
    assert claims["exp"] == int(time.now) + 60
    assert len(claims["jti"]) == 36
    assert "PRIVATE KEY" not in repr(creds)


def test_exactly_one_secret_kind() -> None:
    with pytest.raises(ValueError):
        ClientCredentials("cid")
    with pytest.raises(ValueError):
        ClientCredentials("cid", "s", private_key_pem="pem")
