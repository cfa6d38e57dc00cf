"""The System Log classifier: changes someone else made to managed Okta users.

Events are shaped as the official spec's ``LogEvent`` (actor, client, outcome, target[]);
the event types are Okta's published ones (``group.user_membership.add``,
``user.lifecycle.suspend``, ``user.account.update_profile``...).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from spokesync.live.okta_events import classify_events
from spokesync.live.own_writes import OwnAction, OwnWrites
from spokesync.okta.system_log import parse_log_event

T0 = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
LINKED = {"00u1": frozenset({"apac:auth0|1"}), "00u2": frozenset({"apac:auth0|2", "emea:auth0|2"})}


def event(
    kind: str,
    user: str,
    *,
    group: str | None = None,
    actor: str = "00uADMIN",
    at: datetime = T0,
    result: str = "SUCCESS",
) -> Any:
    targets = [{"id": user, "type": "User"}] + (
        [{"id": group, "type": "UserGroup"}] if group else []
    )
    return parse_log_event(
        {
            "uuid": f"{kind}-{user}-{at.timestamp()}",
            "published": at.isoformat().replace("+00:00", "Z"),
            "eventType": kind,
            "actor": {"id": actor, "type": "User"},
            "client": {"id": "browser"},
            "outcome": {"result": result},
            "target": targets,
        }
    )


def touched(events: list[Any], own: OwnWrites | None = None) -> set[str]:
    ours = (own or OwnWrites()).recognise(events).ours
    return set(classify_events(events, linked=LINKED, ours=ours).identities)


def test_hand_edits_on_managed_users_touch_their_identities() -> None:
    assert touched([event("group.user_membership.remove", "00u1", group="00gA")]) == {
        "apac:auth0|1"
    }
    assert touched([event("user.lifecycle.suspend", "00u2")]) == {"apac:auth0|2", "emea:auth0|2"}
    assert touched([event("user.account.update_profile", "00u1")]) == {"apac:auth0|1"}


def test_unmanaged_users_failures_and_other_events_touch_nothing() -> None:
    assert touched([event("user.lifecycle.suspend", "00uOTHER")]) == set()
    assert touched([event("user.lifecycle.suspend", "00u1", result="FAILURE")]) == set()
    assert touched([event("user.session.start", "00u1")]) == set()


def test_our_own_changes_are_recognised_by_echo_never_by_actor() -> None:
    # Our service app as the actor, but no journaled action: another tool sharing the app.
    shared = event("group.user_membership.add", "00u1", group="00gA", actor="0oaSPOKESYNC")
    assert touched([shared], OwnWrites()) == {"apac:auth0|1"}
    echo = OwnWrites(actions=(OwnAction(1, "00u1", "add_to_group", T0, "00gA"),))
    assert touched([event("group.user_membership.add", "00u1", group="00gA")], echo) == set()
    # another group, another kind, or long after: someone else's change
    assert touched([event("group.user_membership.add", "00u1", group="00gB")], echo)
    assert touched([event("group.user_membership.remove", "00u1", group="00gA")], echo)
    late = T0 + timedelta(minutes=5)
    assert touched([event("group.user_membership.add", "00u1", group="00gA", at=late)], echo)


def test_an_admin_repeating_our_change_right_after_its_echo_is_seen() -> None:
    """Each of our actions explains one event of its kind: we suspend (echo), an admin
    unsuspends, we do nothing, the admin suspends again a moment later: that one is theirs."""
    own = OwnWrites(actions=(OwnAction(1, "00u1", "suspend", T0),))
    ours = event("user.lifecycle.suspend", "00u1", at=T0 + timedelta(seconds=1))
    theirs = event("user.lifecycle.suspend", "00u1", at=T0 + timedelta(seconds=20))
    assert touched([ours], own) == set()
    assert touched([theirs, ours], own) == {"apac:auth0|1"}
    spent = own.recognise([ours]).spent
    later = OwnWrites(actions=own.actions, spent=spent)
    assert touched([theirs], later) == {"apac:auth0|1"}


EVENT = st.sampled_from(
    [
        ("group.user_membership.remove", "00u1"),
        ("group.user_membership.add", "00u2"),
        ("user.lifecycle.suspend", "00u1"),
        ("user.lifecycle.deactivate", "00uOTHER"),
        ("user.account.update_profile", "00u2"),
    ]
)


@given(
    st.lists(st.tuples(EVENT, st.integers(0, 600)), max_size=10), st.randoms(use_true_random=False)
)
def test_order_does_not_matter(specs: list[Any], rng: Any) -> None:
    """Events arrive late and out of order: any order touches the same identities."""
    events = [event(kind, user, at=T0 + timedelta(seconds=s)) for (kind, user), s in specs]
    shuffled = list(events)
    rng.shuffle(shuffled)
    own = OwnWrites(actions=(OwnAction(1, "00u2", "add_to_group", T0 + timedelta(seconds=60)),))
    whole = classify_events(events, linked=LINKED, ours=own.recognise(events).ours)
    assert classify_events(shuffled, linked=LINKED, ours=own.recognise(shuffled).ours) == whole
