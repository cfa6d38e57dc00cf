"""The dashboard's reading of audit rows (pure): memberships by group name, profile fields as
``old → new``, and a group's own actions (made or renamed for an organization) by its id with
the name as the change."""

from __future__ import annotations

from typing import Any

from spokesync.audit_changes import Change, changes
from spokesync.store.base import AuditRecord

NAMES = {"00gSales": "Salesforce Users"}


def row(action: str, before: Any = None, after: Any = None) -> AuditRecord:
    return AuditRecord(
        1, "run", "partners:auth0|1", action, "00u1", "succeeded", "t0", "t1", before, after, None
    )


def test_a_membership_names_its_group() -> None:
    added = changes(row("add_to_group", None, {"group_id": "00gSales"}), NAMES)
    assert added == [Change("group", None, "Salesforce Users", "00gSales")]
    removed = changes(row("remove_from_group", {"group_id": "00gSales", "member": True}), NAMES)
    assert removed == [Change("group", "Salesforce Users", None, "00gSales")]


def test_a_profile_update_reads_old_to_new() -> None:
    updated = changes(
        row("update_profile", {"firstName": "User1"}, {"firstName": "Zoë", "okta_id": "00u1"}),
        NAMES,
    )
    assert updated == [Change("firstName", "User1", "Zoë")]


def test_a_renamed_group_is_its_id_and_the_name_from_old_to_new() -> None:
    renamed = changes(
        row(
            "rename_group", {"name": "Partner Globex"}, {"group_id": "00gG", "name": "Globex Intl"}
        ),
        {"00gG": "Globex Intl"},
    )
    assert renamed == [
        Change("group", None, "00gG"),
        Change("name", "Partner Globex", "Globex Intl"),
    ]
    made = changes(row("create_group", None, {"group_id": "00gG", "name": "Partner Globex"}), {})
    assert made == [Change("group", None, "00gG"), Change("name", None, "Partner Globex")]
