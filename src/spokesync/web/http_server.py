"""The HTTP server under the app: uvicorn's h11 protocol with read deadlines and a connection
budget, and uvicorn's and asyncio's log records as rate-limited one-line events.

uvicorn has a keep-alive timeout but no deadline for reading a request: a client that connects
and says nothing, or trickles its headers a byte at a time, holds a connection (and a file
descriptor) for ever. Here a request's head must arrive within ``header_timeout_seconds`` of
the connection (or of the previous answer), and its body within ``body_timeout_seconds`` of
its head; a late one is closed, unanswered. uvicorn's ``limit_concurrency`` counts idle and
half-sent connections too, so a few hundred of those would make even ``/healthz`` answer 503;
the budget here instead admits every new connection and, when ``max_connections`` are open,
closes the one that has been reading a request the longest (a connection whose request is
being answered is never closed). The budget stays below the process's descriptor limit.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import h11
import structlog
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from spokesync.web.errors import MAX_LOGGED, exception_summary
from spokesync.web.headers import SECURITY_HEADERS

#: Connections accepted in one go (and the listen backlog): the descriptors they may take
#: before the budget can close any are kept free.
ACCEPT_BATCH = 128
#: Descriptors kept for everything else: the store, the runs' API connections, logs.
OTHER_DESCRIPTORS = 64
#: The largest request head (request line and headers) h11 buffers: larger ones get a 400.
MAX_HEAD_BYTES = 16 * 1024
#: How long one message from uvicorn or asyncio is kept quiet after it was logged.
QUIET_SECONDS = 10.0

Reading = Literal["head", "body"]
#: Why a connection was closed unanswered, as counted by ``on_drop``.
DropReason = Literal["header_timeout", "body_timeout", "over_limit"]


@dataclass(frozen=True, slots=True)
class ServerLimits:
    """The ``[serve]`` settings of the HTTP server."""

    header_timeout_seconds: float = 10.0
    body_timeout_seconds: float = 30.0
    keep_alive_seconds: float = 5.0
    max_connections: int = 100
    forwarded_allow_ips: Sequence[str] = ()


def descriptor_budget(wanted: int) -> int:
    """``wanted``, or fewer when the process's descriptor limit leaves less room."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return wanted
    return max(8, min(wanted, soft - ACCEPT_BATCH - OTHER_DESCRIPTORS))


class ConnectionBudget:
    """The open connections of one server, and those reading a request, oldest first."""

    def __init__(self, limit: int, on_drop: Callable[[DropReason], None]) -> None:
        self.limit = limit
        self.on_drop = on_drop
        self.open: set[BoundedH11Protocol] = set()
        self.reading: dict[BoundedH11Protocol, None] = {}  # insertion order: oldest first

    def admit(self, connection: BoundedH11Protocol) -> None:
        """Count a new connection; over the limit, close the longest-reading one (or, when
        every open connection is being answered, the new one)."""
        self.open.add(connection)
        if len(self.open) > self.limit:
            victim = next(iter(self.reading), connection)
            self.on_drop("over_limit")
            victim.drop()

    def forget(self, connection: BoundedH11Protocol) -> None:
        self.open.discard(connection)
        self.reading.pop(connection, None)


class BoundedConfig(uvicorn.Config):
    """uvicorn's config with this module's protocol, limits and budget."""

    def __init__(
        self,
        app: Any,
        limits: ServerLimits,
        on_drop: Callable[[DropReason], None] = lambda _reason: None,
    ) -> None:
        allowed = list(limits.forwarded_allow_ips)
        super().__init__(
            app,
            http=BoundedH11Protocol,
            log_config=None,
            access_log=False,
            lifespan="off",
            server_header=False,
            # X-Forwarded-Proto/-For only from the listed proxies; none by default (uvicorn
            # would trust 127.0.0.1, or $FORWARDED_ALLOW_IPS, otherwise).
            proxy_headers=bool(allowed),
            forwarded_allow_ips=allowed,
            timeout_keep_alive=limits.keep_alive_seconds,  # type: ignore[arg-type]  # a float works
            backlog=ACCEPT_BATCH,
            h11_max_incomplete_event_size=MAX_HEAD_BYTES,
        )
        self.limits = limits
        self.budget = ConnectionBudget(descriptor_budget(limits.max_connections), on_drop)


class BoundedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, with read deadlines and the server's connection budget."""

    def __init__(
        self,
        config: uvicorn.Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        assert isinstance(config, BoundedConfig)
        self._limits = config.limits
        self._budget = config.budget
        self._reading: Reading | None = None
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._budget.admit(self)
        self._follow()

    def connection_lost(self, exc: Exception | None) -> None:
        self._read(None)
        self._budget.forget(self)
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._follow()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._follow()

    def drop(self) -> None:
        """Close the connection unanswered (budget, deadline)."""
        self._read(None)
        self._budget.forget(self)
        if not self.transport.is_closing():
            self.transport.close()

    def _follow(self) -> None:
        """Start the deadline of what the connection now waits for; a phase keeps its first
        deadline however many bytes trickle in."""
        if self.transport.is_closing():
            self._read(None)
            return
        state = self.conn.their_state
        wanted: Reading | None = (
            "head" if state is h11.IDLE else "body" if state is h11.SEND_BODY else None
        )
        if wanted != self._reading:
            self._read(wanted)

    def _read(self, what: Reading | None) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self._reading = what
        self._budget.reading.pop(self, None)
        if what is not None:
            self._budget.reading[self] = None
            seconds = (
                self._limits.header_timeout_seconds
                if what == "head"
                else self._limits.body_timeout_seconds
            )
            self._deadline = self.loop.call_later(seconds, self._overdue, what)

    def _overdue(self, what: Reading) -> None:
        self._deadline = None
        self._budget.on_drop("header_timeout" if what == "head" else "body_timeout")
        self.drop()

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to a request h11 cannot parse, with the security headers."""
        headers = [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"connection", b"close"),
            *((name.lower().encode(), value.encode()) for name, value in SECURITY_HEADERS.items()),
        ]
        try:
            answer = h11.Response(status_code=400, headers=headers, reason=b"Bad Request")
            self.transport.write(self.conn.send(answer))
            self.transport.write(self.conn.send(h11.Data(data=msg.encode("ascii", "replace"))))
            self.transport.write(self.conn.send(h11.EndOfMessage()))
        except h11.LocalProtocolError:  # h11 cannot answer in this state: just close
            pass
        self.transport.close()


class OneLineHandler(logging.Handler):
    """stdlib log records (uvicorn's, asyncio's) as one structlog event each: the first line
    of the message and, for an exception, its one-line summary instead of the traceback. The
    same message is logged at most once per :data:`QUIET_SECONDS`, with how often it recurred."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self._last: dict[tuple[str, str], float] = {}
        self._repeated: dict[tuple[str, str], int] = {}

    def emit(self, record: logging.LogRecord) -> None:
        key = (record.name, str(record.msg))
        now = time.monotonic()
        if now - self._last.get(key, -QUIET_SECONDS) < QUIET_SECONDS:
            self._repeated[key] = self._repeated.get(key, 0) + 1
            return
        self._last[key] = now
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        fields: dict[str, Any] = {"logger": record.name}
        if record.exc_info and record.exc_info[1] is not None:
            fields["error"] = exception_summary(record.exc_info[1])
        repeated = self._repeated.pop(key, 0)
        if repeated:
            fields["repeated"] = repeated
        lines = message.strip().splitlines() or [""]
        structlog.get_logger(record.name).log(record.levelno, lines[0][:MAX_LOGGED], **fields)


def route_server_logs() -> None:
    """Send uvicorn's and asyncio's warnings and errors through :class:`OneLineHandler` (once)."""
    for name in ("uvicorn", "asyncio"):
        logger = logging.getLogger(name)
        if not any(isinstance(h, OneLineHandler) for h in logger.handlers):
            logger.addHandler(OneLineHandler())
        logger.setLevel(logging.WARNING)
        logger.propagate = False
