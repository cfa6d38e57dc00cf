"""PrivateKeyJwtToken: form request, assertion claims, caching, Bearer header, 401 refresh."""

from __future__ import annotations

import jwt
import pytest

from spokesync.http.errors import AuthError
from spokesync.okta.client import OktaClient
from spokesync.okta.oauth import PrivateKeyJwtToken
from tests.http.scripted import FakeTime, Scripted, respond, rsa_key_pair

ORG = "https://org.example"
PRIVATE, PUBLIC = rsa_key_pair()


def token_answer(value: str) -> object:
    # Reference okta-api.md §9: {"token_type":"Bearer","expires_in":3600,"access_token","scope"}.
    return respond(
        200,
        {
            "token_type": "Bearer",
            "expires_in": 3600,
            "access_token": value,
            "scope": "okta.users.read",
        },
    )


@pytest.mark.anyio
async def test_token_request_and_bearer_use() -> None:
    time = FakeTime()
    provider = PrivateKeyJwtToken(
        ORG, "0oaAPP", PRIVATE, ["okta.users.read", "okta.groups.read"], clock=time.clock
    )
    script = (
        Scripted()
        .on("POST", "/oauth2/v1/token", token_answer("tok-1"))
        .on(
            "GET",
            "/api/v1/users/00u1",
            respond(200, {"id": "00u1", "status": "ACTIVE", "profile": {}}),
        )
    )
    async with OktaClient(ORG, provider, transport=script.transport(), clock=time.clock) as c:
        await c.get_user("00u1")
        await c.get_user("00u1")
    token_request = script.requests[0]
    assert token_request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert "authorization" not in token_request.headers
    form = dict(x.split("=", 1) for x in token_request.content.decode().split("&"))
    assert form["grant_type"] == "client_credentials"
    assert form["scope"] == "okta.users.read+okta.groups.read"
    assert (
        form["client_assertion_type"]
        == "urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"
    )
    claims = jwt.decode(
        form["client_assertion"],
        PUBLIC,
        algorithms=["RS256"],
        audience=f"{ORG}/oauth2/v1/token",
        options={"verify_exp": False},
    )
    assert claims["iss"] == claims["sub"] == "0oaAPP"
    assert claims["exp"] == int(time.now) + 300
    assert claims["jti"]
    assert [r.headers.get("authorization") for r in script.requests[1:]] == ["Bearer tok-1"] * 2
    assert provider.fetches == 1
    assert provider.granted_scopes == ("okta.users.read",)
    assert "PRIVATE" not in repr(provider)
    assert c.calls["POST /oauth2/v1/token"] == 1


@pytest.mark.anyio
async def test_expiry_and_401_refresh() -> None:
    time = FakeTime()
    provider = PrivateKeyJwtToken(ORG, "0oaAPP", PRIVATE, ["okta.users.read"], clock=time.clock)
    script = Scripted().on(
        "POST",
        "/oauth2/v1/token",
        token_answer("tok-1"),
        token_answer("tok-2"),
        token_answer("tok-3"),
    )
    script.on(
        "GET",
        "/api/v1/users/00u1",
        lambda r: (
            respond(200, {"id": "00u1", "status": "ACTIVE", "profile": {}})
            if r.headers["authorization"] != "Bearer tok-2"
            else respond(401, {"errorCode": "E0000011", "errorSummary": "Invalid token provided"})
        ),
    )
    async with OktaClient(ORG, provider, transport=script.transport(), clock=time.clock) as c:
        await c.get_user("00u1")  # tok-1
        time.now += 3600 - 60 + 1  # past expires_in minus the margin (min of 60 s and 10 %)
        await c.get_user("00u1")  # tok-2 answers 401 -> one refresh -> tok-3
    assert provider.fetches == 3
    assert [r.headers.get("authorization") for r in script.requests if r.method == "GET"] == [
        "Bearer tok-1",
        "Bearer tok-2",
        "Bearer tok-3",
    ]


@pytest.mark.anyio
async def test_token_endpoint_refusal() -> None:
    provider = PrivateKeyJwtToken(ORG, "0oaAPP", PRIVATE, ["okta.users.read"])
    script = Scripted().on(
        "POST",
        "/oauth2/v1/token",
        respond(
            401,
            {
                "error": "invalid_client",
                "error_description": "The client_assertion signature is invalid.",
            },
        ),
    )
    async with OktaClient(ORG, provider, transport=script.transport()) as c:
        with pytest.raises(AuthError, match="signature is invalid"):
            await c.get_user("00u1")
