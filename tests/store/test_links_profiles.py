"""Links and the source-profile cache: round trips, replace, delete, bulk."""

from __future__ import annotations

from spokesync.domain import Link, SourceUser
from spokesync.mapping import MappedProfile, Unmappable
from spokesync.store import SqlStore
from spokesync.store.base import CachedProfile


def cached(store: SqlStore, rules_digest: str = "") -> dict[str, CachedProfile]:
    """The whole profile cache by identity, as ``iter_profiles`` reads it."""
    return {c.user.key: c for c in store.iter_profiles(rules_digest)}


def cached_users(store: SqlStore) -> dict[str, SourceUser]:
    """The cached profiles, whole (no rules digest matches)."""
    return {key: c.user for key, c in cached(store).items()}


def full_link(identity: str = "apac:auth0|1", okta_id: str = "00u1") -> Link:
    return Link(
        identity=identity,
        okta_id=okta_id,
        login="ann@hub.example",
        origin="linked",
        profile={"login": "ann@hub.example", "firstName": "Ann", "nested": {"n": [1, 2.5, None]}},
        managed_groups=frozenset({"00gA", "00gB"}),
        created_at="2026-01-02T03:04:05.000Z",
        deprovisioned="suspended",
        idp_linked=True,
        hub_status="active",
        source_blocked_by_us=True,
    )


def full_user(user_id: str = "auth0|1", source: str = "apac") -> SourceUser:
    return SourceUser(
        source=source,
        user_id=user_id,
        email="ann@partner.example",
        email_verified=True,
        name="Ann Lee",
        given_name="Ann",
        family_name="Lee",
        nickname="ann",
        user_metadata={"firstName": "Ann", "tags": ["a", "b"], "ünï": "çødé"},
        app_metadata={"hub": {"status": "active"}},
        blocked=True,
        updated_at="2026-01-01T00:00:00.000Z",
    )


def test_a_fresh_store_is_empty(store: SqlStore) -> None:
    assert store.load_links() == {}
    assert cached_users(store) == {}


def test_link_round_trips_every_field(store: SqlStore) -> None:
    link = full_link()
    store.save_link(link)
    assert store.load_links() == {link.identity: link}


def test_link_with_defaults_round_trips(store: SqlStore) -> None:
    link = Link(identity="emea:auth0|x:y", okta_id="00u9", login="x@hub.example")
    store.save_link(link)
    assert store.load_links()[link.identity] == link


def test_save_link_replaces_the_link_of_the_same_identity(store: SqlStore) -> None:
    store.save_link(full_link())
    replacement = Link(identity="apac:auth0|1", okta_id="00u2", login="new@hub.example")
    store.save_link(replacement)
    assert store.load_links() == {"apac:auth0|1": replacement}


def test_delete_link_removes_only_that_identity(store: SqlStore) -> None:
    store.save_link(full_link("apac:auth0|1", "00u1"))
    store.save_link(full_link("apac:auth0|2", "00u2"))
    store.delete_link("apac:auth0|1")
    store.delete_link("apac:auth0|never")  # unknown: no error
    assert set(store.load_links()) == {"apac:auth0|2"}


def test_identities_of_two_sources_may_share_one_okta_user(store: SqlStore) -> None:
    """[identity] shared_across_sources links one person's identities to one Okta user."""
    store.save_link(full_link("apac:auth0|1", "00u1"))
    store.save_link(full_link("emea:auth0|7", "00u1"))
    assert {k: v.okta_id for k, v in store.load_links().items()} == {
        "apac:auth0|1": "00u1",
        "emea:auth0|7": "00u1",
    }


def test_profiles_round_trip_every_field(store: SqlStore) -> None:
    users = [full_user("auth0|1"), SourceUser(source="emea", user_id="google-oauth2|2")]
    store.save_profiles(users)
    assert cached_users(store) == {u.key: u for u in users}


def test_save_profiles_replaces_and_keeps_the_rest(store: SqlStore) -> None:
    store.save_profiles([full_user("auth0|1"), full_user("auth0|2")])
    changed = SourceUser(source="apac", user_id="auth0|1", email="new@partner.example")
    store.save_profiles([changed])
    loaded = cached_users(store)
    assert loaded["apac:auth0|1"] == changed
    assert loaded["apac:auth0|2"] == full_user("auth0|2")


def test_save_profiles_with_a_repeated_identity_keeps_the_last(store: SqlStore) -> None:
    first = SourceUser(source="apac", user_id="auth0|1", name="first")
    last = SourceUser(source="apac", user_id="auth0|1", name="last")
    store.save_profiles([first, last])
    assert cached_users(store) == {"apac:auth0|1": last}


def test_save_profiles_accepts_a_generator_and_nothing(store: SqlStore) -> None:
    store.save_profiles([])
    store.save_profiles(full_user(f"auth0|{i}") for i in range(3))
    assert len(cached_users(store)) == 3


def test_delete_profiles(store: SqlStore) -> None:
    store.save_profiles(full_user(f"auth0|{i}") for i in range(5))
    store.delete_profiles(["apac:auth0|1", "apac:auth0|3", "apac:auth0|1", "apac:nobody"])
    store.delete_profiles([])
    assert sorted(cached_users(store)) == ["apac:auth0|0", "apac:auth0|2", "apac:auth0|4"]


def test_bulk_profiles_span_several_chunks(store: SqlStore) -> None:
    # More rows than one statement carries (CHUNK), in one call and then replaced in one call.
    users = [
        SourceUser(source="apac", user_id=f"auth0|{i}", email=f"u{i}@p.example")
        for i in range(2500)
    ]
    store.save_profiles(users)
    store.save_profiles(users[1000:])
    store.delete_profiles(u.key for u in users[:2000])
    assert sorted(cached_users(store)) == sorted(u.key for u in users[2000:])


def test_a_profile_cached_with_its_mapped_result_reads_back_as_flags_and_result(
    store: SqlStore,
) -> None:
    ann, bob = full_user("auth0|1"), full_user("auth0|2")
    mapped = {
        ann.key: MappedProfile({"login": "ann@partner.example", "firstName": "Ann"}, ("w",)),
        bob.key: Unmappable("no usable email: email is empty", "email"),
    }
    store.save_profiles([ann, bob, full_user("auth0|3")], mapped, "digest-1")

    now = cached(store, "digest-1")
    # Under the same rules: only what the planner reads beside the result.
    assert now[ann.key] == CachedProfile(
        SourceUser(source="apac", user_id="auth0|1", email_verified=True, blocked=True),
        mapped[ann.key],
    )
    assert now[bob.key].mapped == mapped[bob.key]
    # Saved without a result: whole, to be mapped.
    assert now["apac:auth0|3"] == CachedProfile(full_user("auth0|3"))
    # Under other rules: every profile whole, none with a result.
    assert cached(store, "digest-2") == {
        key: CachedProfile(full_user(key.split(":", 1)[1])) for key in now
    }
