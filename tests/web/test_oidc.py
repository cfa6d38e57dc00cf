"""The relying party's ID token checks against the Okta emulator's published keys: a bad
signature, another audience or issuer, an expired token or another nonce is refused with
OidcError (which the callback shows as a page), never accepted and never an exception else."""

from __future__ import annotations

import time
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import SecretStr

from spokesync.config.sections import OidcConfig
from spokesync.emulators.okta import create_app
from spokesync.web.oidc import Login, OidcClient, OidcError

pytestmark = pytest.mark.anyio

ISSUER = "http://127.0.0.1:8802"
CLIENT_ID = "0oaspokesyncweb"
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def emulator() -> Any:
    return create_app(
        {
            "oidc_apps": [
                {
                    "client_id": CLIENT_ID,
                    "client_secret": "s3cret-s3cret",
                    "redirect_uris": ["http://127.0.0.1:8470/auth/callback"],
                }
            ]
        }
    )


@pytest.fixture
def client(emulator: Any) -> OidcClient:
    config = OidcConfig(
        issuer=ISSUER,
        client_id=CLIENT_ID,
        client_secret=SecretStr("s3cret-s3cret"),
        redirect_url="http://127.0.0.1:8470/auth/callback",
    )
    return OidcClient(config, transport=httpx.ASGITransport(app=emulator))


def _claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "sub": "00uann",
        "iss": ISSUER,
        "aud": CLIENT_ID,
        "iat": now,
        "exp": now + 3600,
        "nonce": "the-nonce",
        "email": "ann@hub.example",
        "groups": ["spokesync-viewers"],
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _signed(emulator: Any, **changes: Any) -> str:
    token: str = emulator.state.org.oidc.sign(_claims(**changes))
    return token


async def test_a_token_signed_by_the_issuer_for_us_is_accepted(
    client: OidcClient, emulator: Any
) -> None:
    person = await client.verify(_signed(emulator), "the-nonce")
    assert (person.subject, person.email, person.groups) == (
        "00uann",
        "ann@hub.example",
        ["spokesync-viewers"],
    )


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"aud": "0oaanotherapp"}, "another client"),
        ({"iss": "https://evil.example"}, "another issuer"),
        ({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}, "expired"),
        ({"nonce": "replayed-nonce"}, "nonce"),
        ({"nonce": None}, "nonce"),
        ({"exp": None}, "not valid"),
    ],
)
async def test_a_token_with_a_wrong_claim_is_refused(
    client: OidcClient, emulator: Any, changes: dict[str, Any], reason: str
) -> None:
    with pytest.raises(OidcError, match=reason):
        await client.verify(_signed(emulator, **changes), "the-nonce")


async def test_a_token_signed_by_another_key_under_the_issuers_kid_is_refused(
    client: OidcClient, emulator: Any
) -> None:
    kid = emulator.state.org.oidc.key_id
    forged = jwt.encode(_claims(), OTHER_KEY, algorithm="RS256", headers={"kid": kid})
    with pytest.raises(OidcError, match="signature"):
        await client.verify(forged, "the-nonce")
    unknown = jwt.encode(_claims(), OTHER_KEY, algorithm="RS256", headers={"kid": "elsewhere"})
    with pytest.raises(OidcError, match="does not publish"):
        await client.verify(unknown, "the-nonce")


async def test_unsigned_or_symmetric_or_garbage_tokens_are_refused(client: OidcClient) -> None:
    none_alg = jwt.encode(_claims(), None, algorithm="none")
    hs256 = jwt.encode(_claims(), "s3cret-s3cret-s3cret-s3cret-s3cret", algorithm="HS256")
    for token in (none_alg, hs256, "not.a.jwt", "", "é"):
        with pytest.raises(OidcError):
            await client.verify(token, "the-nonce")


async def test_the_login_cookie_is_sealed_and_expires(client: OidcClient) -> None:
    login = Login("st", "no", "ve" * 30, time.time() + 60)
    sealed = client.seal(login)
    assert client.unseal(sealed) == login
    body, mac = sealed.split(".")
    assert client.unseal(f"{body}x.{mac}") is None
    assert client.unseal(client.seal(Login("st", "no", "ve", time.time() - 1))) is None
    for junk in (None, "", "é.é", "a.b.c", "x." + mac):
        assert client.unseal(junk) is None


async def test_a_wrong_state_stops_the_sign_in_before_the_code_is_redeemed(
    client: OidcClient,
) -> None:
    login = Login("the-state", "n", "v" * 43, time.time() + 60)
    with pytest.raises(OidcError, match="state"):
        await client.finish(login, "another-state", "some-code")
    with pytest.raises(OidcError, match="refused the authorization code"):
        await client.finish(login, "the-state", "no-such-code")


async def test_an_issuer_whose_metadata_names_another_issuer_is_refused(emulator: Any) -> None:
    config = OidcConfig(
        issuer="http://127.0.0.1:8802",
        client_id=CLIENT_ID,
        client_secret=SecretStr("s3cret-s3cret"),
        redirect_url="http://127.0.0.1:8470/auth/callback",
    )
    elsewhere = httpx.ASGITransport(app=emulator)

    class Renamed(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            request.headers["host"] = "localhost:8802"  # the emulator answers as another host
            return await elsewhere.handle_async_request(request)

    with pytest.raises(OidcError, match="another issuer"):
        await OidcClient(config, transport=Renamed()).begin()
