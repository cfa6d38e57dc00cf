"""The service's run queue: one run at a time, requests queued behind it, identical ones once,
refusals on a standby and at stop."""

from __future__ import annotations

import asyncio

import pytest

from spokesync.engine import RunResult
from spokesync.run_queue import (
    LIVE,
    NotLeader,
    RunQueue,
    RunRequest,
    ShuttingDown,
    SoleLeader,
)


class Standby:
    def is_leader(self) -> bool:
        return False

    def leader(self) -> str | None:
        return "host-a:17"


def test_runs_one_at_a_time_in_order_and_coalesces_identical_requests() -> None:
    async def scenario() -> None:
        started: list[RunRequest] = []
        release = asyncio.Event()
        running = 0

        async def execute(request: RunRequest) -> RunResult:
            nonlocal running
            running += 1
            assert running == 1, "two runs at once"
            started.append(request)
            await release.wait()
            running -= 1
            return RunResult(request.run_id, "sync", 0)

        queue = RunQueue(execute, SoleLeader("me"))
        worker = asyncio.create_task(queue.work())
        first = queue.submit(origin="api")
        await asyncio.sleep(0)
        assert queue.current == first.request
        second = queue.submit(origin="schedule")
        again = queue.submit(origin="dashboard")  # the same whole sync, still waiting
        user = queue.submit(origin="api", user="auth0|1")
        assert again is second and user is not second
        assert queue.waiting == [second.request, user.request]
        release.set()
        results = await asyncio.gather(first.done, second.done, user.done)
        assert [r.run_id for r in results if r] == [t.request.run_id for t in (first, second, user)]
        assert [r.user for r in started] == [None, None, "auth0|1"]
        worker.cancel()

    asyncio.run(scenario())


def test_stop_lets_the_current_run_finish_and_drops_the_waiting() -> None:
    async def scenario() -> None:
        release = asyncio.Event()
        finished: list[str] = []

        async def execute(request: RunRequest) -> RunResult:
            await release.wait()
            finished.append(request.run_id)
            return RunResult(request.run_id, "sync", 0)

        queue = RunQueue(execute, SoleLeader("me"))
        worker = asyncio.create_task(queue.work())
        current = queue.submit(origin="api")
        await asyncio.sleep(0)
        waiting = queue.submit(origin="api", user="auth0|2")
        closing = asyncio.create_task(queue.close())
        await asyncio.sleep(0)
        assert not closing.done()  # waits for the current run
        with pytest.raises(ShuttingDown):
            queue.submit(origin="api")
        release.set()
        await closing
        assert finished == [current.request.run_id]
        assert await waiting.done is None
        worker.cancel()

    asyncio.run(scenario())


def test_a_standby_refuses_naming_the_leader() -> None:
    async def scenario() -> None:
        async def execute(request: RunRequest) -> RunResult:
            raise AssertionError("a standby ran")

        queue = RunQueue(execute, Standby())
        with pytest.raises(NotLeader, match="host-a:17") as refused:
            queue.submit(origin="api")
        assert refused.value.status == 503 and refused.value.leader == "host-a:17"

    asyncio.run(scenario())


def test_a_live_poll_and_a_whole_sync_are_queued_apart_and_a_cancelled_waiter_stops_cleanly() -> (
    None
):
    async def scenario() -> None:
        release = asyncio.Event()

        async def execute(request: RunRequest) -> RunResult:
            await release.wait()
            return RunResult(request.run_id, "sync", 0)

        queue = RunQueue(execute, SoleLeader("me"))
        worker = asyncio.create_task(queue.work())
        queue.submit(origin="api")
        await asyncio.sleep(0)
        poll = queue.submit(origin=LIVE)
        sync = queue.submit(origin="schedule")  # not absorbed by the waiting poll
        assert sync is not poll and queue.waiting == [poll.request, sync.request]
        # The live poller waits on its poll and is cancelled at stop: so is the future.
        waiter = asyncio.create_task(asyncio.wait_for(poll.done, None))
        await asyncio.sleep(0)
        waiter.cancel()
        await asyncio.sleep(0)
        closing = asyncio.create_task(queue.close())
        release.set()
        await closing
        assert poll.done.cancelled() and await sync.done is None
        worker.cancel()

    asyncio.run(scenario())
