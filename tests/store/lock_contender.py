"""Child-process bodies for the run-lock tests (module level, so ``spawn`` can import them)."""

from __future__ import annotations

import os
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier, Event
from typing import Any

from spokesync.store import LockHeld, open_store


def contend(url: str, barrier: Barrier, results: Queue[Any], done: Event) -> None:
    """Open the store and try to take the lock at the same moment as the others; report."""
    barrier.wait(timeout=60)  # open (and so migrate) together
    store = open_store(url)
    owner = f"contender:{os.getpid()}"
    barrier.wait(timeout=60)  # then race for the lock together
    try:
        store.acquire_lock(owner)
        results.put(("won", owner))
    except LockHeld as exc:
        results.put(("held", exc.owner))
    except Exception as exc:  # reported, so the test shows it rather than hanging
        results.put(("error", repr(exc)))
    # Stay alive (holding the lock if we won) until every contender has tried.
    done.wait(timeout=60)
    store.close()


def acquire_and_die(url: str, owner: str) -> None:
    """Take the lock and die without releasing it, as a crashed run would."""
    store = open_store(url)
    store.acquire_lock(owner)
    os._exit(0)
