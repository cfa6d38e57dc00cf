"""Which failures are retried, how often, and how long to wait: a policy run by ``stamina``.

Only transient failures (:func:`~spokesync.http.errors.is_transient`) are retried, at most
``attempts`` times in all, with jittered exponential backoff. A 429 that says when its window
resets waits until then instead (bounded by ``max_rate_limit_wait``), because retrying earlier
only spends more of the same exhausted bucket. Tests switch waiting off with
``stamina.set_testing(True, attempts=..., cap=True)``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import stamina

from spokesync.http.errors import RateLimited, is_transient
from spokesync.http.observer import notify_wait

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries of transient failures; waits until the reset on a 429."""

    attempts: int = 4
    wait_initial: float = 0.5
    wait_max: float = 10.0
    wait_jitter: float = 1.0
    max_rate_limit_wait: float = 65.0
    clock: Callable[[], float] = time.time

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts must be at least 1")

    def backoff_for(self, exc: Exception) -> bool | float:
        """stamina's hook: ``False`` = do not retry, ``True`` = default backoff, float = wait."""
        if not is_transient(exc):
            return False
        if isinstance(exc, RateLimited) and exc.reset_at is not None:
            until_reset = exc.reset_at - self.clock()
            # A little jitter so that concurrent callers do not all return in the same instant.
            wait = min(max(until_reset, 0.0) + random.uniform(0.05, 0.5), self.max_rate_limit_wait)
            notify_wait(f"{exc.service} (answered 429)", wait)
            return wait
        return True

    async def run(self, call: Callable[[], Awaitable[T]]) -> T:
        """Await ``call()`` until it succeeds, fails permanently, or the attempts are spent."""
        async for attempt in stamina.retry_context(
            on=self.backoff_for,
            attempts=self.attempts,
            timeout=None,
            wait_initial=self.wait_initial,
            wait_max=self.wait_max,
            wait_jitter=self.wait_jitter,
        ):
            with attempt:
                return await call()
        raise AssertionError("unreachable: stamina re-raises the last failure")  # pragma: no cover
