"""The identity lifecycle after first provisioning, end to end against both emulators."""

from __future__ import annotations

from collections.abc import Callable

from tests.world_kit import GROUP, ON_BOTH_BACKENDS, World, auth0_user, okta_user, seed

pytestmark = ON_BOTH_BACKENDS

WorldFactory = Callable[..., World]
ROLE_B = "rol_Tableau000000001"
GROUP_B = "00gTableau0000000001"

TWO_BINDINGS = (
    '[[bindings]]\nsource = "partners"\nrole = "Salesforce"\ngroup = "Salesforce Users"\n\n'
    '[[bindings]]\nsource = "partners"\nrole = "Tableau"\ngroup = "Tableau Users"\n'
)
LENIENT = '[policy]\nmax_deprovision = "100%"\n'


def _two_role_world(world_factory: WorldFactory, users: list[dict[str, object]]) -> World:
    document = seed(
        users,
        roles=[
            {"id": "rol_Salesforce000001", "name": "Salesforce"},
            {"id": ROLE_B, "name": "Tableau"},
        ],
        groups=[
            {"id": GROUP, "name": "Salesforce Users"},
            {"id": GROUP_B, "name": "Tableau Users"},
        ],
    )
    world = world_factory(document)
    return world


def test_profile_change_in_auth0_is_a_partial_update(world_factory: WorldFactory) -> None:
    world = world_factory(seed([auth0_user(1), auth0_user(2)]))
    world.sync()
    world.auth0().patch("auth0|u00001", {"user_metadata": {"lastName": "Okonkwo"}})
    out = world.sync()
    updates = [a for a in out["actions"] if a["action"] == "update_profile"]
    assert len(updates) == 1 and updates[0]["profile"] == {"lastName": "Okonkwo"}
    assert world.okta().user("user1@partner.example")["profile"]["lastName"] == "Okonkwo"
    assert world.plan()["actions"] == []


def test_email_change_moves_login_unless_taken(world_factory: WorldFactory) -> None:
    taken = okta_user("00uSomeoneElse000001", "taken@partner.example")
    world = world_factory(seed([auth0_user(1), auth0_user(2)], [taken]))
    world.sync()
    auth0 = world.auth0()
    auth0.patch("auth0|u00001", {"email": "renamed@partner.example", "email_verified": True})
    auth0.patch("auth0|u00002", {"email": "taken@partner.example", "email_verified": True})
    out = world.sync()
    assert world.okta().user("renamed@partner.example") is not None
    assert world.okta().user("user2@partner.example") is not None  # unchanged: disputed
    disputed = [n for n in out["notices"] if n["identity"] == "partners:auth0|u00002"]
    assert disputed and disputed[0]["kind"] == "disputed"


def test_two_roles_two_groups_leaving_one_role_removes_only_that_group(
    world_factory: WorldFactory,
) -> None:
    world = _two_role_world(
        world_factory,
        [
            auth0_user(1, roles=("rol_Salesforce000001", ROLE_B)),
            auth0_user(2),
            auth0_user(3, roles=(ROLE_B,)),
        ],
    )
    world.write_config(extra=LENIENT, bindings=TWO_BINDINGS)
    world.sync()
    okta = world.okta()
    assert len(okta.users()) == 3  # one Okta user per identity
    assert set(okta.members(GROUP_B)) == {"user1@partner.example", "user3@partner.example"}
    world.auth0().unassign("auth0|u00001", ROLE_B)
    world.sync()
    assert "user1@partner.example" not in okta.members(GROUP_B)
    assert "user1@partner.example" in okta.members(GROUP)


def test_on_gone_deactivate_and_rejoin_reactivates(world_factory: WorldFactory) -> None:
    world = world_factory(seed([auth0_user(1), auth0_user(2)]))
    world.write_config(extra='[policy]\non_gone = "deactivate"\nmax_deprovision = "100%"\n')
    world.sync()
    world.auth0().unassign("auth0|u00001")
    world.sync()
    user = world.okta().user("user1@partner.example")
    assert user is not None and user["status"] == "DEPROVISIONED"
    world.auth0().assign("auth0|u00001")
    out = world.sync()
    assert [a["action"] for a in out["actions"]] == ["reactivate", "add_to_group"]
    user = world.okta().user("user1@partner.example")
    assert user["status"] in ("PROVISIONED", "ACTIVE")
    assert "user1@partner.example" in world.okta().members()
    assert world.plan()["actions"] == []


def test_on_gone_delete_deletes_after_deactivating(world_factory: WorldFactory) -> None:
    world = world_factory(seed([auth0_user(1), auth0_user(2)]))
    world.write_config(extra='[policy]\non_gone = "delete"\nmax_deprovision = "100%"\n')
    world.sync()
    world.auth0().delete("auth0|u00001")
    out = world.sync()
    assert [a["action"] for a in out["actions"]] == ["remove_from_group", "deactivate", "delete"]
    assert world.okta().user("user1@partner.example") is None
    assert world.plan()["actions"] == []


def test_blocked_in_auth0_suspends_and_unblocking_unsuspends(world_factory: WorldFactory) -> None:
    active = okta_user("00uActive00000000001", "user1@partner.example")
    world = world_factory(seed([auth0_user(1), auth0_user(2)], [active]))
    world.write_config(extra=LENIENT)
    world.sync()
    world.auth0().patch("auth0|u00001", {"blocked": True})
    out = world.sync()
    assert [a["action"] for a in out["actions"]] == ["suspend"]
    assert world.okta().user("00uActive00000000001")["status"] == "SUSPENDED"
    world.auth0().patch("auth0|u00001", {"blocked": False})
    out = world.sync()
    assert [a["action"] for a in out["actions"]] == ["unsuspend"]
    assert world.okta().user("00uActive00000000001")["status"] == "ACTIVE"


def test_membership_removed_by_hand_is_restored_and_drift_overwritten(
    world_factory: WorldFactory,
) -> None:
    world = world_factory(seed([auth0_user(1), auth0_user(2)]))
    world.sync()
    okta = world.okta()
    user = okta.user("user1@partner.example")
    okta.call("DELETE", f"/api/v1/groups/{GROUP}/users/{user['id']}")
    okta.call("POST", f"/api/v1/users/{user['id']}", {"profile": {"firstName": "Edited"}})
    out = world.sync()
    kinds = sorted(a["action"] for a in out["actions"])
    assert kinds == ["add_to_group", "update_profile"]
    assert okta.user(user["id"])["profile"]["firstName"] == "User1"
    assert "user1@partner.example" in okta.members()


def test_profile_drift_report_policy_leaves_the_edit(world_factory: WorldFactory) -> None:
    world = world_factory(seed([auth0_user(1)]))
    world.write_config(extra='[policy]\non_profile_drift = "report"\n')
    world.sync()
    okta = world.okta()
    user = okta.user("user1@partner.example")
    okta.call("POST", f"/api/v1/users/{user['id']}", {"profile": {"firstName": "Edited"}})
    out = world.sync()
    assert out["actions"] == []
    assert any("edited in Okta" in n["reason"] for n in out["notices"])
    assert okta.user(user["id"])["profile"]["firstName"] == "Edited"


def test_hub_deactivation_is_respected_and_written_back(world_factory: WorldFactory) -> None:
    world = world_factory(seed([auth0_user(1)]))
    world.write_config(extra="[policy]\nblock_in_source = true\n")
    world.sync()
    okta = world.okta()
    user = okta.user("user1@partner.example")
    okta.call("POST", f"/api/v1/users/{user['id']}/lifecycle/deactivate")
    out = world.sync()
    assert [a["action"] for a in out["actions"]] == ["write_back"]
    profile = world.auth0().get("auth0|u00001")
    assert profile["app_metadata"]["hub_status"] == "deactivated"
    assert profile["blocked"] is True
    assert okta.user(user["id"])["status"] == "DEPROVISIONED"  # not reactivated
    assert world.sync()["actions"] == []
    okta.call("POST", f"/api/v1/users/{user['id']}/lifecycle/activate?sendEmail=false")
    world.auth0().patch("auth0|u00001", {"blocked": False})  # an admin unblocks in Auth0 too
    out = world.sync()
    assert "write_back" in [a["action"] for a in out["actions"]]
    assert world.auth0().get("auth0|u00001")["app_metadata"]["hub_status"] == "active"


def test_unverified_email_is_never_linked(world_factory: WorldFactory) -> None:
    victim = okta_user("00uVictim00000000001", "ceo@partner.example")
    attacker = auth0_user(1, email="ceo@partner.example", email_verified=False)
    world = world_factory(seed([attacker], [victim]))
    out = world.sync()
    assert out["actions"] == []
    assert "not verified" in out["notices"][0]["reason"]
    assert world.okta().members() == {}


def test_on_unlinked_report_touches_nothing(world_factory: WorldFactory) -> None:
    existing = okta_user("00uExisting000000001", "user1@partner.example")
    world = world_factory(seed([auth0_user(1)], [existing]))
    world.write_config(extra='[policy]\non_unlinked = "report"\n')
    out = world.sync()
    assert out["actions"] == []
    assert out["notices"][0]["situation"] == "unlinked"
    assert world.okta().members() == {}


def test_guard_refuses_mass_deprovisioning_unless_forced(world_factory: WorldFactory) -> None:
    world = world_factory(seed([auth0_user(i) for i in range(1, 11)]))
    world.sync()
    for i in range(1, 7):  # 6 of 10: above both 10% and the floor of 5
        world.auth0().unassign(f"auth0|u{i:05d}")
    refused = world.cli("sync", "--json")
    assert refused.exit_code == 3
    assert "would deprovision 6 of 10" in refused.json()["error"]
    assert len(world.okta().members()) == 10  # nothing applied
    forced = world.sync("--force")
    assert forced["summary"]["removed_from_group"] == 6
    assert len(world.okta().members()) == 4


def test_empty_role_is_suspicious(world_factory: WorldFactory) -> None:
    world = world_factory(seed([auth0_user(1)]))
    world.write_config(extra='[policy]\nmax_deprovision = "100%"\ndeprovision_floor = 0\n')
    world.sync()
    world.auth0().unassign("auth0|u00001")
    refused = world.cli("plan", "--json")
    assert refused.exit_code == 3
    assert "is empty" in refused.json()["error"]


def test_sync_one_user_now(world_factory: WorldFactory) -> None:
    world = world_factory(seed([auth0_user(1), auth0_user(2), auth0_user(3)]))
    out = world.sync("--user", "auth0|u00002")
    assert [a["identity"] for a in out["actions"]] == ["partners:auth0|u00002"]
    assert list(world.okta().members()) == ["user2@partner.example"]


def test_provisioned_users_are_linked_to_the_sources_okta_idp(world_factory: WorldFactory) -> None:
    idp = "0oaAuth0Partners0001"
    world = world_factory(seed([auth0_user(1), auth0_user(2)], idps=[{"id": idp, "name": "Auth0"}]))
    world.write_config()
    text = world.config_path.read_text()
    world.config_path.write_text(
        text.replace('client_id = "spokesync"', f'client_id = "spokesync"\nokta_idp_id = "{idp}"')
    )
    out = world.sync()
    assert out["summary"]["idp_linked"] == 2
    links = world.okta().call("GET", f"/api/v1/idps/{idp}/users")
    by_user = {link["id"]: link["externalId"] for link in links}
    members = world.okta().members()
    assert by_user == {
        members["user1@partner.example"]["id"]: "auth0|u00001",
        members["user2@partner.example"]["id"]: "auth0|u00002",
    }
    assert world.plan()["actions"] == []


def test_on_leave_none_keeps_the_membership(world_factory: WorldFactory) -> None:
    world = world_factory(seed([auth0_user(1), auth0_user(2)]))
    world.write_config(
        extra=LENIENT,
        bindings=(
            '[[bindings]]\nsource = "partners"\nrole = "Salesforce"\n'
            'group = "Salesforce Users"\non_leave = "none"\n'
        ),
    )
    world.sync()
    world.auth0().unassign("auth0|u00001")
    assert world.sync()["actions"] == []
    assert "user1@partner.example" in world.okta().members()


def test_on_gone_suspend_and_rejoin_unsuspends(world_factory: WorldFactory) -> None:
    active = okta_user("00uActive00000000001", "user1@partner.example")
    world = world_factory(seed([auth0_user(1), auth0_user(2)], [active]))
    world.write_config(extra='[policy]\non_gone = "suspend"\nmax_deprovision = "100%"\n')
    world.sync()
    world.auth0().unassign("auth0|u00001")
    out = world.sync()
    assert [a["action"] for a in out["actions"]] == ["remove_from_group", "suspend"]
    assert world.okta().user("00uActive00000000001")["status"] == "SUSPENDED"
    world.auth0().assign("auth0|u00001")
    out = world.sync()
    assert [a["action"] for a in out["actions"]] == ["unsuspend", "add_to_group"]
    assert world.okta().user("00uActive00000000001")["status"] == "ACTIVE"
    assert world.plan()["actions"] == []


def test_config_check_warns_when_login_comes_from_user_metadata(
    world_factory: WorldFactory,
) -> None:
    world = world_factory(seed([auth0_user(1)]))
    world.write_config(extra='[mapping]\nlogin = ["user_metadata.login", "email"]\n')
    result = world.cli("config", "check")
    assert result.exit_code == 0, result.stdout
    assert "mapping.login reads user_metadata" in result.stdout
