"""What every API client shares: its connection pool, its session, and closing them."""

from __future__ import annotations

from collections import Counter
from types import TracebackType
from typing import Self

import httpx

from spokesync.http.session import ApiSession


class ApiClient:
    """Base of the Auth0 and Okta clients: an async context manager over one session.

    Subclasses set ``self._http`` (the pool) and ``self.session`` in their constructor.
    """

    _http: httpx.AsyncClient
    session: ApiSession

    @property
    def calls(self) -> Counter[str]:
        """Requests sent, by ``"METHOD /path/template"``; ``calls.total()`` for all."""
        return self.session.calls

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
