"""Okta Management API v1 client: groups, members, users, lifecycle, IdP links, System Log.

Async, typed, over one ``httpx.AsyncClient``; pass ``transport=`` to talk to a mock or an ASGI
app. Every request waits for its rate-limit bucket's budget (by default half of each bucket,
Okta's per-token default) and one of ``max_concurrency`` slots. Failures are
:mod:`spokesync.http.errors` exceptions; ``calls`` counts requests per endpoint.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import quote

import httpx

from spokesync.domain import TargetUser
from spokesync.http.api_client import ApiClient
from spokesync.http.budget import BudgetBook, RateBudget
from spokesync.http.errors import (
    AmbiguousName,
    BadRequest,
    CursorLost,
    NotFound,
    StateConflict,
    public_url,
)
from spokesync.http.session import Authorization, Call, StaticAuthorization, call
from spokesync.okta.buckets import bucket_for
from spokesync.okta.models import (
    Group,
    IdpLink,
    ShapeError,
    UserType,
    parse_group,
    parse_idp_link,
    parse_target_user,
    parse_user_types,
)
from spokesync.okta.paginate import LinkPaginator, next_link
from spokesync.okta.schema import DEFAULT_SCHEMA, ProfileSchema, parse_user_schema
from spokesync.okta.system_log import SystemLogEvent, parse_log_event

SERVICE = "okta"
GROUP_ID_PREFIX = "00g"
#: the authentication provider of users who sign in only through an IdP (reference §1)
FEDERATION = "FEDERATION"
#: Keep each search URL under this many characters (proxies and Okta reject long URLs).
MAX_SEARCH_URL = 3500
USERS_PAGE = 200
#: System Log events per request (the spec's maximum)
LOG_PAGE = 1000

Sleep = Callable[[float], Awaitable[None]]
T = TypeVar("T")


def search_literal(value: str) -> str:
    """``value`` as a double-quoted Okta expression literal (``"`` and ``\\`` escaped)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def login_search_batches(logins: Sequence[str], budget: int) -> list[str]:
    """``profile.login eq "a" or ...`` expressions whose URL-encoded length fits ``budget``."""
    batches: list[str] = []
    current: list[str] = []
    size = 0
    for login in dict.fromkeys(logins):  # unique, order kept
        clause = f"profile.login eq {search_literal(login)}"
        cost = len(quote(clause, safe="")) + len(quote(" or ", safe=""))
        if current and size + cost > budget:
            batches.append(" or ".join(current))
            current, size = [], 0
        current.append(clause)
        size += cost
    if current:
        batches.append(" or ".join(current))
    return batches


class OktaClient(ApiClient):
    """The hub org's Management API.

    ``token`` is an SSWS API token string, or an :class:`~spokesync.http.session.Authorization`
    such as :class:`~spokesync.okta.oauth.PrivateKeyJwtToken` for an OAuth service app.
    """

    def __init__(
        self,
        org_url: str,
        token: str | Authorization,
        *,
        timeout: float = 30,
        verify: bool | str = True,
        transport: httpx.AsyncBaseTransport | None = None,
        budgets: BudgetBook | None = None,
        rate_limit_share: float = 0.5,
        max_concurrency: int = 10,
        retry_attempts: int = 4,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.org_url = org_url.rstrip("/")
        self.budgets = budgets or BudgetBook(share=rate_limit_share, sleep=sleep, clock=clock)
        authorization = StaticAuthorization(f"SSWS {token}") if isinstance(token, str) else token
        self._connect(
            SERVICE,
            self.org_url,
            authorization,
            self._budget_for,
            timeout=timeout,
            verify=verify,
            transport=transport,
            retry_attempts=retry_attempts,
            max_concurrency=max_concurrency,
            clock=clock,
        )

    def __repr__(self) -> str:
        return f"OktaClient({self.org_url!r})"

    def _budget_for(self, request: Call) -> RateBudget:
        return self.budgets.for_bucket(request.bucket)

    # -- groups -------------------------------------------------------------------------------

    async def find_group(self, name_or_id: str) -> Group:
        """The group with this id (``00g...``) or exact name (case-sensitive first, then
        case-insensitive if unique). ``NotFound`` or ``AmbiguousName`` otherwise."""
        if name_or_id.startswith(GROUP_ID_PREFIX):
            request = _call("GET", "/api/v1/groups/{id}", id=name_or_id)
            try:
                return self._parsed(request, parse_group, await self.session.send_json(request))
            except NotFound as exc:
                raise self._error(NotFound, request, f"no group has id {name_or_id!r}") from exc
        request = _call("GET", "/api/v1/groups", params={"q": name_or_id, "limit": USERS_PAGE})
        groups: list[Group] = []
        async for page in LinkPaginator().pages(self.session, request):
            groups.extend(self._parsed(request, parse_group, item) for item in page)
        exact = [g for g in groups if g.name == name_or_id]
        folded = [g for g in groups if g.name.casefold() == name_or_id.casefold()]
        matches = exact or folded
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise self._error(NotFound, request, f"no group is named {name_or_id!r}")
        ids = ", ".join(g.id for g in matches)
        raise self._error(
            AmbiguousName, request, f"several groups are named {name_or_id!r} ({ids}); use the id"
        )

    async def create_group(self, name: str, description: str) -> Group:
        """``POST /api/v1/groups``: a new OKTA_GROUP (recorded: 200 with the group,
        ``okta/groups-create-get-delete.json`` #0)."""
        request = _call(
            "POST",
            "/api/v1/groups",
            json_body={"profile": {"name": name, "description": description}},
        )
        return self._parsed(request, parse_group, await self.session.send_json(request))

    async def rename_group(self, group_id: str, name: str) -> Group:
        """Give the group a new name, keeping the rest of its profile: ``PUT`` replaces the
        whole profile (``okta/groups-update.json`` #1), so it is read first."""
        read = _call("GET", "/api/v1/groups/{id}", id=group_id)
        body = await self.session.send_json(read)
        profile = body.get("profile") if isinstance(body, dict) else None
        if not isinstance(profile, dict):
            raise self.session.malformed(read, "the group has no profile object")
        request = _call(
            "PUT",
            "/api/v1/groups/{id}",
            json_body={"profile": {**profile, "name": name}},
            id=group_id,
        )
        return self._parsed(request, parse_group, await self.session.send_json(request))

    async def find_user_type(self, name_or_id: str) -> UserType:
        """The user type with this id (``oty...``) or name (exact first, then case-insensitive
        name or display name if unique). ``NotFound`` or ``AmbiguousName`` otherwise."""
        request = _call("GET", "/api/v1/meta/types/user")
        types = self._parsed(request, parse_user_types, await self.session.send_json(request))
        folded = name_or_id.casefold()
        matches = (
            [t for t in types if name_or_id in (t.id, t.name)]
            or [t for t in types if t.name.casefold() == folded]
            or [t for t in types if t.display_name.casefold() == folded]
        )
        if len(matches) == 1:
            return matches[0]
        if not matches:
            known = ", ".join(sorted(t.name for t in types))
            raise self._error(
                NotFound, request, f"no user type is named {name_or_id!r} (known: {known})"
            )
        ids = ", ".join(t.id for t in matches)
        raise self._error(
            AmbiguousName,
            request,
            f"several user types are named {name_or_id!r} ({ids}); use the id",
        )

    async def user_schema(self, schema_id: str = DEFAULT_SCHEMA) -> ProfileSchema:
        """The profile schema of a user type (its ``schema_id``, or ``default``): which
        attributes a profile may hold, and their types. Scope ``okta.schemas.read``."""
        request = _call("GET", "/api/v1/meta/schemas/user/{id}", id=schema_id)
        body = await self.session.send_json(request)
        return self._parsed(request, lambda value: parse_user_schema(value, schema_id), body)

    async def group_members(
        self, group_id: str, page_size: int = USERS_PAGE
    ) -> AsyncIterator[list[TargetUser]]:
        """Pages of the group's members."""
        request = _call(
            "GET", "/api/v1/groups/{id}/users", params={"limit": page_size}, id=group_id
        )
        async for page in LinkPaginator().pages(self.session, request):
            yield [self._parsed(request, parse_target_user, item) for item in page]

    async def add_to_group(self, group_id: str, user_id: str) -> None:
        """Make the user a member (204; OKTA_GROUP groups only)."""
        request = _call("PUT", "/api/v1/groups/{gid}/users/{uid}", gid=group_id, uid=user_id)
        await self.session.send(request)

    async def remove_from_group(self, group_id: str, user_id: str) -> None:
        """Remove the user from the group (204)."""
        request = _call("DELETE", "/api/v1/groups/{gid}/users/{uid}", gid=group_id, uid=user_id)
        await self.session.send(request)

    # -- users --------------------------------------------------------------------------------

    async def get_user(self, id_or_login: str) -> TargetUser | None:
        """The user by id or login, or ``None`` on 404. Logins holding ``/`` need the id."""
        request = _call("GET", "/api/v1/users/{id}", id=id_or_login)
        try:
            body = await self.session.send_json(request)
        except NotFound:
            return None
        return self._parsed(request, parse_target_user, body)

    async def find_users_by_login(self, logins: Sequence[str]) -> list[TargetUser]:
        """Users whose login is one of ``logins`` (case-insensitive), in as few calls as URLs
        of at most ~3,500 characters allow. ``search`` is eventually consistent (about 1 s)."""
        overhead = len(f"{self.org_url}/api/v1/users?limit={USERS_PAGE}&search=")
        found: dict[str, TargetUser] = {}

        async def search(expression: str) -> None:
            request = _call(
                "GET", "/api/v1/users", params={"search": expression, "limit": USERS_PAGE}
            )
            async for page in LinkPaginator().pages(self.session, request):
                for item in page:
                    user = self._parsed(request, parse_target_user, item)
                    found[user.id] = user

        # The batches are independent: send them side by side (the session bounds concurrency).
        batches = login_search_batches(logins, MAX_SEARCH_URL - overhead)
        await asyncio.gather(*(search(expression) for expression in batches))
        return list(found.values())

    async def create_user(
        self,
        profile: Mapping[str, Any],
        group_ids: Sequence[str],
        *,
        activate: bool = True,
        provider: str | None = None,
        user_type: str | None = None,
    ) -> TargetUser:
        """Create the user already in ``group_ids`` (at most 20). ``provider`` (e.g.
        :data:`FEDERATION`) makes a user who signs in through an IdP and has no password: with
        ``activate`` ACTIVE at once, and Okta mails nothing. ``user_type`` is an ``oty...`` id.
        A taken login raises :class:`~spokesync.http.errors.LoginTaken`, a property the
        user type's schema does not define :class:`~spokesync.http.errors.UnknownAttribute`."""
        body: dict[str, Any] = {"profile": dict(profile), "groupIds": list(group_ids)}
        params: dict[str, str | int | bool] = {"activate": activate}
        if provider is not None:
            body["credentials"] = {"provider": {"type": provider, "name": provider}}
            params["provider"] = True
        if user_type is not None:
            body["type"] = {"id": user_type}
        request = _call("POST", "/api/v1/users", params=params, json_body=body)
        return self._parsed(request, parse_target_user, await self.session.send_json(request))

    async def update_profile(self, user_id: str, fields: Mapping[str, Any]) -> TargetUser:
        """Partial update (``POST /users/{id}``): only ``fields`` change, others are kept."""
        request = _call(
            "POST", "/api/v1/users/{id}", json_body={"profile": dict(fields)}, id=user_id
        )
        return self._parsed(request, parse_target_user, await self.session.send_json(request))

    async def user_group_ids(self, user_id: str) -> frozenset[str] | None:
        """The ids of the groups the user belongs to, or ``None`` on 404."""
        request = _call("GET", "/api/v1/users/{id}/groups", params={"limit": 200}, id=user_id)
        ids: set[str] = set()
        try:
            async for page in LinkPaginator().pages(self.session, request):
                ids.update(self._parsed(request, parse_group, item).id for item in page)
        except NotFound:
            return None
        return frozenset(ids)

    # -- lifecycle ----------------------------------------------------------------------------

    async def _lifecycle(self, user_id: str, operation: str, send_email: bool | None) -> None:
        params: dict[str, str | int | bool] | None = (
            {"sendEmail": send_email} if send_email is not None else None
        )
        request = _call(
            "POST", f"/api/v1/users/{{id}}/lifecycle/{operation}", params=params, id=user_id
        )
        try:
            await self.session.send(request)
        except BadRequest as exc:
            # Suspend/unsuspend in the wrong status answer 400 E0000001 (reference §5), not a
            # 403 like the other lifecycle calls: both mean "not allowed in this status".
            if exc.code != "E0000001" or isinstance(exc, StateConflict):
                raise
            raise StateConflict(
                exc.message,
                causes=exc.causes,
                service=exc.service,
                method=exc.method,
                url=exc.url,
                status=exc.status,
                code=exc.code,
            ) from exc

    async def activate(self, user_id: str) -> None:
        """STAGED or DEPROVISIONED -> PROVISIONED/ACTIVE (asynchronous at Okta); no email.
        The answer is not read: ``{}`` or the activation link, by ``sendEmail`` (recorded)."""
        await self._lifecycle(user_id, "activate", send_email=False)

    async def reactivate(self, user_id: str) -> None:
        """PROVISIONED or RECOVERY: restart activation; no email."""
        await self._lifecycle(user_id, "reactivate", send_email=False)

    async def deactivate(self, user_id: str) -> None:
        """Any status but DEPROVISIONED -> DEPROVISIONED (removes app access); no email."""
        await self._lifecycle(user_id, "deactivate", send_email=False)

    async def suspend(self, user_id: str) -> None:
        """ACTIVE -> SUSPENDED (groups and apps are kept; sign-in is refused)."""
        await self._lifecycle(user_id, "suspend", send_email=None)

    async def unsuspend(self, user_id: str) -> None:
        """SUSPENDED -> ACTIVE."""
        await self._lifecycle(user_id, "unsuspend", send_email=None)

    async def delete_user(self, user_id: str) -> None:
        """Delete a DEPROVISIONED user for good.

        On any other status Okta only deactivates (and answers 204 all the same), so callers
        must :meth:`deactivate` first and delete second.
        """
        request = _call("DELETE", "/api/v1/users/{id}", id=user_id)
        await self.session.send(request)

    # -- identity providers ---------------------------------------------------------------------

    async def link_idp(self, idp_id: str, user_id: str, external_id: str) -> IdpLink:
        """Link the Okta user to the IdP under ``external_id`` (the IdP's ``sub``)."""
        request = _call(
            "POST",
            "/api/v1/idps/{idp}/users/{uid}",
            json_body={"externalId": external_id},
            idp=idp_id,
            uid=user_id,
        )
        return self._parsed(request, parse_idp_link, await self.session.send_json(request))

    async def idp_links(self, idp_id: str) -> AsyncIterator[list[IdpLink]]:
        """Pages of the users linked to the IdP."""
        request = _call("GET", "/api/v1/idps/{idp}/users", params={"limit": 200}, idp=idp_id)
        async for page in LinkPaginator().pages(self.session, request):
            yield [self._parsed(request, parse_idp_link, item) for item in page]

    # -- System Log ------------------------------------------------------------------------------

    async def log_events(
        self,
        position: str | None,
        *,
        since: str,
        limit: int = LOG_PAGE,
        event_types: Sequence[str] = (),
    ) -> tuple[list[SystemLogEvent], str]:
        """The events after ``position`` (a ``next`` link this method returned before), or
        published since ``since`` when there is none; and the position to read from next.

        A request without ``until`` is a polling request: its ``next`` link never ends, so
        the read stops at a page shorter than ``limit`` (an idle poll is one request).
        ``event_types``: prefixes of the event types wanted (a ``filter`` the ``next`` links
        keep), so that sign-ins and the like are not read at all. ``CursorLost`` when Okta
        refuses a stored position (400); ``ScopeError`` without ``okta.logs.read``.
        """
        if position is None:
            params: dict[str, str | int | bool] = {
                "since": since,
                "limit": limit,
                "sortOrder": "ASCENDING",
            }
            if event_types:
                params["filter"] = " or ".join(
                    f"eventType sw {search_literal(t)}" for t in event_types
                )
            request = _call("GET", "/api/v1/logs", params=params)
        else:
            request = _call("GET", "/api/v1/logs").following(position)
        events: list[SystemLogEvent] = []
        seen: set[str] = set()
        while True:
            try:
                response = await self.session.send(request)
            except BadRequest as exc:
                if position is None:
                    raise
                raise CursorLost.instead_of(
                    exc, "the System Log refused the stored position"
                ) from exc
            body = self.session.parse_json(request, response)
            if not isinstance(body, list):
                raise self.session.malformed(request, "expected a JSON array of events")
            for item in body:
                try:
                    events.append(parse_log_event(item))
                except ShapeError:
                    continue  # an event we cannot read is one we ignore
            here = response.request.url
            link = next_link(response)
            target = here.join(link) if link else here
            if (target.scheme, target.host, target.port) != (here.scheme, here.host, here.port):
                raise self.session.malformed(request, "the next link points to another host")
            following = target.raw_path.decode("ascii")
            if len(body) < limit or link is None or following in seen:
                return events, following
            seen.add(following)
            request = request.following(following)

    # -- helpers --------------------------------------------------------------------------------

    def _parsed(self, request: Call, parse: Callable[[Any], T], value: Any) -> T:
        try:
            return parse(value)
        except ShapeError as exc:
            raise self.session.malformed(request, str(exc)) from exc

    def _error(
        self, kind: type[NotFound] | type[AmbiguousName], request: Call, message: str
    ) -> Exception:
        return kind(
            message,
            service=SERVICE,
            method=request.method,
            url=public_url(self._http.base_url.join(request.target())),
            status=404 if kind is NotFound else None,
        )


def _call(method: str, template: str, **kw: Any) -> Call:
    """A call whose bucket follows from its method and path template."""
    return call(method, template, bucket=bucket_for(method, template), **kw)
