"""A per-endpoint limit in front of a service's global budget (Auth0's per-endpoint rows).

Auth0's Enterprise plan limits some endpoints on their own besides the Management API's
global bucket: organization members 500 a minute, organization member roles 200 a minute
(reference auth0-api.md, rate limits). :class:`EndpointLimit` starts calls to such an
endpoint no closer together than its sustained rate allows (no burst is assumed), paces them
by what the endpoint's answers announce in ``x-ratelimit-*`` (its own token bucket), and
takes a place in the global budget too, whose headers the other endpoints keep teaching.
``sleep`` and ``clock`` are injectable.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from spokesync.http.budget import Clock, Pacer, Sleep
from spokesync.http.token_bucket import TokenBucketBudget


@dataclass
class EndpointLimit:
    """Calls spaced at ``per_minute``, paced by the endpoint's own announced bucket, then
    counted in ``inner`` (the global budget: its place is taken and freed, nothing learnt,
    since this endpoint's headers may describe its own bucket)."""

    per_minute: int
    inner: Pacer | None = None
    sleep: Sleep = asyncio.sleep
    clock: Clock = time.time
    own: TokenBucketBudget = field(init=False)
    #: when the next call may start
    next_at: float = 0.0
    wait_count: int = 0
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    def __post_init__(self) -> None:
        self.own = TokenBucketBudget(name="endpoint", sleep=self.sleep, clock=self.clock)

    async def acquire(self) -> None:
        async with self._lock:
            now = self.clock()
            if now < self.next_at:
                self.wait_count += 1
                await self.sleep(self.next_at - now)
                now = self.clock()
            self.next_at = max(now, self.next_at) + 60.0 / self.per_minute
        await self.own.acquire()
        if self.inner is not None:
            try:
                await self.inner.acquire()
            except BaseException:
                self.own.cancel()
                raise

    def update(self, headers: Mapping[str, str]) -> None:
        self.own.update(headers)
        if self.inner is not None:
            self.inner.cancel()

    def cancel(self) -> None:
        self.own.cancel()
        if self.inner is not None:
            self.inner.cancel()
