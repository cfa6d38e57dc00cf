"""Which identities System Log events touch (pure).

Changes to a managed Okta user made by someone else: group membership added or removed,
profile updated, and any lifecycle change (suspended, unsuspended, deactivated, deleted...).
Event types are matched by prefix (``group.user_membership.``, ``user.lifecycle.``,
``user.account.update_profile``); an event whose outcome is not SUCCESS changed nothing. A user
is managed when a link names it; one Okta user may be linked to several identities (sources
that share people). Our own changes (``ours``: event uuids, see
:meth:`spokesync.live.own_writes.OwnWrites.recognise`) are ignored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from spokesync.domain import IdentityKey
from spokesync.live.touched import Touched, event_time, identities
from spokesync.okta.system_log import SystemLogEvent

RELEVANT = ("group.user_membership.", "user.lifecycle.", "user.account.update_profile")


def relevant(event: SystemLogEvent) -> bool:
    """Whether the event is a successful change of a kind that can matter to a user."""
    return event.outcome in (None, "SUCCESS") and event.event_type.startswith(RELEVANT)


def classify_events(
    events: Iterable[SystemLogEvent],
    *,
    linked: Mapping[str, frozenset[IdentityKey]],
    ours: frozenset[str] = frozenset(),
) -> Touched:
    """The identities whose Okta user someone else changed. ``linked``: Okta id -> identities."""
    touched = Touched()
    for event in events:
        if not relevant(event) or event.uuid in ours:
            continue
        keys = frozenset(k for uid in event.targets_of("User") for k in linked.get(uid, ()))
        touched = touched | identities(keys, event_time(event.published))
    return touched
