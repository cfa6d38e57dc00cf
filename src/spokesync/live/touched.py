"""What a batch of log events asks for: the identities to sync, or a full reconcile and why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from spokesync.domain import IdentityKey


def iso_utc(moment: datetime) -> str:
    """``2026-11-28T10:00:00.000Z``: the one form of times in live cursors and status."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_time(text: str | None) -> datetime | None:
    """An ISO 8601 time (``Z`` or an offset; naive reads as UTC), or None if unreadable."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def event_time(text: str | None) -> str | None:
    """An event's ISO 8601 time in one form (UTC, milliseconds, ``Z``), so that times from
    both APIs compare as text; None when it is missing or unreadable."""
    moment = parse_time(text)
    return None if moment is None else iso_utc(moment)


@dataclass(frozen=True, slots=True)
class Touched:
    """Identities to sync, reasons for a full reconcile, and the newest event's time.

    A union of sets and a maximum: combining batches in any order gives the same value, which
    is what lets events arrive late and out of order.
    """

    identities: frozenset[IdentityKey] = frozenset()
    full_reasons: frozenset[str] = frozenset()
    #: ISO 8601 time of the newest event that asked for something (for the age in status)
    newest: str | None = None
    #: (source, organization id) renamed or deleted: every member (and former member) of it
    organizations: frozenset[tuple[str, str]] = frozenset()

    def __or__(self, other: Touched) -> Touched:
        stamps = [s for s in (self.newest, other.newest) if s is not None]
        return Touched(
            self.identities | other.identities,
            self.full_reasons | other.full_reasons,
            max(stamps) if stamps else None,
            self.organizations | other.organizations,
        )

    @property
    def needs_full(self) -> bool:
        """Whether only a full reconcile can cover these events."""
        return bool(self.full_reasons)


def identities(keys: frozenset[IdentityKey], at: str | None) -> Touched:
    """A batch that touches ``keys``, of an event published at ``at``."""
    return Touched(identities=keys, newest=at) if keys else Touched()


def full(reason: str, at: str | None) -> Touched:
    """A batch that needs a full reconcile for ``reason``."""
    return Touched(full_reasons=frozenset({reason}), newest=at)


def organizations(keys: frozenset[tuple[str, str]], at: str | None) -> Touched:
    """A batch that touches the members of organizations ``keys`` (renamed or deleted)."""
    return Touched(organizations=keys, newest=at) if keys else Touched()
