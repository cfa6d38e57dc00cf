"""Rate limits: headers on /api/v2 2xx answers (not on other 4xx), 429 when the bucket is
spent, refill."""

from __future__ import annotations

import pytest

from spokesync.emulators.auth0.clock import Clock
from spokesync.emulators.auth0.ratelimit import TokenBucket
from tests.emulators.auth0.conftest import MakeEmulator

pytestmark = pytest.mark.anyio

HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")


async def test_headers_on_2xx_only(make_emulator: MakeEmulator) -> None:
    """auth0/ruby/: every Management API 2xx carried the headers (users-get.json #0), its
    400, 401 and 404 none (jobs-verification-email-400.json #1, device-credentials-create-
    401.json #0, users-permissions-add-404.json #0); those still spend a token."""
    emulator = await make_emulator(burst=20)
    client = emulator.client
    answers = [
        await client.get("/api/v2/roles"),
        await client.delete("/api/v2/users/auth0%7Cgone"),
        await client.get("/api/v2/users/auth0%7Cgone"),
        await client.get("/api/v2/roles", headers={"Authorization": "Bearer bad"}),
        await client.get("/api/v2/no-such-endpoint"),
        await client.get("/api/v2/roles"),
    ]
    assert [a.status_code for a in answers] == [200, 204, 404, 401, 404, 200]
    for answer in answers:
        assert answer.headers["content-type"] == "application/json; charset=utf-8"
        carried = [name in answer.headers for name in HEADERS]
        assert carried == [answer.status_code < 400] * 3, answer.headers
    first, second, last = answers[0], answers[1], answers[-1]
    assert first.headers["x-ratelimit-limit"] == "20"
    remaining = [int(a.headers["x-ratelimit-remaining"]) for a in (first, second, last)]
    # the three 4xx took theirs too (less the trickle the bucket refills meanwhile)
    assert remaining[0] < 20 and remaining[2] < remaining[1] - 1


async def test_token_endpoint_errors_keep_the_headers(make_emulator: MakeEmulator) -> None:
    """The Authentication API's /oauth/token 403 carried them (oauth-token-password-403 #0)."""
    emulator = await make_emulator()
    refused = await emulator.client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": "admin", "client_secret": "no"},
    )
    assert refused.status_code in (401, 403)
    assert all(name in refused.headers for name in HEADERS)


async def test_429_once_the_bucket_is_spent_then_refill(make_emulator: MakeEmulator) -> None:
    emulator = await make_emulator(burst=3, rate_per_second=0.01)
    client = emulator.client
    statuses = [(await client.get("/api/v2/roles")).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = await client.get("/api/v2/roles")
    assert refused.json() == {
        "statusCode": 429,
        "error": "Too Many Requests",
        "message": "Global limit has been reached",
        "errorCode": "too_many_requests",
    }
    assert refused.headers["x-ratelimit-remaining"] == "0"
    reset = int(refused.headers["x-ratelimit-reset"])
    now = emulator.clock.now()
    assert now + 90 <= reset <= now + 101  # epoch seconds of the next token (0.01/s -> ~100 s)
    # the token endpoint has its own bucket
    assert (await emulator.token()) != ""
    emulator.clock.advance(101)
    assert (await client.get("/api/v2/roles")).status_code == 200


def test_bucket_refills_by_the_millisecond() -> None:
    clock = Clock(frozen_at=1_700_000_000.0)
    bucket = TokenBucket(rate_per_second=10, burst=2, clock=clock)
    assert [bucket.take().allowed for _ in range(3)] == [True, True, False]
    clock.advance(0.099)
    assert not bucket.take().allowed
    clock.advance(0.002)
    decision = bucket.take()
    assert decision.allowed and decision.remaining == 0
    with pytest.raises(ValueError):
        TokenBucket(rate_per_second=0, burst=1, clock=clock)
