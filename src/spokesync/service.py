"""``spokesync serve``: syncs on a cron schedule, and the dashboard, probes and metrics over HTTP.

One asyncio loop holds the scheduler, the run queue's worker and the HTTP server (uvicorn
serving the :mod:`spokesync.web` app). Runs go one at a time through
:class:`~spokesync.run_queue.RunQueue`, whoever asks. Each run's engine works in a thread of
its own (its own loop and store connection): planning 100,000 identities is CPU work and the
store is synchronous, and neither may stall ``/healthz`` while it lasts. SIGTERM (as
Kubernetes sends) or SIGINT lets the current run finish and then stops.

Replicas sharing the state database (:class:`~spokesync.replica.Replica`): one leads and
runs; the others serve the dashboard and stand by. A run's store is fenced by the leadership,
so the run of a leader that lost it stops at its next write; a new leader resumes an
interrupted run at once (the journal makes that safe).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import structlog
import uvicorn
from croniter import croniter
from rich.console import Console

from spokesync import inert, run_records, saved_plan
from spokesync.clients import TransportFor
from spokesync.config import Config, is_loopback_host
from spokesync.config.sections import ServeConfig, parse_listen
from spokesync.engine import EXIT_CONFIG, EXIT_REFUSED, Engine, RunResult, summarize
from spokesync.http.observer import observing
from spokesync.live.worker import LiveWorker
from spokesync.replica import Replica
from spokesync.run_queue import (
    LIVE,
    Leadership,
    RunQueue,
    RunRefused,
    RunRequest,
    SoleLeader,
)
from spokesync.store import LeadershipLost, Store, StoreError, open_store
from spokesync.store.leadership import Leadership as LeaderLock
from spokesync.store.leadership import open_leadership
from spokesync.web.app import build_app
from spokesync.web.context import WebContext
from spokesync.web.http_server import BoundedConfig, ServerLimits, route_server_logs
from spokesync.web.metrics import Metrics

log = structlog.get_logger("spokesync.service")


def next_run(schedule: str, after: datetime) -> datetime:
    """The next time the cron expression fires after ``after`` (UTC)."""
    moment: datetime = croniter(schedule, after).get_next(datetime)
    return moment


def server_limits(serve: ServeConfig) -> ServerLimits:
    """The HTTP server's timeouts, connection budget and trusted proxies from ``[serve]``."""
    return ServerLimits(
        header_timeout_seconds=serve.header_timeout_seconds,
        body_timeout_seconds=serve.body_timeout_seconds,
        keep_alive_seconds=serve.keep_alive_seconds,
        max_connections=serve.max_connections,
        forwarded_allow_ips=serve.forwarded_allow_ips,
    )


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the service decides when to stop (after the
    current run), and uvicorn would re-raise the signal at exit."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def listen_socket(host: str, port: int) -> socket.socket:
    """A bound listening socket, so that a taken port is a one-line error before anything
    starts (uvicorn would exit the process from inside the loop)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family)


class Service:
    """The scheduler, the run queue and (with a socket) the HTTP server, on one loop."""

    def __init__(
        self,
        config: Config,
        store: Store,
        *,
        schedule: str,
        run_now: bool = False,
        sock: socket.socket | None = None,
        leadership: Leadership | None = None,
        transport_for: TransportFor | None = None,
        handle_signals: bool = True,
        live: bool = False,
    ) -> None:
        self.config = config.with_live() if live else config
        self.store = store
        self.schedule = schedule
        self.run_now = run_now
        self.sock = sock
        self.leadership = leadership or SoleLeader(f"{socket.gethostname()}:{os.getpid()}")
        self.transport_for = transport_for
        self.handle_signals = handle_signals
        self.metrics = Metrics(self.leadership)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self.queue: RunQueue | None = None
        self.live: LiveWorker | None = None

    @property
    def _lock(self) -> LeaderLock | None:
        """The leadership lock that fences runs and polls; None for a sole process."""
        return self.leadership.lock if isinstance(self.leadership, Replica) else None

    def _check_lead(self) -> None:
        """Raise LeadershipLost for work queued while leading whose lead was lost since."""
        if self._lock is not None:
            self._lock.check()

    def stop(self) -> None:
        """Ask the service to stop after the current run (from any thread)."""
        if self._loop is not None and self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)

    async def run(self) -> int:
        """Serve until stopped; returns the exit code."""
        self._loop = asyncio.get_running_loop()
        self._stopping = stopping = asyncio.Event()
        if self.handle_signals:
            for signum in (signal.SIGTERM, signal.SIGINT):
                self._loop.add_signal_handler(signum, self._on_signal, signum)
        quarantine_after = self.config.policy.quarantine_after
        await asyncio.to_thread(self.metrics.seed, self.store, quarantine_after)
        self.queue = queue = RunQueue(self._execute, self.leadership)
        worker = asyncio.create_task(queue.work(), name="run queue")
        leading: asyncio.Task[None] | None = None
        if isinstance(self.leadership, Replica):
            # Lead (or not) before the scheduler's first run: a standby's --now is not taken.
            await self.leadership.step(self._resume_interrupted)
            leading = asyncio.create_task(
                self.leadership.keep(self._resume_interrupted), name="leadership"
            )
        scheduler = asyncio.create_task(self._schedule(queue), name="scheduler")
        polling: asyncio.Task[None] | None = None
        if self.config.live.enabled:
            self.live = LiveWorker(self.config, fence=self._lock, transport_for=self.transport_for)
            polling = asyncio.create_task(self._poll_logs(queue), name="live")
        server: _Server | None = None
        waits: set[asyncio.Task[Any]] = {asyncio.create_task(stopping.wait())}
        if self.sock is not None:
            context = WebContext(self.config, self.store, self.metrics, queue, self.schedule)
            route_server_logs()
            server = _Server(
                BoundedConfig(
                    build_app(context),
                    server_limits(self.config.serve),
                    on_drop=self.metrics.count_dropped_connection,
                )
            )
            serving = asyncio.create_task(server.serve(sockets=[self.sock]), name="http")
            waits.add(serving)
            host, port = self.sock.getsockname()[:2]
            log.info("serving", url=f"http://{host}:{port}/")
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        scheduler.cancel()
        if polling is not None:
            polling.cancel()
        if leading is not None:
            leading.cancel()
        await queue.close()
        worker.cancel()
        if self.live is not None:
            await self.live.close()
        if server is not None:
            server.should_exit = True
            await serving
        for task in waits:
            task.cancel()
        if not stopping.is_set():  # the HTTP server ended by itself: a supervisor restarts us
            log.error("the HTTP server stopped; stopping the service")
            return 1
        return 0

    def _on_signal(self, signum: int) -> None:
        log.info("stopping after the current run", signal=signal.Signals(signum).name)
        assert self._stopping is not None
        self._stopping.set()

    async def _schedule(self, queue: RunQueue) -> None:
        """Queue a run at every time the schedule fires (and once at start with ``--now``),
        each after the previous scheduled one ended: a slow run never piles up others."""
        if self.run_now:
            await self._scheduled_run(queue, "start")
        while True:
            due = next_run(self.schedule, datetime.now(UTC))
            log.info("next run", at=due.isoformat())
            await asyncio.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()))
            await self._scheduled_run(queue, "schedule")

    async def _scheduled_run(self, queue: RunQueue, origin: str) -> None:
        try:
            ticket = queue.submit(origin=origin)
        except RunRefused as exc:  # a standby, or stopping: the leader runs the schedule
            log.info("scheduled run not started", reason=str(exc))
            return
        await ticket.done

    async def _poll_logs(self, queue: RunQueue) -> None:
        """Live mode: queue a poll of the logs every ``[live] poll_seconds``, each after the
        previous one ended (a poll behind a long scheduled run waits its turn, never piles up)."""
        interval = self.config.live.poll_seconds
        log.info("live mode", poll_seconds=interval)
        while True:
            started = time.monotonic()
            with contextlib.suppress(RunRefused):  # a standby, or stopping: the leader polls
                await queue.submit(origin=LIVE).done
            await asyncio.sleep(max(0.0, interval - (time.monotonic() - started)))

    async def _resume_interrupted(self) -> None:
        """Just took the lead: if the last run never finished (its leader died or was
        deposed mid-run), run again now rather than at the next scheduled time."""
        last = await asyncio.to_thread(self.store.recent_runs, 1)
        stopped = (None, run_records.INTERRUPTED, run_records.FENCED)
        if not last or last[0].outcome not in stopped or last[0].mode != "sync":
            return
        assert self.queue is not None  # created before leadership is competed for
        with contextlib.suppress(RunRefused):  # lost again meanwhile, or stopping
            self.queue.submit(origin="takeover")
            log.info("resuming an interrupted run", interrupted=last[0].id)

    async def _execute(self, request: RunRequest) -> RunResult | None:
        """One run from the queue (or a live poll), its API calls counted into the metrics."""
        with observing(self.metrics.count_api_call):
            try:
                if request.origin == LIVE:
                    return await self._live_poll(request.run_id)
                result = await asyncio.to_thread(self._run_engine, request)
            except LeadershipLost as exc:
                # Not a failure of the run: the next leader resumes it from the journal.
                log.warning(
                    "run stopped: this process no longer leads",
                    run_id=request.run_id,
                    error=str(exc),
                )
                self.metrics.record_fenced("live" if request.origin == LIVE else "sync")
                if request.origin != LIVE:
                    await asyncio.to_thread(self._record_fenced, request.run_id, str(exc))
                return None
            except StoreError as exc:
                log.error("state store unavailable", run_id=request.run_id, error=str(exc))
                self.metrics.record_crash("sync")
                return None
        self.metrics.record_run(result)
        quarantine_after = self.config.policy.quarantine_after
        await asyncio.to_thread(self._after_run, quarantine_after)
        summary = {
            k: v
            for k, v in result.summary.items()
            if k not in ("skipped_reasons", "failures", "run_id")
        }
        log.info(
            "run done",
            run_id=request.run_id,
            origin=request.origin,
            exit_code=result.exit_code,
            **summary,
        )
        return result

    async def _live_poll(self, run_id: str) -> RunResult | None:
        """One poll of the logs through the live worker; the run it made (if any) has the id
        the queue logged as queued and is recorded like any other run."""
        assert self.live is not None
        self._check_lead()
        outcome = await self.live.poll(run_id)
        self.metrics.record_poll(outcome)
        if outcome.run is not None:
            self.metrics.record_run(outcome.run)
            await asyncio.to_thread(self._after_run, self.config.policy.quarantine_after)
        return outcome.run

    def _record_fenced(self, run_id: str, error: str) -> None:
        """Record the run this process stopped on losing the lead as ``fenced``, with what
        its journal says it applied. Its fenced store refuses every write, so through a store
        of its own; it touches only that run's row, and only while it has no outcome (the
        new leader may have recorded it ``interrupted`` already)."""
        try:
            with open_store(self.config.state.url) as store:
                summary = run_records.stopped_summary(
                    store, run_id, run_records.FENCED, f"this process no longer leads: {error}"
                )
                store.close_run(run_id, run_records.FENCED, run_records.now_iso(), summary)
        except StoreError as exc:
            log.warning("could not record the fenced run", run_id=run_id, error=str(exc))

    def _after_run(self, quarantine_after: int) -> None:
        last = self.store.recent_runs(1)
        if last:
            self.metrics.record_success(last[0])
        self.metrics.refresh_identities(self.store, quarantine_after)

    def _run_engine(self, request: RunRequest) -> RunResult:
        self._check_lead()
        store = open_store(self.config.state.url)
        try:
            store.fence_with(self._lock)  # every write of the run checks the lead
            engine = Engine(self.config, store, transport_for=self.transport_for)
            if request.approves is not None:
                return asyncio.run(_approve(engine, store, request))
            return asyncio.run(
                engine.run(
                    apply=True,
                    only_user=request.user,
                    run_id=request.run_id,
                    requested_by=request.requested_by,
                )
            )
        finally:
            store.close()


async def _approve(engine: Engine, store: Store, request: RunRequest) -> RunResult:
    """An approval: apply the plan kept with the refused run, only if planning again gives
    the same plan (else the run is refused and keeps the new plan for a new approval)."""
    assert request.approves is not None
    try:
        saved = saved_plan.from_store(store, request.approves)
    except saved_plan.SavedPlanError as exc:
        saved, problem = None, str(exc)
    else:
        problem = f"run {request.approves} kept no plan to approve"
    if saved is None:
        # Recorded like any run, so the approver sees why nothing happened.
        store.start_run(request.run_id, "sync", _utc_now(), request.requested_by)
        result = RunResult(request.run_id, "sync", EXIT_REFUSED, error=problem)
        result.summary = {**summarize(result, {}, 0.0), "saved_plan": request.approves}
        store.finish_run(request.run_id, "refused", _utc_now(), result.summary)
        return result
    return await engine.apply_saved_plan(
        saved, run_id=request.run_id, requested_by=request.requested_by
    )


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def serve_forever(
    config: Config,
    schedule: str,
    *,
    run_now: bool,
    http: str | None,
    console: Console,
    live: bool = False,
) -> int:
    """Check the schedule, the address and the store, then serve until SIGINT/SIGTERM.

    Returns 2 (with a one-line message) for a bad schedule or address, a non-loopback
    address without ``[serve] token``, a taken port or an unusable store; else 0.
    """
    if not croniter.is_valid(schedule):
        console.print(inert.cell(f"spokesync: --schedule {schedule!r} is not a cron expression"))
        return EXIT_CONFIG
    option = "--http" if http is not None else "[serve] http"
    try:
        listen = parse_listen(http if http is not None else config.serve.http)
    except ValueError as exc:
        console.print(inert.cell(f"spokesync: {option} {exc}"))
        return EXIT_CONFIG
    # The contract (docs/design.md, Service): off loopback, [serve] token is required, with
    # [serve.oidc] too: automation and scrapes reach /api/* and /metrics with it.
    if listen is not None and not is_loopback_host(listen[0]) and config.serve.token is None:
        console.print(
            f"spokesync: {option} {listen[0]} is not a loopback address, and without "
            "[serve] token the API would answer anyone who reaches it: set "
            '[serve] token = "${SPOKESYNC_SERVE_TOKEN}" (a long random value, the Bearer '
            "token of automation and scrapes; [serve.oidc] signs people in beside it), or "
            "listen on 127.0.0.1",
            markup=False,
        )
        return EXIT_CONFIG
    try:
        store = open_store(config.state.url)
    except StoreError as exc:
        console.print(inert.cell(f"spokesync: {exc}"))
        return EXIT_CONFIG
    try:
        sock = None
        if listen is not None:
            try:
                sock = listen_socket(*listen)
            except OSError as exc:
                console.print(
                    f"spokesync: cannot listen on {listen[0]}:{listen[1]} ({exc.strerror}); "
                    f"pick another {option} address or port, or 'off'",
                    markup=False,
                )
                return EXIT_CONFIG
        replica = Replica(
            open_leadership(store, config.serve.failover_seconds),
            store,
            config.serve.failover_seconds,
        )
        try:
            service = Service(
                config,
                store,
                schedule=schedule,
                run_now=run_now,
                sock=sock,
                leadership=replica,
                live=live,
            )
            return asyncio.run(service.run())
        finally:
            replica.close()  # at once: a standby need not wait for the lock to expire
    finally:
        store.close()
