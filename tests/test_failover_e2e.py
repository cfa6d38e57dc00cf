"""Two ``serve`` replicas on one PostgreSQL against the emulators: the leader dies or is cut
off mid-run, the standby takes over within ``[serve] failover_seconds`` and finishes the
run, and Okta ends with every user once and every membership right.

Okta's behaviour follows the emulator (recordings first, then the official spec); what is
under test here is spokesync's leadership, fencing and journal across processes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa

from tests.serve_process import ServeProcess, wait_until
from tests.world_kit import World, auth0_user, seed

pytestmark = pytest.mark.parametrize("state_backend", ["postgresql"])

USERS = 300
FAILOVER = 5.0
#: Per request: long enough that the run is still applying when the leader is struck.
LATENCY_MS = 25


@pytest.fixture
def replicas(
    world_factory: Callable[..., World],
) -> Iterator[tuple[World, Callable[[str], ServeProcess]]]:
    """A world of USERS Auth0 users (none in Okta yet) and a way to start replicas on it."""
    world = world_factory(seed([auth0_user(n) for n in range(USERS)]), latency_ms=LATENCY_MS)
    world.write_config(f"[serve]\nfailover_seconds = {FAILOVER}\n")
    started: list[ServeProcess] = []

    def start(name: str) -> ServeProcess:
        replica = ServeProcess(world.command(), world.env, world.tmp / f"{name}.log")
        started.append(replica)
        replica.wait_up()
        return replica

    yield world, start
    for replica in started:
        replica.stop()


def _leader_then_standby(
    start: Callable[[str], ServeProcess],
) -> tuple[ServeProcess, ServeProcess]:
    leader = start("a")
    wait_until("the first replica leads", leader.leads, FAILOVER)
    standby = start("b")
    assert not standby.leads()
    answer = standby.http.post("/api/runs", json={})
    assert answer.status_code == 503 and "stands by" in answer.json()["error"]
    return leader, standby


def _strike_mid_run(world: World, leader: ServeProcess) -> None:
    """Start a run on the leader and wait until it has created a sixth of the users."""
    assert leader.http.post("/api/runs", json={}).status_code == 202

    def created() -> int:
        return int(world.stats("okta")["requests"].get("POST /api/v1/users", 0))

    wait_until("the run creates users", lambda: created() >= USERS // 6, 60)
    assert created() < USERS, "the run ended before the leader was struck: raise LATENCY_MS"


def _assert_okta_converged(world: World) -> None:
    """Every Auth0 user is one Okta user (no duplicate login) and a member of the group."""
    logins = Counter(u["profile"]["login"].lower() for u in world.okta().users())
    assert [login for login, n in logins.items() if n > 1] == []
    expected = {f"user{n}@partner.example" for n in range(USERS)}
    assert set(logins) == expected
    assert set(world.okta().members()) == expected


def _finished_a_run(replica: ServeProcess) -> Callable[[], bool]:
    return lambda: replica.metric("spokesync_runs_total", mode="sync", outcome="succeeded") >= 1


def test_a_killed_leaders_run_is_finished_by_the_standby(
    replicas: tuple[World, Callable[[str], ServeProcess]],
) -> None:
    world, start = replicas
    leader, standby = _leader_then_standby(start)
    _strike_mid_run(world, leader)
    leader.kill()
    took = wait_until("the standby leads", standby.leads, FAILOVER)
    assert took < FAILOVER
    # It resumes the interrupted run by itself (no request, no schedule).
    wait_until("the new leader finishes the run", _finished_a_run(standby), 60, step=0.2)
    _assert_okta_converged(world)
    assert '"event": "resuming an interrupted run"' in standby.log.read_text()


def test_a_leader_cut_from_the_database_stops_applying(
    replicas: tuple[World, Callable[[str], ServeProcess]],
) -> None:
    world, start = replicas
    leader, standby = _leader_then_standby(start)
    _strike_mid_run(world, leader)
    # The partition: the server ends the leader's lock connection, as it does once keepalives
    # find the leader's host silent. The leader itself stays up and reaches Okta.
    database = sa.create_engine(world.state_url)
    with database.connect() as connection:
        ended = connection.execute(
            sa.text("SELECT pg_terminate_backend(backend_pid) FROM leader")
        ).scalar_one()
    database.dispose()
    assert ended
    wait_until(
        "the cut-off leader's run stops",
        lambda: leader.metric("spokesync_runs_total", mode="sync", outcome="fenced") == 1,
        FAILOVER,
    )
    okta_calls = _okta_calls(leader)
    wait_until("the standby leads", standby.leads, FAILOVER)
    wait_until("the new leader finishes the run", _finished_a_run(standby), 60, step=0.2)
    assert not leader.leads()  # it stood by, and did not take the lead back
    assert _okta_calls(leader) == okta_calls  # nothing applied since it stopped
    _assert_okta_converged(world)
    assert '"event": "run stopped: this process no longer leads"' in leader.log.read_text()


def _okta_calls(replica: ServeProcess) -> float:
    """How many Okta requests this replica has sent (every status)."""
    total = 0.0
    for line in replica.http.get("/metrics").text.splitlines():
        if line.startswith('spokesync_api_requests_total{service="okta"'):
            total += float(line.rpartition(" ")[2])
    return total
