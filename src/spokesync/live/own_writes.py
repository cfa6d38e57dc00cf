"""Our own changes as the System Log shows them, so that live mode does not react to them.

An event is ours when it is the echo of one of our journaled actions: the kind of change that
action made to that Okta user (and group), published within ``window`` of when we made it.
The actor is not a sign: with an SSWS API token it is the token's owner, a person whose other
changes must count, and an OAuth service app or a token may be shared with another tool whose
changes must reach live mode like any other.

An admin change of the same kind to the same user and group within the window is taken for
ours (unless that action's echo was already seen) and left to the next scheduled reconcile;
reacting to our own echoes instead would cost a targeted run for every action we apply.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from spokesync.live.touched import event_time, parse_time
from spokesync.okta.system_log import SystemLogEvent

#: how far apart our journal and Okta's ``published`` may be (clock skew, indexing)
ECHO_WINDOW = timedelta(seconds=60)

#: event types each of our actions produces (prefixes: ``user.lifecycle.delete.initiated``)
ECHOES: Mapping[str, tuple[str, ...]] = {
    "create_user": (
        "user.lifecycle.create",
        "user.lifecycle.activate",
        "group.user_membership.add",
    ),
    "update_profile": ("user.account.update_profile",),
    "add_to_group": ("group.user_membership.add",),
    "remove_from_group": ("group.user_membership.remove",),
    "suspend": ("user.lifecycle.suspend",),
    "unsuspend": ("user.lifecycle.unsuspend",),
    "deactivate": ("user.lifecycle.deactivate",),
    "reactivate": ("user.lifecycle.reactivate", "user.lifecycle.activate"),
    "delete": ("user.lifecycle.deactivate", "user.lifecycle.delete"),
}


class Journaled(Protocol):
    """A write we journaled: its row id and when we sent it."""

    @property
    def id(self) -> int: ...

    @property
    def at(self) -> datetime: ...


W = TypeVar("W", bound=Journaled)


def nearest_first(writes: Iterable[W], at: datetime | None, window: timedelta) -> Iterator[W]:
    """``writes`` that may have made an entry logged ``at``: nearest first (ties by journal
    id), none farther than ``window``; all of them in order when the log gives no time."""
    if at is None:
        yield from writes
        return
    for write in sorted(writes, key=lambda w: (abs(at - w.at), w.id)):
        if abs(at - write.at) <= window:
            yield write


@dataclass(frozen=True, slots=True)
class OwnAction:
    """One action we applied to an Okta user, as the journal recorded it."""

    id: int
    okta_id: str
    action: str
    #: when we sent it (the journal's ``started_at``: Okta logs it before we hear back)
    at: datetime
    group_id: str | None = None


#: an echo accounted for: (our action's journal id, the event type, the event's group)
EchoKey = tuple[int, str, str]


@dataclass(frozen=True, slots=True)
class Recognised:
    """The events that are ours, and every echo accounted for so far."""

    ours: frozenset[str]
    spent: frozenset[EchoKey]


@dataclass(frozen=True)
class OwnWrites:
    """What we know of our own writes: the actions we applied, and the echoes already
    accounted for (each action explains at most one event of each type and group, so an admin
    repeating our last change by hand a moment later is still seen)."""

    actions: tuple[OwnAction, ...] = ()
    spent: frozenset[EchoKey] = frozenset()
    window: timedelta = ECHO_WINDOW
    _by_user: dict[str, list[OwnAction]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        for action in self.actions:
            self._by_user.setdefault(action.okta_id, []).append(action)

    def recognise(self, events: Iterable[SystemLogEvent]) -> Recognised:
        """Which of ``events`` record changes we made (the same answer in any input order:
        events are matched oldest first, each to the nearest unspent action)."""
        spent = set(self.spent)
        ours: set[str] = set()
        for event in sorted(events, key=lambda e: (event_time(e.published) or "", e.uuid)):
            echo = self._echo_of(event, spent)
            if echo is not None:
                spent.add(echo)
                ours.add(event.uuid)
        return Recognised(frozenset(ours), frozenset(spent))

    def _echo_of(self, event: SystemLogEvent, spent: set[EchoKey]) -> EchoKey | None:
        published = parse_time(event.published)
        groups = event.targets_of("UserGroup")
        group = groups[0] if groups else ""
        for okta_id in event.targets_of("User"):
            for action in nearest_first(self._by_user.get(okta_id, []), published, self.window):
                if not event.event_type.startswith(ECHOES.get(action.action, ())):
                    continue
                if action.group_id and group and action.group_id != group:
                    continue
                key = (action.id, event.event_type, group)
                if key not in spent:
                    return key
        return None


JournalRow = tuple[int, str, str | None, str | None, str | None]


def own_actions(rows: Iterable[JournalRow]) -> tuple[OwnAction, ...]:
    """``OwnAction`` s from journal rows ``(id, action, okta_id, started_at, group_id)``,
    whatever their status (a call that failed on our side may still have reached Okta)."""
    out: list[OwnAction] = []
    for entry_id, action, okta_id, started_at, group_id in rows:
        at = parse_time(started_at)
        if okta_id and at is not None and action in ECHOES:
            out.append(OwnAction(entry_id, okta_id, action, at, group_id))
    return tuple(out)
