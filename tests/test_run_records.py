"""Honest run records, through the command line in a subprocess against the emulators: a sync
stopped by SIGINT or SIGTERM mid-apply is recorded ``interrupted`` with the counts of what
really reached Okta (read back through the Okta emulator's API), says so in one line and exits
130 or 143; one killed by SIGKILL is found ``interrupted`` by the next ``status``; a run in
progress shows ``running``; a rerun finishes the job."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from tests.world_kit import World, auth0_user, seed

WorldFactory = Callable[..., World]


def _creates_seen(world: World) -> int:
    stats = httpx.get(f"{world.okta_url}/_emulator/stats", timeout=10).json()
    return int(stats["requests"].get("POST /api/v1/users", 0))


def _start_sync(world: World, tmp: Path) -> tuple[subprocess.Popen[bytes], Path]:
    world.write_config()
    err = tmp / "stderr.txt"
    process = subprocess.Popen(
        world.command("sync"),
        env={**os.environ, **world.env},
        stdout=subprocess.DEVNULL,
        stderr=err.open("wb"),
    )
    return process, err


def _wait_for_creates(world: World, process: subprocess.Popen[bytes], at_least: int) -> None:
    deadline = time.monotonic() + 120
    while _creates_seen(world) < at_least:
        assert process.poll() is None, "the sync ended before it was interrupted"
        assert time.monotonic() < deadline, "the sync never got to apply"
        time.sleep(0.05)


def _status(world: World) -> dict[str, object]:
    result = world.cli("status", "--json")
    assert result.exit_code == 0, result.stderr
    data: dict[str, object] = result.json()
    return data


def _spokesync_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("spokesync:")]


def test_sigint_during_a_sync_of_3000_is_recorded_interrupted_with_what_okta_has(
    world_factory: WorldFactory, tmp_path: Path
) -> None:
    users = 3000
    # Latency keeps the run mid-apply for seconds, so the signal lands among the creates.
    world = world_factory(
        seed([auth0_user(n) for n in range(users)]), latency_ms=20, okta_rate_limit=100_000
    )
    process, err = _start_sync(world, tmp_path)
    _wait_for_creates(world, process, 200)
    process.send_signal(signal.SIGINT)
    code = process.wait(timeout=120)
    stderr = err.read_text()
    assert code == 130, stderr[-3000:]
    assert "Traceback" not in stderr
    [line] = _spokesync_lines(stderr)

    in_okta = len(world.okta().users())
    assert 0 < in_okta < users
    assert f"applied created {in_okta}" in line, line
    assert "interrupted by SIGINT" in line and "run spokesync sync again" in line

    status = _status(world)
    [run] = status["runs"]  # type: ignore[misc]
    assert run["outcome"] == "interrupted"
    assert run["summary"]["created"] == in_okta  # the journal's count is what Okta has
    assert run["finished_at"] is not None

    # The rerun needs no latency (the signal has landed): it only keeps the suite slow.
    for url in (world.okta_url, world.auth0_url):
        httpx.put(f"{url}/_emulator/faults", json={"rate": 0, "latency_ms": 0}, timeout=10)
    # In a process of its own, as the first: the emulators keep this one's interpreter busy.
    finished = subprocess.run(
        world.command("sync", "--json"),
        env={**os.environ, **world.env},
        capture_output=True,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    rerun = json.loads(finished.stdout)
    assert rerun["summary"]["outcome"] == "succeeded"
    assert rerun["summary"]["created"] == users - in_okta
    assert len(world.okta().users()) == users
    assert len(world.okta().members()) == users


def test_sigterm_during_a_sync_exits_143_and_is_recorded_interrupted(
    world_factory: WorldFactory, tmp_path: Path
) -> None:
    world = world_factory(
        seed([auth0_user(n) for n in range(300)]), latency_ms=40, okta_rate_limit=100_000
    )
    process, err = _start_sync(world, tmp_path)
    _wait_for_creates(world, process, 20)
    process.send_signal(signal.SIGTERM)
    code = process.wait(timeout=120)
    stderr = err.read_text()
    assert code == 143, stderr[-3000:]
    [line] = _spokesync_lines(stderr)
    assert "interrupted by SIGTERM" in line
    [run] = _status(world)["runs"]  # type: ignore[misc]
    assert run["outcome"] == "interrupted"
    assert run["summary"]["created"] == len(world.okta().users())


def test_a_run_killed_by_sigkill_is_found_interrupted_and_a_running_one_shows_running(
    world_factory: WorldFactory, tmp_path: Path
) -> None:
    world = world_factory(
        seed([auth0_user(n) for n in range(300)]), latency_ms=40, okta_rate_limit=100_000
    )
    process, _ = _start_sync(world, tmp_path)
    _wait_for_creates(world, process, 20)
    [running] = _status(world)["runs"]  # type: ignore[misc]
    assert running["outcome"] == "running" and running["finished_at"] is None
    text = world.cli("status")
    assert "running" in text.stdout and "None" not in text.stdout

    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    [run] = _status(world)["runs"]  # type: ignore[misc]
    assert run["outcome"] == "interrupted"
    assert "stopped before it finished" in run["summary"]["error"]
    # What the journal knows finished; a create in flight at the kill may be in Okta too.
    assert run["summary"]["created"] <= len(world.okta().users())
    assert world.sync()["summary"]["outcome"] == "succeeded"
    assert len(world.okta().users()) == 300
    runs = json.loads(world.cli("status", "--json").stdout)["runs"]
    assert [r["outcome"] for r in runs] == ["succeeded", "interrupted"]
