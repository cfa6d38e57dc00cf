"""RateBudget: waits when our share or the bucket's reserve is spent, never otherwise."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spokesync.http.budget import BudgetBook, RateBudget
from tests.http.scripted import FakeTime


def okta_headers(limit: int, remaining: int, reset: float) -> dict[str, str]:
    return {
        "x-rate-limit-limit": str(limit),
        "x-rate-limit-remaining": str(remaining),
        "x-rate-limit-reset": str(int(reset)),
    }


@pytest.mark.anyio
async def test_no_waiting_before_any_headers() -> None:
    time = FakeTime()
    budget = RateBudget(share=0.5, sleep=time.sleep, clock=time.clock)
    for _ in range(50):
        await budget.acquire()
    assert time.sleeps == []


@pytest.mark.anyio
async def test_share_of_limit_then_wait_until_reset() -> None:
    time = FakeTime()
    reset = time.now + 30
    budget = RateBudget(share=0.5, sleep=time.sleep, clock=time.clock)
    budget.update(okta_headers(10, 9, reset))
    budget.used = 1
    for _ in range(4):  # 5 of 10 are ours
        await budget.acquire()
    assert time.sleeps == []
    await budget.acquire()
    assert len(time.sleeps) == 1
    assert time.now >= reset
    assert budget.used == 1  # the new window holds only this request


@pytest.mark.anyio
async def test_reserve_of_bucket_is_left_for_others() -> None:
    time = FakeTime()
    reset = time.now + 10
    budget = RateBudget(share=1.0, reserve=2, sleep=time.sleep, clock=time.clock)
    budget.update(okta_headers(600, 3, reset))
    await budget.acquire()  # remaining 3 -> 2
    assert time.sleeps == []
    await budget.acquire()  # remaining 2 == reserve: wait
    assert time.sleeps and time.now >= reset


@pytest.mark.anyio
async def test_429_headers_make_next_acquire_wait_until_reset() -> None:
    # Recorded okta/rate-limit-429.json #1: remaining 0 and an epoch reset on the 429.
    time = FakeTime()
    budget = RateBudget(share=0.5, sleep=time.sleep, clock=time.clock)
    budget.update(okta_headers(50, 0, time.now + 42))
    await budget.acquire()
    assert time.sleeps == [pytest.approx(42.05)]


@pytest.mark.anyio
async def test_wait_is_bounded() -> None:
    time = FakeTime()
    budget = RateBudget(sleep=time.sleep, clock=time.clock, max_wait=65)
    budget.update(okta_headers(50, 0, time.now + 3600))
    await budget.acquire()
    assert time.sleeps == [pytest.approx(65.05)]


def test_concurrency_429_headers_are_ignored() -> None:
    # Reference okta-api.md §8: the concurrency limit reports Limit 0 / Remaining 0.
    budget = RateBudget()
    budget.update(okta_headers(0, 0, 1_700_000_100))
    assert budget.limit is None and budget.remaining is None


def test_auth0_header_names() -> None:
    budget = RateBudget()
    budget.update(
        {"X-RateLimit-Limit": "50", "X-RateLimit-Remaining": "49", "X-RateLimit-Reset": "5"}
    )
    assert (budget.limit, budget.remaining, budget.reset_at) == (50, 49, 5.0)


def test_later_reset_opens_new_window() -> None:
    budget = RateBudget()
    budget.update(okta_headers(100, 90, 1000))
    budget.used = 10
    budget.update(okta_headers(100, 99, 1060))
    assert budget.used == 0 and budget.remaining == 99 and budget.reset_at == 1060


def test_share_must_be_a_fraction() -> None:
    with pytest.raises(ValueError, match="share"):
        RateBudget(share=0)


def test_book_makes_one_budget_per_bucket() -> None:
    book = BudgetBook(share=0.5)
    assert book.for_bucket("a") is book.for_bucket("a")
    assert book.for_bucket("a") is not book.for_bucket("b")
    assert book.for_bucket("b").share == 0.5


@given(
    limit=st.integers(min_value=1, max_value=200),
    share=st.sampled_from([0.25, 0.5, 1.0]),
    requests=st.integers(min_value=1, max_value=400),
)
def test_never_more_than_our_share_per_window(limit: int, share: float, requests: int) -> None:
    import asyncio

    time = FakeTime()
    budget = RateBudget(share=share, reserve=0, sleep=time.sleep, clock=time.clock)
    per_window: dict[int, int] = {}

    async def run() -> None:
        window = 0
        budget.update(okta_headers(limit, limit, time.now + 60))
        for _ in range(requests):
            await budget.acquire()
            if budget.reset_at is None:  # rolled over: the service would report a new window
                window += 1
                budget.update(okta_headers(limit, limit - 1, time.now + 60))
                budget.used = 1
            per_window[window] = budget.used

    asyncio.run(run())
    allowance = max(1, int(limit * share))
    assert max(per_window.values()) <= allowance
