"""Leadership among replicas: one leader, failover when its connection dies, fenced writes."""

from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from spokesync.okta.client import OktaClient
from spokesync.store import LeadershipLost, SqlStore, StoreError, open_store
from spokesync.store.leadership import (
    LEADER_KEY,
    Leadership,
    PostgresLeadership,
    Timings,
    default_owner,
    open_leadership,
)
from tests.postgres_server import empty_database
from tests.world_kit import World, auth0_user, seed

#: The smallest failover the config allows: probes every 0.4 s, a 0.8 s lease.
FAILOVER = 2.0

Replica = tuple[SqlStore, Leadership]
ReplicaFactory = Callable[..., Replica]


@pytest.fixture
def pg_url(postgres_url: str) -> str:
    return empty_database(postgres_url)


@pytest.fixture
def replicas() -> Iterator[ReplicaFactory]:
    """Open a store plus its leadership as a replica named ``owner`` would; closed after."""
    opened: list[Replica] = []

    def replica(url: str, owner: str, failover: float = FAILOVER) -> Replica:
        store = open_store(url)
        leadership = open_leadership(store, failover, owner=owner)
        opened.append((store, leadership))
        return store, leadership

    yield replica
    for store, leadership in opened:
        leadership.close()
        store.close()


def terminate_lock_connection(url: str) -> int:
    """End the backend holding the leadership lock, as a dead host's would end."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            return len(
                connection.execute(
                    sa.text(
                        "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = "
                        "'advisory' AND objid = :key AND objsubid = 1 AND granted AND database = "
                        "(SELECT oid FROM pg_database WHERE datname = current_database())"
                    ),
                    {"key": LEADER_KEY},
                ).all()
            )
    finally:
        engine.dispose()


def leader_and_standby(replicas: ReplicaFactory, url: str) -> tuple[Replica, Replica]:
    """A leader ("host-a:1") whose first probe is minutes away, so it goes on believing it
    leads whatever happens, and a standby ("host-b:2") on the short failover."""
    old = replicas(url, "host-a:1", failover=300.0)
    new = replicas(url, "host-b:2")
    assert old[1].acquire()
    return old, new


def test_timings_fit_the_failover_budget() -> None:
    for failover in (5.0, 15.0, 60.0, 300.0):
        t = Timings.for_failover(failover)
        # the server frees a silent leader's lock, then a standby's next try wins
        assert t.detection_seconds + t.probe <= failover
        # the old leader stops (lease) before the server can free its lock
        assert t.probe < t.lease < t.detection_seconds


def test_exactly_one_of_two_contenders_leads(pg_url: str, replicas: ReplicaFactory) -> None:
    _, first = replicas(pg_url, "host-a:1")
    _, second = replicas(pg_url, "host-b:2")
    assert first.acquire() is True
    assert second.acquire(timeout=0.5) is False
    assert first.is_leader and not second.is_leader
    first.check()
    with pytest.raises(LeadershipLost, match="host-b:2"):
        second.check()
    assert first.acquire() is True  # the leader asking again stays leader


def test_release_hands_over_and_status_names_the_leader(
    pg_url: str, replicas: ReplicaFactory
) -> None:
    store, first = replicas(pg_url, "host-a:1")
    _, second = replicas(pg_url, "host-b:2")
    assert store.leader() is None
    assert first.acquire()
    leader = store.leader()
    assert leader is not None and leader.owner == "host-a:1" and leader.since.endswith("Z")
    first.release()
    assert store.leader() is None
    assert second.acquire()
    leader = store.leader()
    assert leader is not None and leader.owner == "host-b:2"


def test_a_dead_leaders_lock_passes_to_a_standby_within_the_failover(
    pg_url: str, replicas: ReplicaFactory
) -> None:
    store, first = replicas(pg_url, "host-a:1")
    _, second = replicas(pg_url, "host-b:2")
    assert first.acquire()
    assert terminate_lock_connection(pg_url) == 1  # the leader's host vanished
    assert second.acquire(timeout=FAILOVER) is True
    leader = store.leader()
    assert leader is not None and leader.owner == "host-b:2"
    # the old leader's next probe finds out; it no longer leads
    assert isinstance(first, PostgresLeadership) and first.probe() is False
    with pytest.raises(LeadershipLost):
        first.check()


def test_writes_of_a_deposed_leader_are_refused_and_not_retried(
    pg_url: str, replicas: ReplicaFactory
) -> None:
    (old_store, old), (new_store, new) = leader_and_standby(replicas, pg_url)
    old_store.set_cursor("written-by", "host-a:1")
    # A partition: the old leader's lock connection is gone, its store connection still works,
    # and it has not probed yet (it still believes it leads).
    terminate_lock_connection(pg_url)
    assert new.acquire(timeout=FAILOVER)
    assert old.is_leader  # within its lease: only the store can stop this write
    statements: list[str] = []
    sa.event.listen(
        old_store.database.engine,
        "before_cursor_execute",
        lambda *args: statements.append(str(args[2])),
    )
    with pytest.raises(LeadershipLost, match="refused"):
        old_store.set_cursor("written-by", "host-a:1 again")
    # refused once, by the fence, before the write; no second attempt
    assert sum("pg_locks" in s for s in statements) == 1
    assert not any("cursors" in s for s in statements)
    assert new_store.get_cursor("written-by") == "host-a:1"
    new_store.set_cursor("written-by", "host-b:2")  # the new leader writes
    assert old_store.get_cursor("written-by") == "host-b:2"  # reads are not fenced
    assert isinstance(old, PostgresLeadership) and not old.probe()
    with pytest.raises(LeadershipLost):
        old_store.set_cursor("written-by", "host-a:1 later")


def test_a_fenced_store_refuses_writes_once_released(
    store_url: str, replicas: ReplicaFactory
) -> None:
    store, leadership = replicas(store_url, default_owner())
    assert leadership.acquire()
    store.set_cursor("c", "1")
    leadership.release()
    with pytest.raises(LeadershipLost):
        store.set_cursor("c", "2")
    assert store.get_cursor("c") == "1"
    assert issubclass(LeadershipLost, StoreError)  # stops a run like any store failure


def test_sqlite_leadership_is_one_process_on_one_host(
    tmp_path: Path, replicas: ReplicaFactory
) -> None:
    url = f"sqlite:///{tmp_path}/state.db"
    store, first = replicas(url, "a")
    _, second = replicas(url, "b")
    assert first.acquire() and not second.acquire(timeout=0.5)
    leader = store.leader()
    assert leader is not None and leader.owner == "a"
    first.close()
    assert second.acquire()
    leader = store.leader()
    assert leader is not None and leader.owner == "b"


@pytest.mark.parametrize("state_backend", ["sqlite", "postgresql"])
def test_status_json_names_the_leader(
    world_factory: Callable[..., World], replicas: ReplicaFactory
) -> None:
    world = world_factory(seed([auth0_user(1)]))
    world.write_config()
    assert world.cli("status", "--json").json()["leader"] is None
    _, leadership = replicas(world.state_url, f"{socket.gethostname()}:4242")
    assert leadership.acquire()
    shown = world.cli("status", "--json").json()["leader"]
    assert shown["owner"] == f"{socket.gethostname()}:4242" and shown["since"].endswith("Z")
    assert "leader:" in world.cli("status").stdout
    leadership.release()
    assert world.cli("status", "--json").json()["leader"] is None


@pytest.mark.parametrize("state_backend", ["postgresql"])
def test_a_deposed_leaders_run_stops_and_the_next_leaders_run_converges(
    world_factory: Callable[..., World], replicas: ReplicaFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = world_factory(seed([auth0_user(i) for i in range(1, 6)]))
    world.write_config()
    # One action at a time, so that the partition lands between two known actions.
    text = world.config_path.read_text(encoding="utf-8")
    world.config_path.write_text(text.replace("[okta]\n", "[okta]\nmax_concurrency = 1\n"))
    (old_store, _), (new_store, new) = leader_and_standby(replicas, world.state_url)
    create_user = OktaClient.create_user

    async def create_then_lose_the_lead(self: OktaClient, *args: Any, **kwargs: Any) -> Any:
        created = await create_user(self, *args, **kwargs)
        # The leader's host is cut off from its lock connection; a standby takes over.
        terminate_lock_connection(world.state_url)
        assert new.acquire(timeout=FAILOVER)
        return created

    monkeypatch.setattr(OktaClient, "create_user", create_then_lose_the_lead)
    with pytest.raises(LeadershipLost):
        world.run_engine(store=old_store, apply=True)
    monkeypatch.setattr(OktaClient, "create_user", create_user)
    # The old leader stopped at its next write: one create reached Okta, and only once.
    assert len(world.okta().users()) == 1
    assert world.stats("okta")["requests"]["POST /api/v1/users"] == 1
    # The new leader takes over the old leader's run lock and repairs the interrupted create.
    result = world.run_engine(store=new_store, apply=True)
    assert result.exit_code == 0, result.error
    users = world.okta().users()
    assert sorted(u["profile"]["login"] for u in users) == [
        f"user{i}@partner.example" for i in range(1, 6)
    ]
    assert len(world.okta().members()) == 5


def test_a_write_in_flight_when_the_lead_moves_does_not_land(
    pg_url: str, replicas: ReplicaFactory
) -> None:
    (old_store, _), (new_store, new) = leader_and_standby(replicas, pg_url)
    took_over: list[bool] = []

    def lose_the_lead_mid_write(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        # Past the fence, inside the write transaction: the lead moves now.
        if "INSERT INTO cursors" in statement and not took_over:
            terminate_lock_connection(pg_url)
            took_over.append(new.acquire(timeout=FAILOVER))

    sa.event.listen(old_store.database.engine, "before_cursor_execute", lose_the_lead_mid_write)
    # The new leader waited for the write's transaction, then ended it: it never commits.
    with pytest.raises(StoreError):
        old_store.set_cursor("written-by", "host-a:1")
    assert took_over == [True]
    assert new_store.get_cursor("written-by") is None


def test_a_leader_whose_connection_goes_silent_stops_leading_within_its_lease(
    pg_url: str, replicas: ReplicaFactory
) -> None:
    store, leadership = replicas(pg_url, "host-a:1")
    assert leadership.acquire()
    backend = leadership.lock_backend()
    assert backend is not None
    os.kill(backend, signal.SIGSTOP)  # the server side of the connection stops answering
    try:
        deadline = time.monotonic() + FAILOVER
        while leadership.is_leader and time.monotonic() < deadline:
            time.sleep(0.05)
        # Deposed by its own lease (2/5 of the failover) while the server still holds the lock.
        assert not leadership.is_leader
        with pytest.raises(LeadershipLost):
            store.set_cursor("c", "1")
    finally:
        os.kill(backend, signal.SIGCONT)
