"""The run lock: exclusive, released by its owner only, taken over from a dead local holder."""

from __future__ import annotations

import multiprocessing
import os
import queue
import socket
import subprocess
import sys

import pytest
import sqlalchemy as sa

from spokesync.store import LockHeld, SqlStore, open_store
from spokesync.store.run_lock import process_alive
from spokesync.store.schema import LOCK_SLOT, run_lock
from tests.store import lock_contender

# forkserver: children inherit none of this process's connections or threads (unlike fork),
# and the store is imported once in the server rather than in every child (unlike spawn).
CHILDREN = multiprocessing.get_context("forkserver")
CHILDREN.set_forkserver_preload(["spokesync.store", "tests.store.lock_contender"])


def dead_pid() -> int:
    """The pid of a process that has certainly exited (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def insert_lock_row(url: str, *, owner: str, host: str, pid: int) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(
                sa.insert(run_lock).values(
                    slot=LOCK_SLOT, owner=owner, host=host, pid=pid, acquired_at="2026-01-01"
                )
            )
    finally:
        engine.dispose()


def lock_row(url: str) -> tuple[str, str, int] | None:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            row = connection.execute(
                sa.select(run_lock.c.owner, run_lock.c.host, run_lock.c.pid)
            ).first()
    finally:
        engine.dispose()
    return None if row is None else (row.owner, row.host, row.pid)


def test_second_acquire_raises_lock_held_naming_the_holder(store: SqlStore) -> None:
    store.acquire_lock("host:1:run-a")
    with pytest.raises(LockHeld) as caught:
        store.acquire_lock("host:1:run-b")
    assert caught.value.owner == "host:1:run-a"
    assert caught.value.since.endswith("Z")


def test_acquire_by_the_holder_again_is_harmless(store: SqlStore) -> None:
    store.acquire_lock("me")
    store.acquire_lock("me")
    store.release_lock("me")
    store.acquire_lock("other")


def test_release_frees_the_lock_and_only_for_its_owner(store: SqlStore) -> None:
    store.acquire_lock("run-a")
    store.release_lock("run-b")  # not the holder: nothing happens
    with pytest.raises(LockHeld):
        store.acquire_lock("run-b")
    store.release_lock("run-a")
    store.acquire_lock("run-b")
    store.release_lock("run-a")  # released already: harmless


def test_lock_held_is_seen_by_another_store_on_the_same_database(
    store: SqlStore, store_url: str
) -> None:
    store.acquire_lock("first")
    with open_store(store_url) as second, pytest.raises(LockHeld, match="first"):
        second.acquire_lock("second")


def test_a_lock_left_by_a_dead_process_on_this_host_is_taken_over(
    store: SqlStore, store_url: str
) -> None:
    child = CHILDREN.Process(
        target=lock_contender.acquire_and_die, args=(store_url, "crashed:run"), daemon=True
    )
    child.start()
    child.join(timeout=60)
    assert child.exitcode == 0
    # the dead child really left its row behind
    assert lock_row(store_url) == ("crashed:run", socket.gethostname(), child.pid)
    assert not process_alive(child.pid or 0)
    store.acquire_lock("next-run")
    assert lock_row(store_url) == ("next-run", socket.gethostname(), os.getpid())


def test_a_lock_from_another_host_is_never_taken_over(store: SqlStore, store_url: str) -> None:
    insert_lock_row(store_url, owner="elsewhere:1:r", host="elsewhere.example", pid=dead_pid())
    with pytest.raises(LockHeld, match="elsewhere:1:r"):
        store.acquire_lock("here")


def test_a_lock_of_a_live_process_on_this_host_is_respected(
    store: SqlStore, store_url: str
) -> None:
    # pid 1 is alive on every Unix host (os.kill may answer EPERM: still alive).
    insert_lock_row(store_url, owner="init:1:r", host=socket.gethostname(), pid=1)
    with pytest.raises(LockHeld, match="init:1:r"):
        store.acquire_lock("here")


def test_process_alive() -> None:
    assert process_alive(os.getpid())
    assert not process_alive(dead_pid())
    assert not process_alive(0)
    assert not process_alive(-5)


def test_processes_racing_for_the_lock_exactly_one_wins(store_url: str) -> None:
    # Fresh database: the contenders also race to create the schema.
    contenders = 4
    barrier = CHILDREN.Barrier(contenders)
    results = CHILDREN.Queue()
    done = CHILDREN.Event()
    processes = [
        CHILDREN.Process(
            target=lock_contender.contend, args=(store_url, barrier, results, done), daemon=True
        )
        for _ in range(contenders)
    ]
    for process in processes:
        process.start()
    try:
        outcomes = [results.get(timeout=60) for _ in range(contenders)]
    except queue.Empty:  # pragma: no cover - shows which child failed to report
        pytest.fail(f"a contender did not report; exit codes {[p.exitcode for p in processes]}")
    finally:
        done.set()
        for process in processes:
            process.join(timeout=60)
    winners = [owner for verdict, owner in outcomes if verdict == "won"]
    assert len(winners) == 1, outcomes
    assert sorted(outcomes) == sorted([("won", winners[0])] + [("held", winners[0])] * 3)
