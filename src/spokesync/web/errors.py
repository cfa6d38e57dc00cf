"""What an unexpected error in a handler becomes: a plain 500 (the security headers are added
outside) and one log line, redacted, naming the request and the exception in short.

Never a traceback: not in the answer (it would show internals to anyone), not in the log (27
lines per request let a client flood it). A client that went away mid-request is no error.
"""

from __future__ import annotations

import structlog
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spokesync.redact import redact

log = structlog.get_logger("spokesync.web")

#: How much of a path or an exception's text one log line keeps.
MAX_LOGGED = 200
_ANSWER = b"internal error: the service logged it; try again later"


def leaves(exc: BaseException) -> list[BaseException]:
    """The exceptions an exception group holds, at any depth (``[exc]`` for any other).

    Starlette's ``BaseHTTPMiddleware`` runs the app in a task group, so what a handler raised
    comes out wrapped in an ``ExceptionGroup``.
    """
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in leaves(inner)]
    return [exc]


def only(exc: BaseException, kind: type[BaseException]) -> bool:
    """Whether ``exc`` is a ``kind``, or a group of nothing but ``kind``s."""
    return all(isinstance(leaf, kind) for leaf in leaves(exc))


def exception_summary(exc: BaseException) -> str:
    """``Type: message`` on one line, redacted and cut to :data:`MAX_LOGGED` characters (a
    group's first exception)."""
    exc = leaves(exc)[0]
    text = " ".join(str(exc).split())
    summary = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return redact(summary[:MAX_LOGGED])


class ErrorShield:
    """ASGI middleware: an exception out of the app is logged once and answered 500."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracked_send)
        except Exception as exc:  # one line, then a 500
            if only(exc, ClientDisconnect):
                return  # nobody to answer; nothing went wrong on our side
            log.error(
                "unexpected error answering a request",
                method=scope.get("method", ""),
                path=redact(str(scope.get("path", ""))[:MAX_LOGGED]),
                error=exception_summary(exc),
            )
            if started:  # too late for a 500: uvicorn closes the half-sent answer's connection
                return
            await send(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [
                        (b"content-type", b"text/plain; charset=utf-8"),
                        (b"content-length", str(len(_ANSWER)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": _ANSWER})
