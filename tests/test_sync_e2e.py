"""End to end through the command line against both emulators; state asserted via the APIs."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from spokesync.okta.client import OktaClient
from spokesync.store import open_store
from tests.world_kit import GROUP, ON_BOTH_BACKENDS, World, auth0_user, okta_user, seed

pytestmark = ON_BOTH_BACKENDS

WorldFactory = Callable[..., World]


def test_new_members_are_created_once_with_their_group(world_factory: WorldFactory) -> None:
    world = world_factory(seed([auth0_user(i) for i in range(1, 6)]))
    out = world.sync()
    assert out["summary"]["created"] == 5
    assert out["summary"]["added_to_group"] == 0  # the group goes in the create body
    members = world.okta().members()
    assert sorted(members) == [f"user{i}@partner.example" for i in range(1, 6)]
    assert members["user1@partner.example"]["profile"]["firstName"] == "User1"
    assert len(world.okta().users()) == 5
    # The create call carried the group: no membership call at all.
    requests = world.stats("okta")["requests"]
    assert requests.get("POST /api/v1/users") == 5
    assert "PUT /api/v1/groups/{groupId}/users/{userId}" not in requests


def test_rerun_plans_zero_actions(world_factory: WorldFactory) -> None:
    world = world_factory(seed([auth0_user(i) for i in range(1, 4)]))
    world.sync()
    again = world.plan()
    assert again["actions"] == []
    assert world.sync()["actions"] == []


def test_existing_okta_user_with_login_in_other_case_is_linked_not_duplicated(
    world_factory: WorldFactory,
) -> None:
    existing = okta_user("00uExisting000000001", "USER1@Partner.Example")
    world = world_factory(seed([auth0_user(1), auth0_user(2)], [existing]))
    plan = world.plan()
    kinds = {(a["action"], a["identity"]) for a in plan["actions"]}
    assert ("link", "partners:auth0|u00001") in kinds
    assert plan["actions"][0]["situation"] in ("unlinked", "unmatched")
    world.sync()
    users = world.okta().users()
    assert len(users) == 2  # one created, one linked: no duplicate
    members = world.okta().members()
    assert members["user1@partner.example"]["id"] == "00uExisting000000001"
    assert world.plan()["actions"] == []


def test_members_leaving_the_role_leave_the_group_but_foreign_memberships_stay(
    world_factory: WorldFactory,
) -> None:
    manual = okta_user("00uManualMember00001", "boss@hub.example", groups=(GROUP,))
    world = world_factory(seed([auth0_user(i) for i in range(1, 5)], [manual]))
    world.write_config(extra='[policy]\nmax_deprovision = "50%"\n')
    world.sync()
    assert len(world.okta().members()) == 5
    world.auth0().unassign("auth0|u00001")
    out = world.sync()
    assert out["summary"]["removed_from_group"] == 1
    members = world.okta().members()
    assert "user1@partner.example" not in members
    assert "boss@hub.example" in members  # spokesync never removes what it did not add
    assert world.okta().user("user1@partner.example") is not None  # on_gone = none by default
    assert world.plan()["actions"] == []


def test_linked_user_already_in_group_is_not_removed_when_leaving(
    world_factory: WorldFactory,
) -> None:
    """A membership that existed before linking was not added by spokesync: it stays."""
    existing = okta_user("00uExisting000000001", "user1@partner.example", groups=(GROUP,))
    world = world_factory(seed([auth0_user(1), auth0_user(2)], [existing]))
    world.write_config(extra='[policy]\nmax_deprovision = "100%"\n')
    world.sync()
    world.auth0().unassign("auth0|u00001")
    out = world.sync()
    assert out["summary"]["removed_from_group"] == 0
    assert "user1@partner.example" in world.okta().members()


def test_role_of_2500_members_is_read_completely(world_factory: WorldFactory) -> None:
    users = [auth0_user(i) for i in range(1, 2501)]
    world = world_factory(seed(users))
    plan = world.plan()
    created = {a["identity"] for a in plan["actions"] if a["action"] == "create_user"}
    assert len(created) == 2500
    pages = world.stats("auth0")["requests"]["GET /api/v2/roles/{id}/users"]
    assert pages == 25  # checkpoint pages of 100


def test_users_without_email_are_reported_not_provisioned(world_factory: WorldFactory) -> None:
    no_email = auth0_user(1)
    del no_email["email"]
    world = world_factory(seed([no_email, auth0_user(2)]))
    out = world.sync()
    assert out["summary"]["created"] == 1
    reasons = [n for n in out["notices"] if n["identity"] == "partners:auth0|u00001"]
    assert reasons and "email" in reasons[0]["reason"]
    assert list(world.okta().members()) == ["user2@partner.example"]


def test_crash_between_create_and_link_converges_without_duplicate(
    world_factory: WorldFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = world_factory(seed([auth0_user(i) for i in range(1, 6)]))
    world.write_config()

    class Crash(BaseException):
        """Stands for the process dying: nothing after it runs, not even except blocks."""

    original = OktaClient.create_user
    calls = {"n": 0}

    async def create_then_die(self: OktaClient, *args: Any, **kwargs: Any) -> Any:
        user = await original(self, *args, **kwargs)
        calls["n"] += 1
        if calls["n"] == 3:
            raise Crash  # Okta created the user; the link is never stored
        return user

    monkeypatch.setattr(OktaClient, "create_user", create_then_die)
    with pytest.raises(Crash):
        world.run_engine(apply=True)
    monkeypatch.setattr(OktaClient, "create_user", original)
    created_before = len(world.okta().users())
    assert created_before >= 3
    out = world.sync()
    recovered = [a for a in out["actions"] if a["action"] == "link"]
    assert recovered and "stopped before storing the link" in recovered[0]["reason"]
    users = world.okta().users()
    logins = [u["profile"]["login"].lower() for u in users]
    assert sorted(logins) == sorted(set(logins)) and len(logins) == 5
    assert len(world.okta().members()) == 5
    assert world.plan()["actions"] == []
    engine = sa.create_engine(world.state_url)
    try:
        with engine.connect() as db:
            statuses = dict(
                db.execute(sa.text("select status, count(*) from journal group by status")).all()
            )
    finally:
        engine.dispose()
    assert statuses.get("started", 0) == 0  # the interrupted row was resolved


def test_second_concurrent_sync_is_refused_with_exit_4(world_factory: WorldFactory) -> None:
    world = world_factory(seed([auth0_user(1)]))
    world.write_config()
    holder = open_store(world.state_url)
    try:
        holder.acquire_lock("otherhost:4242:run-x")
        result = world.cli("sync")
        assert result.exit_code == 4
        assert "lock" in result.stderr
    finally:
        holder.release_lock("otherhost:4242:run-x")
        holder.close()
    assert world.okta().users() == []  # the refused run changed nothing
    assert world.sync()["summary"]["created"] == 1


def test_identity_failing_repeatedly_is_quarantined_until_retried(
    world_factory: WorldFactory,
) -> None:
    """A permanent failure fails that identity only; after `quarantine_after` failing runs it
    is skipped and reported, until --retry-quarantined."""
    # Okta accepts only characters of at most 3 UTF-8 bytes: it refuses this name with a 400.
    emoji = auth0_user(2, user_metadata={"firstName": "Ann \U0001f600"})
    world = world_factory(seed([auth0_user(1), emoji]))
    world.write_config(extra="[policy]\nquarantine_after = 2\n")
    for _ in range(2):
        out = world.sync(expect=1)
        assert out["summary"]["failed"] == 1
        assert out["summary"]["failures"][0]["identity"] == "partners:auth0|u00002"
        assert "400" in out["summary"]["failures"][0]["reason"]
    assert list(world.okta().members()) == ["user1@partner.example"]
    third = world.sync()
    assert third["actions"] == []
    assert [n["kind"] for n in third["notices"]] == ["quarantined"]
    world.auth0().patch("auth0|u00002", {"user_metadata": {"firstName": "Ann"}})
    assert world.sync()["actions"] == []  # still quarantined: fixed upstream, not retried yet
    retried = world.sync("--retry-quarantined")
    assert retried["summary"]["created"] == 1
    assert world.sync()["notices"] == []


def test_retries_are_summed_up_in_one_line_per_service(
    world_factory: Callable[..., World],
) -> None:
    world = world_factory(seed([auth0_user(i) for i in range(1, 41)]))
    # Auth0 answers about one call in three with a 429 or a 503, replayably.
    world.emulators.auth0_control.faults.configure(0.3, 1, kinds={"429": 1, "503": 1})
    result = world.cli("sync", "--json")
    assert result.exit_code == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout)["summary"]
    statuses = world.stats("auth0")["statuses"]
    refused = int(statuses.get("429", 0))
    assert refused > 0 and summary["api_429s"]["auth0"] == refused
    assert "stamina.retry_scheduled" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if "calls retried after" in line]
    assert len(lines) == 1 and '"event": "auth0: ' in lines[0]
    assert len(world.okta().members()) == 40
