"""A targeted run (live mode, ``sync --user``): the same observe -> plan -> guard -> apply ->
record path for a set of identities, reading only those users' current state."""

from __future__ import annotations

from collections.abc import Callable

from tests.world_kit import World, auth0_user, seed

WorldFactory = Callable[..., World]
LENIENT = '[policy]\non_blocked = "suspend"\nmax_deprovision = "100%"\n'


def test_a_targeted_run_syncs_exactly_its_identities_reading_only_them(
    world_factory: WorldFactory,
) -> None:
    world = world_factory(seed([auth0_user(n) for n in range(1, 7)] + [auth0_user(9, roles=())]))
    world.write_config(extra=LENIENT)
    world.sync()
    admin = world.auth0()
    admin.unassign("auth0|u00001")  # leaves
    admin.patch("auth0|u00002", {"blocked": True})  # blocked
    admin.patch("auth0|u00003", {"given_name": "Renamed"})  # edited
    admin.patch("auth0|u00004", {"given_name": "NotAsked"})  # changed but not in the run
    admin.assign("auth0|u00009")  # joins
    world.reset_stats()
    keys = frozenset(f"partners:auth0|u0000{n}" for n in (1, 2, 3, 9))
    result = world.run_engine(apply=True, only=keys, mode="live")
    assert result.exit_code == 0, result.summary
    assert result.summary["mode"] == "live"
    assert {a.identity for a in result.plan.actions} <= keys
    auth0_calls = world.stats("auth0")["requests"]
    okta_calls = world.stats("okta")["requests"]
    # No role or group listing: each identity's roles, profile, Okta user and groups.
    assert "GET /api/v2/roles/{id}/users" not in auth0_calls
    assert auth0_calls["GET /api/v2/users/{id}/roles"] == 4
    assert "GET /api/v1/groups/{groupId}/users" not in okta_calls, okta_calls
    okta = world.okta()
    members = okta.members()
    assert "user1@partner.example" not in members
    assert "user9@partner.example" in members
    # Blocked: provisioned by email and never activated, so deactivated rather than suspended.
    assert okta.user("user2@partner.example")["status"] == "DEPROVISIONED"  # type: ignore[index]
    assert okta.user("user3@partner.example")["profile"]["firstName"] == "Renamed"  # type: ignore[index]
    assert okta.user("user4@partner.example")["profile"]["firstName"] == "User4"  # type: ignore[index]
    runs = world.cli("status", "--json").json()["runs"]
    assert runs[0]["mode"] == "live" and runs[0]["outcome"] == "succeeded"


def test_the_empty_role_check_does_not_misfire_on_a_targeted_run(
    world_factory: WorldFactory,
) -> None:
    """A targeted run reads a few users' roles: a role none of them holds is not empty."""
    world = world_factory(seed([auth0_user(1), auth0_user(2), auth0_user(3)]))
    world.write_config(extra=LENIENT)
    world.sync()
    world.auth0().unassign("auth0|u00001")
    result = world.run_engine(apply=True, only=frozenset({"partners:auth0|u00001"}), mode="live")
    assert result.exit_code == 0, result.error
    assert sorted(world.okta().members()) == ["user2@partner.example", "user3@partner.example"]
