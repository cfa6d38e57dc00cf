"""EndpointLimit: calls to a limited endpoint are spaced at its rate and also take (and free)
a place in the global budget."""

from __future__ import annotations

import pytest

from spokesync.http.endpoint_limit import EndpointLimit
from spokesync.http.token_bucket import TokenBucketBudget


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.mark.anyio
async def test_calls_are_spaced_at_the_endpoint_rate() -> None:
    clock = Clock()
    inner = TokenBucketBudget(sleep=clock.sleep, clock=clock)
    limit = EndpointLimit(120, inner, sleep=clock.sleep, clock=clock)
    headers = {
        "x-ratelimit-limit": "40",
        "x-ratelimit-remaining": "39",
        "x-ratelimit-reset": "1001",
    }
    for _ in range(3):
        await limit.acquire()
        limit.update(headers)
    assert clock.slept == [pytest.approx(0.5), pytest.approx(0.5)]  # 120/min: 0.5 s apart
    assert inner.in_flight == 0 and inner.remaining is None  # freed, not taught
    assert limit.own.limit == 40


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
