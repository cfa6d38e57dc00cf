"""The tenant-log classifier: which identities a batch of entries touches.

Entries are shaped as the recordings show a ``sapi`` entry (logs-checkpoint.json: lower-case
``method``, percent-encoded ``path``) and as the tenant-logs schema describes ``sdu``/``sce``;
role-assignment paths follow the Management API's path templates (reference §7: their entries'
exact text is unconfirmed).
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from spokesync.auth0.logs import parse_log_entry
from spokesync.live.auth0_echoes import OwnAuth0Writes, OwnWriteBack
from spokesync.live.auth0_entries import classify_entries

BOUND = frozenset({"rol_A1"})
_SEQUENCE = itertools.count(1)


def sapi(method: str, path: str, body: Any = None, *, client: str = "admin", **extra: Any) -> Any:
    n = next(_SEQUENCE)
    return parse_log_entry(
        {
            "log_id": f"{n:056d}",
            "date": f"2026-11-28T10:00:{n % 60:02d}.000Z",
            "type": "sapi",
            "client_id": client,
            "details": {
                "request": {"method": method.lower(), "path": path, "body": body or {}},
                "response": {"statusCode": 200, "body": extra.get("response", {})},
            },
        }
    )


def event(kind: str, user_id: str) -> Any:
    return parse_log_entry({"log_id": "9" * 56, "type": kind, "user_id": user_id})


def keys(entries: list[Any]) -> set[str]:
    return set(classify(entries).identities)


def classify(entries: list[Any], own: OwnAuth0Writes | None = None) -> Any:
    ours = own.recognise("apac", entries).ours if own is not None else frozenset()
    return classify_entries("apac", entries, bound_roles=BOUND, ours=ours)


def test_role_assignment_both_ways_touches_the_users() -> None:
    assert keys(
        [sapi("POST", "/api/v2/roles/rol_A1/users", {"users": ["auth0|1", "auth0|2"]})]
    ) == {
        "apac:auth0|1",
        "apac:auth0|2",
    }
    assert keys([sapi("POST", "/api/v2/users/auth0%7C3/roles", {"roles": ["rol_A1"]})]) == {
        "apac:auth0|3"
    }
    assert keys([sapi("DELETE", "/api/v2/users/auth0%7C4/roles", {"roles": ["rol_A1"]})]) == {
        "apac:auth0|4"
    }


def test_unbound_roles_and_reads_touch_nothing() -> None:
    assert keys([sapi("POST", "/api/v2/roles/rol_B2/users", {"users": ["auth0|1"]})]) == set()
    assert keys([sapi("POST", "/api/v2/users/auth0%7C1/roles", {"roles": ["rol_B2"]})]) == set()
    assert keys([sapi("GET", "/api/v2/users/auth0%7C1")]) == set()
    assert keys([sapi("POST", "/api/v2/clients", {})]) == set()
    assert keys([event("s", "auth0|1"), event("seccft", "")]) == set()


def test_user_changes_touch_the_user() -> None:
    entries = [
        sapi("PATCH", "/api/v2/users/auth0%7C1", {"blocked": True}),
        sapi("DELETE", "/api/v2/users/auth0%7C2"),
        sapi("POST", "/api/v2/users", {"email": "x@y"}, response={"user_id": "auth0|3"}),
        sapi("DELETE", "/api/v2/user-blocks/auth0%7C4"),
        event("sdu", "auth0|5"),
        event("sce", "auth0|6"),
    ]
    assert keys(entries) == {f"apac:auth0|{i}" for i in range(1, 7)}


def test_a_deleted_bound_role_or_an_unreadable_assignment_needs_a_full_reconcile() -> None:
    deleted = classify([sapi("DELETE", "/api/v2/roles/rol_A1")])
    assert deleted.needs_full and "rol_A1" in next(iter(deleted.full_reasons))
    vague = classify([sapi("POST", "/api/v2/roles/rol_A1/users", {"something": 1})])
    assert vague.needs_full
    assert not classify([sapi("DELETE", "/api/v2/roles/rol_B2")]).needs_full
    assert classify([sapi("POST", "/api/v2/jobs/users-imports", {})]).needs_full


ENTRY = st.sampled_from(
    [
        ("POST", "/api/v2/roles/rol_A1/users", {"users": ["auth0|1"]}),
        ("DELETE", "/api/v2/users/auth0%7C1/roles", {"roles": ["rol_A1"]}),
        ("PATCH", "/api/v2/users/auth0%7C2", {"user_metadata": {"a": 1}}),
        ("DELETE", "/api/v2/users/auth0%7C3", None),
        ("POST", "/api/v2/roles/rol_B2/users", {"users": ["auth0|4"]}),
        ("DELETE", "/api/v2/roles/rol_A1", None),
        ("PATCH", "/api/v2/users/auth0%7C5", {"blocked": True}),
    ]
)


@given(st.lists(ENTRY, max_size=12), st.randoms(use_true_random=False))
def test_order_does_not_matter(specs: list[Any], rng: Any) -> None:
    """Checkpoint pages come in log_id order, not date order, and late: any order of the same
    entries, in any split into batches, touches the same identities."""
    entries = [sapi(m, p, b) for m, p, b in specs]
    whole = classify(entries)
    shuffled = list(entries)
    rng.shuffle(shuffled)
    cut = rng.randint(0, len(shuffled))
    batched = classify(shuffled[:cut]) | classify(shuffled[cut:])
    assert batched == whole == classify(list(reversed(entries)))


WRITE_BACK = {"app_metadata": {"hub_status": "suspended"}}
SENT_AT = datetime(2026, 11, 28, 10, 0, 0, tzinfo=UTC)


def test_our_write_back_is_recognised_by_what_it_is_not_by_its_application() -> None:
    """The journaled write-back of that user, within the echo window, with the body we sent;
    a change another tool makes through our own application touches the user like any other."""
    own = OwnAuth0Writes("hub_status", (OwnWriteBack(1, "apac:auth0|1", SENT_AT, WRITE_BACK),))
    echo = sapi("PATCH", "/api/v2/users/auth0%7C1", WRITE_BACK, client="spokesync")
    assert set(classify([echo], own).identities) == set()
    # the same application, another change (or another user): someone else's
    other = sapi("PATCH", "/api/v2/users/auth0%7C1", {"blocked": True}, client="spokesync")
    assert set(classify([other], own).identities) == {"apac:auth0|1"}
    roles = sapi("POST", "/api/v2/roles/rol_A1/users", {"users": ["auth0|1"]}, client="spokesync")
    assert set(classify([roles], own).identities) == {"apac:auth0|1"}
    other_user = sapi("PATCH", "/api/v2/users/auth0%7C2", WRITE_BACK, client="spokesync")
    assert set(classify([other_user], own).identities) == {"apac:auth0|2"}
    # no write-back journaled: not ours, whatever the application
    assert set(classify([echo], OwnAuth0Writes("hub_status")).identities) == {"apac:auth0|1"}


def test_each_write_back_explains_one_entry_within_the_window() -> None:
    own = OwnAuth0Writes("hub_status", (OwnWriteBack(1, "apac:auth0|1", SENT_AT, WRITE_BACK),))
    first = sapi("PATCH", "/api/v2/users/auth0%7C1", WRITE_BACK)
    again = sapi("PATCH", "/api/v2/users/auth0%7C1", WRITE_BACK)
    assert set(classify([first, again], own).identities) == {"apac:auth0|1"}
    spent = own.recognise("apac", [first]).spent
    later = OwnAuth0Writes("hub_status", own.writes, spent)
    assert set(classify([again], later).identities) == {"apac:auth0|1"}
    long_after = OwnAuth0Writes(
        "hub_status", (OwnWriteBack(1, "apac:auth0|1", SENT_AT - timedelta(hours=1), WRITE_BACK),)
    )
    assert set(classify([first], long_after).identities) == {"apac:auth0|1"}


def test_a_write_back_cut_short_is_matched_by_what_a_write_back_is() -> None:
    """A journal row still ``started`` has no body: a PATCH of only the status key (and
    ``blocked``) is ours, any other body is not."""
    own = OwnAuth0Writes("hub_status", (OwnWriteBack(1, "apac:auth0|1", SENT_AT, None),))
    ours = sapi("PATCH", "/api/v2/users/auth0%7C1", {**WRITE_BACK, "blocked": True})
    assert set(classify([ours], own).identities) == set()
    theirs = sapi("PATCH", "/api/v2/users/auth0%7C1", {"user_metadata": {"firstName": "X"}})
    assert set(classify([theirs], own).identities) == {"apac:auth0|1"}
