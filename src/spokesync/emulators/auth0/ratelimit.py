"""Token bucket with millisecond refill, as Auth0 documents its Management API limits."""

from __future__ import annotations

import math
from dataclasses import dataclass

from spokesync.emulators.auth0.clock import Clock


@dataclass(frozen=True)
class Decision:
    """The outcome of one ``take`` and the values of the ``x-ratelimit-*`` headers."""

    allowed: bool
    limit: int
    remaining: int
    reset: int

    def headers(self) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(self.remaining),
            "x-ratelimit-reset": str(self.reset),
        }


class TokenBucket:
    """``burst`` tokens, refilled at ``rate_per_second``; one request takes one token."""

    def __init__(self, rate_per_second: float, burst: int, clock: Clock) -> None:
        if rate_per_second <= 0 or burst < 1:
            raise ValueError("rate_per_second must be > 0 and burst >= 1")
        self.rate = rate_per_second
        self.burst = burst
        self.clock = clock
        self._tokens = float(burst)
        self._stamp = self._now_ms()

    def _now_ms(self) -> int:
        return int(self.clock.now() * 1000)

    def _refill(self) -> int:
        now_ms = self._now_ms()
        elapsed = max(0, now_ms - self._stamp)
        self._tokens = min(float(self.burst), self._tokens + elapsed * self.rate / 1000)
        self._stamp = now_ms
        return now_ms

    def _decision(self, allowed: bool, now_ms: int) -> Decision:
        reset_ms: float = now_ms
        if self._tokens < self.burst:
            # when the next whole token is added: epoch seconds, not a delta (reference §8)
            missing = 1.0 - (self._tokens - math.floor(self._tokens))
            reset_ms = now_ms + missing * 1000 / self.rate
        return Decision(allowed, self.burst, math.floor(self._tokens), math.ceil(reset_ms / 1000))

    def take(self) -> Decision:
        """Spend a token if one is left; the decision carries the headers either way."""
        now_ms = self._refill()
        if self._tokens >= 1:
            self._tokens -= 1
            return self._decision(True, now_ms)
        return self._decision(False, now_ms)

    def peek(self) -> Decision:
        """The current state without spending (for answers that bypass the bucket)."""
        now_ms = self._refill()
        return self._decision(self._tokens >= 1, now_ms)
