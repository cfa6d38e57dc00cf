"""LivePoller.poll_once in-process against both emulators: it reads the logs, syncs what they
touch, and moves its cursors only after the run is recorded."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any
from unittest import mock

import httpx

from spokesync import config as config_module
from spokesync.live import cursors
from spokesync.live.poller import LiveOutcome, LivePoller
from spokesync.store import open_store
from tests.world_kit import GROUP, World, auth0_user, seed

WorldFactory = Callable[..., World]
SCOPES = ("read:users", "read:roles", "update:users", "read:logs")
LIVE = '[policy]\nmax_deprovision = "100%"\n\n[live]\nenabled = true\npoll_seconds = 1\n'


def polls(
    world: World, count: int, between: Callable[[int], Any] = lambda _i: None
) -> list[LiveOutcome]:
    """``count`` polls with one poller, calling ``between(i)`` before poll ``i``."""
    with mock.patch.dict(os.environ, world.env):
        cfg = config_module.load(world.config_path)
    store = open_store(cfg.state.url)

    async def run() -> list[LiveOutcome]:
        out = []
        async with LivePoller(cfg, store) as poller:
            for i in range(count):
                between(i)
                out.append(await poller.poll_once())
        return out

    try:
        return asyncio.run(run())
    finally:
        store.close()


def test_polls_sync_changes_from_both_logs_and_an_idle_poll_costs_one_call_each(
    world_factory: WorldFactory,
) -> None:
    world = world_factory(
        seed([auth0_user(n) for n in range(1, 5)] + [auth0_user(9, roles=())], client_scopes=SCOPES)
    )
    world.write_config(extra=LIVE)
    world.sync()
    admin, okta = world.auth0(), world.okta()
    user3 = okta.user("user3@partner.example")
    assert user3 is not None

    def change(i: int) -> None:
        if i == 2:
            admin.assign("auth0|u00009")
            admin.unassign("auth0|u00001")
            admin.patch("auth0|u00002", {"given_name": "Edited"})
            okta.call("DELETE", f"/api/v1/groups/{GROUP}/users/{user3['id']}")

    first, idle, busy, after = polls(world, 4, change)
    assert first.run is None and first.advanced  # first start: positions at "now"
    assert idle.run is None and idle.calls == {"auth0": 1, "okta": 1}
    assert busy.run is not None and busy.run.summary["mode"] == "live", busy
    assert busy.touched == {
        "partners:auth0|u00009",
        "partners:auth0|u00001",
        "partners:auth0|u00002",
        "partners:auth0|u00003",
    }
    # Our own writes come back in the System Log: recognised, no second run.
    assert after.run is None, after.touched
    members = okta.members()
    assert "user9@partner.example" in members and "user1@partner.example" not in members
    assert "user3@partner.example" in members  # the hand edit was undone
    assert okta.user("user2@partner.example")["profile"]["firstName"] == "Edited"  # type: ignore[index]
    status = world.cli("status", "--json").json()["live"]
    assert set(status["cursors"]) == {cursors.source_logs("partners"), cursors.OKTA_LOGS}
    assert status["last_event_age_seconds"] is not None


def test_a_position_past_retention_falls_back_to_a_full_reconcile_once(
    world_factory: WorldFactory,
) -> None:
    world = world_factory(seed([auth0_user(1), auth0_user(2, roles=())], client_scopes=SCOPES))
    world.write_config(extra=LIVE)
    world.sync()
    world.auth0().patch("auth0|u00001", {"user_metadata": {"team": "a"}})  # the log is not empty
    (first,) = polls(world, 1)  # positions at "now", then the process stops
    assert first.advanced
    world.auth0().assign("auth0|u00002")
    pruned = httpx.post(f"{world.auth0_url}/_emulator/logs/prune", json={"keep": 0}, timeout=10)
    assert pruned.status_code == 200
    lost, next_poll = polls(world, 2)  # a new process reads its position back
    assert lost.run is not None and lost.run.summary["mode"] == "sync"
    assert any("lost our position" in r for r in lost.full_reasons)
    assert next_poll.run is None and next_poll.full_reasons == ()
    assert "user2@partner.example" in world.okta().members()
    status = world.cli("status", "--json").json()["live"]
    assert "lost our position" in status["last_fallback"]


def test_a_log_refused_for_a_missing_scope_falls_back_once_and_is_then_left_alone(
    world_factory: WorldFactory,
) -> None:
    world = world_factory(seed([auth0_user(1)]))  # the app lacks read:logs
    world.write_config(extra=LIVE)
    refused, later = polls(world, 2)
    assert refused.run is not None and refused.run.summary["mode"] == "sync"
    assert any("grant read:logs" in r for r in refused.full_reasons)
    assert "user1@partner.example" in world.okta().members()
    assert later.run is None and later.calls == {"auth0": 0, "okta": 1}
