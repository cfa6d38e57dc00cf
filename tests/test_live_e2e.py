"""``spokesync serve --live`` in a subprocess against both emulators: changes in Auth0 and hand
edits in Okta reach Okta (or Auth0) through the logs, a SIGKILL loses nothing.

Deadlines here are generous (CI runs six workers on two cores): the latency target
(2 x poll_seconds + 1 s) is measured by bench/live_latency.py, not asserted.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from spokesync.live.poller import CRASH_SWITCH
from tests.world_kit import (
    GROUP,
    World,
    auth0_user,
    okta_user,
    seed,
)

WorldFactory = Callable[..., World]
SCOPES = ("read:users", "read:roles", "update:users", "read:logs")
LIVE = '[policy]\nmax_deprovision = "100%"\n\n[live]\npoll_seconds = 1\n'
DEADLINE = 30.0


def wait_for(
    what: str, check: Callable[[], Any], process: subprocess.Popen[str] | None = None
) -> Any:
    """Poll ``check`` until it answers something true; fail naming ``what`` after DEADLINE."""
    end = time.monotonic() + DEADLINE
    while True:
        value = check()
        if value:
            return value
        assert process is None or process.poll() is None, f"serve exited while waiting: {what}"
        assert time.monotonic() < end, f"not within {DEADLINE} s: {what}"
        time.sleep(0.05)


@contextmanager
def serving(
    world: World, *args: str, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[str]]:
    """``serve --live ARGS`` until the block ends (SIGTERM, then a clean exit is expected)."""
    log = (world.tmp / "serve.log").open("a")
    process = subprocess.Popen(
        world.command("serve", "--live", "--schedule", "0 3 * * *", "--http", "off", *args),
        stdout=subprocess.DEVNULL,
        stderr=log,
        text=True,
        env={**os.environ, **world.env, **(env or {})},
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
        log.close()


def live_runs(world: World) -> int:
    return sum(1 for run in world.cli("status", "--json").json()["runs"] if run["mode"] == "live")


def live_positions(world: World) -> bool:
    """Whether live mode has stored its positions (its first poll is done)."""
    live = world.cli("status", "--json").json().get("live")
    return bool(live and all(v is not None for v in live["cursors"].values()))


def test_serve_live_reflects_changes_in_auth0_and_hand_edits_in_okta(
    world_factory: WorldFactory,
) -> None:
    active = okta_user("00uActive00000000005", "user5@partner.example")
    users = [auth0_user(n) for n in range(1, 6)] + [auth0_user(9, roles=())]
    world = world_factory(seed(users, [active], client_scopes=SCOPES))
    world.write_config(extra=LIVE)
    admin, okta = world.auth0(), world.okta()
    with serving(world, "--now") as process:
        wait_for(
            "the first run", lambda: len(okta.members()) == 5 and live_positions(world), process
        )

        admin.assign("auth0|u00009")
        wait_for("a join", lambda: "user9@partner.example" in okta.members(), process)
        admin.unassign("auth0|u00001")
        wait_for("a leave", lambda: "user1@partner.example" not in okta.members(), process)
        admin.patch("auth0|u00002", {"user_metadata": {"firstName": "Meta"}})
        wait_for(
            "a metadata edit",
            lambda: okta.user("user2@partner.example")["profile"]["firstName"] == "Meta",  # type: ignore[index]
            process,
        )
        admin.patch("auth0|u00005", {"blocked": True})
        wait_for("a block", lambda: okta.user(active["id"])["status"] == "SUSPENDED", process)  # type: ignore[index]
        admin.delete("auth0|u00004")
        wait_for("a deletion", lambda: "user4@partner.example" not in okta.members(), process)

        user3 = okta.user("user3@partner.example")
        assert user3 is not None
        okta.call("DELETE", f"/api/v1/groups/{GROUP}/users/{user3['id']}")
        wait_for(
            "a membership removed by hand, restored",
            lambda: "user3@partner.example" in okta.members(),
            process,
        )
        admin.patch("auth0|u00005", {"blocked": False})
        wait_for("an unblock", lambda: okta.user(active["id"])["status"] == "ACTIVE", process)  # type: ignore[index]
        okta.call("POST", f"/api/v1/users/{active['id']}/lifecycle/suspend")
        wait_for(
            "a suspension by hand, written back to Auth0",
            lambda: (
                admin.get("auth0|u00005").get("app_metadata", {}).get("hub_status") == "suspended"
            ),
            process,
        )
        runs = world.cli("status", "--json").json()["runs"]
    log = (world.tmp / "serve.log").read_text()
    assert process.returncode == 0, log[-3000:]
    assert {r["mode"] for r in runs} >= {"live"}
    # One run id from "queued" to "finished": every run recorded, live ones included, is one
    # the queue announced.
    events = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    queued = {e["run_id"] for e in events if e["event"] == "run queued"}
    finished = {e["run_id"] for e in events if e["event"] == "run finished"}
    assert {r["run_id"] for r in runs} <= queued, (runs, queued)
    assert finished <= queued


@pytest.mark.parametrize("seam", ["before-run", "before-cursor"])
def test_a_sigkill_between_reading_events_and_moving_the_cursor_loses_nothing(
    world_factory: WorldFactory, seam: str
) -> None:
    """Killed after reading the events, before the run (nothing applied) or after it was
    recorded (applied, cursor not moved): the next start reads the same events again."""
    world = world_factory(seed([auth0_user(1), auth0_user(2, roles=())], client_scopes=SCOPES))
    world.write_config(extra=LIVE)
    world.sync()
    with serving(world, env={CRASH_SWITCH: seam}) as process:
        wait_for("the first poll", lambda: live_positions(world), process)
        world.auth0().assign("auth0|u00002")
        process.wait(timeout=DEADLINE)
    assert process.returncode == -signal.SIGKILL
    applied = "user2@partner.example" in world.okta().members()
    assert applied == (seam == "before-cursor")
    with serving(world) as process:
        wait_for(
            "the same events, read again",
            lambda: (
                live_runs(world) == (2 if applied else 1)
                and "user2@partner.example" in world.okta().members()
            ),
            process,
        )
    assert process.returncode == 0
    logins = [u["profile"]["login"] for u in world.okta().users()]
    assert logins.count("user2@partner.example") == 1  # read again, not applied twice


def test_a_position_past_retention_triggers_a_full_reconcile(world_factory: WorldFactory) -> None:
    world = world_factory(seed([auth0_user(1), auth0_user(2, roles=())], client_scopes=SCOPES))
    world.write_config(extra=LIVE)
    world.sync()
    world.auth0().patch("auth0|u00001", {"user_metadata": {"team": "a"}})  # the log is not empty
    with serving(world) as process:
        wait_for("the first poll", lambda: live_positions(world), process)
    world.auth0().assign("auth0|u00002")
    pruned = httpx.post(f"{world.auth0_url}/_emulator/logs/prune", json={"keep": 0}, timeout=10)
    assert pruned.status_code == 200  # the assignment's entry and our position are gone
    with serving(world) as process:
        wait_for(
            "the full reconcile", lambda: "user2@partner.example" in world.okta().members(), process
        )
    log = (world.tmp / "serve.log").read_text()
    assert log.count("live mode falls back to a full reconcile") == 1, log[-3000:]
    assert "lost our position" in log
