"""Activation per source, end to end: how spokesync creates Okta users, what a real org would
mail them, and how blocking moves them, asserted through both emulators' APIs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.world_kit import GROUP, World, auth0_user, seed

WorldFactory = Callable[..., World]
IDP = "0oaAuth0Partners0001"
PARTNER_TYPE = "otyPartner0000000001"
FEDERATED = f'okta_idp_id = "{IDP}"\n'
#: the guard would refuse blocking one of three users
LENIENT = '[policy]\nmax_deprovision = "100%"\n'


def _world(world_factory: WorldFactory, source: str, n: int = 3, **okta: Any) -> World:
    world = world_factory(
        seed([auth0_user(i) for i in range(1, n + 1)], idps=[{"id": IDP, "name": "Auth0"}], **okta)
    )
    world.write_config(extra=LENIENT, source=source)
    return world


def _emails(world: World) -> dict[str, int]:
    return dict(world.stats("okta")["emails"])


def _statuses(world: World) -> dict[str, str]:
    return {login: user["status"] for login, user in world.okta().members().items()}


def test_a_federated_source_provisions_active_users_and_okta_mails_nothing(
    world_factory: WorldFactory,
) -> None:
    world = _world(world_factory, FEDERATED)
    planned = world.plan()["actions"]
    creates = [a for a in planned if a["action"] == "create_user"]
    assert {a["detail"]["activation"] for a in creates} == {"federated"}
    out = world.sync()
    assert out["summary"]["idp_linked"] == 3
    okta = world.okta()
    members = okta.members()
    assert set(_statuses(world).values()) == {"ACTIVE"}
    for user in members.values():
        full = okta.user(user["id"])
        assert full is not None
        assert full["credentials"]["provider"] == {"type": "FEDERATION", "name": "FEDERATION"}
        assert "password" not in full["credentials"]
    links = okta.call("GET", f"/api/v1/idps/{IDP}/users")
    assert {link["externalId"] for link in links} == {f"auth0|u0000{i}" for i in (1, 2, 3)}
    assert _emails(world) == {"activation": 0, "password_reset": 0, "deactivation": 0}
    assert world.plan()["actions"] == []


def test_a_blocked_federated_user_is_suspended_and_comes_back_with_its_memberships(
    world_factory: WorldFactory,
) -> None:
    world = _world(world_factory, FEDERATED)
    world.sync()
    user_id = world.okta().members()["user1@partner.example"]["id"]
    world.auth0().patch("auth0|u00001", {"blocked": True})
    out = world.sync()
    assert [a["action"] for a in out["actions"]] == ["suspend"]
    assert world.okta().user(user_id)["status"] == "SUSPENDED"  # type: ignore[index]
    assert "user1@partner.example" in world.okta().members()  # Okta keeps the memberships
    world.auth0().patch("auth0|u00001", {"blocked": False})
    out = world.sync()
    assert [a["action"] for a in out["actions"]] == ["unsuspend"]
    assert _statuses(world)["user1@partner.example"] == "ACTIVE"
    assert world.okta().members(GROUP)["user1@partner.example"]["id"] == user_id
    assert _emails(world)["activation"] == 0
    assert world.plan()["actions"] == []


def test_an_email_source_keeps_todays_provisioned_users_and_their_emails(
    world_factory: WorldFactory,
) -> None:
    world = _world(world_factory, "")  # no okta_idp_id: email is the default
    world.sync()
    assert set(_statuses(world).values()) == {"PROVISIONED"}
    assert _emails(world)["activation"] == 3
    # Okta suspends only ACTIVE users: a blocked one who never activated is deactivated.
    world.auth0().patch("auth0|u00001", {"blocked": True})
    assert [a["action"] for a in world.sync()["actions"]] == ["deactivate"]


def test_a_staged_source_creates_staged_users_without_email(
    world_factory: WorldFactory,
) -> None:
    world = _world(world_factory, FEDERATED + 'activation = "staged"\n')
    out = world.sync()
    assert out["summary"]["idp_linked"] == 3  # linked to the IdP as before
    assert set(_statuses(world).values()) == {"STAGED"}
    assert _emails(world)["activation"] == 0
    # STAGED cannot be suspended; deactivating a STAGED user takes nothing it had.
    world.auth0().patch("auth0|u00001", {"blocked": True})
    assert [a["action"] for a in world.sync()["actions"]] == ["deactivate"]
    assert world.okta().user("user1@partner.example")["status"] == "DEPROVISIONED"  # type: ignore[index]
    assert _emails(world)["activation"] == 0


def test_the_user_type_is_sent_and_visible_in_okta(world_factory: WorldFactory) -> None:
    world = _world(
        world_factory,
        FEDERATED + 'okta_user_type = "Partner"\n',
        user_types=[{"id": PARTNER_TYPE, "name": "Partner"}],
    )
    planned = world.plan()["actions"]
    assert {a["detail"]["user_type"] for a in planned if a["action"] == "create_user"} == {
        PARTNER_TYPE
    }
    world.sync()
    okta = world.okta()
    types = {okta.user(u["id"])["type"]["id"] for u in okta.members().values()}  # type: ignore[index]
    assert types == {PARTNER_TYPE}


def test_an_unknown_user_type_is_a_config_error_naming_the_source(
    world_factory: WorldFactory,
) -> None:
    world = _world(world_factory, FEDERATED + 'okta_user_type = "Partnr"\n')
    check = world.cli("config", "check")
    assert check.exit_code != 0
    assert "sources.partners.okta_user_type 'Partnr'" in check.stdout
    assert "known: user" in check.stdout
    result = world.cli("sync", "--json")
    assert result.exit_code == 2
    assert world.okta().members() == {}


def test_changing_activation_applies_to_new_users_only(world_factory: WorldFactory) -> None:
    world = _world(world_factory, "", n=2)
    world.sync()
    world.write_config(extra=LENIENT, source=FEDERATED)
    new = world.auth0().create(
        {
            "email": "new@partner.example",
            "email_verified": True,
            "given_name": "New",
            "family_name": "Partner",
            "password": "Pa55-word-long!",
        }
    )
    world.auth0().assign(new["user_id"])
    out = world.sync()
    notices = [n for n in out["notices"] if "applies to new users only" in n["reason"]]
    assert len(notices) == 1
    assert "2 PROVISIONED, created with activation = email" in notices[0]["reason"]
    creates = [a for a in out["actions"] if a["action"] == "create_user"]
    assert [a["identity"] for a in creates] == [f"partners:{new['user_id']}"]
    statuses = _statuses(world)
    assert statuses["new@partner.example"] == "ACTIVE"
    assert statuses["user1@partner.example"] == "PROVISIONED"  # not recreated
    assert _emails(world)["activation"] == 2  # only the first sync's


def test_config_check_explains_each_sources_activation(world_factory: WorldFactory) -> None:
    world = _world(world_factory, FEDERATED)
    result = world.cli("config", "check")
    assert result.exit_code == 0, result.stdout
    assert "sources.partners.activation = federated (the default, with okta_idp_id" in (
        result.stdout
    )
    world.write_config(source='activation = "federated"\n')
    result = world.cli("config", "check")
    assert "activation = federated without okta_idp_id" in result.stdout
    assert "could never sign in" in result.stdout
