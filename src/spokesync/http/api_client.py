"""What every API client shares: its connection pool, its session, and closing them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from types import TracebackType
from typing import Self

import httpx

from spokesync.http.budget import Pacer
from spokesync.http.factory import make_client
from spokesync.http.retry import RetryPolicy
from spokesync.http.session import ApiSession, Authorization, Call


class ApiClient:
    """Base of the Auth0 and Okta clients: an async context manager over one session."""

    _http: httpx.AsyncClient
    session: ApiSession

    def _connect(
        self,
        service: str,
        base_url: str,
        authorization: Authorization,
        budget_for: Callable[[Call], Pacer | None],
        *,
        timeout: float,
        verify: bool | str,
        transport: httpx.AsyncBaseTransport | None,
        retry_attempts: int,
        max_concurrency: int,
        clock: Callable[[], float],
    ) -> None:
        """Open the connection pool and the session every call goes through."""
        self._http = make_client(
            base_url,
            timeout=timeout,
            verify=verify,
            transport=transport,
            max_connections=max_concurrency,
        )
        self.session = ApiSession(
            service,
            self._http,
            authorization=authorization,
            retry=RetryPolicy(attempts=retry_attempts, clock=clock),
            budget_for=budget_for,
            max_concurrency=max_concurrency,
        )

    @property
    def calls(self) -> Counter[str]:
        """Requests sent, by ``"METHOD /path/template"``; ``calls.total()`` for all."""
        return self.session.calls

    @property
    def retried(self) -> Counter[str]:
        """Calls sent again, by what failed: ``"429"``, ``"503"``, ``"transport"``, ..."""
        return self.session.retried

    @property
    def rate_limited(self) -> int:
        """429 answers received."""
        return self.session.rate_limited

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()
