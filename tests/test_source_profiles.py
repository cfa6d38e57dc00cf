"""The run's source profiles: mapped once on arrival, flags kept, whole profiles cached."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from spokesync.domain import Link, SourceUser
from spokesync.mapping import DEFAULT_MAPPING, MappedProfile, MappingRule, map_user, rules_digest
from spokesync.source_profiles import BATCH, SourceProfiles
from spokesync.store import SqlStore, open_store

RULES: dict[str, MappingRule] = {k: list(v) for k, v in DEFAULT_MAPPING.items()}
DIGEST = rules_digest(RULES)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    with open_store(f"sqlite:///{tmp_path / 'state.db'}") as opened:
        yield opened


def member(n: int) -> SourceUser:
    return SourceUser(
        source="apac",
        user_id=f"auth0|{n}",
        email=f"user{n}@partner.example",
        email_verified=True,
        name=f"User{n} Partner",
        given_name=f"User{n}",
        family_name="Partner",
        user_metadata={"team": "sales"},
        updated_at="2026-11-26T05:00:00.000Z",
    )


def test_a_fresh_profile_is_mapped_once_and_only_its_flags_stay(store: SqlStore) -> None:
    book = SourceProfiles(store, RULES, DIGEST, {}, record=False)
    book.fresh(member(1))
    key = member(1).key
    assert book.users[key] == SourceUser("apac", "auth0|1", email_verified=True)
    assert book.mapped[key] == map_user(member(1), RULES)
    book.flush()
    assert list(store.iter_profiles(DIGEST)) == []  # plan: nothing written


def test_a_sync_writes_whole_profiles_with_their_results_in_batches(store: SqlStore) -> None:
    book = SourceProfiles(store, RULES, DIGEST, {}, record=True)
    for n in range(BATCH + 3):
        book.fresh(member(n))
    # A full batch is written as soon as it fills; the rest on flush.
    assert len(list(store.iter_profiles(DIGEST))) == BATCH
    book.flush()
    cached = {c.user.key: c for c in store.iter_profiles("other rules")}
    assert len(cached) == BATCH + 3
    assert cached[member(7).key].user == member(7)  # whole
    again = {c.user.key: c for c in store.iter_profiles(DIGEST)}
    assert again[member(7).key].mapped == map_user(member(7), RULES)


def test_an_equal_mapped_profile_holds_the_links_object(store: SqlStore) -> None:
    applied = dict(map_user(member(1), RULES).profile)  # type: ignore[union-attr]
    link = Link(
        identity=member(1).key, okta_id="00u1", login="user1@partner.example", profile=applied
    )
    book = SourceProfiles(store, RULES, DIGEST, {link.identity: link}, record=False)
    book.fresh(member(1))
    result = book.mapped[link.identity]
    assert isinstance(result, MappedProfile) and result.profile is applied


def test_profiles_mapped_again_while_the_cache_is_read_are_written_as_they_go(
    store: SqlStore,
) -> None:
    """After a rule change every cached profile is mapped again and written back while the
    cache is still being read: reading must not hold the store's only connection."""
    n = 2 * BATCH + 7
    store.save_profiles(member(i) for i in range(n))  # cached under no rules digest
    book = SourceProfiles(store, RULES, DIGEST, {}, record=True)
    for cached in store.iter_profiles(DIGEST):
        assert cached.mapped is None or cached.user.key in book
        if cached.mapped is None:
            book.fresh(cached.user)
    book.flush()
    assert len(book.users) == n
    assert all(c.mapped is not None for c in store.iter_profiles(DIGEST))
