"""The run's source profiles, kept as the planner needs them: flags and a mapped result each.

A profile read whole (from Auth0, or from a cache entry mapped under other rules) is mapped
once, on arrival. After that the planner reads only ``blocked``, ``email_verified`` and the
mapped result, so only those stay in memory; in a sync the whole profile goes to the profile
cache in batches (the cache holds what Auth0 says, so it may be written before apply). A first
run over 100,000 members then never holds 100,000 whole profiles at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from spokesync.domain import IdentityKey, Link, SourceUser
from spokesync.mapping import Mapped, MappedProfile, MappingRule, map_user
from spokesync.store.base import Store

#: whole profiles written to the cache per transaction
BATCH = 500


class SourceProfiles:
    """Profiles and mapped results by identity, filled while observe reads."""

    def __init__(
        self,
        store: Store,
        rules: Mapping[str, MappingRule],
        rules_digest: str,
        links: Mapping[IdentityKey, Link],
        *,
        record: bool,
        organizations: Mapping[IdentityKey, Mapping[str, Any]] | None = None,
    ) -> None:
        self.store = store
        self.rules = rules
        self.rules_digest = rules_digest
        self.links = links
        #: write whole profiles to the cache (sync); ``plan`` writes nothing
        self.record = record
        #: identity -> the organization its ``organization.*`` paths read (only when the
        #: rules have such paths): their mapped results depend on more than the profile, so
        #: the cache keeps their whole profile and they are mapped again each run
        self.organizations = organizations or {}
        self.users: dict[IdentityKey, SourceUser] = {}
        self.mapped: dict[IdentityKey, Mapped] = {}
        self._unsaved: list[SourceUser] = []

    def __contains__(self, key: object) -> bool:
        return key in self.users

    def depends_on_organization(self, key: IdentityKey) -> bool:
        """Whether the identity's mapped result reads its organization (not cacheable)."""
        return key in self.organizations

    def known(self, user: SourceUser, result: Mapped) -> None:
        """A profile whose mapped result under the current rules is known (from the cache)."""
        self.users[user.key] = user
        self.mapped[user.key] = self._sharing(user.key, result)

    def fresh(self, user: SourceUser) -> None:
        """A whole profile: map it, keep its flags, and (in a sync) queue it for the cache."""
        key = user.key
        organization = self.organizations.get(key)
        self.mapped[key] = self._sharing(key, map_user(user, self.rules, organization))
        self.users[key] = user.flags_only()
        if self.record:
            self._unsaved.append(user)
            if len(self._unsaved) >= BATCH:
                self.flush()

    def forget(self, key: IdentityKey) -> None:
        """The identity has no readable profile this run."""
        self.users.pop(key, None)
        self.mapped.pop(key, None)

    def flush(self) -> None:
        """Write the queued whole profiles, with their mapped results, to the cache."""
        if self._unsaved:
            mapped: Mapping[IdentityKey, Mapped] = self.mapped
            if self.organizations:
                mapped = {
                    u.key: self.mapped[u.key]
                    for u in self._unsaved
                    if u.key in self.mapped and u.key not in self.organizations
                }
            self.store.save_profiles(self._unsaved, mapped, self.rules_digest)
            self._unsaved = []

    def _sharing(self, key: IdentityKey, result: Mapped) -> Mapped:
        # Holding the link's profile object when equal, in-sync identities keep one profile
        # dict between the link, the mapped result and the Okta user.
        link = self.links.get(key)
        if (
            isinstance(result, MappedProfile)
            and link is not None
            and result.profile == link.profile
        ):
            return MappedProfile(link.profile, result.warnings)
        return result
