"""OAuth service app: client credentials with private_key_jwt, scopes on API calls (§9)."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from starlette.applications import Starlette

from spokesync.emulators.okta import create_app
from tests.emulators.okta.support import BASE, FakeClock, client, profile, seed

pytestmark = pytest.mark.anyio

TOKEN_URL = f"{BASE}/oauth2/v1/token"
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())


def public_pem(key: Any) -> str:
    return str(
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def api(clock: FakeClock) -> AsyncIterator[httpx.AsyncClient]:
    ec_jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(EC_KEY.public_key()))
    app: Starlette = create_app(
        seed(
            oauth_clients=[
                {
                    "client_id": "0oaservice",
                    "public_key_pem": public_pem(RSA_KEY),
                    "scopes": ["okta.users.read", "okta.groups.manage"],
                },
                {"client_id": "0oaec", "jwks": {"keys": [ec_jwk]}, "scopes": ["okta.users.manage"]},
            ]
        ),
        clock=clock,
    )
    async with client(app, token=None) as http:
        yield http


def assertion(
    clock: FakeClock, client_id: str = "0oaservice", key: Any = RSA_KEY, **claims: Any
) -> str:
    now = int(clock())
    payload = {
        "iss": client_id,
        "sub": client_id,
        "aud": TOKEN_URL,
        "iat": now,
        "exp": now + 300,
        "jti": str(uuid.uuid4()),
        **claims,
    }
    algorithm = "RS256" if isinstance(key, rsa.RSAPrivateKey) else "ES256"
    return jwt.encode(payload, key, algorithm=algorithm)


async def ask(api: httpx.AsyncClient, scope: str, client_assertion: str) -> httpx.Response:
    return await api.post(
        "/oauth2/v1/token",
        data={
            "grant_type": "client_credentials",
            "scope": scope,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": client_assertion,
        },
    )


async def test_token_then_call_within_and_outside_its_scopes(
    api: httpx.AsyncClient, clock: FakeClock
) -> None:
    response = await ask(api, "okta.users.read okta.groups.manage", assertion(clock))
    assert response.status_code == 200
    body = response.json()
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 3600)
    assert body["scope"] == "okta.users.read okta.groups.manage"
    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    assert (await api.get("/api/v1/users", headers=bearer)).status_code == 200
    # okta.groups.manage also covers reading groups
    assert (await api.get("/api/v1/groups", headers=bearer)).status_code == 200
    refused = await api.post(
        "/api/v1/users", json={"profile": profile("ann@partner.example")}, headers=bearer
    )
    assert refused.status_code == 403
    assert refused.json()["errorCode"] == "E0000006"
    clock.advance(3600)
    expired = await api.get("/api/v1/users", headers=bearer)
    assert (expired.status_code, expired.json()["errorCode"]) == (401, "E0000011")


async def test_jwks_client_with_ec_key(api: httpx.AsyncClient, clock: FakeClock) -> None:
    response = await ask(api, "okta.users.manage", assertion(clock, "0oaec", EC_KEY))
    assert response.status_code == 200


async def test_scope_not_granted_is_invalid_scope(api: httpx.AsyncClient, clock: FakeClock) -> None:
    response = await ask(api, "okta.users.read okta.users.manage", assertion(clock))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"
    assert set(response.json()) == {"error", "error_description"}


@pytest.mark.parametrize(
    "claims",
    [
        {"aud": "http://127.0.0.1:9999/oauth2/v1/token"},
        {"exp": 1},  # expired
        {"exp": 1_750_000_000 + 7200},  # more than one hour ahead
        {"sub": "someone-else"},
        {"iss": "0oaunknown", "sub": "0oaunknown"},
    ],
)
async def test_bad_assertions_are_invalid_client(
    api: httpx.AsyncClient, clock: FakeClock, claims: dict[str, Any]
) -> None:
    response = await ask(api, "okta.users.read", assertion(clock, **claims))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


async def test_wrong_signing_key_is_invalid_client(
    api: httpx.AsyncClient, clock: FakeClock
) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    response = await ask(api, "okta.users.read", assertion(clock, key=other))
    assert response.status_code == 401


async def test_an_assertion_cannot_be_replayed(api: httpx.AsyncClient, clock: FakeClock) -> None:
    once = assertion(clock)
    assert (await ask(api, "okta.users.read", once)).status_code == 200
    assert (await ask(api, "okta.users.read", once)).status_code == 401


async def test_wrong_grant_type(api: httpx.AsyncClient) -> None:
    response = await api.post("/oauth2/v1/token", data={"grant_type": "password"})
    assert (response.status_code, response.json()["error"]) == (400, "unsupported_grant_type")


@pytest.mark.parametrize("header", [None, "SSWS nope", "Bearer nope", "Basic abc"])
async def test_unknown_credentials_are_e0000011(api: httpx.AsyncClient, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    response = await api.get("/api/v1/users", headers=headers)
    assert response.status_code == 401
    assert response.json()["errorSummary"] == "Invalid token provided"


async def test_ssws_without_space_is_accepted(api: httpx.AsyncClient) -> None:
    # the official Python SDK sends "SSWS<token>" (reference §10)
    response = await api.get("/api/v1/users", headers={"Authorization": "SSWSssws-test-token"})
    assert response.status_code == 200
