"""The deprovisioning guard at its defaults (max_deprovision = "10%", deprovision_floor = 5),
end to end: a pilot group loses one member without --force, an emptied role of 100 is still
refused, and the floor is a config key."""

from __future__ import annotations

from collections.abc import Callable

from spokesync.guard import threshold
from tests.world_kit import World, auth0_user, seed

WorldFactory = Callable[..., World]


def test_threshold_is_the_share_or_the_floor_whichever_is_larger() -> None:
    assert threshold("10%", 4, 5) == 5
    assert threshold("10%", 100, 5) == 10
    assert threshold("10%", 4) == 0.4
    assert threshold("25", 1000, 5) == 25


def test_removing_one_of_four_works_at_the_defaults(world_factory: WorldFactory) -> None:
    world = world_factory(seed([auth0_user(n) for n in range(1, 5)]))
    world.sync()
    world.auth0().unassign("auth0|u00003")
    done = world.sync()  # 1 of 4 is 25%: above 10%, within the floor of 5
    assert done["summary"]["removed_from_group"] == 1
    assert "user3@partner.example" not in world.okta().members()
    assert len(world.okta().members()) == 3


def test_an_emptied_role_of_100_is_still_refused(world_factory: WorldFactory) -> None:
    world = world_factory(seed([auth0_user(n) for n in range(1, 101)]))
    world.sync()
    admin = world.auth0()
    for n in range(1, 101):
        admin.unassign(f"auth0|u{n:05d}")
    refused = world.sync(expect=3)
    error = refused["error"]
    assert "is empty but group Salesforce Users has 100 managed members" in error
    assert "would deprovision 100 of 100" in error and "policy.max_deprovision" in error
    assert len(world.okta().members()) == 100  # nothing removed


def test_the_floor_is_configurable(world_factory: WorldFactory) -> None:
    world = world_factory(seed([auth0_user(n) for n in range(1, 5)]))
    world.write_config(extra="[policy]\ndeprovision_floor = 0\n")
    world.sync()
    world.auth0().unassign("auth0|u00003")
    refused = world.sync(expect=3)
    assert "would deprovision 1 of 4" in refused["error"]
    assert len(world.okta().members()) == 4
