"""What the service's routes read and act on: config, store, metrics, run queue, guard, and
the OpenID client when ``[serve.oidc]`` is set."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.requests import Request

from spokesync.config import Config
from spokesync.run_queue import RunQueue
from spokesync.store.base import Store
from spokesync.web.auth import Guard
from spokesync.web.metrics import Metrics
from spokesync.web.oidc import OidcClient


@dataclass
class WebContext:
    """One service's state as the routes see it; kept on ``app.state.context``."""

    config: Config
    store: Store
    metrics: Metrics
    queue: RunQueue
    #: the cron expression scheduled runs follow (None: the app serves without a scheduler)
    schedule: str | None = None
    guard: Guard = field(init=False)
    oidc: OidcClient | None = field(init=False)

    def __post_init__(self) -> None:
        self.guard = Guard(self.config.serve, self.store)
        oidc = self.config.serve.oidc
        self.oidc = OidcClient(oidc) if oidc is not None else None


def context_of(request: Request) -> WebContext:
    """The :class:`WebContext` of the app serving ``request``."""
    context: WebContext = request.app.state.context
    return context
