"""Request body limits, enforced while the body is read, before any handler buffers it.

A declared ``Content-Length`` above the limit is answered 413 at once; a body without one
(chunked) is counted as it streams and answered 413 when it passes the limit. Either way the
connection is closed after the answer, so the rest of a large body is never read. A body a
little over the limit (at most :data:`DRAIN_BYTES` more) is read and dropped first, never
kept: closing a socket with unread data resets it, and the client may then get the reset
instead of the 413 that says what to fix (RFC 9112, 9.6, "the TCP reset problem"). The limit
depends on what the body claims to be: the dashboard's forms are tiny, the JSON API's bodies
small; nothing else is accepted in bulk.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spokesync.web.errors import only

#: The dashboard's url-encoded forms: a CSRF token, a user id or a token fit in far less.
MAX_FORM_BYTES = 8 * 1024
#: ``POST /api/runs`` and any other JSON body.
MAX_JSON_BYTES = 64 * 1024

#: Past the limit, up to this much more of a body is read (and dropped) before the 413.
DRAIN_BYTES = 1024 * 1024

_ANSWER = b"the request body is too large: at most %d bytes here"


def body_limit(headers: list[tuple[bytes, bytes]]) -> int:
    """The largest body a request with ``headers`` may send: JSON 64 KiB, anything else 8 KiB."""
    for name, value in headers:
        if name == b"content-type":
            media = value.split(b";", 1)[0].strip().lower()
            return MAX_JSON_BYTES if media == b"application/json" else MAX_FORM_BYTES
    return MAX_FORM_BYTES


def declared_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    """The ``Content-Length`` a request declares, or None (absent, or not a plain number;
    h11 refuses those before they get here)."""
    for name, value in headers:
        if name == b"content-length":
            text = value.strip()
            return int(text) if text.isdigit() and len(text) <= 19 else None
    return None


class BodyTooLarge(Exception):
    """A streamed body passed its limit: raised out of ``receive`` to stop the handler."""


class BodyLimit:
    """ASGI middleware: 413 (with ``Connection: close``) for a body over :func:`body_limit`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope["headers"])
        declared = declared_length(scope["headers"])
        if declared is not None and declared > limit:
            if declared <= limit + DRAIN_BYTES:
                await _drop_body(receive, declared)
            await _too_large(send, limit)
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except Exception as exc:
            if not only(exc, BodyTooLarge):
                raise
            if not started:  # else the handler answered before reading it all: all is said
                await _drop_body(receive, DRAIN_BYTES)
                await _too_large(send, limit)


async def _drop_body(receive: Receive, budget: int) -> None:
    """Read and drop the body until it ends, at most ``budget`` bytes of it (the server's body
    deadline bounds the time): the client reads the 413 rather than a reset connection."""
    dropped = 0
    while dropped <= budget:
        message = await receive()
        if message["type"] != "http.request":
            return
        dropped += len(message.get("body", b""))
        if not message.get("more_body", False):
            return


async def _too_large(send: Send, limit: int) -> None:
    body = _ANSWER % limit
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                # The rest of the body stays unread: this connection cannot carry another request.
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
