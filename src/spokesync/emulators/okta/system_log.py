"""The org's System Log: the writes made through the API, in persistence order.

A write is kept as a compact :class:`LoggedWrite` and rendered as a ``LogEvent`` only when
read (log_events.py): an initial load of 20,000 users logs some 60,000 events, and full
documents would cost several kilobytes each.

Every event gets a sequence number when it is stored; the ``after`` cursor of
``GET /api/v1/logs`` is ``<published ms>_<sequence>``, the shape of the cursor in Okta's
documented example (reference §3: ``after=1627500044869_1``). An event becomes visible
``delay_seconds`` after it is stored (the System Log is not real-time); every event has the
same delay, so the visible events are always the oldest ones and a polling cursor never
passes over an event that shows up later.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass

from spokesync.emulators.okta.errors import validation_failed

#: a target: (id, type, alternateId, displayName)
Target = tuple[str, str, str, str]


@dataclass(frozen=True, slots=True)
class LoggedWrite:
    """What a ``LogEvent`` is rendered from."""

    event_type: str
    #: "api_token" or "oauth", and the token's id or the client_id
    caller_kind: str
    caller_id: str
    targets: tuple[Target, ...]
    #: 128 random bits: the event's ``uuid`` and its request's id
    entropy: int
    ip: str
    user_agent: str
    path: str
    query: str


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """One event with its position, its ``published`` time and when it becomes visible."""

    sequence: int
    published: float
    visible_at: float
    write: LoggedWrite

    @property
    def cursor(self) -> str:
        return f"{int(self.published * 1000)}_{self.sequence}"


def cursor_sequence(after: str) -> int:
    """The sequence an ``after`` cursor points at; 400 E0000001 when it is not ours."""
    _, sep, sequence = after.rpartition("_")
    if not sep or not sequence.isdigit():
        raise validation_failed("after", ["after: The cursor is not valid"])
    return int(sequence)


class SystemLog:
    """Events in sequence order; reads see only the visible ones."""

    def __init__(self, clock: Callable[[], float], *, delay_seconds: float = 0.0) -> None:
        if delay_seconds < 0:
            raise ValueError("the log delay must be >= 0")
        self.clock = clock
        self.delay_seconds = delay_seconds
        self._events: list[StoredEvent] = []
        self._sequences: list[int] = []
        self._last_visible_at = 0.0

    def append(self, write: LoggedWrite, published: float) -> StoredEvent:
        """Store an event published at ``published`` (epoch seconds)."""
        sequence = len(self._events) + 1
        visible_at = max(published + self.delay_seconds, self._last_visible_at)
        self._last_visible_at = visible_at
        event = StoredEvent(sequence, published, visible_at, write)
        self._events.append(event)
        self._sequences.append(sequence)
        return event

    def visible(self) -> list[StoredEvent]:
        """The events visible now, oldest first."""
        now = self.clock()
        count = len(self._events)
        while count and self._events[count - 1].visible_at > now:
            count -= 1
        return self._events[:count]

    def after(self, sequence: int) -> list[StoredEvent]:
        """The visible events stored after ``sequence``, oldest first."""
        visible = self.visible()
        return visible[bisect.bisect_right(self._sequences, sequence, 0, len(visible)) :]

    def __len__(self) -> int:
        return len(self._events)
