"""Links and the source-profile cache: round trips, replace, delete, bulk."""

from __future__ import annotations

from spokesync.domain import Link, SourceUser
from spokesync.store import SqlStore


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
    assert store.load_profiles() == {}


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
    assert store.load_profiles() == {u.key: u for u in users}


def test_save_profiles_replaces_and_keeps_the_rest(store: SqlStore) -> None:
    store.save_profiles([full_user("auth0|1"), full_user("auth0|2")])
    changed = SourceUser(source="apac", user_id="auth0|1", email="new@partner.example")
    store.save_profiles([changed])
    loaded = store.load_profiles()
    assert loaded["apac:auth0|1"] == changed
    assert loaded["apac:auth0|2"] == full_user("auth0|2")


def test_save_profiles_with_a_repeated_identity_keeps_the_last(store: SqlStore) -> None:
    first = SourceUser(source="apac", user_id="auth0|1", name="first")
    last = SourceUser(source="apac", user_id="auth0|1", name="last")
    store.save_profiles([first, last])
    assert store.load_profiles() == {"apac:auth0|1": last}


def test_save_profiles_accepts_a_generator_and_nothing(store: SqlStore) -> None:
    store.save_profiles([])
    store.save_profiles(full_user(f"auth0|{i}") for i in range(3))
    assert len(store.load_profiles()) == 3


def test_delete_profiles(store: SqlStore) -> None:
    store.save_profiles(full_user(f"auth0|{i}") for i in range(5))
    store.delete_profiles(["apac:auth0|1", "apac:auth0|3", "apac:auth0|1", "apac:nobody"])
    store.delete_profiles([])
    assert sorted(store.load_profiles()) == ["apac:auth0|0", "apac:auth0|2", "apac:auth0|4"]


def test_bulk_profiles_span_several_chunks(store: SqlStore) -> None:
    # More rows than one statement carries (CHUNK), in one call and then replaced in one call.
    users = [
        SourceUser(source="apac", user_id=f"auth0|{i}", email=f"u{i}@p.example")
        for i in range(2500)
    ]
    store.save_profiles(users)
    store.save_profiles(users[1000:])
    store.delete_profiles(u.key for u in users[:2000])
    assert sorted(store.load_profiles()) == sorted(u.key for u in users[2000:])
