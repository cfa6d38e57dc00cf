"""Our own Auth0 writes as a tenant log shows them, so that live mode does not react to them.

spokesync writes to Auth0 only to tell a user's hub status (``PATCH /api/v2/users/{id}`` with
``app_metadata.<hub_status_key>``, and ``blocked`` with ``block_in_source``), and journals
each write-back before it sends it. An entry is ours when it is the echo of such a journaled
write-back: a ``PATCH`` of that user, made within ``window`` of when we sent it, whose body is
the one we sent (when the journal holds it; a write-back cut short by a crash is matched by
what a write-back is: a body of only ``app_metadata`` with the status key and ``blocked``).
Each write-back explains at most one entry.

The application an entry names is not a sign: teams share one machine-to-machine app between
tools, and a change another tool makes through it must reach Okta like any other.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote

from spokesync.auth0.logs import TenantLogEntry
from spokesync.domain import IdentityKey, identity_key
from spokesync.live.own_writes import ECHO_WINDOW, nearest_first
from spokesync.live.touched import parse_time

#: the journal's name of a write-back (``ActionKind.WRITE_BACK``)
WRITE_BACK = "write_back"


@dataclass(frozen=True, slots=True)
class OwnWriteBack:
    """One write-back we sent to an Auth0 user, as the journal recorded it."""

    id: int
    identity: IdentityKey
    #: when we sent it (the journal's ``started_at``)
    at: datetime
    #: the body we sent, when the journal holds it (a finished write-back's ``after``)
    body: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class RecognisedEntries:
    """The log ids of the entries that are ours, and the write-backs accounted for so far."""

    ours: frozenset[str]
    spent: frozenset[int]


@dataclass(frozen=True)
class OwnAuth0Writes:
    """The write-backs we journaled around the time of some entries, and those whose echo was
    already seen (an earlier poll's)."""

    hub_status_key: str
    writes: tuple[OwnWriteBack, ...] = ()
    spent: frozenset[int] = frozenset()
    window: timedelta = ECHO_WINDOW
    _by_identity: dict[IdentityKey, list[OwnWriteBack]] = field(
        default_factory=dict, init=False, repr=False
    )

    def __post_init__(self) -> None:
        for write in self.writes:
            self._by_identity.setdefault(write.identity, []).append(write)

    def recognise(self, source: str, entries: Iterable[TenantLogEntry]) -> RecognisedEntries:
        """Which of ``source``'s ``entries`` are the echoes of our write-backs (matched in
        log order, each to the nearest unspent write-back)."""
        spent = set(self.spent)
        ours: set[str] = set()
        for entry in entries:
            write = self._echo_of(source, entry, spent)
            if write is not None:
                spent.add(write.id)
                ours.add(entry.log_id)
        return RecognisedEntries(frozenset(ours), frozenset(spent))

    def _echo_of(self, source: str, entry: TenantLogEntry, spent: set[int]) -> OwnWriteBack | None:
        request = entry.request
        if request is None or request.method != "PATCH":
            return None
        parts = [unquote(p) for p in request.path.split("?", 1)[0].split("/") if p]
        if parts[:3] != ["api", "v2", "users"] or len(parts) != 4:
            return None
        candidates = self._by_identity.get(identity_key(source, parts[3]), [])
        for write in nearest_first(candidates, parse_time(entry.date), self.window):
            if write.id not in spent and self._sent(write, request.body):
                return write
        return None

    def _sent(self, write: OwnWriteBack, body: Any) -> bool:
        """Whether ``body`` (as the log recorded it) is what ``write`` sent."""
        if body is None:
            return True  # the log does not say: the user, the method and the time do
        if not isinstance(body, dict):
            return False
        if write.body is not None:
            return _same(body, write.body)
        # Cut short before the journal took the body: match what a write-back is.
        metadata = body.get("app_metadata")
        return (
            set(body) <= {"app_metadata", "blocked"}
            and isinstance(metadata, dict)
            and set(metadata) == {self.hub_status_key}
        )


def _same(logged: Mapping[str, Any], sent: Mapping[str, Any]) -> bool:
    return dict(logged) == dict(sent)


JournalRow = tuple[int, str, IdentityKey, str | None, Mapping[str, Any] | None]


def own_write_backs(rows: Iterable[JournalRow]) -> tuple[OwnWriteBack, ...]:
    """``OwnWriteBack`` s from journal rows ``(id, action, identity, started_at, after)``,
    whatever their status (a call that failed on our side may still have reached Auth0)."""
    out: list[OwnWriteBack] = []
    for entry_id, action, identity, started_at, after in rows:
        at = parse_time(started_at)
        if action == WRITE_BACK and at is not None:
            out.append(OwnWriteBack(entry_id, identity, at, after))
    return tuple(out)
