"""Progress of a run: a log line every few seconds with total, rate and ETA when stdout is not
a terminal, a rich bar on one, and a word when the run waits for a rate-limit window."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

from rich.console import Console

from spokesync import logs
from spokesync.http.observer import notify_wait
from spokesync.progress import LOG_EVERY, progress_for
from tests.world_kit import World, auth0_user, seed

WorldFactory = Callable[..., World]


def _events(err: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in err.splitlines() if line.startswith("{")]


def test_plain_progress_lines_carry_total_rate_and_eta_and_waits_are_said_once(
    capsys: Any,
) -> None:
    logs.configure(json_lines=True, level="INFO")
    now = [100.0]
    console = Console(file=io.StringIO(), force_terminal=False)
    with progress_for(console, clock=lambda: now[0]) as progress:
        progress("apply", 0, total=1000)
        for _ in range(3):
            now[0] += LOG_EVERY
            progress("apply", 100)
        # Ten workers wait for the same window: one line; a later window: another.
        for _ in range(10):
            notify_wait("users", 42.0)
        now[0] += 60
        notify_wait("users", 42.0)
    notify_wait("users", 42.0)  # outside the run: nobody listens
    events = _events(capsys.readouterr().err)
    lines = [e for e in events if e["event"] == "progress"]
    assert [e["done"] for e in lines] == [0, 100, 200, 300]
    assert lines[-1]["total"] == 1000
    assert lines[-1]["per_second"] == 20.0  # 300 in 15 s
    assert lines[-1]["eta_seconds"] == 35  # 700 more at 20/s
    waits = [e for e in events if e["event"] == "waiting for a rate-limit window"]
    assert [(w["limit"], w["seconds"]) for w in waits] == [("users", 42.0), ("users", 42.0)]


def test_on_a_terminal_the_bar_says_how_long_it_waits() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=100)
    with progress_for(console) as progress:
        progress("apply", 0, total=10)
        progress("apply", 5)
        notify_wait("okta users", 12.0)
    assert "waiting 12 s for the okta users rate-limit window (until" in out.getvalue()


def test_a_sync_paced_by_auth0_says_that_it_waits(world_factory: WorldFactory) -> None:
    # One token a second, a burst of one: every Management API call after the first waits
    # for the announced reset (auth0-api.md §8, as the Auth0 emulator implements it).
    world = world_factory(
        seed([auth0_user(n) for n in range(1, 4)]), auth0_rate_limit=1.0, auth0_burst=1
    )
    result = world.cli("sync")
    assert result.exit_code == 0, result.stderr
    waits = [e for e in _events(result.stderr) if e["event"] == "waiting for a rate-limit window"]
    assert waits and all(w["limit"] == "auth0" and 0 < w["seconds"] <= 2 for w in waits), waits
    assert "3 people with changes" in result.stdout
