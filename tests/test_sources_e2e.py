"""Several Auth0 tenants feeding one Okta org: disputes, and people shared across tenants."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from spokesync.emulators import auth0 as auth0_emulator
from spokesync.emulators.server import RunningServer, serve_in_thread
from tests.world_kit import GROUP, ON_BOTH_BACKENDS, ROLE, Auth0Admin, World, auth0_user, seed

pytestmark = ON_BOTH_BACKENDS

WorldFactory = Callable[..., World]
GROUP_EMEA = "00gEmeaPartners00001"


@pytest.fixture
def second_tenant() -> Iterator[Callable[[list[dict[str, object]]], RunningServer]]:
    servers: list[RunningServer] = []

    def start(users: list[dict[str, object]]) -> RunningServer:
        document = seed(users)["auth0"]
        server = serve_in_thread(
            auth0_emulator.create_app(document, rate_per_second=2000, burst=4000)
        )
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def _two_tenant_config(world: World, emea_url: str, extra: str = "") -> None:
    world.write_config(
        extra=extra,
        bindings=(
            f'[sources.emea]\ndomain = "{emea_url}"\nclient_id = "spokesync"\n'
            'client_secret = "${TEST_AUTH0_SECRET}"\n\n'
            '[[bindings]]\nsource = "partners"\nrole = "Salesforce"\ngroup = "Salesforce Users"\n\n'
            '[[bindings]]\nsource = "emea"\nrole = "Salesforce"\ngroup = "EMEA Partners"\n'
        ),
    )


def _world(world_factory: WorldFactory) -> World:
    groups = [
        {"id": GROUP, "name": "Salesforce Users"},
        {"id": GROUP_EMEA, "name": "EMEA Partners"},
    ]
    return world_factory(seed([auth0_user(1), auth0_user(2)], groups=groups))


def test_same_email_in_two_tenants_is_disputed_by_default(
    world_factory: WorldFactory, second_tenant: Callable[..., RunningServer]
) -> None:
    world = _world(world_factory)
    emea = second_tenant([auth0_user(1, user_id="auth0|emea1"), auth0_user(3)])
    _two_tenant_config(world, emea.url)
    out = world.sync()
    disputed = sorted(n["identity"] for n in out["notices"] if n["kind"] == "disputed")
    assert disputed == ["emea:auth0|emea1", "partners:auth0|u00001"]
    okta = world.okta()
    assert "user1@partner.example" not in okta.members(GROUP)
    assert set(okta.members(GROUP_EMEA)) == {"user3@partner.example"}


def test_shared_people_get_one_okta_user_in_both_groups(
    world_factory: WorldFactory, second_tenant: Callable[..., RunningServer]
) -> None:
    world = _world(world_factory)
    emea = second_tenant([auth0_user(1, user_id="auth0|emea1"), auth0_user(3)])
    _two_tenant_config(world, emea.url, extra="[identity]\nshared_across_sources = true\n")
    world.sync()
    okta = world.okta()
    logins = [u["profile"]["login"] for u in okta.users()]
    assert sorted(logins) == [f"user{i}@partner.example" for i in (1, 2, 3)]  # one user each
    shared = okta.user("user1@partner.example")
    assert shared is not None
    assert okta.members(GROUP)["user1@partner.example"]["id"] == shared["id"]
    assert okta.members(GROUP_EMEA)["user1@partner.example"]["id"] == shared["id"]
    assert world.plan()["actions"] == []
    # Leaving the role in one tenant removes only that tenant's group.
    Auth0Admin(emea.url).unassign("auth0|emea1", ROLE)
    out = world.sync("--force")
    assert [a["action"] for a in out["actions"]] == ["remove_from_group"]
    assert "user1@partner.example" not in okta.members(GROUP_EMEA)
    assert "user1@partner.example" in okta.members(GROUP)
