"""Rate limits: headers on every /api/v2 answer, 429 when the bucket is spent, refill."""

from __future__ import annotations

import pytest

from spokesync.emulators.auth0.clock import Clock
from spokesync.emulators.auth0.ratelimit import TokenBucket
from tests.emulators.auth0.conftest import MakeEmulator

pytestmark = pytest.mark.anyio

HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")


async def test_headers_on_200_204_and_4xx(make_emulator: MakeEmulator) -> None:
    emulator = await make_emulator(burst=20)
    client = emulator.client
    answers = [
        await client.get("/api/v2/roles"),
        await client.delete("/api/v2/users/auth0%7Cgone"),
        await client.get("/api/v2/users/auth0%7Cgone"),
        await client.get("/api/v2/roles", headers={"Authorization": "Bearer bad"}),
        await client.get("/api/v2/no-such-endpoint"),
    ]
    assert [a.status_code for a in answers] == [200, 204, 404, 401, 404]
    remaining = []
    for answer in answers:
        assert all(name in answer.headers for name in HEADERS), answer.headers
        assert answer.headers["x-ratelimit-limit"] == "20"
        assert answer.headers["content-type"] == "application/json; charset=utf-8"
        remaining.append(int(answer.headers["x-ratelimit-remaining"]))
    assert remaining == sorted(remaining, reverse=True) and remaining[0] < 20


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
