"""``POST /oauth/token``: secrets, private_key_jwt, audience, errors and token expiry."""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.emulators.auth0.conftest import AUDIENCE, BASE_URL, MakeEmulator, seed_with

pytestmark = pytest.mark.anyio


def _key_pair() -> tuple[rsa.RSAPrivateKey, str]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public_pem.decode()


PRIVATE_KEY, PUBLIC_PEM = _key_pair()
OTHER_KEY, _ = _key_pair()


def _assertion(key: rsa.RSAPrivateKey, **overrides: Any) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": "jwt-client",
        "sub": "jwt-client",
        "aud": f"{BASE_URL}/",
        "iat": now,
        "exp": now + 60,
        "jti": uuid.uuid4().hex,
    }
    claims.update(overrides)
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, key, algorithm="RS256")


def _jwt_seed() -> dict[str, Any]:
    seed = seed_with()
    seed["clients"].append(
        {"client_id": "jwt-client", "public_key_pem": PUBLIC_PEM, "scopes": ["read:roles"]}
    )
    return seed


def _jwt_form(assertion: str) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion,
        "audience": AUDIENCE,
    }


async def test_form_and_json_bodies_both_issue_a_bearer_token(make_emulator: MakeEmulator) -> None:
    emulator = await make_emulator()
    body = {
        "grant_type": "client_credentials",
        "client_id": "admin",
        "client_secret": "admin-secret",
        "audience": AUDIENCE,
    }
    for response in (
        await emulator.client.post("/oauth/token", data=body),
        await emulator.client.post("/oauth/token", json=body),
    ):
        assert response.status_code == 200
        token = response.json()
        assert token["token_type"] == "Bearer"
        assert token["expires_in"] == 86400
        assert token["scope"].split() == seed_with()["clients"][0]["scopes"]


@pytest.mark.parametrize(
    ("changes", "status", "error"),
    [
        ({"client_secret": "wrong"}, 401, "access_denied"),
        ({"client_id": "nobody"}, 401, "access_denied"),
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
        ({"audience": "https://elsewhere.example/api/v2/"}, 403, "access_denied"),
    ],
)
async def test_bad_requests_get_oauth_shaped_errors(
    make_emulator: MakeEmulator, changes: dict[str, str], status: int, error: str
) -> None:
    emulator = await make_emulator()
    body = {
        "grant_type": "client_credentials",
        "client_id": "admin",
        "client_secret": "admin-secret",
        "audience": AUDIENCE,
        **changes,
    }
    response = await emulator.client.post("/oauth/token", data=body)
    assert response.status_code == status
    assert set(response.json()) == {"error", "error_description"}
    assert response.json()["error"] == error
    assert "admin-secret" not in response.text and "wrong" not in response.text


async def test_malformed_json_token_request_is_400(make_emulator: MakeEmulator) -> None:
    emulator = await make_emulator()
    response = await emulator.client.post(
        "/oauth/token", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


async def test_private_key_jwt_happy_path(make_emulator: MakeEmulator) -> None:
    emulator = await make_emulator(_jwt_seed())
    response = await emulator.client.post("/oauth/token", data=_jwt_form(_assertion(PRIVATE_KEY)))
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    roles = await emulator.client.get("/api/v2/roles", headers={"Authorization": f"Bearer {token}"})
    assert roles.status_code == 200


@pytest.mark.parametrize(
    "assertion_factory",
    [
        pytest.param(lambda: _assertion(OTHER_KEY), id="bad-signature"),
        pytest.param(lambda: _assertion(PRIVATE_KEY, aud="https://other/"), id="wrong-audience"),
        pytest.param(lambda: _assertion(PRIVATE_KEY, exp=int(time.time()) - 60), id="expired"),
        pytest.param(lambda: _assertion(PRIVATE_KEY, exp=None), id="no-exp"),
        pytest.param(lambda: _assertion(PRIVATE_KEY, sub="someone-else"), id="sub-differs"),
        pytest.param(lambda: "not-a-jwt", id="garbage"),
    ],
)
async def test_private_key_jwt_refusals(
    make_emulator: MakeEmulator, assertion_factory: Any
) -> None:
    emulator = await make_emulator(_jwt_seed())
    response = await emulator.client.post("/oauth/token", data=_jwt_form(assertion_factory()))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


async def test_private_key_jwt_jti_is_one_time(make_emulator: MakeEmulator) -> None:
    emulator = await make_emulator(_jwt_seed())
    assertion = _assertion(PRIVATE_KEY)
    first = await emulator.client.post("/oauth/token", data=_jwt_form(assertion))
    again = await emulator.client.post("/oauth/token", data=_jwt_form(assertion))
    assert (first.status_code, again.status_code) == (200, 401)


async def test_token_expires_on_the_emulated_clock(make_emulator: MakeEmulator) -> None:
    emulator = await make_emulator(token_lifetime_seconds=60)
    assert (await emulator.client.get("/api/v2/roles")).status_code == 200
    emulator.clock.advance(61)
    response = await emulator.client.get("/api/v2/roles")
    assert response.status_code == 401
    assert response.json()["error"] == "Unauthorized"


@pytest.mark.parametrize("header", [None, "Bearer nonsense", "Basic abc"])
async def test_missing_or_foreign_token_is_401(
    make_emulator: MakeEmulator, header: str | None
) -> None:
    emulator = await make_emulator()
    del emulator.client.headers["Authorization"]
    headers = {"Authorization": header} if header else {}
    response = await emulator.client.get("/api/v2/roles", headers=headers)
    assert response.status_code == 401
    assert response.json() == {
        "statusCode": 401,
        "error": "Unauthorized",
        "message": "Invalid token.",
    }


async def test_token_from_another_emulator_is_refused(make_emulator: MakeEmulator) -> None:
    first = await make_emulator()
    second = await make_emulator()
    foreign = first.client.headers["Authorization"]
    response = await second.client.get("/api/v2/roles", headers={"Authorization": foreign})
    assert response.status_code == 401


async def test_missing_scope_is_403_insufficient_scope(make_emulator: MakeEmulator) -> None:
    seed = seed_with()
    seed["clients"].append({"client_id": "reader", "client_secret": "r", "scopes": ["read:roles"]})
    emulator = await make_emulator(seed)
    await emulator.authorize("reader", "r")
    assert (await emulator.client.get("/api/v2/roles")).status_code == 200
    response = await emulator.client.get("/api/v2/users/auth0%7Cx")
    assert response.status_code == 403
    assert response.json() == {
        "statusCode": 403,
        "error": "Forbidden",
        "message": "Insufficient scope, expected any of: read:users",
        "errorCode": "insufficient_scope",
    }
    members = await emulator.client.get("/api/v2/roles/rol_A1/users")
    assert members.status_code == 403
    assert "read:users, read:roles" in members.json()["message"]
