"""Property: any sequence of link and profile writes reads back as a plain dict model would."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spokesync.domain import Link, SourceUser
from spokesync.store import SqlStore
from tests.store.test_links_profiles import cached_users

# Printable text without NUL (PostgreSQL TEXT cannot hold NUL; identities never contain one).
text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | text,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(text, children, max_size=3),
    max_leaves=8,
)
json_objects = st.dictionaries(text, json_values, max_size=4)

# A handful of identities, so that writes often replace and delete earlier ones.
SOURCES = ("apac", "emea")
USER_IDS = ("auth0|1", "auth0|2", "google-oauth2|3", "samlp|a:b|4")
identities = st.tuples(st.sampled_from(SOURCES), st.sampled_from(USER_IDS))


@st.composite
def links(draw: st.DrawFn) -> Link:
    source, user_id = draw(identities)
    identity = f"{source}:{user_id}"
    return Link(
        identity=identity,
        # unique per identity (the column is unique), varying between versions of the link
        okta_id=f"00u-{identity}-{draw(st.integers(0, 3))}",
        login=draw(text),
        origin=draw(st.sampled_from(["created", "linked"])),
        profile=draw(json_objects),
        managed_groups=frozenset(draw(st.lists(text, max_size=3))),
        created_at=draw(text),
        deprovisioned=draw(st.sampled_from(["", "suspended", "deactivated"])),
        idp_linked=draw(st.booleans()),
        hub_status=draw(text),
        source_blocked_by_us=draw(st.booleans()),
    )


@st.composite
def source_users(draw: st.DrawFn) -> SourceUser:
    source, user_id = draw(identities)
    optional = st.none() | text
    return SourceUser(
        source=source,
        user_id=user_id,
        email=draw(optional),
        email_verified=draw(st.booleans()),
        name=draw(optional),
        given_name=draw(optional),
        family_name=draw(optional),
        nickname=draw(optional),
        user_metadata=draw(json_objects),
        app_metadata=draw(json_objects),
        blocked=draw(st.booleans()),
        updated_at=draw(optional),
    )


identity_keys = identities.map(lambda pair: f"{pair[0]}:{pair[1]}")
operations = st.lists(
    st.one_of(
        st.tuples(st.just("save_link"), links()),
        st.tuples(st.just("delete_link"), identity_keys),
        st.tuples(st.just("save_profiles"), st.lists(source_users(), max_size=4)),
        st.tuples(st.just("delete_profiles"), st.lists(identity_keys, max_size=3)),
    ),
    max_size=12,
)


@settings(
    max_examples=30,
    deadline=None,
    # One store per backend for all examples: each example starts by emptying it.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(ops=operations)
def test_link_and_profile_writes_round_trip(store: SqlStore, ops: list[tuple[str, Any]]) -> None:
    for identity in store.load_links():
        store.delete_link(identity)
    store.delete_profiles(list(cached_users(store)))

    model_links: dict[str, Link] = {}
    model_profiles: dict[str, SourceUser] = {}
    for name, arg in ops:
        if name == "save_link":
            store.save_link(arg)
            model_links[arg.identity] = arg
        elif name == "delete_link":
            store.delete_link(arg)
            model_links.pop(arg, None)
        elif name == "save_profiles":
            store.save_profiles(arg)
            model_profiles.update({user.key: user for user in arg})
        else:
            store.delete_profiles(arg)
            for key in arg:
                model_profiles.pop(key, None)

    assert store.load_links() == model_links
    assert cached_users(store) == model_profiles
