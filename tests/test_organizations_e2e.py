"""Organizations end to end: template bindings make a group per organization, organization
roles, members leaving, renames and deletions, through the CLI against both emulators.

The emulators follow the recorded go-auth0 organization exchanges (members pages carry a
``next`` even when short and end with an empty page; the organizations listing ends on a
short page) and the official spec (``fields=roles`` on the members listing).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.world_kit import (
    ADMIN_SCOPES,
    GROUP,
    GROUP_NAME,
    World,
    auth0_user,
    seed,
)

WorldFactory = Callable[..., World]
ADMIN_ROLE = "rol_OrgAdmin00000001"
ACME_ADMINS = "00gAcmeAdmins0000001"
READ_SCOPES = (
    "read:users",
    "read:roles",
    "update:users",
    "read:organizations",
    "read:organization_members",
    "read:organization_member_roles",
)
ORG_ADMIN_SCOPES = [
    *ADMIN_SCOPES,
    "read:organizations",
    "update:organizations",
    "delete:organizations",
    "create:organizations",
    "read:organization_members",
    "create:organization_members",
    "delete:organization_members",
    "read:organization_member_roles",
    "create:organization_member_roles",
    "delete:organization_member_roles",
]
TEMPLATE = (
    '[[bindings]]\nsource = "partners"\norganizations = "*"\n'
    'group = "Partner {organization.display_name}"\n'
)
ACME_ADMIN_BINDING = (
    '[[bindings]]\nsource = "partners"\norganization = "acme"\n'
    'organization_role = "OrgAdmin"\ngroup = "Acme Admins"\n'
)


def world_seed(*, groups: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    users = [auth0_user(i, roles=()) for i in range(1, 7)]
    document = seed(
        users,
        roles=[
            {"id": "rol_Salesforce000001", "name": "Salesforce"},
            {"id": ADMIN_ROLE, "name": "OrgAdmin"},
        ],
        groups=[
            {"id": GROUP, "name": GROUP_NAME},
            {"id": ACME_ADMINS, "name": "Acme Admins"},
            *(groups or []),
        ],
        client_scopes=READ_SCOPES,
    )
    document["auth0"]["clients"][1]["scopes"] = ORG_ADMIN_SCOPES
    document["auth0"]["organizations"] = [
        {
            "id": "org_Acme000000000001",
            "name": "acme",
            "display_name": "Acme Corp",
            "metadata": {"tier": "gold"},
            "members": [
                {"user_id": "auth0|u00001", "roles": [ADMIN_ROLE]},
                {"user_id": "auth0|u00002", "roles": [ADMIN_ROLE]},
                {"user_id": "auth0|u00003", "roles": []},
            ],
        },
        {
            "id": "org_Globex00000000001",
            "name": "globex",
            "display_name": "Globex",
            "metadata": {},
            # u00003 is a member of two organizations
            "members": [
                {"user_id": "auth0|u00003", "roles": []},
                {"user_id": "auth0|u00004", "roles": []},
            ],
        },
        {
            "id": "org_Initech000000001",
            "name": "initech",
            "display_name": "Initech",
            "metadata": {},
            "members": [{"user_id": "auth0|u00005", "roles": []}],
        },
    ]
    return document


def group_named(world: World, name: str) -> dict[str, Any] | None:
    found = [
        g for g in world.okta().pages("/api/v1/groups?limit=200") if g["profile"]["name"] == name
    ]
    assert len(found) <= 1, found
    return found[0] if found else None


def logins(world: World, group_id: str) -> list[str]:
    return sorted(world.okta().members(group_id))


def test_template_over_three_organizations_creates_three_groups_with_their_members(
    world_factory: WorldFactory,
) -> None:
    world = world_factory(world_seed())
    world.write_config(bindings=TEMPLATE)
    plan = world.plan()
    creates = [a for a in plan["actions"] if a["action"] == "create_group"]
    assert [a["detail"]["name"] for a in creates] == [
        "Partner Acme Corp",
        "Partner Globex",
        "Partner Initech",
    ]
    assert plan["actions"][:3] == creates  # group actions come first
    # The text plan: groups apart from people, new groups without an id yet.
    text = world.cli("plan").stdout
    assert "5 people with changes, 3 group changes" in text
    assert "groups (3 organizations)" in text and "unmatched (5 people)" in text
    assert "create group Partner Globex" in text
    assert text.count("(new group)") == 3 and "planned:" not in text
    out = world.sync()
    assert out["summary"]["groups_created"] == 3
    acme = group_named(world, "Partner Acme Corp")
    globex = group_named(world, "Partner Globex")
    initech = group_named(world, "Partner Initech")
    assert acme and globex and initech
    assert acme["profile"]["description"] == (
        "Managed by spokesync: organization org_Acme000000000001 of source partners"
    )
    assert logins(world, acme["id"]) == [f"user{i}@partner.example" for i in (1, 2, 3)]
    # a user in two organizations is in both groups, one Okta user
    assert logins(world, globex["id"]) == ["user3@partner.example", "user4@partner.example"]
    assert logins(world, initech["id"]) == ["user5@partner.example"]
    assert len(world.okta().users()) == 5
    # nothing changed: nothing to do, and no per-member read
    world.reset_stats()
    assert world.sync()["actions"] == []
    requests = world.stats("auth0")["requests"]
    assert "GET /api/v2/organizations/{id}/members/{user_id}/roles" not in requests
    assert "GET /api/v2/users/{id}" not in requests


def test_organization_role_binding_and_the_role_taken_away(world_factory: WorldFactory) -> None:
    world = world_factory(world_seed())
    world.write_config(bindings=ACME_ADMIN_BINDING, extra='[policy]\nmax_deprovision = "100%"\n')
    world.sync()
    assert logins(world, ACME_ADMINS) == ["user1@partner.example", "user2@partner.example"]
    world.auth0().call(
        "DELETE",
        "/api/v2/organizations/org_Acme000000000001/members/auth0%7Cu00001/roles",
        {"roles": [ADMIN_ROLE]},
    )
    out = world.sync()
    assert out["summary"]["removed_from_group"] == 1
    assert logins(world, ACME_ADMINS) == ["user2@partner.example"]


def test_member_removed_from_an_organization_leaves_its_group(world_factory: WorldFactory) -> None:
    world = world_factory(world_seed())
    world.write_config(bindings=TEMPLATE, extra='[policy]\nmax_deprovision = "100%"\n')
    world.sync()
    world.auth0().call(
        "DELETE",
        "/api/v2/organizations/org_Acme000000000001/members",
        {"members": ["auth0|u00002"]},
    )
    out = world.sync()
    assert out["summary"]["removed_from_group"] == 1
    acme = group_named(world, "Partner Acme Corp")
    assert acme and logins(world, acme["id"]) == ["user1@partner.example", "user3@partner.example"]


def test_renamed_organization_renames_its_group_in_place(world_factory: WorldFactory) -> None:
    world = world_factory(world_seed())
    world.write_config(bindings=TEMPLATE)
    world.sync()
    before = group_named(world, "Partner Globex")
    assert before
    world.auth0().call(
        "PATCH", "/api/v2/organizations/org_Globex00000000001", {"display_name": "Globex Intl"}
    )
    assert "rename group Partner Globex → Partner Globex Intl" in world.cli("plan").stdout
    out = world.sync()
    assert out["summary"]["groups_renamed"] == 1
    assert out["summary"]["groups_created"] == 0
    after = group_named(world, "Partner Globex Intl")
    assert after and after["id"] == before["id"]  # same group, found by organization id
    assert after["profile"]["description"] == before["profile"]["description"]
    assert group_named(world, "Partner Globex") is None
    # The audit says what the rename did: same group, its name from old to new.
    trail = " ".join(world.cli("audit", "--user", "org_Globex00000000001").stdout.split())
    assert f"group {after['id']}; name: Partner Globex → Partner Globex Intl" in trail, trail
    assert f"group {after['id']}; name: (none) → Partner Globex" in trail  # when it was made
    assert logins(world, after["id"]) == ["user3@partner.example", "user4@partner.example"]
    assert world.plan()["actions"] == []


def test_deleted_organization_empties_its_group_which_is_kept_and_reported(
    world_factory: WorldFactory,
) -> None:
    world = world_factory(world_seed())
    world.write_config(bindings=TEMPLATE)
    world.sync()
    globex = group_named(world, "Partner Globex")
    assert globex
    world.auth0().call("DELETE", "/api/v2/organizations/org_Globex00000000001")
    # Deleting an organization is explicit (confirmed by a 404 on it): not refused by the
    # deprovisioning guard although the group loses all its members.
    out = world.sync()
    assert out["summary"]["removed_from_group"] == 2
    assert group_named(world, "Partner Globex") is not None  # never deleted
    assert logins(world, globex["id"]) == []
    reported = [
        n["reason"] for n in out["notices"] if n["identity"] == "partners:org_Globex00000000001"
    ]
    assert reported and "deleted in Auth0" in reported[0]
    # user3 is still in Acme: still provisioned, still in its group
    acme = group_named(world, "Partner Acme Corp")
    assert acme and "user3@partner.example" in logins(world, acme["id"])


def test_existing_group_of_the_same_name_is_not_adopted_by_default(
    world_factory: WorldFactory,
) -> None:
    foreign = {"id": "00gForeignInitech001", "name": "Partner Initech"}
    world = world_factory(world_seed(groups=[foreign]))
    world.write_config(bindings=TEMPLATE)
    out = world.sync()
    assert out["summary"]["groups_created"] == 2
    assert logins(world, foreign["id"]) == []  # not used
    reported = [
        n["reason"] for n in out["notices"] if n["identity"] == "partners:org_Initech000000001"
    ]
    assert reported and "did not create" in reported[0]
    # with adopt_groups it is used, and then followed by organization id
    world.write_config(bindings=TEMPLATE, extra="[policy]\nadopt_groups = true\n")
    out = world.sync()
    assert out["summary"]["groups_adopted"] == 1
    assert logins(world, foreign["id"]) == ["user5@partner.example"]
    assert world.plan()["actions"] == []


def test_a_member_of_two_organizations_maps_from_the_binding_listed_first(
    world_factory: WorldFactory,
) -> None:
    world = world_factory(world_seed())
    mapping = (
        '[mapping]\nlogin = ["email"]\nemail = ["email"]\n'
        'organization = ["organization.display_name"]\n'
    )
    # globex is listed first: user3 (in acme and globex) maps from it; the plan says so
    first = (
        '[[bindings]]\nsource = "partners"\norganization = "globex"\ngroup = "Acme Admins"\n'
        + TEMPLATE
    )
    world.write_config(bindings=first, extra=mapping)
    out = world.sync()
    profile = world.okta().user("user3@partner.example")
    assert profile and profile["profile"]["organization"] == "Globex"
    assert world.okta().user("user1@partner.example")["profile"]["organization"] == "Acme Corp"  # type: ignore[index]
    noted = [n["reason"] for n in out["notices"] if n["identity"] == "partners:auth0|u00003"]
    assert noted and "read globex (the binding listed first)" in noted[0]
    # a rename of the organization reaches the mapped attribute of its members
    world.auth0().call(
        "PATCH", "/api/v2/organizations/org_Acme000000000001", {"display_name": "Acme Inc"}
    )
    world.sync()
    assert world.okta().user("user1@partner.example")["profile"]["organization"] == "Acme Inc"  # type: ignore[index]
    assert world.plan()["actions"] == []


def test_config_check_resolves_organizations_and_lists_the_groups_a_template_makes(
    world_factory: WorldFactory,
) -> None:
    world = world_factory(world_seed())
    world.write_config(bindings=TEMPLATE + ACME_ADMIN_BINDING)
    result = world.cli("config", "check")
    assert result.exit_code == 0, result.stdout
    if world.state_url.startswith("sqlite"):  # a check only looks: no state file made
        assert not world.db_path.exists()
    assert "organization acme = org_Acme000000000001" in result.stdout
    assert "role OrgAdmin = rol_OrgAdmin00000001" in result.stdout
    assert "group 'Partner Initech' would be created" in result.stdout
    assert "read:organization_member_roles" in result.stdout
    document = world_seed()
    document["auth0"]["clients"][0]["scopes"] = ["read:users", "read:roles"]
    lacking = world_factory(document)
    lacking.tmp = world.tmp / "lacking"
    lacking.tmp.mkdir()
    lacking.write_config(bindings=TEMPLATE)
    result = lacking.cli("config", "check")
    assert result.exit_code == 2
    assert "lacks read:organizations, read:organization_members;" in result.stdout


def test_progress_counts_the_group_actions_so_apply_reaches_its_total(
    world_factory: WorldFactory,
) -> None:
    """The progress bar's total is every planned action; the groups made first count too."""
    world = world_factory(world_seed())
    world.write_config(bindings=TEMPLATE)
    seen: dict[str, int] = {"done": 0, "total": -1}

    def progress(phase: str, done: int, /, *, total: int | None = None) -> None:
        if phase == "apply":
            seen["done"] += done
            if total is not None:
                seen["total"] = total

    result = world.run_engine(progress=progress, apply=True)
    assert result.summary["groups_created"] == 3
    assert seen["total"] == len(result.plan.actions) == seen["done"], seen
