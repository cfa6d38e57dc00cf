"""``spokesync serve``: run sync on a cron schedule until stopped, one run at a time.

A run that overlaps another process's run is refused by the run lock and logged; SIGTERM
(as Kubernetes sends) lets the current run finish and then stops.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from datetime import UTC, datetime
from types import FrameType

import structlog
from croniter import croniter
from rich.console import Console

from spokesync.config import Config
from spokesync.engine import EXIT_CONFIG, Engine
from spokesync.store import Store, StoreError, open_store

log = structlog.get_logger("spokesync.service")


def next_run(schedule: str, after: datetime) -> datetime:
    """The next time the cron expression fires after ``after`` (UTC)."""
    moment: datetime = croniter(schedule, after).get_next(datetime)
    return moment


def _store(config: Config) -> Store | None:
    """The state store, or None (logged) when it cannot be opened."""
    try:
        return open_store(config.state.url)
    except StoreError as exc:
        log.error("state store unavailable", error=str(exc))
        return None


def run_once(config: Config) -> int:
    """One scheduled sync; returns its exit code."""
    store = _store(config)
    if store is None:
        return EXIT_CONFIG
    try:
        result = asyncio.run(Engine(config, store).run(apply=True))
    finally:
        store.close()
    summary = {k: v for k, v in result.summary.items() if k not in ("skipped_reasons", "failures")}
    log.info("scheduled run", exit_code=result.exit_code, **summary)
    return result.exit_code


def serve_forever(
    config: Config, schedule: str, *, run_now: bool, console: Console, live: bool = False
) -> int:
    """Loop until SIGINT/SIGTERM. Returns 2 for a bad schedule, else 0. With ``live``, the
    logs are polled between the scheduled runs (:mod:`spokesync.live.loop`)."""
    if not croniter.is_valid(schedule):
        console.print(f"spokesync: --schedule {schedule!r} is not a cron expression", markup=False)
        return EXIT_CONFIG
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("stopping after the current run", signal=signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if live:
        return _serve_live(config, schedule, run_now=run_now, stop=stop)
    if run_now:
        run_once(config)
    while not stop.is_set():
        due = next_run(schedule, datetime.now(UTC))
        log.info("next run", at=due.isoformat())
        while not stop.is_set() and datetime.now(UTC) < due:
            stop.wait(min(30.0, max(0.0, (due - datetime.now(UTC)).total_seconds())))
        if not stop.is_set():
            run_once(config)
    return 0


def _serve_live(config: Config, schedule: str, *, run_now: bool, stop: threading.Event) -> int:
    from spokesync.live.loop import serve_live

    store = _store(config)
    if store is None:
        return EXIT_CONFIG
    try:
        asyncio.run(
            serve_live(
                config.with_live(),
                store,
                lambda after: next_run(schedule, after),
                run_now=run_now,
                stop=stop,
            )
        )
    finally:
        store.close()
    return 0
