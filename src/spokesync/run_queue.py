"""The service's run queue: scheduled runs and requested ones, one at a time, in arrival order.

Every run the service makes goes through :class:`RunQueue`: the scheduler's, the dashboard's and
``POST /api/runs``. A request made while a run is going is queued behind it and answered at
once with the run id it will have; an identical request already waiting is not queued twice.
Who may start runs is a :class:`Leadership` seam: a single process on SQLite always leads
(:class:`SoleLeader`); a replicated deployment plugs in one that answers from the database.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

import structlog

from spokesync.engine import RunResult, new_run_id

log = structlog.get_logger("spokesync.run_queue")

#: Requests waiting behind the current run at most; more are refused (HTTP 429).
QUEUE_LIMIT = 100
#: The origin of live mode's polls: a poll of the logs, not a run of every identity.
LIVE = "live"


class Leadership(Protocol):
    """Whether this process may start runs, and who does when it may not."""

    def is_leader(self) -> bool: ...
    def leader(self) -> str | None:
        """The leading process's name, None when none leads."""
        ...


class SoleLeader:
    """The only process there is (SQLite state, one ``serve``): it always leads."""

    def __init__(self, owner: str) -> None:
        self.owner = owner

    def is_leader(self) -> bool:
        return True

    def leader(self) -> str | None:
        return self.owner


class RunRefused(Exception):
    """A run request this process cannot take; ``status`` is the HTTP status to answer."""

    status = 503


class NotLeader(RunRefused):
    def __init__(self, leader: str | None) -> None:
        where = f"the leader is {leader}" if leader else "no process leads right now"
        super().__init__(f"this process stands by and starts no runs: {where}")
        self.leader = leader


class QueueFull(RunRefused):
    status = 429

    def __init__(self) -> None:
        super().__init__(f"{QUEUE_LIMIT} runs are already waiting; try again after they ran")


class ShuttingDown(RunRefused):
    def __init__(self) -> None:
        super().__init__("the service is stopping and starts no more runs")


@dataclass(frozen=True, slots=True)
class RunRequest:
    """One run to make: every identity, or only the Auth0 user ``user``."""

    run_id: str
    user: str | None
    origin: str  # "start" | "schedule" | "api" | "dashboard" | "takeover" | LIVE
    requested_at: datetime
    #: who asked ({"subject", "email"} or {"subject": "token"}); None for the service's own
    requested_by: Mapping[str, str] | None = None
    #: the refused run whose kept plan this run applies (an approval), if any
    approves: str | None = None


@dataclass(slots=True)
class Ticket:
    """A queued or running request; ``done`` resolves to its result (None if it never ran)."""

    request: RunRequest
    done: asyncio.Future[RunResult | None] = field(repr=False)


Execute = Callable[[RunRequest], Awaitable[RunResult | None]]


class RunQueue:
    """Runs requests one at a time with ``execute``; call :meth:`work` as a task of the loop."""

    def __init__(
        self,
        execute: Execute,
        leadership: Leadership,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._execute = execute
        self.leadership = leadership
        self._clock = clock or (lambda: datetime.now(UTC))
        self._waiting: deque[Ticket] = deque()
        self._wake = asyncio.Event()
        self._current: Ticket | None = None
        self._closed = False
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def current(self) -> RunRequest | None:
        """The request running now, if any."""
        return self._current.request if self._current else None

    @property
    def waiting(self) -> list[RunRequest]:
        """The requests queued behind it, first to run first."""
        return [t.request for t in self._waiting]

    def submit(
        self,
        *,
        origin: str,
        user: str | None = None,
        requested_by: Mapping[str, str] | None = None,
        approves: str | None = None,
    ) -> Ticket:
        """Queue a run (or return the identical one already waiting, which keeps its first
        requester); raise RunRefused when this process may not start runs now."""
        if self._closed:
            raise ShuttingDown()
        if not self.leadership.is_leader():
            raise NotLeader(self.leadership.leader())
        for ticket in self._waiting:
            # A live poll and a run of everyone are different work: neither stands in for the other.
            same = ticket.request.user == user and ticket.request.approves == approves
            if same and (ticket.request.origin == LIVE) == (origin == LIVE):
                return ticket
        if len(self._waiting) >= QUEUE_LIMIT:
            raise QueueFull()
        now = self._clock()
        request = RunRequest(new_run_id(now), user, origin, now, requested_by, approves)
        ticket = Ticket(request, asyncio.get_running_loop().create_future())
        self._waiting.append(ticket)
        self._wake.set()
        log.info("run queued", run_id=request.run_id, origin=origin, waiting=len(self._waiting))
        return ticket

    async def work(self) -> None:
        """Run queued requests one after another until cancelled."""
        while True:
            while not self._waiting:
                self._wake.clear()
                await self._wake.wait()
            ticket = self._waiting.popleft()
            self._current = ticket
            self._idle.clear()
            try:
                result = await self._execute(ticket.request)
            except Exception:
                # A run that crashed must not stop the service: the next one may succeed.
                log.exception("run crashed", run_id=ticket.request.run_id)
                result = None
            finally:
                self._current = None
                self._idle.set()
            if not ticket.done.done():
                ticket.done.set_result(result)

    async def close(self) -> None:
        """Take no more requests, drop the waiting ones, and wait for the current run."""
        self._closed = True
        while self._waiting:
            ticket = self._waiting.popleft()
            log.info("queued run dropped at stop", run_id=ticket.request.run_id)
            if not ticket.done.done():  # its waiter may have been cancelled (a stopped poller)
                ticket.done.set_result(None)
        await self._idle.wait()
