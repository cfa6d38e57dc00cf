"""One live poll: read the new log entries of every source and the Okta org, work out the
identities they touch, sync exactly those (or everything, when only that covers them), and
only then move the cursors.

A crash anywhere before the cursors move re-reads the same events at the next start: the run
they cause is a targeted sync, which converges, so nothing is lost and nothing is doubled. An
idle poll costs one request per source and one to Okta. A position the API no longer serves,
or a log we may not read, falls back to a full reconcile and says so once.

On a first start (no cursor) each reader begins at "now": the newest tenant log entry, and
``since`` = now for the System Log; what happened before is the scheduled reconcile's.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType

import structlog

from spokesync.auth0.client import Auth0Client
from spokesync.auth0.logs import TenantLogEntry, log_id_order
from spokesync.clients import Clients, TransportFor, open_clients
from spokesync.config import Config
from spokesync.domain import IdentityKey
from spokesync.engine import Engine, RunResult
from spokesync.http import ApiError, CursorLost, ScopeError
from spokesync.live import cursors
from spokesync.live.auth0_echoes import OwnAuth0Writes, own_write_backs
from spokesync.live.auth0_entries import classify_entries
from spokesync.live.okta_events import RELEVANT, classify_events, relevant
from spokesync.live.organization_members import organization_identities
from spokesync.live.own_writes import ECHO_WINDOW, EchoKey, OwnWrites, own_actions
from spokesync.live.touched import Touched, full, iso_utc, parse_time
from spokesync.okta.system_log import SystemLogEvent
from spokesync.resolve import ResolveError, resolve_role_bindings
from spokesync.store.base import Store

log = structlog.get_logger("spokesync.live")

#: testing switch: ``before-run`` or ``before-cursor`` kills the process (SIGKILL) there
CRASH_SWITCH = "SPOKESYNC_TESTING_LIVE_CRASH"
#: outcomes after which the events are consumed (a refusal is recorded and stays refused)
_CONSUMED = frozenset({"succeeded", "partial", "refused"})


@dataclass
class LiveOutcome:
    """What one poll read and did."""

    read: int = 0
    touched: frozenset[IdentityKey] = frozenset()
    full_reasons: tuple[str, ...] = ()
    run: RunResult | None = None
    #: whether the cursors moved past what was read
    advanced: bool = False
    #: why the poll stopped before syncing (an API outage); it is retried next poll
    error: str | None = None
    #: log API requests, per service
    calls: dict[str, int] = field(default_factory=dict)
    #: when the newest entry or event this poll synced happened (ISO 8601), if it synced any
    newest_event: str | None = None


def _crash_here(seam: str) -> None:
    if os.environ.get(CRASH_SWITCH) == seam:
        log.warning("testing switch: killing the process", seam=seam)
        os.kill(os.getpid(), signal.SIGKILL)


class LivePoller:
    """Polls the logs and runs targeted syncs; keeps its API clients open between polls."""

    def __init__(
        self,
        config: Config,
        store: Store,
        *,
        transport_for: TransportFor | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.transport_for = transport_for
        self.clock = clock or (lambda: datetime.now(UTC))
        self.engine = Engine(config, store, transport_for=transport_for, clock=self.clock)
        self._stack = AsyncExitStack()
        self._clients: Clients | None = None
        self._bound_roles: dict[str, frozenset[str]] | None = None
        #: readers whose positions were checked against retention since this process started
        self._verified: set[str] = set()
        #: logs (by cursor name) refused for a missing scope: left to the scheduled runs
        self.disabled: dict[str, str] = {}
        self._said: set[str] = set()
        #: echoes of our own Okta writes already seen in the System Log
        self._spent: frozenset[EchoKey] = frozenset()
        self._spent_next: frozenset[EchoKey] = frozenset()
        #: our Auth0 write-backs (journal ids) whose echo a tenant log already showed
        self._spent_auth0: frozenset[int] = frozenset()
        self._spent_auth0_next: frozenset[int] = frozenset()
        #: identities that failed in the last targeted run: tried again at the next poll
        self._retry: frozenset[IdentityKey] = frozenset()

    async def __aenter__(self) -> LivePoller:
        self._clients = await self._stack.enter_async_context(
            open_clients(self.config, self.transport_for)
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._stack.aclose()
        self._clients = None

    @property
    def clients(self) -> Clients:
        if self._clients is None:
            raise RuntimeError("use LivePoller in 'async with'")
        return self._clients

    # -- one poll -----------------------------------------------------------------------------

    async def poll_once(self, run_id: str | None = None) -> LiveOutcome:
        """Read, classify, sync, record, then advance the cursors; the run made (if any) has
        ``run_id`` when given (the service's queue announced it as queued)."""
        outcome = LiveOutcome()
        positions: dict[str, str] = {}
        before = self.clients.call_counts()
        self._spent_next = self._spent
        self._spent_auth0_next = self._spent_auth0
        try:
            touched = Touched()
            for name, client in self.clients.auth0.items():
                if cursors.source_logs(name) not in self.disabled:
                    touched = touched | await self._read_source(name, client, positions, outcome)
            if cursors.OKTA_LOGS not in self.disabled:
                touched = touched | await self._read_okta(positions, outcome)
        except (ApiError, ResolveError) as exc:
            outcome.error = str(exc)
            log.warning("live poll failed; retrying at the next poll", error=outcome.error)
            return outcome
        finally:
            after = self.clients.call_counts()
            outcome.calls = {k: n - before.get(k, 0) for k, n in after.items()}
        identities = touched.identities | self._retry
        if touched.organizations:
            try:
                identities |= await organization_identities(
                    self.clients, self.store, touched.organizations
                )
            except ApiError as exc:
                outcome.error = str(exc)
                log.warning("live poll failed; retrying at the next poll", error=outcome.error)
                return outcome
        outcome.touched = identities
        outcome.full_reasons = tuple(sorted(touched.full_reasons))
        if touched.needs_full or identities:
            _crash_here("before-run")
            outcome.run = await self._sync(touched, identities, run_id)
            if outcome.run.summary.get("outcome") not in _CONSUMED:
                return outcome  # locked or stopped: the same events are read again next poll
            _crash_here("before-cursor")
            failed = {f["identity"] for f in outcome.run.summary.get("failures", [])}
            self._retry = frozenset(failed) if not touched.needs_full else frozenset()
            if touched.newest:
                positions[cursors.LAST_EVENT_AT] = touched.newest
                outcome.newest_event = touched.newest
        for name, value in positions.items():
            self.store.set_cursor(name, value)
        self._spent = self._spent_next  # those events are behind the cursor now
        self._spent_auth0 = self._spent_auth0_next
        outcome.advanced = True
        return outcome

    async def _sync(
        self, touched: Touched, identities: frozenset[IdentityKey], run_id: str | None = None
    ) -> RunResult:
        if touched.needs_full:
            fresh = sorted(touched.full_reasons - self._said)
            for reason in fresh:
                log.warning("live mode falls back to a full reconcile", reason=reason)
            self._said |= touched.full_reasons
            self.store.set_cursor(
                cursors.FALLBACK,
                f"{iso_utc(self.clock())} {'; '.join(sorted(touched.full_reasons))}",
            )
            self._bound_roles = None  # a role may have gone: resolve again next time
            return await self.engine.run(apply=True, clients=self.clients, run_id=run_id)
        result = await self.engine.run(
            apply=True, only=identities, mode="live", clients=self.clients, run_id=run_id
        )
        log.info(
            "live run",
            run_id=result.run_id,
            identities=len(identities),
            outcome=result.summary.get("outcome"),
            actions=result.summary.get("planned_actions"),
        )
        return result

    # -- readers ------------------------------------------------------------------------------

    async def _bound(self, source: str) -> frozenset[str]:
        if self._bound_roles is None:
            # Role bindings only: organization entries are matched by path (any organization
            # may match a template), without resolving every organization's group.
            bindings = await resolve_role_bindings(self.config, self.clients)
            roles: dict[str, set[str]] = {}
            for binding in bindings:
                roles.setdefault(binding.source, set()).add(binding.role_id)
            self._bound_roles = {k: frozenset(v) for k, v in roles.items()}
        return self._bound_roles.get(source, frozenset())

    def _refused(self, key: str, reader: str, exc: ScopeError, scope: str) -> Touched:
        """Stop reading the log of cursor ``key`` and ask for one full reconcile."""
        reason = (
            f"{reader}: reading the log was refused ({exc.message}); grant {scope} for live "
            "mode. Until then this log is not read and the scheduled runs cover it"
        )
        self.disabled[key] = reason
        return full(reason, None)

    async def _read_source(
        self,
        name: str,
        client: Auth0Client,
        positions: dict[str, str],
        outcome: LiveOutcome,
    ) -> Touched:
        key = cursors.source_logs(name)
        position = self.store.get_cursor(key)
        try:
            if position is None:  # first start: begin at the newest entry
                positions[key] = await client.newest_log_id() or ""
                self._verified.add(key)
                return Touched()
            if key not in self._verified and position:
                # Checked once per process: a position read back from the store may be
                # past retention, where Auth0 would answer from the oldest entry it holds.
                self._verified.add(key)
                if not await client.log_entry_retained(position):
                    raise CursorLost(f"entry {position} is no longer retained", service="auth0")
            newest = position
            entries = []
            async for page in client.log_entries_after(position or None):
                entries.extend(page)
                newest = max([newest, *(e.log_id for e in page)], key=log_id_order)
        except CursorLost as exc:
            positions[key] = await client.newest_log_id() or ""
            return full(f"source {name}: the tenant log lost our position ({exc.message})", None)
        except ScopeError as exc:
            return self._refused(key, f"source {name}", exc, "read:logs to its application")
        outcome.read += len(entries)
        positions[key] = newest
        if not entries:
            return Touched()
        recognised = self._own_auth0_writes(name, entries).recognise(name, entries)
        self._spent_auth0_next |= recognised.spent
        return classify_entries(
            name,
            entries,
            bound_roles=await self._bound(name),
            ours=recognised.ours,
            organizations=name in self.config.organization_sources(),
        )

    async def _read_okta(self, positions: dict[str, str], outcome: LiveOutcome) -> Touched:
        position = self.store.get_cursor(cursors.OKTA_LOGS)
        now = iso_utc(self.clock())
        lost: Touched = Touched()
        okta = self.clients.okta
        try:
            try:
                events, following = await okta.log_events(position, since=now, event_types=RELEVANT)
            except CursorLost as exc:
                lost = full(f"okta: the System Log lost our position ({exc.message})", None)
                events, following = await okta.log_events(None, since=now, event_types=RELEVANT)
        except ScopeError as exc:
            return self._refused(
                cursors.OKTA_LOGS, "okta", exc, "okta.logs.read to the service app"
            )
        outcome.read += len(events)
        positions[cursors.OKTA_LOGS] = following
        wanted = [e for e in events if relevant(e)]
        if not wanted:
            return lost
        links = self.store.load_links()
        linked: dict[str, set[IdentityKey]] = {}
        for key, link in links.items():
            linked.setdefault(link.okta_id, set()).add(key)
        recognised = self._own_writes(wanted).recognise(wanted)
        self._spent_next = recognised.spent
        return lost | classify_events(
            wanted,
            linked={k: frozenset(v) for k, v in linked.items()},
            ours=recognised.ours,
        )

    def _own_writes(self, events: list[SystemLogEvent]) -> OwnWrites:
        """The actions we applied around the time of ``events``, from the journal (never our
        actor id: the service app or token may be shared with another tool)."""
        moments = [m for m in (parse_time(e.published) for e in events) if m is not None]
        if not moments:
            return OwnWrites()
        rows = self.store.audit(since=iso_utc(min(moments) - 2 * ECHO_WINDOW))
        actions = own_actions(
            (r.id, r.action, r.okta_id, r.started_at, (r.before or {}).get("group_id"))
            for r in rows
        )
        ids = {a.id for a in actions}
        # Echoes of actions that fell out of the window can no longer match: forget them.
        spent = frozenset(k for k in self._spent if k[0] in ids)
        return OwnWrites(actions=actions, spent=spent)

    def _own_auth0_writes(self, source: str, entries: list[TenantLogEntry]) -> OwnAuth0Writes:
        """The write-backs we sent to ``source`` around the time of ``entries``, from the
        journal, and those whose echo an earlier poll saw."""
        key = self.config.policy.hub_status_key
        moments = [m for m in (parse_time(e.date) for e in entries) if m is not None]
        since = iso_utc(min(moments) - 2 * ECHO_WINDOW) if moments else None
        rows = self.store.audit(since=since) if since is not None else []
        prefix = f"{source}:"
        writes = own_write_backs(
            (r.id, r.action, r.identity, r.started_at, r.after)
            for r in rows
            if r.identity.startswith(prefix)
        )
        ids = {w.id for w in writes}
        spent = frozenset(k for k in self._spent_auth0 if k in ids)
        return OwnAuth0Writes(key, writes, spent)
