"""The service's Prometheus metrics, in a registry of their own (never the process-global one).

Label values come from closed sets (run modes and outcomes, action kinds, services, HTTP
status codes, situations): never a user id, a login or an error text, so the series stay few.
"""

from __future__ import annotations

from collections import Counter as Tally
from dataclasses import dataclass
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from spokesync.domain import Situation
from spokesync.engine import RunResult
from spokesync.live.cursors import LAST_EVENT_AT
from spokesync.live.poller import LiveOutcome
from spokesync.live.touched import iso_utc
from spokesync.run_queue import Leadership
from spokesync.store.base import RunRecord, Store

#: Run durations: seconds for a single user up to hours for a first load of 100,000.
DURATION_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0)

#: Situations an identity can be counted in (the gauge's every label value).
SITUATIONS = (
    Situation.LINKED.value,
    Situation.GONE.value,
    Situation.UNMATCHED.value,
    Situation.UNLINKED.value,
    Situation.DISPUTED.value,
    "failing",
    "quarantined",
)
_FROM_NOTICES = frozenset(
    {Situation.UNMATCHED.value, Situation.UNLINKED.value, Situation.DISPUTED.value}
)


@dataclass(frozen=True, slots=True)
class LastPoll:
    """This process's last live poll, for the dashboard."""

    at: str  # ISO 8601, UTC
    outcome: str  # idle | targeted | full_reconcile | failed
    read: int  # log entries and events read
    error: str | None  # why it failed (read again next poll)
    run_id: str | None  # the run it made


def identity_counts(store: Store, quarantine_after: int) -> dict[str, int]:
    """How many identities are in each situation: links by aggregate, failure streaks by count,
    and the unmatched, unlinked and disputed ones the last run reported."""
    counts = dict.fromkeys(SITUATIONS, 0)
    counts.update(store.link_counts())
    failing = store.failure_count(1)
    quarantined = store.failure_count(quarantine_after) if quarantine_after else 0
    counts["failing"], counts["quarantined"] = failing - quarantined, quarantined
    last = store.recent_runs(1)
    if last:
        reported = Tally(
            str(n.get("situation"))
            for n in last[0].summary.get("skipped_reasons", [])
            if n.get("situation") in _FROM_NOTICES
        )
        counts.update(reported)
    return counts


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


class Metrics:
    """Every metric of ``/metrics``; ``record_run`` after each run, ``count_api_call`` per call."""

    def __init__(self, leadership: Leadership) -> None:
        self.registry = CollectorRegistry()
        self.runs = Counter(
            "spokesync_runs",
            "Runs by mode and outcome.",
            ["mode", "outcome"],
            registry=self.registry,
        )
        self.actions = Counter(
            "spokesync_actions",
            "Applied actions by kind and outcome.",
            ["action", "outcome"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "spokesync_run_duration_seconds",
            "How long runs take.",
            buckets=DURATION_BUCKETS,
            registry=self.registry,
        )
        self.last_success = Gauge(
            "spokesync_last_success_timestamp_seconds",
            "When the last sync that succeeded ended (Unix time; 0: none yet).",
            registry=self.registry,
        )
        self.identities = Gauge(
            "spokesync_identities",
            "Identities by situation.",
            ["situation"],
            registry=self.registry,
        )
        self.api_requests = Counter(
            "spokesync_api_requests",
            "API requests sent, by service and HTTP status (transport_error: none came back).",
            ["service", "status"],
            registry=self.registry,
        )
        self.leader = Gauge(
            "spokesync_leader",
            "1 on the process that leads (starts runs), else 0.",
            registry=self.registry,
        )
        self.leader.set_function(lambda: 1.0 if leadership.is_leader() else 0.0)
        self.live_polls = Counter(
            "spokesync_live_polls",
            "Live mode's polls of the logs, by outcome: idle (nothing new), targeted (synced "
            "the identities the logs named), full_reconcile (fell back to a full run), failed "
            "(a log could not be read; the same entries are read again next poll).",
            ["outcome"],
            registry=self.registry,
        )
        self.live_entries = Counter(
            "spokesync_live_log_entries",
            "Log entries and events live mode read (both services together).",
            registry=self.registry,
        )
        self.live_last_event = Gauge(
            "spokesync_live_last_event_timestamp_seconds",
            "When the newest log entry or event that live mode synced happened (Unix time; "
            "0: none yet). time() minus this is how far live mode is behind.",
            registry=self.registry,
        )
        self.dropped_connections = Counter(
            "spokesync_http_dropped_connections",
            "HTTP connections closed unanswered, by reason: header_timeout (no request head in "
            "time), body_timeout (no body in time), over_limit (max_connections were open).",
            ["reason"],
            registry=self.registry,
        )
        self._last_success_at = 0.0
        self.last_poll: LastPoll | None = None

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric."""
        return generate_latest(self.registry)

    def count_api_call(self, service: str, status: str) -> None:
        """The :mod:`spokesync.http.observer` callback: one exchange ended."""
        self.api_requests.labels(service=service, status=status).inc()

    def count_dropped_connection(self, reason: str) -> None:
        """The HTTP server's callback: it closed a connection unanswered (see ``http_server``)."""
        self.dropped_connections.labels(reason=reason).inc()

    def record_run(self, result: RunResult) -> None:
        """Count a finished run and the actions it applied."""
        summary = result.summary
        self.runs.labels(mode=result.mode, outcome=str(summary.get("outcome", "failed"))).inc()
        self.duration.observe(float(summary.get("duration_seconds", 0.0)))
        for outcome in result.outcomes:
            self.actions.labels(action=outcome.action.kind.value, outcome=outcome.status).inc()
        for run in result.abandoned:  # runs of a process that died, found by this one
            self.record_interrupted(run.mode)

    def record_poll(self, outcome: LiveOutcome) -> None:
        """Count one live poll, what it read and how recent its newest event was."""
        if outcome.error is not None:
            kind = "failed"
        elif outcome.full_reasons:
            kind = "full_reconcile"
        elif outcome.run is not None:
            kind = "targeted"
        else:
            kind = "idle"
        self.live_polls.labels(outcome=kind).inc()
        run_id = outcome.run.run_id if outcome.run is not None else None
        self.last_poll = LastPoll(
            iso_utc(datetime.now(UTC)), kind, outcome.read, outcome.error, run_id
        )
        self.live_entries.inc(outcome.read)
        if outcome.newest_event is not None:
            self.live_last_event.set(_epoch(outcome.newest_event))

    def record_fenced(self, mode: str) -> None:
        """A run stopped because this process no longer leads (another resumes it)."""
        self.runs.labels(mode=mode, outcome="fenced").inc()

    def record_crash(self, mode: str) -> None:
        """A run that stopped midway because the state store did not answer."""
        self.record_interrupted(mode)

    def record_interrupted(self, mode: str) -> None:
        """A run that stopped before it finished (its record says ``interrupted``)."""
        self.runs.labels(mode=mode, outcome="interrupted").inc()

    def record_success(self, run: RunRecord) -> None:
        """Move the last-success time to ``run``'s end, if it is a later one."""
        if run.finished_at and run.mode == "sync" and run.outcome == "succeeded":
            ended = _epoch(run.finished_at)
            if ended > self._last_success_at:
                self._last_success_at = ended
                self.last_success.set(ended)

    def refresh_identities(self, store: Store, quarantine_after: int) -> None:
        """Set the identities gauge from the store (at start, and after every run)."""
        for situation, count in identity_counts(store, quarantine_after).items():
            self.identities.labels(situation=situation).set(count)

    def seed(self, store: Store, quarantine_after: int) -> None:
        """At start: gauges from the store, so a restarted process does not report zero."""
        last = store.last_run(mode="sync", outcome="succeeded")
        if last is not None:
            self.record_success(last)
        self.refresh_identities(store, quarantine_after)
        last_event = store.get_cursor(LAST_EVENT_AT)
        if last_event:
            self.live_last_event.set(_epoch(last_event))
