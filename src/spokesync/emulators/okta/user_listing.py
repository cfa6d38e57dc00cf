"""``GET /api/v1/users``: list users with ``filter``, ``search``, ``q`` and cursor paging.

``filter`` is case-sensitive and knows a few attributes; ``search`` knows any profile
attribute and ignores case in values; plain lists and ``q`` omit DEPROVISIONED users
(reference §3). ``profile.login eq`` filters are answered from the login index.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from spokesync.emulators.okta.endpoint import base_url, endpoint
from spokesync.emulators.okta.errors import invalid_search
from spokesync.emulators.okta.paging import link_headers, page_of, parse_limit
from spokesync.emulators.okta.query import Comparison as QueryComparison
from spokesync.emulators.okta.query import Kind, QueryError, Rules, compile_predicate, parse
from spokesync.emulators.okta.render import user_json
from spokesync.emulators.okta.state import Org, UserRecord

_USER_DATES = frozenset({"created", "activated", "statusChanged", "lastUpdated"})
_CONTAINS_OK = frozenset(
    {"profile.firstName", "profile.lastName", "profile.email", "profile.login"}
)
_FILTER_TEXT = frozenset(
    {"status", "id", "profile.login", "profile.email", "profile.firstName", "profile.lastName"}
)


def filter_rules(attribute: str) -> tuple[Kind, frozenset[str]] | None:
    """``filter``: eq on a few attributes, ordering operators on lastUpdated (reference §3)."""
    if attribute == "lastUpdated":
        return "date", frozenset({"eq", "gt", "ge", "lt", "le"})
    if attribute in _FILTER_TEXT:
        return "text", frozenset({"eq"})
    return None


def search_rules(attribute: str) -> tuple[Kind, frozenset[str]] | None:
    """``search``: eq/sw/pr on any profile attribute and a few others, co on four names."""
    if attribute in _USER_DATES:
        return "date", frozenset({"eq", "gt", "ge", "lt", "le", "pr"})
    if attribute in ("id", "status", "type.id") or attribute.startswith("profile."):
        operators = {"eq", "sw", "pr"} | ({"co"} if attribute in _CONTAINS_OK else set())
        return "text", frozenset(operators)
    return None


def _getter(user: UserRecord) -> Callable[[str], Any]:
    def get(attribute: str) -> Any:
        if attribute.startswith("profile."):
            return user.profile.get(attribute[len("profile.") :])
        if attribute == "id":
            return user.id
        if attribute == "status":
            return user.status
        if attribute == "type.id":
            return user.type_id
        if attribute == "created":
            return user.created
        if attribute == "activated":
            return user.activated
        if attribute == "statusChanged":
            return user.status_changed
        return user.last_updated

    return get


def _compile(text: str, rules: Rules, case_sensitive: bool) -> Callable[[UserRecord], bool]:
    try:
        predicate = compile_predicate(text, rules, case_sensitive=case_sensitive)
    except QueryError:
        raise invalid_search() from None
    return lambda user: predicate(_getter(user))


def _login_candidates(org: Org, text: str) -> list[str] | None:
    """For ``profile.login eq "..."`` the login index answers without a scan."""
    try:
        expr = parse(text)
    except QueryError:
        return None
    if (
        isinstance(expr, QueryComparison)
        and expr.attribute == "profile.login"
        and expr.operator == "eq"
        and expr.value is not None
    ):
        owner = org.login_owner(expr.value)
        return [owner] if owner is not None else []
    return None


def _quick_match(org: Org, user_id: str, query: str) -> bool:
    profile = org.users[user_id].profile
    for name in ("firstName", "lastName", "email"):
        value = profile.get(name)
        if isinstance(value, str) and value.casefold().startswith(query):
            return True
    return False


@endpoint("okta.users.read")
async def list_users(request: Request, org: Org) -> Response:
    """``GET /api/v1/users`` with ``filter``, ``search``, ``q``, ``limit`` and ``after``."""
    params = request.query_params
    base = base_url(request)
    quick = params.get("q")
    if quick is not None and "filter" not in params and "search" not in params:
        # q: startsWith on first name, last name or email; no pagination, omits DEPROVISIONED
        limit = parse_limit(params.get("limit"), 10, 200)
        folded = quick.casefold()
        page = page_of(
            org.user_ids,
            None,
            limit,
            lambda uid: org.users[uid].status != "DEPROVISIONED" and _quick_match(org, uid, folded),
        )
        return JSONResponse(
            [user_json(org.users[uid], base, in_collection=True) for uid in page.ids]
        )
    limit = parse_limit(params.get("limit"), 200, 200)
    after = params.get("after")
    checks: list[Callable[[UserRecord], bool]] = []
    candidates: list[str] | None = None
    if "filter" in params:
        checks.append(_compile(params["filter"], filter_rules, case_sensitive=True))
        candidates = _login_candidates(org, params["filter"])
    if "search" in params:
        checks.append(_compile(params["search"], search_rules, case_sensitive=False))
    if not checks:
        checks.append(lambda user: user.status != "DEPROVISIONED")
    users = org.users
    page = page_of(
        candidates if candidates is not None else org.user_ids,
        after,
        limit,
        lambda uid: all(check(users[uid]) for check in checks),
    )
    response = JSONResponse([user_json(users[uid], base, in_collection=True) for uid in page.ids])
    extra = [(key, value) for key, value in params.multi_items() if key not in ("limit", "after")]
    for link in link_headers(
        base, "/api/v1/users", limit, extra, after=after, next_cursor=page.next_cursor
    ):
        response.headers.append("link", link)
    return response


ROUTES = [Route("/api/v1/users", list_users, methods=["GET"])]
