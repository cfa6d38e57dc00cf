"""Build the API clients a run needs from the config: one per source, one for Okta.

``transport_for`` is the network seam: given a base URL it may return an httpx transport
(tests pass ``httpx.ASGITransport`` of an emulator); None means the real network.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

import httpx
import structlog

from spokesync.auth0.client import Auth0Client
from spokesync.auth0.token import ClientCredentials
from spokesync.config import Config, is_loopback_host
from spokesync.okta.client import OktaClient

TransportFor = Callable[[str], httpx.AsyncBaseTransport | None]
log = structlog.get_logger("spokesync.clients")


@dataclass
class Clients:
    """The clients of one run."""

    auth0: dict[str, Auth0Client]
    okta: OktaClient

    def call_counts(self) -> dict[str, int]:
        """API calls sent so far, per service (``auth0`` adds up every source)."""
        return {
            "auth0": sum(c.calls.total() for c in self.auth0.values()),
            "okta": self.okta.calls.total(),
        }


def _warn_plain_http(url: str, what: str) -> None:
    parts = httpx.URL(url)
    if parts.scheme == "http" and is_loopback_host(parts.host):
        log.warning("plain http to loopback", target=what, url=url)


@asynccontextmanager
async def open_clients(
    config: Config, transport_for: TransportFor | None = None
) -> AsyncIterator[Clients]:
    """Open every client for the run and close them all afterwards."""
    pick = transport_for or (lambda _url: None)
    async with AsyncExitStack() as stack:
        auth0: dict[str, Auth0Client] = {}
        for name, source in config.sources.items():
            _warn_plain_http(source.base_url, f"source {name}")
            credentials = ClientCredentials(
                source.client_id,
                source.client_secret,
                audience=source.token_audience,
            )
            auth0[name] = await stack.enter_async_context(
                Auth0Client(
                    source.base_url,
                    credentials,
                    source=name,
                    timeout=source.timeout_seconds,
                    verify=source.ca_bundle or True,
                    transport=pick(source.base_url),
                    max_concurrency=config.okta.max_concurrency,
                )
            )
        _warn_plain_http(config.okta.org_url, "okta")
        okta = await stack.enter_async_context(
            OktaClient(
                config.okta.org_url,
                config.okta.token.get_secret_value(),
                timeout=config.okta.timeout_seconds,
                verify=config.okta.ca_bundle or True,
                transport=pick(config.okta.org_url),
                max_concurrency=config.okta.max_concurrency,
                rate_limit_share=config.okta.rate_limit_share,
            )
        )
        yield Clients(auth0=auth0, okta=okta)
