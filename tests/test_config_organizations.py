"""Organization bindings in the config: one line naming bindings[N].KEY for each mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from spokesync.config import load
from tests.test_config import GOOD, OKTA, SOURCES, environment, problem, write

__all__ = ["environment"]


def binding(body: str) -> str:
    return OKTA + SOURCES + '[[bindings]]\nsource = "apac"\n' + body


def test_the_three_shapes_load(tmp_path: Path) -> None:
    text = (
        GOOD
        + '[[bindings]]\nsource = "apac"\norganization = "acme"\ngroup = "Acme Partners"\n'
        + '[[bindings]]\nsource = "apac"\norganization = "org_1"\norganization_role = "Admin"\n'
        + 'group = "Acme Admins"\n'
        + '[[bindings]]\nsource = "apac"\norganizations = "*"\n'
        + 'group = "Partner {organization.display_name}"\n'
        + '[[bindings]]\nsource = "apac"\norganizations = ["acme", "globex"]\n'
        + 'organization_role = "Admin"\ngroup = "Partner {organization.name} Admins"\n'
    )
    cfg = load(write(tmp_path, text))
    assert [b.kind for b in cfg.bindings] == [
        "role",
        "organization",
        "organization",
        "organizations",
        "organizations",
    ]
    assert cfg.organization_sources() == frozenset({"apac"})
    assert cfg.required_auth0_scopes("apac") == (
        "read:users",
        "read:roles",
        "read:organizations",
        "read:organization_members",
        "read:organization_member_roles",
    )


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ('group = "G"\n', "bindings[0] names none of role, organization and organizations"),
        (
            'role = "R"\norganization = "acme"\ngroup = "G"\n',
            "bindings[0] names role and organization; give exactly one",
        ),
        ('role = "R"\norganization_role = "Admin"\ngroup = "G"\n', "bindings[0].organization_role"),
        (
            'organization = "acme"\ngroup = "Partner {organization.name}"\n',
            "bindings[0].group is a template, which only a binding with organizations expands",
        ),
        (
            'organizations = "*"\ngroup = "Partner {organization.title}"\n',
            "bindings[0].group uses {organization.title}, which is not a template field",
        ),
        ('organizations = []\ngroup = "G"\n', "bindings[0].organizations"),
        (
            # Two templates for the same members would take over each other's groups.
            'organizations = "*"\ngroup = "Partner {organization.name}"\n'
            '[[bindings]]\nsource = "apac"\norganizations = "a*"\n'
            'group = "Sales {organization.name}"\n',
            "bindings[1].group is a second group template for the same members (all members "
            "of source 'apac') as bindings[0]",
        ),
    ],
)
def test_mistakes_name_the_key(tmp_path: Path, body: str, says: str) -> None:
    message = problem(write(tmp_path, binding(body)))
    assert says in message
    assert "\n" not in message.strip()


def test_adopt_groups_is_a_policy(tmp_path: Path) -> None:
    cfg = load(write(tmp_path, GOOD + "[policy]\nadopt_groups = true\n"))
    assert cfg.policy.adopt_groups
    assert cfg.required_auth0_scopes("apac") == ("read:users", "read:roles")
