"""Our own changes as the System Log shows them, so that live mode does not react to them.

Two signs, either enough:

- the actor: with an OAuth service app, Okta names the app (``actor.id`` or ``client.id`` is
  our ``client_id``);
- the echo: the event is the kind of change one of our journaled actions made to that Okta
  user (and group), published within ``window`` of when we made it. This also covers an SSWS
  API token, whose actor is the token's owner, a person whose other changes must count.

An admin change of the same kind to the same user and group within the window is taken for
ours and left to the next scheduled reconcile; reacting to our own echoes instead would cost
a targeted run for every action we apply.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from spokesync.live.touched import parse_time
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


@dataclass(frozen=True, slots=True)
class OwnAction:
    """One action we applied to an Okta user, as the journal recorded it."""

    okta_id: str
    action: str
    at: datetime
    group_id: str | None = None


@dataclass(frozen=True)
class OwnWrites:
    """What we know of our own writes: our actor ids and the actions we applied."""

    actor_ids: frozenset[str] = frozenset()
    actions: tuple[OwnAction, ...] = ()
    window: timedelta = ECHO_WINDOW
    _by_user: dict[str, list[OwnAction]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        for action in self.actions:
            self._by_user.setdefault(action.okta_id, []).append(action)

    def made(self, event: SystemLogEvent) -> bool:
        """Whether ``event`` records a change we made."""
        if {event.actor_id, event.client_id} & self.actor_ids:
            return True
        published = parse_time(event.published)
        groups = set(event.targets_of("UserGroup"))
        for okta_id in event.targets_of("User"):
            for action in self._by_user.get(okta_id, ()):
                if not event.event_type.startswith(ECHOES.get(action.action, ())):
                    continue
                if action.group_id and groups and action.group_id not in groups:
                    continue
                if published is None or abs(published - action.at) <= self.window:
                    return True
        return False


JournalRow = tuple[str, str | None, str | None, str | None]


def own_actions(rows: Iterable[JournalRow]) -> tuple[OwnAction, ...]:
    """``OwnAction`` s from journal rows ``(action, okta_id, finished_at, group_id)``, whatever
    their status (a call that failed on our side may still have reached Okta)."""
    out: list[OwnAction] = []
    for action, okta_id, finished_at, group_id in rows:
        at = parse_time(finished_at)
        if okta_id and at is not None and action in ECHOES:
            out.append(OwnAction(okta_id, action, at, group_id))
    return tuple(out)
