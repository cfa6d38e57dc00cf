"""Pure comparisons the planner decides by: profile changes, who changed an Okta status,
and whether identities can be one person across sources."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from spokesync.domain import IdentityKey, Link, TargetUser, login_key

#: Okta statuses in which a user cannot sign in because someone deprovisioned it
INACTIVE = frozenset({"DEPROVISIONED", "SUSPENDED"})


def one_per_source(keys: list[IdentityKey]) -> bool:
    """True when no two of ``keys`` come from the same source (else it is no shared person)."""
    sources = [k.split(":", 1)[0] for k in keys]
    return len(set(sources)) == len(sources)


def same_source(key: IdentityKey, others: Iterable[IdentityKey]) -> bool:
    """True when any of ``others`` comes from the same source as ``key``."""
    source = key.split(":", 1)[0]
    return any(other.split(":", 1)[0] == source for other in others)


def decided_elsewhere(link: Link, okta_user: TargetUser) -> bool:
    """True when the Okta user is suspended or deactivated and spokesync did not do it."""
    if okta_user.status not in INACTIVE:
        return False
    ours = (link.deprovisioned == "suspended" and okta_user.status == "SUSPENDED") or (
        link.deprovisioned == "deactivated" and okta_user.status == "DEPROVISIONED"
    )
    return not ours


def profile_changes(
    mapped: Mapping[str, object], current: Mapping[str, object], *, keep_login_case: bool
) -> dict[str, object]:
    """Mapped attributes whose Okta value differs (a login differing only in case is equal)."""
    changed: dict[str, object] = {}
    for attr, value in mapped.items():
        have = current.get(attr)
        if (
            attr == "login"
            and keep_login_case
            and isinstance(have, str)
            and login_key(have) == login_key(str(value))
        ):
            continue
        if have != value:
            changed[attr] = value
    return changed
