"""The tenant log: the entries Management API writes append, as ``GET /api/v2/logs`` reads them.

Log ids follow the recordings (logs.json, logs-checkpoint.json): 56 digits, ``900`` then the
write time ``YYYYMMDDhhmmss`` and six more time digits, then a 33-digit sequence, so ids sort
in the order entries were written (checkpoint pages are ordered by log_id, reference §7).

Two things a real tenant does that a client must survive are modelled:

- indexing delay: an entry becomes visible ``delay_seconds`` after its write (reference §7,
  "logs are not real-time"); every entry has the same delay, so the visible entries are always
  the oldest ones and a checkpoint never skips one that shows up later;
- retention: entries older than ``retention_seconds`` (Enterprise: 30 days, reference §7) are
  dropped, and :meth:`TenantLog.prune` drops old entries on demand (control plane).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from spokesync.emulators.auth0.clock import Clock, iso_millis

#: Enterprise retention (reference §7: Starter 1 day ... Enterprise 30 days)
DEFAULT_RETENTION_SECONDS = 30 * 86400
LOG_ID_PREFIX = "900"
_SEQUENCE_DIGITS = 33


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One stored entry: its id, when it was written and becomes visible, and its JSON."""

    log_id: str
    written_at: float
    visible_at: float
    body: dict[str, Any]


def is_log_id(value: str) -> bool:
    """Whether ``value`` has the shape of a log id (56 digits, as recorded)."""
    return len(value) == 56 and value.isdigit()


class TenantLog:
    """Entries in log_id order; reads see only visible, retained entries."""

    def __init__(
        self,
        clock: Clock,
        *,
        delay_seconds: float = 0.0,
        retention_seconds: float = DEFAULT_RETENTION_SECONDS,
    ) -> None:
        if delay_seconds < 0 or retention_seconds <= 0:
            raise ValueError("log delay must be >= 0 and retention > 0")
        self.clock = clock
        self.delay_seconds = delay_seconds
        self.retention_seconds = retention_seconds
        self._entries: list[LogEntry] = []
        self._ids: list[str] = []
        self._sequence = 0
        self._last_stamp = ""
        self._last_visible_at = 0.0

    def _next_id(self, now: float) -> str:
        moment = datetime.fromtimestamp(now, tz=UTC)
        # a wall clock stepping back must not make an id sort before an older one
        stamp = max(moment.strftime("%Y%m%d%H%M%S") + f"{moment.microsecond:06d}", self._last_stamp)
        self._last_stamp = stamp
        self._sequence += 1
        return f"{LOG_ID_PREFIX}{stamp}{self._sequence:0{_SEQUENCE_DIGITS}d}"

    def append(self, body: dict[str, Any]) -> dict[str, Any]:
        """Store ``body`` as a new entry, adding ``_id``, ``log_id`` and ``date``; returns it."""
        now = self.clock.now()
        log_id = self._next_id(now)
        entry = {"_id": log_id, "log_id": log_id, "date": iso_millis(now), **body}
        visible_at = max(now + self.delay_seconds, self._last_visible_at)
        self._last_visible_at = visible_at
        self._entries.append(LogEntry(log_id, now, visible_at, entry))
        self._ids.append(log_id)
        return entry

    # retention ---------------------------------------------------------------------------

    def _drop_oldest(self, count: int) -> int:
        count = max(0, min(count, len(self._entries)))
        del self._entries[:count]
        del self._ids[:count]
        return count

    def _expire(self) -> None:
        cutoff = self.clock.now() - self.retention_seconds
        expired = 0
        while expired < len(self._entries) and self._entries[expired].written_at < cutoff:
            expired += 1
        self._drop_oldest(expired)

    def prune(self, keep: int) -> int:
        """Drop all but the newest ``keep`` entries (visible or not); returns how many went."""
        return self._drop_oldest(len(self._entries) - max(0, keep))

    # reads -------------------------------------------------------------------------------

    def _visible_count(self) -> int:
        self._expire()
        now = self.clock.now()
        count = len(self._entries)
        while count and self._entries[count - 1].visible_at > now:
            count -= 1
        return count

    def after(self, log_id: str | None, take: int) -> list[dict[str, Any]]:
        """Up to ``take`` visible entries with a log_id greater than ``log_id``, oldest first.

        A ``log_id`` that was pruned (or never existed) still works as a position, so the
        answer starts at the oldest retained entry after it: entries lost to retention are
        skipped silently, as a range read over sortable ids would.
        """
        visible = self._visible_count()
        start = 0 if log_id is None else bisect_right(self._ids, log_id, 0, visible)
        return [entry.body for entry in self._entries[start : min(start + take, visible)]]

    def newest_first(self) -> list[dict[str, Any]]:
        """Every visible entry, newest (highest log_id) first: the order of page mode."""
        visible = self._visible_count()
        return [entry.body for entry in reversed(self._entries[:visible])]

    def get(self, log_id: str) -> dict[str, Any] | None:
        """The visible, retained entry with this id."""
        visible = self._visible_count()
        index = bisect_left(self._ids, log_id, 0, visible)
        if index < visible and self._ids[index] == log_id:
            return self._entries[index].body
        return None

    def oldest_id(self) -> str | None:
        """The log_id of the oldest retained entry (visible or not)."""
        self._expire()
        return self._ids[0] if self._ids else None

    def __len__(self) -> int:
        self._expire()
        return len(self._entries)
