"""``serve --live``: poll the logs every ``[live] poll_seconds`` between the scheduled runs.

One coroutine runs both, so a targeted run and a scheduled run never overlap in this process
(the run lock keeps other processes out). Kept apart from :mod:`spokesync.service` so that the
service's scheduler can take over the polling without change to the poller.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

import structlog

from spokesync.config import Config
from spokesync.live.poller import LivePoller
from spokesync.store.base import Store

log = structlog.get_logger("spokesync.live")

#: how often a wait looks at the stop flag (a signal handler sets it)
_STOP_CHECK_SECONDS = 0.1


async def _pause(seconds: float, stop: threading.Event) -> None:
    end = time.monotonic() + seconds
    while not stop.is_set() and (left := end - time.monotonic()) > 0:
        await asyncio.sleep(min(_STOP_CHECK_SECONDS, left))


async def serve_live(
    config: Config,
    store: Store,
    next_run: Callable[[datetime], datetime],
    *,
    run_now: bool,
    stop: threading.Event,
) -> None:
    """Until ``stop``: a full run when the schedule says, a live poll every poll_seconds."""
    interval = config.live.poll_seconds
    async with LivePoller(config, store) as poller:
        log.info("live mode", poll_seconds=interval)
        due = datetime.now(UTC) if run_now else next_run(datetime.now(UTC))
        while not stop.is_set():
            if datetime.now(UTC) >= due:
                result = await poller.engine.run(apply=True, clients=poller.clients)
                log.info("scheduled run", exit_code=result.exit_code, run_id=result.run_id)
                due = next_run(datetime.now(UTC))
                log.info("next run", at=due.isoformat())
                continue
            started = time.monotonic()
            await poller.poll_once()
            await _pause(interval - (time.monotonic() - started), stop)
