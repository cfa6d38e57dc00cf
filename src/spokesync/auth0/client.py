"""Auth0 Management API v2 client: roles, role members, users, search, export jobs, logs,
organizations (:mod:`.organizations`).

Async, typed, over one ``httpx.AsyncClient``; pass ``transport=`` to talk to a mock or an ASGI
app. Failures are :mod:`spokesync.http.errors` exceptions. ``calls`` counts requests per endpoint.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import quote

import httpx

from spokesync.auth0.export import ExportFormatError, ndjson_records
from spokesync.auth0.logs import TenantLogEntry, log_id_order, parse_log_entry
from spokesync.auth0.models import (
    Role,
    RoleMember,
    ShapeError,
    parse_role,
    parse_role_member,
    parse_source_user,
)
from spokesync.auth0.organizations import ENDPOINT_LIMITS, OrganizationsApi
from spokesync.auth0.paginate import (
    OFFSET_CAP,
    CheckpointPaginator,
    LogCheckpointPaginator,
    OffsetPaginator,
)
from spokesync.auth0.token import ClientCredentials
from spokesync.domain import SourceUser
from spokesync.http.api_client import ApiClient
from spokesync.http.budget import Pacer
from spokesync.http.endpoint_limit import EndpointLimit
from spokesync.http.errors import (
    AmbiguousName,
    ApiError,
    BadRequest,
    CursorLost,
    MalformedResponse,
    NotFound,
    TransportError,
    error_from_response,
    public_url,
)
from spokesync.http.factory import make_client
from spokesync.http.session import Call, call
from spokesync.http.token_bucket import TokenBucketBudget

SERVICE = "auth0"
#: users search: at most this many results per page (reference §5, OAS ``per_page`` 0..100)
SEARCH_PER_PAGE = 100
#: the encoded ``q`` of a batched id search stays under this, keeping URLs under ~4 KB
SEARCH_QUERY_BUDGET = 3500
ROLE_ID_PREFIX = "rol_"
#: Scopes spokesync needs to read; ``update:users`` is needed too for write-back or blocking.
READ_SCOPES = ("read:users", "read:roles")
#: Live mode reads the tenant log besides (``read:logs_users`` is accepted by Auth0 too).
LOG_SCOPES = ("read:logs", "read:logs_users")

Sleep = Callable[[float], Awaitable[None]]
T = TypeVar("T")


def iso_millis(moment: datetime) -> str:
    """``2024-05-01T10:00:00.000Z``: the form Auth0 uses for ``updated_at``."""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def lucene_phrase(value: str) -> str:
    """``value`` as a quoted Lucene phrase: inside double quotes only ``\\`` and ``"`` need a
    backslash (Auth0 search uses Lucene query syntax, reference §5 / docs
    manage-users/user-search/user-search-query-syntax; escaping per the Lucene query parser
    syntax, "Escaping Special Characters"). ``|`` and other characters of a user id need none."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def user_id_queries(user_ids: Sequence[str], budget: int = SEARCH_QUERY_BUDGET) -> list[str]:
    """``user_id:("a" OR "b" ...)`` queries of at most ``SEARCH_PER_PAGE`` ids (one page each)
    whose URL-encoded length fits ``budget``."""
    queries: list[str] = []
    batch: list[str] = []
    size = 0
    for user_id in user_ids:
        term = lucene_phrase(user_id)
        cost = len(quote(term, safe="")) + len(quote(" OR ", safe=""))
        if batch and (size + cost > budget or len(batch) >= SEARCH_PER_PAGE):
            queries.append(f"user_id:({' OR '.join(batch)})")
            batch, size = [], 0
        batch.append(term)
        size += cost
    if batch:
        queries.append(f"user_id:({' OR '.join(batch)})")
    return queries


def _parse_iso(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Auth0Client(OrganizationsApi, ApiClient):
    """One Auth0 tenant's Management API, for source ``source`` (the config's name for it)."""

    def __init__(
        self,
        base_url: str,
        credentials: ClientCredentials,
        *,
        source: str,
        timeout: float = 30,
        verify: bool | str = True,
        transport: httpx.AsyncBaseTransport | None = None,
        budget: TokenBucketBudget | None = None,
        retry_attempts: int = 4,
        max_concurrency: int = 10,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.source = source
        self.credentials = credentials
        self._base_url = base_url.rstrip("/")
        self._timeout = timeout
        self._verify = verify
        self._transport = transport
        self._sleep = sleep
        self._clock = clock
        # The Management API's token bucket, paced from its x-ratelimit-* headers (reference §8).
        self.budget = budget or TokenBucketBudget(name=SERVICE, sleep=sleep, clock=clock)
        # Endpoints with a limit of their own, spent before the global bucket.
        self._endpoint_limits: dict[str, Pacer] = {
            template: EndpointLimit(per_minute, self.budget, sleep=sleep, clock=clock)
            for template, per_minute in ENDPOINT_LIMITS.items()
        }
        self._connect(
            SERVICE,
            self._base_url,
            credentials,
            self._budget_for,
            timeout=timeout,
            verify=verify,
            transport=transport,
            retry_attempts=retry_attempts,
            max_concurrency=max_concurrency,
            clock=clock,
        )

    def __repr__(self) -> str:
        return f"Auth0Client(source={self.source!r}, base_url={self._base_url!r})"

    def _budget_for(self, request: Call) -> Pacer | None:
        # /oauth/token belongs to the Authentication API, whose limits are separate.
        if request.token_endpoint:
            return None
        return self._endpoint_limits.get(request.template, self.budget)

    # -- roles --------------------------------------------------------------------------------

    async def find_role(self, name_or_id: str) -> Role:
        """The role with this id (``rol_...``) or exact name (case-sensitive first, then
        case-insensitive if that is unique). ``NotFound`` names the role when there is none."""
        if name_or_id.startswith(ROLE_ID_PREFIX):
            request = call("GET", "/api/v2/roles/{id}", id=name_or_id)
            try:
                return self._parsed(request, parse_role, await self.session.send_json(request))
            except NotFound as exc:
                raise self._not_found(request, f"no role has id {name_or_id!r}") from exc
        request = call("GET", "/api/v2/roles", params={"name_filter": name_or_id})
        roles: list[Role] = []
        async for page in OffsetPaginator("roles").pages(self.session, request):
            roles.extend(self._parsed(request, parse_role, item) for item in page)
        exact = [r for r in roles if r.name == name_or_id]
        if len(exact) == 1:
            return exact[0]
        folded = [r for r in roles if r.name.casefold() == name_or_id.casefold()]
        if len(exact) > 1 or len(folded) > 1:
            ids = ", ".join(r.id for r in (exact if len(exact) > 1 else folded))
            raise AmbiguousName(
                f"several roles are named {name_or_id!r} ({ids}); bind the role by id",
                service=SERVICE,
                method="GET",
                url=public_url(self._http.base_url.join(request.target())),
            )
        if folded:
            return folded[0]
        raise self._not_found(request, f"no role is named {name_or_id!r}")

    async def role_members(
        self, role_id: str, page_size: int = 100
    ) -> AsyncIterator[list[RoleMember]]:
        """Pages of the users holding ``role_id`` directly (checkpoint pagination, any count)."""
        request = call("GET", "/api/v2/roles/{id}/users", id=role_id)
        paginator = CheckpointPaginator("users", take=page_size)
        async for page in paginator.pages(self.session, request):
            yield [self._parsed(request, parse_role_member, item) for item in page]

    async def user_role_ids(self, user_id: str) -> frozenset[str] | None:
        """The ids of the roles the user holds directly, or ``None`` when Auth0 answers 404."""
        request = call("GET", "/api/v2/users/{id}/roles", id=user_id)
        ids: set[str] = set()
        try:
            async for page in OffsetPaginator("roles").pages(self.session, request):
                ids.update(self._parsed(request, parse_role, item).id for item in page)
        except NotFound:
            return None
        return frozenset(ids)

    # -- users --------------------------------------------------------------------------------

    async def get_user(self, user_id: str) -> SourceUser | None:
        """The user, or ``None`` when Auth0 answers 404 (deleted)."""
        request = call("GET", "/api/v2/users/{id}", id=user_id)
        try:
            body = await self.session.send_json(request)
        except NotFound:
            return None
        return self._user(request, body)

    async def search_users_by_id(self, user_ids: Sequence[str]) -> AsyncIterator[list[SourceUser]]:
        """The users among ``user_ids`` that the search index holds, a page per batched query.

        One ``GET /users?q=user_id:(...)`` reads up to 100 profiles. The index is eventually
        consistent (reference §5): a user created or changed seconds ago may be missing or
        older, so the caller reads the missing ones with :meth:`get_user`.
        """
        for query in user_id_queries(user_ids):
            request = call(
                "GET",
                "/api/v2/users",
                params={"q": query, "search_engine": "v3", "per_page": SEARCH_PER_PAGE},
            )
            body = await self.session.send_json(request)
            if not isinstance(body, list):
                raise self.session.malformed(request, "the search answer is not a JSON array")
            yield [self._user(request, item) for item in body]

    async def patch_user(self, user_id: str, body: Mapping[str, Any]) -> SourceUser:
        """``PATCH /users/{id}`` (metadata is merged key by key; ``None`` removes a key)."""
        request = call("PATCH", "/api/v2/users/{id}", json_body=dict(body), id=user_id)
        return self._user(request, await self.session.send_json(request))

    async def search_updated_since(
        self, since_iso: str, until_iso: str | None = None
    ) -> AsyncIterator[list[SourceUser]]:
        """Pages of users with ``since < updated_at <= until``, oldest first.

        Search serves at most 1,000 results per query, so a window that holds more is split
        in two by time, recursively, until each half fits.
        """
        async for page in self._search_window(_parse_iso(since_iso), until_iso):
            yield page

    async def _search_window(
        self, since: datetime, until_iso: str | None
    ) -> AsyncIterator[list[SourceUser]]:
        upper = until_iso or "*"
        request = call(
            "GET",
            "/api/v2/users",
            params={
                "q": f"updated_at:{{{iso_millis(since)} TO {upper}]",
                "search_engine": "v3",
                "sort": "updated_at:1",
            },
        )
        until = _parse_iso(until_iso) if until_iso else datetime.fromtimestamp(self._clock(), UTC)
        splittable = (until - since).total_seconds() > 0.002
        too_many = False

        def check_total(total: int) -> None:
            nonlocal too_many
            too_many = total >= OFFSET_CAP and splittable

        pages = OffsetPaginator("users").pages(self.session, request, on_total=check_total)
        try:
            async for page in pages:
                if too_many:
                    break
                yield [self._user(request, item) for item in page]
        finally:
            await pages.aclose()
        if too_many:
            middle = since + (until - since) / 2
            async for page in self._search_window(since, iso_millis(middle)):
                yield page
            async for page in self._search_window(middle, iso_millis(until)):
                yield page

    # -- export jobs ---------------------------------------------------------------------------

    async def export_users(
        self, fields: list[str], *, poll_interval: float = 2.0, max_wait: float = 1800.0
    ) -> AsyncIterator[dict[str, Any]]:
        """Every user of the tenant as a dict with ``fields``, via a users-export job.

        Creates the job, polls it (anything but ``completed``/``failed`` counts as running),
        then streams the file from ``location`` with a plain client (no Authorization: the file
        may live on another host), decompressing gzip and yielding one dict per NDJSON line.
        """
        create = call(
            "POST",
            "/api/v2/jobs/users-exports",
            json_body={"format": "json", "fields": [{"name": f} for f in fields]},
        )
        job = await self.session.send_json(create)
        if not isinstance(job, dict) or not isinstance(job.get("id"), str):
            raise self.session.malformed(create, "the export job has no 'id'")
        location = await self._await_job(job["id"], poll_interval, max_wait)
        async for record in self._download(location):
            yield record

    async def _await_job(self, job_id: str, poll_interval: float, max_wait: float) -> str:
        request = call("GET", "/api/v2/jobs/{id}", id=job_id)
        waited = 0.0
        while True:
            job = await self.session.send_json(request)
            status = job.get("status") if isinstance(job, dict) else None
            if not isinstance(job, dict) or not isinstance(status, str):
                raise self.session.malformed(request, "the job has no 'status'")
            if status == "completed":
                location = job.get("location")
                if not isinstance(location, str) or not location:
                    raise self.session.malformed(request, "the completed job has no 'location'")
                return location if "://" in location else f"https://{location}"
            if status == "failed":
                raise ApiError(
                    f"export job {job_id} failed: {job.get('status_details') or 'no details'}",
                    service=SERVICE,
                    method="GET",
                    url=public_url(self._http.base_url.join(request.target())),
                    code="job_failed",
                )
            if waited >= max_wait:
                raise ApiError(
                    f"export job {job_id} still {status!r} after {max_wait:.0f} s",
                    service=SERVICE,
                    code="job_timeout",
                )
            await self._sleep(poll_interval)
            waited += poll_interval

    async def _download(self, location: str) -> AsyncIterator[dict[str, Any]]:
        # A separate client: the pre-signed URL carries its own credentials, and our bearer
        # token must never travel to the storage host.
        endpoint = "GET <users-export file>"
        url = public_url(location)
        async with make_client(
            "", timeout=self._timeout, verify=self._verify, transport=self._transport
        ) as plain:
            self.calls[endpoint] += 1
            try:
                async with plain.stream("GET", location) as response:
                    if response.status_code >= 400:
                        await response.aread()
                        raise error_from_response(SERVICE, response, now=self._clock())
                    async for record in ndjson_records(response.aiter_bytes()):
                        yield record
            except httpx.TransportError as exc:
                raise TransportError(
                    f"{type(exc).__name__}: the export download did not complete",
                    service=SERVICE,
                    method="GET",
                    url=url,
                ) from exc
            except ExportFormatError as exc:
                raise MalformedResponse(str(exc), service=SERVICE, method="GET", url=url) from exc

    # -- tenant logs ---------------------------------------------------------------------------

    async def log_entries_after(
        self, log_id: str | None, take: int = 100
    ) -> AsyncIterator[list[TenantLogEntry]]:
        """Pages of the entries newer than ``log_id`` (checkpoint mode, ordered by log_id, not
        by date); ``None`` reads from the oldest retained entry.

        ``CursorLost`` when Auth0 refuses the position (400 or 404 on ``from``: what Auth0
        answers for a log id past retention is not documented, so both are taken to mean it),
        ``ScopeError`` without ``read:logs``.
        """
        request = call("GET", "/api/v2/logs")
        pages = LogCheckpointPaginator(take).pages(self.session, request, log_id, log_id_order)
        try:
            async for page in pages:
                entries: list[TenantLogEntry] = []
                for item in page:
                    try:
                        entries.append(parse_log_entry(item))
                    except ShapeError:
                        continue  # an entry without a log_id cannot be placed: skip it
                yield entries
        except (BadRequest, NotFound) as exc:
            if log_id is None:
                raise
            raise CursorLost.instead_of(
                exc, f"the tenant log does not serve position {log_id} any more"
            ) from exc
        finally:
            await pages.aclose()

    async def newest_log_id(self) -> str | None:
        """The log_id of the newest entry (page mode sorted by date, one entry), or None."""
        request = call("GET", "/api/v2/logs", params={"sort": "date:-1", "per_page": 1, "page": 0})
        body = await self.session.send_json(request)
        items = body.get("logs") if isinstance(body, dict) else body
        if not isinstance(items, list):
            raise self.session.malformed(request, "expected a JSON array of log entries")
        entries = [self._parsed(request, parse_log_entry, item) for item in items]
        return max((e.log_id for e in entries), key=log_id_order, default=None)

    async def log_entry_retained(self, log_id: str) -> bool:
        """Whether the tenant log still holds entry ``log_id`` (``GET /logs/{id}``; 404: no)."""
        request = call("GET", "/api/v2/logs/{id}", id=log_id)
        try:
            await self.session.send(request)
        except NotFound:
            return False
        return True

    # -- credentials -----------------------------------------------------------------------------

    async def check_scopes(self) -> list[str]:
        """The scopes granted to our token (to report the missing ones in ``config check``)."""
        token = await self.credentials.token(self.session)
        return sorted(token.scopes)

    # -- helpers --------------------------------------------------------------------------------

    def _parsed(self, request: Call, parse: Callable[[Any], T], value: Any) -> T:
        try:
            return parse(value)
        except ShapeError as exc:
            raise self.session.malformed(request, str(exc)) from exc

    def _user(self, request: Call, value: Any) -> SourceUser:
        try:
            return parse_source_user(self.source, value)
        except ShapeError as exc:
            raise self.session.malformed(request, str(exc)) from exc

    def _not_found(self, request: Call, message: str) -> NotFound:
        return NotFound(
            message,
            service=SERVICE,
            method=request.method,
            url=public_url(self._http.base_url.join(request.target())),
            status=404,
        )
