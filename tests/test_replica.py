"""Replicas on one SQLite file (one host): the first leads, the second stands by and serves
the dashboard, and leads once the first stops. PostgreSQL replicas in separate processes are
tests/test_failover_e2e.py."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack

from tests.serve_process import wait_until
from tests.web.service_kit import serving
from tests.world_kit import GROUP, World, auth0_user, seed

FAILOVER = 2.0  # the standby tries every 0.4 s


def test_the_second_service_on_one_sqlite_file_stands_by_until_the_first_stops(
    world_factory: Callable[..., World],
) -> None:
    world = world_factory(seed([auth0_user(1), auth0_user(2)]))
    with ExitStack() as second_stack:
        first_stack = ExitStack()
        with first_stack:
            first = first_stack.enter_context(serving(world, failover_seconds=FAILOVER))
            second = second_stack.enter_context(serving(world, failover_seconds=FAILOVER))
            assert first.metric("spokesync_leader") == 1
            assert second.metric("spokesync_leader") == 0
            refused = second.http.post("/api/runs", json={})
            assert refused.status_code == 503, refused.text
            assert "stands by" in refused.json()["error"]
            assert second.http.get("/readyz").status_code == 200  # it serves the dashboard
            assert first.sync()["outcome"] == "succeeded"
        # The first stopped (and let go of the lead): the standby takes over.
        wait_until("the standby leads", lambda: second.metric("spokesync_leader") == 1, FAILOVER)
        world.okta().call("DELETE", f"/api/v1/groups/{GROUP}/users/{_member(world)}")
        assert second.sync()["outcome"] == "succeeded"
    assert len(world.okta().members()) == 2


def _member(world: World) -> str:
    return str(next(iter(world.okta().members().values()))["id"])
