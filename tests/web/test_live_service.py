"""``serve --live`` as the service runs it: log polls go through the run queue beside the HTTP
side, an Auth0 change reaches Okta through a poll, and the live metrics count what happened."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from tests.web.service_kit import Running, serving
from tests.world_kit import World, auth0_user, seed

WorldFactory = Callable[..., World]
SCOPES = ("read:users", "read:roles", "update:users", "read:logs")
LIVE = '[policy]\nmax_deprovision = "100%"\n\n[live]\npoll_seconds = 1\n'
DEADLINE = 30.0


def wait_for(what: str, check: Callable[[], Any]) -> Any:
    """Poll ``check`` until it answers something true; fail naming ``what`` after DEADLINE."""
    end = time.monotonic() + DEADLINE
    while not (value := check()):
        assert time.monotonic() < end, f"not within {DEADLINE} s: {what}"
        time.sleep(0.1)
    return value


def polls(svc: Running, outcome: str) -> float:
    return svc.metric("spokesync_live_polls_total", outcome=outcome)


def test_a_role_assignment_reaches_okta_through_a_poll_while_the_dashboard_answers(
    world_factory: WorldFactory,
) -> None:
    world = world_factory(seed([auth0_user(1), auth0_user(2, roles=())], client_scopes=SCOPES))
    world.write_config(LIVE)
    world.sync()
    with serving(world, extra_config=LIVE, live=True) as svc:
        wait_for("the first poll", lambda: polls(svc, "idle") >= 1)
        world.auth0().assign("auth0|u00002")
        wait_for("the join", lambda: "user2@partner.example" in world.okta().members())
        assert svc.http.get("/healthz").status_code == 200
        wait_for("the live run counted", lambda: polls(svc, "targeted") >= 1)
        assert svc.metric("spokesync_runs_total", mode="live", outcome="succeeded") >= 1
        assert svc.metric("spokesync_live_log_entries_total") >= 1
        assert svc.metric("spokesync_live_last_event_timestamp_seconds") > 0
        live = svc.http.get("/api/status").json()["live"]
        assert all(live["cursors"].values())
        # A requested run waits its turn behind polls: one run at a time, never two at once.
        assert svc.sync()["outcome"] == "succeeded"
        assert polls(svc, "failed") == 0
