"""Mapping paths into the organization an identity is in scope through (pure)."""

from __future__ import annotations

import pytest

from spokesync.domain import SourceUser
from spokesync.mapping import MappedProfile, map_user, parse_path, uses_organization, validate_rules

USER = SourceUser("p", "auth0|1", email="ann@x.example", given_name="Ann", family_name="Lee")
ORG = {"id": "org_1", "name": "acme", "display_name": "Acme Corp", "metadata": {"tier": "gold"}}


def test_organization_paths_map_and_fall_through_without_one() -> None:
    rules = {
        "login": ["email"],
        "email": ["email"],
        "firstName": ["given_name"],
        "lastName": ["family_name"],
        "organization": ["organization.display_name", "app_metadata.company"],
        "tier": ["organization.metadata.tier"],
        "orgId": ["organization.id|upper"],
    }
    validate_rules(rules)  # type: ignore[arg-type]
    assert uses_organization(rules)  # type: ignore[arg-type]
    mapped = map_user(USER, rules, ORG)  # type: ignore[arg-type]
    assert isinstance(mapped, MappedProfile)
    assert mapped.profile["organization"] == "Acme Corp"
    assert mapped.profile["tier"] == "gold"
    assert mapped.profile["orgId"] == "ORG_1"
    alone = map_user(USER, rules)  # type: ignore[arg-type]
    assert isinstance(alone, MappedProfile) and "organization" not in alone.profile


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("organization", "names a whole object"),
        ("organization.title", "not an organization field"),
        ("organization.metadata", "organization.metadata.KEY"),
        ("organization.name.x", "holds a plain value"),
    ],
)
def test_bad_organization_paths(path: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_path(path)
