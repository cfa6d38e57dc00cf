"""One ``serve`` among replicas sharing a state database: lead, or stand by and watch.

:class:`Replica` is the run queue's :class:`~spokesync.run_queue.Leadership` on top of the
store's leadership lock (:mod:`spokesync.store.leadership`): a standby tries to take the lock
every probe interval; the leader's lock is probed by its heartbeat, and once it is lost the
replica stands by again. A replica that lost the lead waits ``failover_seconds`` before it
competes again, so that a standby, not the process whose connection just failed, takes over.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import structlog

from spokesync.store import StoreError
from spokesync.store.base import Store
from spokesync.store.leadership import Leadership as LeaderLock
from spokesync.store.leadership import Timings

log = structlog.get_logger("spokesync.replica")

#: What the service does once this replica starts leading (e.g. resume an interrupted run).
OnLead = Callable[[], Awaitable[None]]


class Replica:
    """Leads while it holds ``lock``; :meth:`keep` (a task of the service's loop) competes."""

    def __init__(self, lock: LeaderLock, store: Store, failover_seconds: float) -> None:
        self.lock = lock
        self._store = store
        self._failover = failover_seconds
        self._probe = Timings.for_failover(failover_seconds).probe
        self._seen_leader: str | None = None  # who leads, as the last standby probe saw it
        self._led = False
        self._compete_after = 0.0

    def is_leader(self) -> bool:
        return self.lock.is_leader

    def leader(self) -> str | None:
        """The leader's name: this process's while it leads, else the last one seen."""
        return self.lock.owner if self.lock.is_leader else self._seen_leader

    async def keep(self, on_lead: OnLead) -> None:
        """Compete for the lead every probe interval until cancelled."""
        while True:
            await asyncio.sleep(self._probe)
            await self.step(on_lead)

    async def step(self, on_lead: OnLead) -> None:
        """One round: notice a lost lead, or try to take it (calling ``on_lead`` if won)."""
        try:
            if self.lock.is_leader:
                self._led = True  # (also when a late probe renewed a lease deemed lost)
                return
            if self._led:
                self._led = False
                self._compete_after = time.monotonic() + self._failover
                log.warning(
                    "leadership lost: standing by; the current run stops at its next write",
                    owner=self.lock.owner,
                )
            if time.monotonic() >= self._compete_after and await asyncio.to_thread(self._try):
                self._led = True
                log.info("leading", owner=self.lock.owner)
                await on_lead()
                return
            self._seen_leader = await asyncio.to_thread(self._read_leader)
        except Exception:
            # Leadership must keep being watched whatever went wrong this round.
            log.exception("leadership round failed; trying again")

    def _try(self) -> bool:
        try:
            return self.lock.acquire(0)
        except StoreError as exc:
            log.warning("cannot take the leadership now", error=str(exc))
            return False

    def _read_leader(self) -> str | None:
        try:
            current = self._store.leader()
        except StoreError:
            return None
        return None if current is None else current.owner

    def close(self) -> None:
        """Stop leading (a standby takes over at once) and free the lock connection."""
        self.lock.close()
