"""A wall clock that tests can move forward instead of sleeping."""

from __future__ import annotations

import time
from datetime import UTC, datetime


class Clock:
    """Seconds since the epoch (``time.time()``) plus an offset that only grows.

    ``frozen_at`` stops the wall clock: time then moves only through :meth:`advance`.
    """

    def __init__(self, frozen_at: float | None = None) -> None:
        self._offset = 0.0
        self._frozen_at = frozen_at

    def now(self) -> float:
        """The current emulated time in epoch seconds."""
        base = time.time() if self._frozen_at is None else self._frozen_at
        return base + self._offset

    def advance(self, seconds: float) -> None:
        """Jump the emulated time forward (token expiry, bucket refill, link expiry)."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self._offset += seconds

    def iso(self) -> str:
        """Now as Auth0 writes timestamps: ``2023-01-25T19:00:26.539Z``."""
        return iso_millis(self.now())


def iso_millis(epoch: float) -> str:
    """Epoch seconds as ISO 8601 UTC with milliseconds and a ``Z``."""
    moment = datetime.fromtimestamp(epoch, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
