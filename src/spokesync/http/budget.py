"""Rate-limit budgets fed by the services' response headers.

A :class:`RateBudget` tracks one bucket: its limit, what remains, when the window resets, and
how many requests *we* sent in the current window. ``acquire()`` waits until the window resets
when we have used our ``share`` of the limit (Okta lets one token use 50 % of a bucket by default,
so other integrations keep theirs) or the bucket's remainder falls to a small ``reserve``.

Okta sends ``X-Rate-Limit-Limit/Remaining/Reset`` (Auth0's ``X-RateLimit-*`` names are read
too); the reset is in epoch seconds. Auth0's limit is a token bucket, paced by
:class:`~spokesync.http.token_bucket.TokenBucketBudget` instead. :class:`Pacer` is what a
session needs of either. ``sleep`` and ``clock`` are injectable so tests never wait.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from spokesync.http.observer import notify_wait

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]

_LIMIT = ("x-rate-limit-limit", "x-ratelimit-limit")
_REMAINING = ("x-rate-limit-remaining", "x-ratelimit-remaining")
_RESET = ("x-rate-limit-reset", "x-ratelimit-reset")


class Pacer(Protocol):
    """What a session asks of a rate-limit budget around each call it sends."""

    async def acquire(self) -> None:
        """Wait until the call may go."""
        ...

    def update(self, headers: Mapping[str, str]) -> None:
        """The call was answered with these headers."""
        ...

    def cancel(self) -> None:
        """The call got no answer."""
        ...


def header_int(headers: Mapping[str, str], names: tuple[str, ...]) -> int | None:
    """The first of ``names`` present in (lower-cased) ``headers``, as an int; None if absent."""
    for name in names:
        raw = headers.get(name)
        if raw is not None:
            try:
                return int(float(raw))
            except ValueError:
                return None
    return None


@dataclass
class RateBudget:
    """One bucket's budget. ``share`` of ``limit`` is ours; ``reserve`` is never touched."""

    name: str = "default"
    share: float = 1.0
    reserve: int = 1
    max_wait: float = 65.0
    sleep: Sleep = asyncio.sleep
    clock: Clock = time.time
    limit: int | None = None
    remaining: int | None = None
    reset_at: float | None = None
    used: int = 0
    #: how often and how long acquire() waited (for the run summary and tests)
    wait_count: int = 0
    waited_seconds: float = 0.0

    def __post_init__(self) -> None:
        if not 0 < self.share <= 1:
            raise ValueError(f"share must be in (0, 1], got {self.share}")

    @property
    def allowance(self) -> int | None:
        """How many requests per window are ours (``None`` until a limit was seen)."""
        if self.limit is None:
            return None
        return max(1, math.floor(self.limit * self.share))

    def _roll_window(self, now: float) -> None:
        if self.reset_at is not None and now >= self.reset_at:
            self.used = 0
            self.remaining = None
            self.reset_at = None

    def _exhausted(self) -> bool:
        allowance = self.allowance
        if allowance is not None and self.used >= allowance:
            return True
        return self.remaining is not None and self.remaining <= self.reserve

    async def acquire(self) -> None:
        """Take one request from the budget, first waiting for the window to reset if spent."""
        while True:
            now = self.clock()
            self._roll_window(now)
            if self.reset_at is None or not self._exhausted():
                self.used += 1
                if self.remaining is not None:
                    self.remaining -= 1
                return
            wait = min(max(self.reset_at - now, 0.0), self.max_wait) + 0.05
            self.wait_count += 1
            self.waited_seconds += wait
            notify_wait(self.name, wait)
            await self.sleep(wait)
            # After the longest wait we allow, the window must be treated as new.
            if self.clock() >= now + self.max_wait:
                self.used, self.remaining, self.reset_at = 0, None, None

    def cancel(self) -> None:
        """A call got no answer: nothing to learn (what it took stays taken)."""

    def update(self, headers: Mapping[str, str]) -> None:
        """Learn limit, remainder and reset from a response's headers (either vendor's names)."""
        lowered = {k.lower(): v for k, v in headers.items()}
        limit = header_int(lowered, _LIMIT)
        remaining = header_int(lowered, _REMAINING)
        reset = header_int(lowered, _RESET)
        if reset is None:
            return
        if limit == 0:
            # Okta's concurrency limit reports 0/0 and an estimated reset: it says nothing
            # about the per-minute bucket, and the retry policy handles the 429 itself.
            return
        if self.reset_at is not None and reset > self.reset_at:
            self.used = 0  # the service opened a new window
        # Remaining and reset describe one window together: take them as a pair from the
        # latest answer, never a remainder of one window with the reset of another.
        self.reset_at = float(reset)
        if remaining is not None:
            self.remaining = remaining
        if limit is not None:
            self.limit = limit


@dataclass
class BudgetBook:
    """Budgets created on first use, one per bucket name, all with the same settings."""

    share: float = 1.0
    reserve: int = 1
    max_wait: float = 65.0
    sleep: Sleep = asyncio.sleep
    clock: Clock = time.time
    budgets: dict[str, RateBudget] = field(default_factory=dict)

    def for_bucket(self, name: str) -> RateBudget:
        """The budget of bucket ``name``."""
        budget = self.budgets.get(name)
        if budget is None:
            budget = RateBudget(
                name=name,
                share=self.share,
                reserve=self.reserve,
                max_wait=self.max_wait,
                sleep=self.sleep,
                clock=self.clock,
            )
            self.budgets[name] = budget
        return budget
