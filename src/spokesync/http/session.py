"""Sending one API call: build it, pace it, authorize it, send it, count it, map its failure.

A :class:`Call` is a request described by its path *template* and parameters, so it can be
counted per endpoint (``"GET /api/v2/roles/{id}/users"``), classified into a rate-limit bucket,
and rebuilt for each retry. :class:`ApiSession` sends calls: it waits for the bucket's budget and
a concurrency slot, adds the ``Authorization`` header, retries transient failures under the
:class:`~spokesync.http.retry.RetryPolicy`, refreshes a bearer token once on a 401, and turns
every failure into an :class:`~spokesync.http.errors.ApiError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import Counter
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol
from urllib.parse import quote

import httpx

from spokesync.http import observer
from spokesync.http.budget import RateBudget
from spokesync.http.errors import (
    MalformedResponse,
    TransportError,
    error_from_response,
    public_url,
)
from spokesync.http.retry import RetryPolicy

QueryValue = str | int | bool
Query = Mapping[str, QueryValue]


class Authorization(Protocol):
    """Something that yields the ``Authorization`` header value for a session."""

    @property
    def refreshable(self) -> bool:
        """Whether a 401 is worth one forced refresh (bearer tokens) or not (API tokens)."""
        ...

    async def header(
        self, session: ApiSession, *, refresh: bool = False, stale: str | None = None
    ) -> str:
        """The header value; with ``refresh``, a new one unless ``stale`` was already replaced."""
        ...


class StaticAuthorization:
    """A fixed header value such as ``SSWS <token>``; never printed."""

    refreshable = False

    def __init__(self, value: str) -> None:
        self._value = value

    async def header(
        self, session: ApiSession, *, refresh: bool = False, stale: str | None = None
    ) -> str:
        return self._value

    def __repr__(self) -> str:
        scheme = self._value.split(" ", 1)[0]
        return f"StaticAuthorization({scheme} ***)"


def _encode_query(params: Query) -> dict[str, str]:
    return {
        k: (("true" if v else "false") if isinstance(v, bool) else str(v))
        for k, v in params.items()
    }


@dataclass(frozen=True)
class Call:
    """One API request, described independently of sending it.

    ``template`` is the path with ``{name}`` placeholders; ``url`` overrides the formatted path
    (an absolute ``next`` link from a paginator). ``bucket`` names the rate-limit bucket.
    """

    method: str
    template: str
    path_params: Mapping[str, str] = field(default_factory=dict)
    params: Query | None = None
    json_body: Any = None
    form: Mapping[str, str] | None = None
    url: str | None = None
    bucket: str = "default"
    authenticated: bool = True
    token_endpoint: bool = False

    @property
    def endpoint(self) -> str:
        """``"METHOD /path/template"``: the key the call counter uses."""
        return f"{self.method} {self.template}"

    def target(self) -> str:
        """The URL to send to: the ``url`` override, or the template with encoded parameters."""
        if self.url is not None:
            return self.url
        encoded = {k: quote(v, safe="") for k, v in self.path_params.items()}
        return self.template.format(**encoded)

    def following(self, url: str) -> Call:
        """The same endpoint at another absolute URL (a pagination link), its own query kept."""
        return replace(self, url=url, params=None)


def call(
    method: str,
    template: str,
    *,
    params: Query | None = None,
    json_body: Any = None,
    form: Mapping[str, str] | None = None,
    bucket: str = "default",
    authenticated: bool = True,
    token_endpoint: bool = False,
    **path_params: str,
) -> Call:
    """Build a :class:`Call`; path parameters are percent-encoded with ``quote(v, safe="")``."""
    return Call(
        method=method,
        template=template,
        path_params=path_params,
        params=params,
        json_body=json_body,
        form=form,
        bucket=bucket,
        authenticated=authenticated,
        token_endpoint=token_endpoint,
    )


class ApiSession:
    """Sends :class:`Call` s for one service over one ``httpx.AsyncClient``.

    ``calls`` counts every request sent (retries and token requests included) by endpoint;
    ``calls.total()`` is the total.
    """

    def __init__(
        self,
        service: str,
        http: httpx.AsyncClient,
        *,
        authorization: Authorization | None = None,
        retry: RetryPolicy | None = None,
        budget_for: Callable[[Call], RateBudget | None] | None = None,
        max_concurrency: int | None = None,
    ) -> None:
        self.service = service
        self.http = http
        self.authorization = authorization
        self.retry = retry or RetryPolicy()
        self._budget_for = budget_for or (lambda _call: None)
        self._slots = asyncio.Semaphore(max_concurrency) if max_concurrency else None
        self.calls: Counter[str] = Counter()

    @property
    def base_url(self) -> str:
        """The session's base URL without a trailing slash."""
        return str(self.http.base_url).rstrip("/")

    def __repr__(self) -> str:
        return f"ApiSession({self.service!r}, {self.base_url!r})"

    async def send(self, request: Call) -> httpx.Response:
        """Send with retries; return the 2xx/3xx response or raise an ``ApiError``."""
        return await self.retry.run(lambda: self._send_authorized(request))

    async def send_json(self, request: Call) -> Any:
        """Send and parse the body as JSON (``MalformedResponse`` if it is not)."""
        response = await self.send(request)
        return self.parse_json(request, response)

    def parse_json(self, request: Call, response: httpx.Response) -> Any:
        """The body of ``response`` as JSON, or ``MalformedResponse`` naming the endpoint."""
        try:
            return json.loads(response.content)
        except (ValueError, UnicodeDecodeError) as exc:
            excerpt = response.content[:200].decode("utf-8", errors="replace")
            raise self.malformed(
                request, f"the body was not JSON: {excerpt!r}", status=response.status_code
            ) from exc

    def malformed(
        self, request: Call, message: str, *, status: int | None = None
    ) -> MalformedResponse:
        """A ``MalformedResponse`` for ``request`` (to raise from the caller)."""
        return MalformedResponse(
            message,
            service=self.service,
            method=request.method,
            url=public_url(self.http.base_url.join(request.target())),
            status=status,
        )

    async def _send_authorized(self, request: Call) -> httpx.Response:
        header: str | None = None
        if request.authenticated and self.authorization is not None:
            header = await self.authorization.header(self)
        response = await self._send_once(request, header)
        if (
            response.status_code == 401
            and header is not None
            and self.authorization is not None
            and self.authorization.refreshable
        ):
            # The token may have been revoked or rotated early: refresh once, then give up.
            header = await self.authorization.header(self, refresh=True, stale=header)
            response = await self._send_once(request, header)
        if response.status_code >= 400:
            raise error_from_response(
                self.service,
                response,
                token_endpoint=request.token_endpoint,
                now=self.retry.clock(),
            )
        return response

    async def _send_once(self, request: Call, header: str | None) -> httpx.Response:
        budget = self._budget_for(request)
        if budget is not None:
            await budget.acquire()
        headers = {"Authorization": header} if header else None
        built = self.http.build_request(
            request.method,
            request.target(),
            params=_encode_query(request.params) if request.params else None,
            json=request.json_body,
            data=request.form,
            headers=headers,
        )
        async with self._slot():
            self.calls[request.endpoint] += 1
            try:
                response = await self.http.send(built)
            except httpx.TransportError as exc:
                observer.notify(self.service, None)
                # str(exc) may quote the URL with its query: only the class name goes out.
                raise TransportError(
                    f"{type(exc).__name__}: the exchange did not complete",
                    service=self.service,
                    method=request.method,
                    url=public_url(built.url),
                ) from exc
            except httpx.DecodingError as exc:
                raise MalformedResponse(
                    "the body could not be decoded per its Content-Encoding",
                    service=self.service,
                    method=request.method,
                    url=public_url(built.url),
                ) from exc
        observer.notify(self.service, response.status_code)
        if budget is not None:
            budget.update(response.headers)
        return response

    @contextlib.asynccontextmanager
    async def _slot(self) -> AsyncIterator[None]:
        if self._slots is None:
            yield
            return
        async with self._slots:
            yield
