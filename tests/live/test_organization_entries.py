"""Organization tenant-log entries -> the identities (or organizations) they touch (pure)."""

from __future__ import annotations

from typing import Any

from spokesync.auth0.logs import parse_log_entry
from spokesync.live.auth0_entries import classify_entries


def sapi(method: str, path: str, body: Any = None, client: str = "dashboard") -> Any:
    return parse_log_entry(
        {
            "log_id": "900001",
            "type": "sapi",
            "date": "2026-12-01T10:00:00.000Z",
            "client_id": client,
            "details": {"request": {"method": method, "path": path, "body": body or {}}},
        }
    )


def touched(*entries: Any, organizations: bool = True, ours: frozenset[str] = frozenset()) -> Any:
    return classify_entries(
        "p", entries, bound_roles=frozenset(), ours=ours, organizations=organizations
    )


def test_member_writes_touch_those_members() -> None:
    added = sapi("post", "/api/v2/organizations/org_1/members", {"members": ["auth0|1", "auth0|2"]})
    assert touched(added).identities == {"p:auth0|1", "p:auth0|2"}
    role = sapi(
        "delete", "/api/v2/organizations/org_1/members/auth0%7C3/roles", {"roles": ["rol_A"]}
    )
    assert touched(role).identities == {"p:auth0|3"}
    vague = sapi("post", "/api/v2/organizations/org_1/members", {})
    assert touched(vague).organizations == {("p", "org_1")}


def test_renames_and_deletions_touch_the_organization() -> None:
    renamed = sapi("patch", "/api/v2/organizations/org_1", {"display_name": "New"})
    deleted = sapi("delete", "/api/v2/organizations/org_2")
    assert touched(renamed, deleted).organizations == {("p", "org_1"), ("p", "org_2")}
    assert touched(sapi("post", "/api/v2/organizations", {"name": "x"})).organizations == set()
    assert touched(sapi("post", "/api/v2/organizations/org_1/invitations", {})).identities == set()


def test_member_added_at_login_names_the_user() -> None:
    entry = parse_log_entry(
        {
            "log_id": "900002",
            "type": "organization_member_added",
            "user_id": "auth0|9",
            "details": {"organization_id": "org_1"},
        }
    )
    assert entry.organization_id == "org_1"
    assert touched(entry).identities == {"p:auth0|9"}


def test_ignored_without_organization_bindings_and_for_our_own_writes() -> None:
    added = sapi("post", "/api/v2/organizations/org_1/members", {"members": ["auth0|1"]})
    assert touched(added, organizations=False).identities == set()
    # An entry recognised as our own write (live.auth0_echoes): its log id is in ``ours``.
    assert touched(added, ours=frozenset({added.log_id})).identities == set()
