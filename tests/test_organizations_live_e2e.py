"""``serve --live`` picks up organization changes from the tenant log: members added and
removed, an organization role taken away, a rename (the group follows, same id) and a
deletion (its members leave, the group stays). Deadlines are generous (see test_live_e2e)."""

from __future__ import annotations

from collections.abc import Callable

from tests.test_live_e2e import live_positions, serving, wait_for
from tests.test_organizations_e2e import (
    ACME_ADMIN_BINDING,
    ACME_ADMINS,
    ADMIN_ROLE,
    READ_SCOPES,
    TEMPLATE,
    group_named,
    logins,
    world_seed,
)
from tests.world_kit import World

WorldFactory = Callable[..., World]
LIVE = '[policy]\nmax_deprovision = "100%"\n\n[live]\npoll_seconds = 1\n'


def test_serve_live_follows_organization_changes(world_factory: WorldFactory) -> None:
    document = world_seed()
    document["auth0"]["clients"][0]["scopes"] = [*READ_SCOPES, "read:logs"]
    world = world_factory(document)
    world.write_config(bindings=TEMPLATE + ACME_ADMIN_BINDING, extra=LIVE)
    admin = world.auth0()
    with serving(world, "--now") as process:
        wait_for(
            "the first run",
            lambda: group_named(world, "Partner Initech") is not None and live_positions(world),
            process,
        )
        initech = group_named(world, "Partner Initech")
        globex = group_named(world, "Partner Globex")
        assert initech and globex
        admin.call(
            "POST",
            "/api/v2/organizations/org_Initech000000001/members",
            {"members": ["auth0|u00006"]},
        )
        wait_for(
            "a member added",
            lambda: "user6@partner.example" in logins(world, initech["id"]),
            process,
        )
        admin.call(
            "DELETE",
            "/api/v2/organizations/org_Initech000000001/members",
            {"members": ["auth0|u00005"]},
        )
        wait_for(
            "a member removed",
            lambda: "user5@partner.example" not in logins(world, initech["id"]),
            process,
        )
        admin.call(
            "DELETE",
            "/api/v2/organizations/org_Acme000000000001/members/auth0%7Cu00001/roles",
            {"roles": [ADMIN_ROLE]},
        )
        wait_for(
            "an organization role taken away",
            lambda: logins(world, ACME_ADMINS) == ["user2@partner.example"],
            process,
        )
        admin.call(
            "PATCH", "/api/v2/organizations/org_Initech000000001", {"display_name": "Initrode"}
        )
        wait_for(
            "a rename",
            lambda: (group_named(world, "Partner Initrode") or {}).get("id") == initech["id"],
            process,
        )
        admin.call("DELETE", "/api/v2/organizations/org_Globex00000000001")
        wait_for("a deletion", lambda: logins(world, globex["id"]) == [], process)
        assert group_named(world, "Partner Globex") is not None
    assert process.returncode == 0, (world.tmp / "serve.log").read_text()[-3000:]
