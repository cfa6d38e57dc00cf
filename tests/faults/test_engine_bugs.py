"""Engine bugs the fault-injection suite found, each as the smallest test that shows it.

Each was fixed after it was found; the tests stay as guards against the bug coming back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from spokesync.http.budget import RateBudget
from spokesync.okta.client import OktaClient
from spokesync.store import AuditRecord, open_store
from tests.http.scripted import FakeTime
from tests.world_kit import GROUP, World, auth0_user, okta_user, seed

WorldFactory = Callable[..., World]


def _okta_headers(limit: int, remaining: int, reset: float) -> dict[str, str]:
    return {
        "x-rate-limit-limit": str(limit),
        "x-rate-limit-remaining": str(remaining),
        "x-rate-limit-reset": str(int(reset)),
    }


@pytest.mark.anyio
async def test_429_announcing_an_earlier_reset_is_waited_for_not_the_older_window() -> None:
    time = FakeTime()
    budget = RateBudget(share=0.5, sleep=time.sleep, clock=time.clock)
    budget.update(_okta_headers(600, 590, time.now + 50))  # an ordinary answer
    budget.update(_okta_headers(600, 0, time.now + 1))  # a 429: "try again in a second"
    start = time.now
    await budget.acquire()
    assert time.now - start <= 2, f"waited {time.now - start:.0f} s for a 1 s reset"


class _Crash(BaseException):
    """Stands for SIGKILL: nothing after it runs, not even except blocks or the journal."""


def _journal(world: World, identity: str = "partners:auth0|u00001") -> list[AuditRecord]:
    with open_store(f"sqlite:///{world.db_path}") as store:
        return store.audit(identity=identity)


def _crash_right_after_adding_user1(
    world_factory: WorldFactory, monkeypatch: pytest.MonkeyPatch
) -> World:
    """Auth0 user 1 already has an Okta account: a run links it, Okta adds it to the group,
    and the run dies before journaling that: the add_to_group row stays "started"."""
    existing = okta_user("00uExisting000000001", "user1@partner.example")
    world = world_factory(seed([auth0_user(1), auth0_user(2)], [existing]))
    world.write_config(extra='[policy]\nmax_deprovision = "100%"\n')
    original = OktaClient.add_to_group

    async def add_then_die(self: OktaClient, *args: Any, **kwargs: Any) -> Any:
        await original(self, *args, **kwargs)
        raise _Crash  # Okta added the member; the process dies before journaling it

    monkeypatch.setattr(OktaClient, "add_to_group", add_then_die)
    with pytest.raises(_Crash):
        world.run_engine(apply=True)
    monkeypatch.setattr(OktaClient, "add_to_group", original)
    assert "user1@partner.example" in world.okta().members()  # what the crashed run did
    return world


def test_membership_added_by_an_interrupted_run_is_removed_when_the_member_leaves(
    world_factory: WorldFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = _crash_right_after_adding_user1(world_factory, monkeypatch)
    world.sync()  # the clean rerun after the crash
    assert "user1@partner.example" in world.okta().members()
    world.auth0().unassign("auth0|u00001")
    world.sync()
    assert "user1@partner.example" not in world.okta().members(GROUP), (
        "left the role but kept the group that spokesync added"
    )


def _crash_right_after_creating_user1(
    world_factory: WorldFactory, monkeypatch: pytest.MonkeyPatch
) -> World:
    """Two Auth0 users in the role; a run for user 1 dies right after Okta created its user
    (in the group, through the create body): the journal row stays "started", no link."""
    world = world_factory(seed([auth0_user(1), auth0_user(2)]))
    world.write_config(extra='[policy]\nmax_deprovision = "100%"\n')
    original = OktaClient.create_user

    async def create_then_die(self: OktaClient, *args: Any, **kwargs: Any) -> Any:
        await original(self, *args, **kwargs)
        raise _Crash

    monkeypatch.setattr(OktaClient, "create_user", create_then_die)
    with pytest.raises(_Crash):
        world.run_engine(apply=True, only_user="auth0|u00001")
    monkeypatch.setattr(OktaClient, "create_user", original)
    assert "user1@partner.example" in world.okta().members()  # what the crashed run did
    return world


def test_interrupted_create_of_a_user_deleted_meanwhile_does_not_keep_the_group(
    world_factory: WorldFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = _crash_right_after_creating_user1(world_factory, monkeypatch)
    world.auth0().delete("auth0|u00001")  # before the next run
    world.sync()
    assert "user1@partner.example" not in world.okta().members(GROUP), (
        "a deleted Auth0 user keeps the group through an Okta user spokesync created"
    )


def test_interrupted_create_of_a_user_blocked_meanwhile_does_not_keep_access(
    world_factory: WorldFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Seed 20261173: a SIGKILL landed after Okta created user 10; no run linked that Okta user
    # before user 10 was blocked, and the next run only said "not provisioned until unblocked".
    world = _crash_right_after_creating_user1(world_factory, monkeypatch)
    world.auth0().patch("auth0|u00001", {"blocked": True})  # before the next run
    world.sync()
    okta = world.okta().user("user1@partner.example")
    assert okta is not None
    member = "user1@partner.example" in world.okta().members(GROUP)
    assert not member or okta["status"] in ("SUSPENDED", "DEPROVISIONED"), (
        f"a blocked Auth0 user keeps the group through an Okta user spokesync created "
        f"({okta['status']})"
    )
    assert world.plan()["actions"] == []  # converged in one run
    world.auth0().patch("auth0|u00001", {"blocked": False})
    world.sync()  # the deprovisioning spokesync made is undone, as for any linked user
    okta = world.okta().user("user1@partner.example")
    assert okta is not None and okta["status"] in ("ACTIVE", "PROVISIONED"), okta
    assert "user1@partner.example" in world.okta().members(GROUP)
    assert world.plan()["actions"] == []


def test_a_targeted_run_leaves_the_interrupted_rows_of_other_identities_open(
    world_factory: WorldFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = _crash_right_after_creating_user1(world_factory, monkeypatch)
    world.sync("--user", "auth0|u00002")  # plans user 2 alone: user 1's row is not its to close
    world.auth0().unassign("auth0|u00001")
    world.sync()
    assert "user1@partner.example" not in world.okta().members(GROUP), (
        "the interrupted create was forgotten by a run that never looked at its identity"
    )


def test_membership_added_by_an_interrupted_run_is_kept_managed_while_the_member_is_blocked(
    world_factory: WorldFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A blocked identity's memberships are not touched; the run that suspends it used to close
    # the add_to_group row all the same, and the membership was nobody's when the role went.
    world = _crash_right_after_adding_user1(world_factory, monkeypatch)
    world.auth0().patch("auth0|u00001", {"blocked": True})
    world.sync()
    assert next(r.status for r in _journal(world) if r.action == "add_to_group") == "repaired"
    world.auth0().unassign("auth0|u00001")
    world.sync()
    assert "user1@partner.example" not in world.okta().members(GROUP), (
        "left the role while blocked but kept the group that spokesync added"
    )


def test_interrupted_create_of_a_user_whose_email_changed_meanwhile_is_renamed_not_doubled(
    world_factory: WorldFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Seed 20261163: a SIGKILL landed after Okta created user 20 (in the group, through the
    # create body); user 20's email changed before the next run, which looked for an
    # interrupted create of the NEW login only, created a second Okta user and closed the row
    # "repaired": the first one kept the group, and nothing knew it was spokesync's.
    world = _crash_right_after_creating_user1(world_factory, monkeypatch)
    world.auth0().patch("auth0|u00001", {"email": "user1.new@partner.example"})
    world.sync()
    okta = world.okta()
    assert okta.user("user1@partner.example") is None, "a second Okta user for user 1"
    created = okta.user("user1.new@partner.example")
    assert created is not None
    assert "user1.new@partner.example" in okta.members(GROUP)
    [row] = [r for r in _journal(world) if r.action == "create_user"]
    assert (row.status, row.okta_id) == ("repaired", created["id"])
    assert world.plan()["actions"] == []


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"email_verified": False}, id="unverified-email"),
        pytest.param({"given_name": "G" * 60}, id="unmappable"),  # over Okta's 50
    ],
)
def test_interrupted_create_of_a_user_now_unprovisionable_is_still_ours(
    world_factory: WorldFactory, monkeypatch: pytest.MonkeyPatch, change: dict[str, Any]
) -> None:
    # The identity would not be provisioned now, but its Okta user exists: it is linked as
    # if the crashed run had saved the link, so leaving the role later takes the group back.
    world = _crash_right_after_creating_user1(world_factory, monkeypatch)
    world.auth0().patch("auth0|u00001", change)
    world.sync()
    assert [r.status for r in _journal(world) if r.action == "create_user"] == ["repaired"]
    world.auth0().unassign("auth0|u00001")
    world.sync()
    assert "user1@partner.example" not in world.okta().members(GROUP), (
        "an Okta user spokesync created keeps the group after its identity left the role"
    )
