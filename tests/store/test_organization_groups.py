"""The groups spokesync made (or adopted) for organizations, on SQLite and PostgreSQL: one
record per source, organization and organization role, replaced in place."""

from __future__ import annotations

from spokesync.domain import OrganizationGroup
from spokesync.store import SqlStore


def test_records_are_kept_per_organization_and_role_and_replaced(store: SqlStore) -> None:
    assert store.organization_groups() == []
    members = OrganizationGroup("p", "org_B", "", "00gB", "created", "2026-12-01T10:00:00.000Z")
    admins = OrganizationGroup("p", "org_B", "rol_A", "00gBA", "created", "2026-12-01T10:00:00Z")
    other = OrganizationGroup("p", "org_A", "", "00gA", "adopted", "2026-12-01T10:00:00.000Z")
    for record in (members, admins, other):
        store.save_organization_group(record)
    assert store.organization_groups() == [other, members, admins]  # in key order
    # The group made again (deleted in Okta by someone): the same key, a new group id.
    again = OrganizationGroup("p", "org_B", "", "00gB2", "created", "2026-12-02T10:00:00.000Z")
    store.save_organization_group(again)
    assert store.organization_groups() == [other, again, admins]
