"""The one place an ``httpx.AsyncClient`` is made: TLS on, timeouts on, HTTP/1.1, sized pool."""

from __future__ import annotations

import functools
import ssl
from collections.abc import Mapping

import httpx

from spokesync import __version__

USER_AGENT = f"spokesync/{__version__}"


@functools.cache
def tls_context(ca_bundle: str | None) -> ssl.SSLContext:
    """A verifying TLS context (system CAs, or ``ca_bundle``); built once, shared by clients."""
    return ssl.create_default_context(cafile=ca_bundle)


def make_client(
    base_url: str,
    *,
    timeout: float,
    verify: bool | str = True,
    transport: httpx.AsyncBaseTransport | None = None,
    headers: Mapping[str, str] | None = None,
    max_connections: int = 20,
) -> httpx.AsyncClient:
    """An AsyncClient for ``base_url``: certificate checks always on (``verify`` may name a CA
    bundle file), ``timeout`` seconds on every phase of every call, no HTTP/2, no redirects,
    and a pool of ``max_connections`` (size it to the client's concurrency).

    ``transport`` is the test seam: ``httpx.MockTransport`` or ``httpx.ASGITransport(app)``.
    """
    if timeout <= 0:
        raise ValueError("timeout must be positive")
    if verify is False:
        raise ValueError("TLS verification cannot be switched off; pass a CA bundle path instead")
    # A given transport does its own I/O (tests, ASGI apps): no TLS context to load then.
    tls: ssl.SSLContext | bool = True
    if transport is None:
        tls = tls_context(verify if isinstance(verify, str) else None)
    merged = {"Accept": "application/json", "User-Agent": USER_AGENT}
    merged.update(headers or {})
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=httpx.Timeout(timeout),
        verify=tls,
        http2=False,
        follow_redirects=False,
        transport=transport,
        headers=merged,
        limits=httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        ),
    )
