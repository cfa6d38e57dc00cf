"""RetryPolicy: transient failures retried within bounds, permanent ones never."""

from __future__ import annotations

from typing import Any

import pytest

from spokesync.http.errors import (
    AuthError,
    BadRequest,
    NotFound,
    RateLimited,
    ServerError,
    TransportError,
)
from spokesync.http.retry import RetryPolicy

KW: dict[str, Any] = {"service": "okta"}


def test_permanent_errors_are_not_retried() -> None:
    policy = RetryPolicy()
    for exc in (BadRequest("b", **KW), NotFound("n", **KW), AuthError("a", **KW), ValueError()):
        assert policy.backoff_for(exc) is False


def test_transient_errors_use_default_backoff() -> None:
    policy = RetryPolicy()
    assert policy.backoff_for(ServerError("s", **KW)) is True
    assert policy.backoff_for(TransportError("t", **KW)) is True
    assert policy.backoff_for(RateLimited("r", **KW)) is True  # no reset known


def test_rate_limited_waits_until_reset_bounded() -> None:
    policy = RetryPolicy(clock=lambda: 1000.0, max_rate_limit_wait=65)
    wait = policy.backoff_for(RateLimited("r", reset_at=1020.0, **KW))
    assert isinstance(wait, float)
    assert 20 <= wait <= 20.5
    far = policy.backoff_for(RateLimited("r", reset_at=99999.0, **KW))
    assert far == 65
    past = policy.backoff_for(RateLimited("r", reset_at=10.0, **KW))
    assert isinstance(past, float) and past < 1


@pytest.mark.anyio
async def test_run_retries_then_succeeds() -> None:
    outcomes: list[Exception | str] = [ServerError("s", **KW), TransportError("t", **KW), "ok"]

    async def attempt() -> str:
        item = outcomes.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    assert await RetryPolicy(attempts=4).run(attempt) == "ok"


@pytest.mark.anyio
async def test_run_gives_up_after_attempts() -> None:
    tries = 0

    async def attempt() -> None:
        nonlocal tries
        tries += 1
        raise ServerError("s", **KW)

    with pytest.raises(ServerError):
        await RetryPolicy(attempts=3).run(attempt)
    assert tries == 3


@pytest.mark.anyio
async def test_run_does_not_retry_permanent() -> None:
    tries = 0

    async def attempt() -> None:
        nonlocal tries
        tries += 1
        raise BadRequest("b", **KW)

    with pytest.raises(BadRequest):
        await RetryPolicy(attempts=4).run(attempt)
    assert tries == 1


def test_attempts_must_be_positive() -> None:
    with pytest.raises(ValueError, match="attempts"):
        RetryPolicy(attempts=0)
