"""TokenBucketBudget: Auth0 calls paced by the bucket the answers announce, before any 429.

Source followed: reference auth0-api.md §8 (token bucket; ``x-ratelimit-limit`` = burst,
``-remaining``, ``-reset`` = epoch second when tokens are next added; 429 body "Global limit
has been reached"). The scripted bucket below is written from that text, not from the emulator.
"""

from __future__ import annotations

import asyncio
import math

import httpx
import pytest

from spokesync.http.errors import RateLimited
from spokesync.http.factory import make_client
from spokesync.http.retry import RetryPolicy
from spokesync.http.session import ApiSession, StaticAuthorization, call
from spokesync.http.token_bucket import TokenBucketBudget
from tests.http.scripted import FakeTime, Scripted, respond

BASE = "https://tenant.example"


def auth0_headers(limit: int, remaining: int, reset: float) -> dict[str, str]:
    return {
        "x-ratelimit-limit": str(limit),
        "x-ratelimit-remaining": str(remaining),
        "x-ratelimit-reset": str(int(reset)),
    }


class ScriptedBucket:
    """A Management API that refuses a burst: ``burst`` tokens refilled at ``rate`` per
    second on the fake clock, announced as reference §8 describes."""

    def __init__(self, time: FakeTime, *, burst: int, rate: float) -> None:
        self.time = time
        self.burst = burst
        self.rate = rate
        self.tokens = float(burst)
        self.stamp = time.now
        self.refused = 0
        self.served = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        now = self.time.now
        self.tokens = min(float(self.burst), self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        allowed = self.tokens >= 1
        if allowed:
            self.tokens -= 1
        # when the next token is added (epoch seconds, rounded up: never promise early)
        missing = 1 - (self.tokens - math.floor(self.tokens))
        reset = math.ceil(now + missing / self.rate) if self.tokens < self.burst else now
        headers = auth0_headers(self.burst, math.floor(self.tokens), reset)
        if not allowed:
            self.refused += 1
            body = {
                "statusCode": 429,
                "error": "Too Many Requests",
                "message": "Global limit has been reached",
                "errorCode": "too_many_requests",
            }
            return respond(429, body, headers=headers)
        self.served += 1
        return respond(200, {"user_id": request.url.path.rsplit("/", 1)[-1]}, headers=headers)


def paced_session(
    transport: httpx.AsyncBaseTransport, budget: TokenBucketBudget, time: FakeTime
) -> ApiSession:
    return ApiSession(
        "auth0",
        make_client(BASE, timeout=5, transport=transport),
        authorization=StaticAuthorization("Bearer t"),
        retry=RetryPolicy(attempts=4, clock=time.clock),
        budget_for=lambda _call: budget,
        max_concurrency=10,
    )


@pytest.mark.anyio
async def test_thirty_concurrent_calls_against_a_bucket_of_five_meet_no_429() -> None:
    time = FakeTime()
    bucket = ScriptedBucket(time, burst=5, rate=2.0)
    budget = TokenBucketBudget(name="auth0", sleep=time.sleep, clock=time.clock)
    session = paced_session(httpx.MockTransport(bucket), budget, time)
    started = time.now

    async def one(n: int) -> None:
        await session.send(call("GET", "/api/v2/users/{id}", id=f"auth0|{n}"))

    await asyncio.gather(*(one(n) for n in range(30)))
    assert bucket.refused == 0
    assert session.rate_limited == 0 and not session.retried
    assert bucket.served == 30
    # The pacer waited for the announced resets: 30 calls, 5 at once, then 2 a second.
    assert budget.wait_count > 0
    assert time.now - started >= (30 - 5) / 2.0 - 1


@pytest.mark.anyio
async def test_first_call_goes_alone_until_its_headers_arrive() -> None:
    time = FakeTime()
    budget = TokenBucketBudget(sleep=time.sleep, clock=time.clock)
    await budget.acquire()  # the probe
    waiting = asyncio.create_task(budget.acquire())
    await asyncio.sleep(0)
    assert not waiting.done() and budget.in_flight == 1
    budget.update(auth0_headers(50, 49, time.now + 1))
    await asyncio.wait_for(waiting, 1)
    assert budget.remaining == 48 and budget.in_flight == 1
    assert time.sleeps == []


@pytest.mark.anyio
async def test_a_probe_without_an_answer_lets_the_next_call_probe() -> None:
    time = FakeTime()
    budget = TokenBucketBudget(sleep=time.sleep, clock=time.clock)
    await budget.acquire()
    waiting = asyncio.create_task(budget.acquire())
    await asyncio.sleep(0)
    budget.cancel()  # transport error: no headers
    await asyncio.wait_for(waiting, 1)
    assert budget.in_flight == 1


@pytest.mark.anyio
async def test_remainder_at_the_reserve_waits_for_the_reset_then_probes() -> None:
    time = FakeTime()
    reset = time.now + 3
    budget = TokenBucketBudget(reserve=1, sleep=time.sleep, clock=time.clock)
    await budget.acquire()
    budget.update(auth0_headers(10, 2, reset))
    await budget.acquire()  # 2 -> 1
    assert time.sleeps == []
    budget.update(auth0_headers(10, 1, reset))  # its answer: nothing more in flight
    await budget.acquire()  # at the reserve: wait for the reset, then go as the probe
    assert time.sleeps == [pytest.approx(3)]
    assert budget.remaining is None and budget.in_flight == 1


@pytest.mark.anyio
async def test_a_429_makes_the_next_call_wait_for_its_reset() -> None:
    time = FakeTime()
    budget = TokenBucketBudget(sleep=time.sleep, clock=time.clock)
    await budget.acquire()
    budget.update(auth0_headers(50, 0, time.now + 1))
    await budget.acquire()
    assert time.sleeps == [pytest.approx(1)]


@pytest.mark.anyio
async def test_wait_is_bounded_by_max_wait() -> None:
    time = FakeTime()
    budget = TokenBucketBudget(max_wait=65, sleep=time.sleep, clock=time.clock)
    await budget.acquire()
    budget.update(auth0_headers(50, 0, time.now + 3600))
    await budget.acquire()
    assert time.sleeps == [pytest.approx(65)]


def test_calls_in_flight_are_not_counted_in_an_answer_yet() -> None:
    budget = TokenBucketBudget()
    budget.in_flight = 4
    budget.update(auth0_headers(50, 40, 1000))
    assert budget.remaining == 37  # 40 less the three calls still on their way


def test_same_reset_only_lowers_an_older_reset_is_ignored_a_later_one_replaces() -> None:
    budget = TokenBucketBudget()
    budget.in_flight = 3
    budget.update(auth0_headers(50, 20, 1000))
    assert budget.remaining == 18
    budget.update(auth0_headers(50, 30, 1000))  # answered earlier, arrived later
    assert budget.remaining == 18
    budget.update(auth0_headers(50, 45, 999))
    assert (budget.remaining, budget.reset_at) == (18, 1000.0)
    budget.in_flight = 1
    budget.update(auth0_headers(50, 12, 1001))  # tokens were added since
    assert (budget.remaining, budget.reset_at) == (12, 1001.0)


@pytest.mark.anyio
async def test_answers_without_rate_limit_headers_are_not_paced() -> None:
    time = FakeTime()
    budget = TokenBucketBudget(sleep=time.sleep, clock=time.clock)
    await budget.acquire()
    budget.update({"content-type": "application/json"})
    for _ in range(20):
        await budget.acquire()
    assert budget.in_flight == 20 and time.sleeps == []


@pytest.mark.anyio
async def test_retries_are_counted_by_cause() -> None:
    time = FakeTime()
    refused = respond(
        429,
        {"statusCode": 429, "message": "Global limit has been reached"},
        headers=auth0_headers(5, 0, time.now + 1),
    )
    script = Scripted().on(
        "GET", "/api/v2/roles", refused, respond(503, {"statusCode": 503}), respond(200, [])
    )
    budget = TokenBucketBudget(sleep=time.sleep, clock=time.clock)
    session = paced_session(script.transport(), budget, time)
    assert await session.send_json(call("GET", "/api/v2/roles")) == []
    assert dict(session.retried) == {"429": 1, "503": 1}
    assert session.rate_limited == 1
    with pytest.raises(RateLimited):
        await paced_session(
            Scripted().on("GET", "/api/v2/roles", refused).transport(), budget, time
        ).send(call("GET", "/api/v2/roles"))
