"""The Okta emulator as an OpenID provider: the authorization code flow with PKCE, end to end.

Followed: Okta's OAuth spec (okta-oauth-oneOfInheritance.yaml: /authorize parameters, the
OAuthError examples of /token, OAuthKeys, UserInfo, /logout) and OpenID Connect Core; no
recording of an interactive sign-in exists.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest

from spokesync.emulators.okta import create_app
from tests.emulators.okta.support import BASE, FakeClock, client, profile, seed

pytestmark = pytest.mark.anyio

CLIENT_ID = "0oaspokesync"
SECRET = "oidc-secret-0123456789"
REDIRECT = "http://127.0.0.1:8470/auth/callback"
AFTER_LOGOUT = "http://127.0.0.1:8470/signed-out"


@pytest.fixture
async def idp(clock: FakeClock) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        seed(
            users=[
                {
                    "id": "00uann00000000000001",
                    "profile": profile("ann@hub.example", "Ann", "Lee"),
                    "groups": ["Sales"],
                    "password": "correct horse",
                },
                {
                    "id": "00ugone0000000000001",
                    "status": "DEPROVISIONED",
                    "profile": profile("gone@hub.example"),
                    "password": "correct horse",
                },
            ],
            oidc_apps=[
                {
                    "client_id": CLIENT_ID,
                    "client_secret": SECRET,
                    "redirect_uris": [REDIRECT],
                    "post_logout_redirect_uris": [AFTER_LOGOUT],
                }
            ],
        ),
        clock=clock,
    )
    async with client(app, token=None) as http:
        yield http


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _authorize_params(challenge: str, **extra: str) -> dict[str, str]:
    params = {
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": "openid email profile groups",
        "state": "st-123",
        "nonce": "n-456",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    params.update(extra)
    return params


async def _sign_in(
    idp: httpx.AsyncClient, challenge: str, username: str = "ann@hub.example"
) -> httpx.Response:
    page = await idp.get("/oauth2/v1/authorize", params=_authorize_params(challenge))
    assert page.status_code == 200
    fields = dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', page.text))
    assert 'name="username"' in page.text and 'name="password"' in page.text
    fields.update(username=username, password="correct horse")
    return await idp.post("/oauth2/v1/authorize", data=fields)


async def _code(idp: httpx.AsyncClient, challenge: str) -> str:
    answer = await _sign_in(idp, challenge)
    assert answer.status_code == 302
    target = urlsplit(answer.headers["location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == REDIRECT
    query = parse_qs(target.query)
    assert query["state"] == ["st-123"]
    return query["code"][0]


def _token_form(code: str, verifier: str) -> dict[str, str]:
    return {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
    }


async def test_code_flow_gives_an_id_token_verified_by_the_published_keys(
    idp: httpx.AsyncClient, clock: FakeClock
) -> None:
    metadata = (await idp.get("/.well-known/openid-configuration")).json()
    assert metadata["issuer"] == BASE
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    verifier, challenge = _pkce()
    code = await _code(idp, challenge)
    answer = await idp.post(
        "/oauth2/v1/token", data=_token_form(code, verifier), auth=(CLIENT_ID, SECRET)
    )
    assert answer.status_code == 200, answer.text
    tokens = answer.json()
    assert tokens["token_type"] == "Bearer"
    keys = (await idp.get(metadata["jwks_uri"].removeprefix(BASE))).json()
    header = jwt.get_unverified_header(tokens["id_token"])
    assert header["alg"] == "RS256"
    key = jwt.PyJWKSet.from_dict(keys)[header["kid"]]
    claims: dict[str, Any] = jwt.decode(
        tokens["id_token"],
        key,
        algorithms=["RS256"],
        audience=CLIENT_ID,
        issuer=BASE,
        options={"verify_iat": False, "verify_exp": False},
    )
    assert claims["sub"] == "00uann00000000000001"
    assert claims["email"] == "ann@hub.example"
    assert claims["name"] == "Ann Lee"
    assert claims["nonce"] == "n-456"
    assert claims["groups"] == ["Everyone", "Sales"]
    assert claims["exp"] == claims["iat"] + 3600 and claims["iat"] == int(clock())
    info = await idp.get(
        "/oauth2/v1/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert info.json()["sub"] == claims["sub"] and info.json()["groups"] == claims["groups"]
    # A code is good once.
    again = await idp.post(
        "/oauth2/v1/token", data=_token_form(code, verifier), auth=(CLIENT_ID, SECRET)
    )
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


async def test_client_secret_post_works_and_both_methods_at_once_do_not(
    idp: httpx.AsyncClient,
) -> None:
    verifier, challenge = _pkce()
    code = await _code(idp, challenge)
    both = {**_token_form(code, verifier), "client_id": CLIENT_ID, "client_secret": SECRET}
    answer = await idp.post("/oauth2/v1/token", data=both, auth=(CLIENT_ID, SECRET))
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_request"
    answer = await idp.post("/oauth2/v1/token", data=both)
    assert answer.status_code == 200 and "id_token" in answer.json()


@pytest.mark.parametrize(
    ("change", "status", "error"),
    [
        ({"code_verifier": "not-the-verifier-at-all-0123456789abcdef"}, 400, "invalid_grant"),
        ({"redirect_uri": "http://127.0.0.1:8470/elsewhere"}, 400, "invalid_grant"),
        ({"code": "no-such-code"}, 400, "invalid_grant"),
    ],
)
async def test_token_refuses_a_wrong_verifier_redirect_or_code(
    idp: httpx.AsyncClient, change: dict[str, str], status: int, error: str
) -> None:
    verifier, challenge = _pkce()
    code = await _code(idp, challenge)
    form = {**_token_form(code, verifier), **change}
    answer = await idp.post("/oauth2/v1/token", data=form, auth=(CLIENT_ID, SECRET))
    assert (answer.status_code, answer.json()["error"]) == (status, error)


async def test_token_refuses_a_wrong_secret_no_credentials_and_an_expired_code(
    idp: httpx.AsyncClient, clock: FakeClock
) -> None:
    verifier, challenge = _pkce()
    code = await _code(idp, challenge)
    form = _token_form(code, verifier)
    wrong = await idp.post("/oauth2/v1/token", data=form, auth=(CLIENT_ID, "nope"))
    assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid_client")
    none = await idp.post("/oauth2/v1/token", data=form)
    assert none.json()["error_description"] == "No client credentials found."
    clock.advance(301)
    late = await idp.post("/oauth2/v1/token", data=form, auth=(CLIENT_ID, SECRET))
    assert late.json() == {
        "error": "invalid_grant",
        "error_description": "The authorization code is invalid or has expired.",
    }


async def test_sign_in_refuses_a_wrong_password_and_a_deprovisioned_user(
    idp: httpx.AsyncClient,
) -> None:
    _, challenge = _pkce()
    page = await idp.get("/oauth2/v1/authorize", params=_authorize_params(challenge))
    fields = dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', page.text))
    wrong = await idp.post(
        "/oauth2/v1/authorize", data={**fields, "username": "ann@hub.example", "password": "x"}
    )
    assert wrong.status_code == 401 and "Unable to sign in" in wrong.text
    gone = await _sign_in(idp, challenge, username="gone@hub.example")
    assert gone.status_code == 401


async def test_authorize_shows_a_page_for_an_unknown_redirect_and_redirects_other_errors(
    idp: httpx.AsyncClient,
) -> None:
    _, challenge = _pkce()
    stranger = await idp.get(
        "/oauth2/v1/authorize",
        params=_authorize_params(challenge, redirect_uri="https://evil.example/cb"),
    )
    assert stranger.status_code == 400 and "location" not in stranger.headers
    plain = await idp.get(
        "/oauth2/v1/authorize", params=_authorize_params(challenge, code_challenge_method="plain")
    )
    assert plain.status_code == 302
    query = parse_qs(urlsplit(plain.headers["location"]).query)
    assert query["error"] == ["invalid_request"] and query["state"] == ["st-123"]
    no_state = await idp.get("/oauth2/v1/authorize", params=_authorize_params(challenge, state=""))
    assert parse_qs(urlsplit(no_state.headers["location"]).query)["error"] == ["invalid_request"]


async def test_client_credentials_are_unchanged_beside_the_code_grant(
    idp: httpx.AsyncClient,
) -> None:
    answer = await idp.post("/oauth2/v1/token", data={"grant_type": "password"})
    assert answer.json()["error"] == "unsupported_grant_type"
    answer = await idp.post("/oauth2/v1/token", data={"grant_type": "client_credentials"})
    assert answer.json()["error"] == "invalid_client"


async def test_logout_checks_the_id_token_and_the_registered_redirect(
    idp: httpx.AsyncClient,
) -> None:
    verifier, challenge = _pkce()
    code = await _code(idp, challenge)
    tokens = (
        await idp.post(
            "/oauth2/v1/token", data=_token_form(code, verifier), auth=(CLIENT_ID, SECRET)
        )
    ).json()
    bad = await idp.get("/oauth2/v1/logout", params={"id_token_hint": "x.y.z"})
    assert bad.status_code == 400
    elsewhere = await idp.get(
        "/oauth2/v1/logout",
        params={"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": "https://e.x/"},
    )
    assert elsewhere.status_code == 400
    done = await idp.post(
        "/oauth2/v1/logout",
        data={
            "id_token_hint": tokens["id_token"],
            "post_logout_redirect_uri": AFTER_LOGOUT,
            "state": "s1",
        },
    )
    assert done.status_code == 302 and done.headers["location"] == AFTER_LOGOUT + "?state=s1"
