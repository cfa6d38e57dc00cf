"""Failed sign-ins throttled per client: a few tries, then a wait that doubles with each lockout.

Kept in memory (per process): a replica's count is its own, which only makes guessing
slower still. The table is bounded, oldest clients forgotten first, so a flood of addresses
cannot grow it without end.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

#: Wrong tries allowed within WINDOW_SECONDS before the client must wait.
MAX_FAILURES = 5
WINDOW_SECONDS = 60.0
#: The first wait; each further lockout doubles it, up to MAX_LOCKOUT_SECONDS.
LOCKOUT_SECONDS = 30.0
MAX_LOCKOUT_SECONDS = 15 * 60.0
MAX_CLIENTS = 10_000


@dataclass(slots=True)
class _Record:
    failures: int
    first_at: float
    locked_until: float = 0.0
    lockouts: int = 0


class SignInThrottle:
    """Counts failed sign-ins per client key (the peer address)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._records: OrderedDict[str, _Record] = OrderedDict()

    def retry_after(self, client: str) -> int | None:
        """Seconds ``client`` must still wait, or None when it may try."""
        record = self._records.get(client)
        if record is None:
            return None
        wait = record.locked_until - self._clock()
        return math.ceil(wait) if wait > 0 else None

    def failed(self, client: str) -> None:
        now = self._clock()
        record = self._records.get(client)
        if record is None or now - record.first_at > WINDOW_SECONDS:
            lockouts = record.lockouts if record is not None else 0
            record = _Record(0, now, lockouts=lockouts)
        record.failures += 1
        if record.failures >= MAX_FAILURES:
            record.locked_until = now + min(
                LOCKOUT_SECONDS * 2**record.lockouts, MAX_LOCKOUT_SECONDS
            )
            record.lockouts += 1
            record.failures = 0
            record.first_at = now
        self._records[client] = record
        self._records.move_to_end(client)
        while len(self._records) > MAX_CLIENTS:
            self._records.popitem(last=False)

    def succeeded(self, client: str) -> None:
        self._records.pop(client, None)
