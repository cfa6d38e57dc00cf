"""Pacing calls to a token bucket that announces itself in ``x-ratelimit-*`` headers (Auth0).

Auth0's Management API limit is a token bucket: ``x-ratelimit-limit`` is the burst (bucket
size), ``x-ratelimit-remaining`` the tokens left, ``x-ratelimit-reset`` the epoch second at which
tokens are next added (reference auth0-api.md §8). The refill rate is not announced, so the
budget spends only tokens it has been told about:

* before any answer, one call goes alone (a *probe*); the others wait for its headers;
* every answer sets what remains, less the calls still in flight (they may not be counted
  yet); answers that carry the same reset as the last one can only lower it, an older reset
  is ignored, a later one replaces it (tokens were added meanwhile);
* when only ``reserve`` tokens remain, calls wait until the announced reset, then one probe
  learns the new remainder (or an answer still in flight brings it).

Unlike :class:`~spokesync.http.budget.RateBudget` (Okta's fixed windows, where a reset refills
the whole limit), nothing here assumes a reset refills more than one token, so a drained
bucket is never met by a burst. ``sleep`` and ``clock`` are injectable so tests never wait.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from spokesync.http.budget import Clock, Sleep, header_int
from spokesync.http.observer import notify_wait

_LIMIT = "x-ratelimit-limit"
_REMAINING = "x-ratelimit-remaining"
_RESET = "x-ratelimit-reset"


@dataclass
class TokenBucketBudget:
    """One token bucket's budget, learned from the answers; ``reserve`` tokens are left over."""

    name: str = "default"
    reserve: int = 1
    max_wait: float = 65.0
    sleep: Sleep = asyncio.sleep
    clock: Clock = time.time
    #: the burst (bucket size) last announced
    limit: int | None = None
    #: tokens we may still spend: the last announced remainder less the calls sent since
    remaining: int | None = None
    #: when the bucket next gains a token (epoch seconds), as last announced
    reset_at: float | None = None
    #: calls acquired whose answer has not arrived
    in_flight: int = 0
    #: the service answered without rate-limit headers: nothing to pace by
    unannounced: bool = False
    #: how often and how long acquire() slept (for the run summary and tests)
    wait_count: int = 0
    waited_seconds: float = 0.0
    _answered: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    async def acquire(self) -> None:
        """Take one token, first waiting for the reset or for an answer that says more."""
        while True:
            if self.unannounced:
                self._take()
                return
            if self.remaining is not None and self.remaining > self.reserve:
                self.remaining -= 1
                self._take()
                return
            now = self.clock()
            if self.remaining is not None and self.reset_at is not None and now < self.reset_at:
                wait = min(self.reset_at - now, self.max_wait)
                self.wait_count += 1
                self.waited_seconds += wait
                notify_wait(self.name, wait)
                await self.sleep(wait)
                if self.clock() < self.reset_at:  # waited max_wait: stop trusting the reset
                    self.remaining = None
                continue
            # Nothing known, or the reset has passed: an answer will tell how many tokens
            # there are. Send one call to ask, unless one is already on its way.
            self.remaining = None
            if self.in_flight == 0:
                self._take()
                return
            answered = self._answered
            await answered.wait()

    def _take(self) -> None:
        self.in_flight += 1

    def update(self, headers: Mapping[str, str]) -> None:
        """An answer arrived: learn the bucket from its headers (on any status, 429 included)."""
        self.in_flight = max(0, self.in_flight - 1)
        lowered = {k.lower(): v for k, v in headers.items()}
        limit = header_int(lowered, (_LIMIT,))
        remaining = header_int(lowered, (_REMAINING,))
        reset = header_int(lowered, (_RESET,))
        if remaining is None or reset is None:
            # Not every answer need carry them, but one that never does has no limit to pace.
            self.unannounced = self.limit is None
        else:
            self.unannounced = False
            if limit is not None:
                self.limit = limit
            # The calls still in flight may not be counted in this remainder yet.
            net = remaining - self.in_flight
            if self.remaining is None or self.reset_at is None or reset > self.reset_at:
                self.remaining, self.reset_at = net, float(reset)
            elif reset == self.reset_at:
                self.remaining = min(self.remaining, net)
        self._wake()

    def cancel(self) -> None:
        """An acquired call got no answer (transport error, cancelled): free its place."""
        self.in_flight = max(0, self.in_flight - 1)
        self._wake()

    def _wake(self) -> None:
        self._answered.set()
        self._answered = asyncio.Event()
