"""A per-endpoint limit in front of a service's global budget (Auth0's per-endpoint rows).

Auth0's Enterprise plan limits some endpoints on their own besides the Management API's
global bucket: organization members 500 a minute, organization member roles 200 a minute
(reference auth0-api.md, rate limits). :class:`EndpointLimit` spaces calls to an endpoint so
that no more than ``per_minute`` start in any minute, then hands the call to the global
budget, whose headers keep pacing the whole API. ``sleep`` and ``clock`` are injectable.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field

from spokesync.http.budget import Clock, Pacer, Sleep

WINDOW = 60.0


@dataclass
class EndpointLimit:
    """At most ``per_minute`` calls started in any sliding minute, then ``inner``'s pacing."""

    per_minute: int
    inner: Pacer | None = None
    sleep: Sleep = asyncio.sleep
    clock: Clock = time.time
    #: start times of the calls in the current window, oldest first
    started: deque[float] = field(default_factory=deque)
    wait_count: int = 0
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = self.clock()
                while self.started and now - self.started[0] >= WINDOW:
                    self.started.popleft()
                if len(self.started) < self.per_minute:
                    self.started.append(now)
                    break
                self.wait_count += 1
                await self.sleep(WINDOW - (now - self.started[0]))
        if self.inner is not None:
            await self.inner.acquire()

    def update(self, headers: Mapping[str, str]) -> None:
        # The answer's x-ratelimit-* may describe this endpoint's bucket, not the global
        # one: the global budget only learns the call is done (its place is freed).
        del headers
        if self.inner is not None:
            self.inner.cancel()

    def cancel(self) -> None:
        if self.inner is not None:
            self.inner.cancel()
