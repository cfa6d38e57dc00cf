"""Mapping targets against Okta's profile schema, end to end: ``config check``, ``plan`` and
``sync`` against an Okta emulator whose schema lacks or holds a custom attribute.

The emulator refuses an undefined property as Okta did in the recorded exchange
(okta/terraform/users-invalid-custom-profile-attribute-400.json: 400 E0000001, cause
"Property name 'notValid' is not defined in profile").
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.key_kit import (
    key_pair,
    okta_oauth_table,
    with_oauth_clients,
    write_key,
    write_oauth_config,
)
from tests.world_kit import World, auth0_user, seed

WorldFactory = Callable[..., World]
PARTNER_ORG = '[mapping]\npartnerOrganization = { value = "x" }\n'


def world_with(world_factory: WorldFactory, *, custom: dict[str, Any] | None, n: int = 3) -> World:
    document = seed([auth0_user(i) for i in range(1, n + 1)])
    if custom is not None:
        document["okta"]["schema"] = {"custom": custom}
    world = world_factory(document)
    world.write_config(extra=PARTNER_ORG)
    return world


def test_config_check_names_a_target_the_schema_lacks(world_factory: WorldFactory) -> None:
    world = world_with(world_factory, custom=None)
    check = world.cli("config", "check")
    assert check.exit_code == 2, check.stdout
    failing = [line for line in check.stdout.splitlines() if line.startswith("FAIL")]
    assert len(failing) == 1, check.stdout
    (line,) = failing
    assert "mapping.partnerOrganization" in line
    assert "does not define partnerOrganization" in line
    assert "Profile Editor" in line  # and what to do


def test_config_check_names_a_target_typed_otherwise(world_factory: WorldFactory) -> None:
    world = world_with(world_factory, custom={"partnerOrganization": {"type": "integer"}})
    check = world.cli("config", "check")
    assert check.exit_code == 2
    failing = [line for line in check.stdout.splitlines() if line.startswith("FAIL")]
    assert len(failing) == 1 and "mapping.partnerOrganization" in failing[0]
    assert "is integer" in failing[0]


def test_with_the_attribute_in_the_schema_users_get_it(world_factory: WorldFactory) -> None:
    world = world_with(world_factory, custom={"partnerOrganization": {"type": "string"}})
    check = world.cli("config", "check")
    assert check.exit_code == 0, check.stdout
    assert "holds partnerOrganization" in check.stdout
    out = world.sync()
    assert out["summary"]["created"] == 3 and out["notices"] == []
    members = world.okta().members()
    assert {m["profile"]["partnerOrganization"] for m in members.values()} == {"x"}


def test_a_run_leaves_an_undefined_target_out_with_one_notice(
    world_factory: WorldFactory,
) -> None:
    world = world_with(world_factory, custom=None)
    plan = world.plan()
    notices = [n for n in plan["notices"] if n["identity"] == "mapping.partnerOrganization"]
    assert len(notices) == 1 and len(plan["notices"]) == 1
    assert "left out of this run" in notices[0]["reason"]
    assert plan["summary"]["created"] == 3
    out = world.sync()  # creates succeed without the attribute: no failing action per user
    assert out["summary"]["created"] == 3 and out["summary"]["failed"] == 0
    assert all("partnerOrganization" not in m["profile"] for m in world.okta().members().values())
    # Once the attribute exists, the next run fills it in (the mapping applies again).
    okta = world.okta()
    okta.call(
        "POST",
        "/api/v1/meta/schemas/user/default",
        {"definitions": {"custom": {"properties": {"partnerOrganization": {"type": "string"}}}}},
    )
    again = world.sync()
    assert again["notices"] == [] and again["summary"]["updated"] == 3
    assert {m["profile"]["partnerOrganization"] for m in okta.members().values()} == {"x"}


def test_okta_refusing_a_property_names_the_attribute_and_its_rule(
    world_factory: WorldFactory,
) -> None:
    """An existing Okta user keeps its own user type, whose schema may lack what the default
    type defines: Okta refuses the update, and the failure names the attribute and its
    mapping rule, never a taken login."""
    document = seed([auth0_user(1)], user_types=[{"id": "otyPartner0000000001", "name": "Partner"}])
    document["okta"]["schema"] = {"custom": {"partnerOrganization": {"type": "string"}}}
    world = world_factory(document)
    world.write_config(extra=PARTNER_ORG)
    login = "user1@partner.example"
    world.okta().call(
        "POST",
        "/api/v1/users?activate=true",
        {
            "profile": {
                "login": login,
                "email": login,
                "firstName": "User1",
                "lastName": "Partner",
            },
            "type": {"id": "otyPartner0000000001"},
        },
    )
    out = world.sync(expect=1)
    (failure,) = out["summary"]["failures"]
    assert failure["action"] == "update_profile"
    assert "mapping.partnerOrganization" in failure["reason"]
    assert "does not define partnerOrganization" in failure["reason"]
    assert "login" not in failure["reason"].split(":")[0]


def test_without_the_schema_scope_config_check_names_it_and_a_run_says_it_is_unchecked(
    world_factory: WorldFactory, tmp_path: Path
) -> None:
    """An OAuth service app not granted ``okta.schemas.read``: ``config check`` names the
    scope; a run (asking only for the scopes it was given) says once that the targets are not
    checked, and Okta's refusal of each create names the attribute and its mapping rule."""
    key = key_pair("okta-schema")
    granted = ("okta.users.manage", "okta.groups.manage")
    world = world_factory(with_oauth_clients(seed([auth0_user(1)]), okta_key=key, granted=granted))
    key_file = write_key(tmp_path, "okta-app.pem", key.private_pem)
    source = 'client_id = "spokesync"\nclient_secret = "${TEST_AUTH0_SECRET}"\n'
    write_oauth_config(world, okta=okta_oauth_table(key_file), source=source, extra=PARTNER_ORG)
    check = world.cli("config", "check")
    assert check.exit_code == 2
    assert "okta.schemas.read" in check.stdout
    write_oauth_config(
        world, okta=okta_oauth_table(key_file, granted), source=source, extra=PARTNER_ORG
    )
    out = world.sync(expect=1)
    (notice,) = out["notices"]
    assert "not checked" in notice["reason"] and "okta.schemas.read" in notice["reason"]
    (failure,) = out["summary"]["failures"]
    assert failure["action"] == "create_user"
    assert "mapping.partnerOrganization" in failure["reason"]
