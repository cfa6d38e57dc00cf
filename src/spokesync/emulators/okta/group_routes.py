"""``/api/v1/groups``: groups, their members, and membership changes (reference §6)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from spokesync.emulators.okta.endpoint import base_url, endpoint, json_object, no_content
from spokesync.emulators.okta.errors import (
    forbidden,
    invalid_search,
    malformed_body,
    not_found,
    validation_failed,
)
from spokesync.emulators.okta.log_events import group_target, log_event, user_target
from spokesync.emulators.okta.paging import link_headers, page_of, parse_limit
from spokesync.emulators.okta.query import Kind, QueryError, Rules, compile_predicate
from spokesync.emulators.okta.render import group_json, user_json
from spokesync.emulators.okta.state import GroupRecord, Org

#: recorded self links show these page sizes when the request named none
GROUPS_DEFAULT_LIMIT = 10_000
MEMBERS_DEFAULT_LIMIT = 1_000
#: the spec's default for ``q`` (the legacy page said 10; the newer spec wins)
GROUPS_QUERY_DEFAULT_LIMIT = 300
_DATES = frozenset({"created", "lastUpdated", "lastMembershipUpdated"})
_ORDERING = frozenset({"eq", "gt", "ge", "lt", "le"})


def find_group(org: Org, group_id: str) -> GroupRecord:
    group = org.groups.get(group_id)
    if group is None:
        raise not_found(group_id, "UserGroup")
    return group


def _filter_rules(attribute: str) -> tuple[Kind, frozenset[str]] | None:
    if attribute in ("lastUpdated", "lastMembershipUpdated"):
        return "date", _ORDERING
    if attribute in ("id", "type"):
        return "text", frozenset({"eq"})
    return None


def _search_rules(attribute: str) -> tuple[Kind, frozenset[str]] | None:
    # ``pr`` as in user search (okta/terraform/users-list-search.json #10)
    if attribute in _DATES:
        return "date", _ORDERING | {"pr"}
    if attribute in ("id", "type", "source.id"):
        return "text", frozenset({"eq", "pr"})
    if attribute.startswith("profile."):
        contains = attribute in ("profile.name", "profile.description")
        return "text", frozenset({"eq", "sw", "co", "pr"} if contains else {"eq", "sw", "pr"})
    return None


def _getter(group: GroupRecord) -> Callable[[str], Any]:
    values: dict[str, Any] = {
        "id": group.id,
        "type": group.type,
        "source.id": None,
        "profile.name": group.name,
        "profile.description": group.description,
        "created": group.created,
        "lastUpdated": group.last_updated,
        "lastMembershipUpdated": group.last_membership_updated,
    }
    return values.get


def _group_predicate(
    org: Org, text: str, rules: Rules, case_sensitive: bool
) -> Callable[[str], bool]:
    try:
        predicate = compile_predicate(text, rules, case_sensitive=case_sensitive)
    except QueryError:
        raise invalid_search() from None
    return lambda gid: predicate(_getter(org.groups[gid]))


def _render(org: Org, base: str, group_id: str, stats: bool) -> dict[str, Any]:
    count = len(org.members[group_id]) if stats else None
    return group_json(org.groups[group_id], base, count)


@endpoint("okta.groups.read")
async def list_groups(request: Request, org: Org) -> Response:
    """``GET /api/v1/groups`` with ``q`` (no Link, as recorded), ``search``, ``filter``.

    ``q`` with ``filter`` applies both and still answers no Link
    (okta/terraform/groups-data-source-read.json #11).
    """
    params = request.query_params
    base = base_url(request)
    stats = params.get("expand") == "stats"
    quick = params.get("q")
    if quick is not None and "search" not in params:
        limit = parse_limit(params.get("limit"), GROUPS_QUERY_DEFAULT_LIMIT, 10_000)
        folded = quick.casefold()
        filtered = (
            _group_predicate(org, params["filter"], _filter_rules, case_sensitive=True)
            if "filter" in params
            else None
        )
        page = page_of(
            org.group_ids,
            None,
            limit,
            lambda gid: (
                org.groups[gid].name.casefold().startswith(folded)
                and (filtered is None or filtered(gid))
            ),
        )
        return JSONResponse([_render(org, base, gid, stats) for gid in page.ids])
    limit = parse_limit(params.get("limit"), GROUPS_DEFAULT_LIMIT, 10_000)
    after = params.get("after")
    checks: list[Callable[[str], bool]] = []
    if "filter" in params:
        checks.append(_group_predicate(org, params["filter"], _filter_rules, case_sensitive=True))
    if "search" in params:
        checks.append(_group_predicate(org, params["search"], _search_rules, case_sensitive=False))
    page = page_of(
        org.group_ids, after, limit, (lambda gid: all(c(gid) for c in checks)) if checks else None
    )
    response = JSONResponse([_render(org, base, gid, stats) for gid in page.ids])
    extra = [(key, value) for key, value in params.multi_items() if key not in ("limit", "after")]
    for link in link_headers(
        base, "/api/v1/groups", limit, extra, after=after, next_cursor=page.next_cursor
    ):
        response.headers.append("link", link)
    return response


@endpoint("okta.groups.manage")
async def create_group(request: Request, org: Org) -> Response:
    """``POST /api/v1/groups``: 200 and a new OKTA_GROUP; names are unique in the org."""
    body = await json_object(request, ("profile",))
    profile = body.get("profile")
    if not isinstance(profile, dict):
        raise malformed_body()
    name, description = _checked_profile(org, profile, None)
    now = org.clock()
    group = GroupRecord(org.new_group_id(), name, description, "OKTA_GROUP", now, now, now)
    org.add_group(group)
    log_event(request, org, "group.lifecycle.create", [group_target(group)])
    return JSONResponse(group_json(group, base_url(request)))


def _checked_profile(
    org: Org, profile: dict[str, Any], current: GroupRecord | None
) -> tuple[str, str | None]:
    name = profile.get("name")
    description = profile.get("description")
    if not isinstance(name, str) or not name.strip():
        raise validation_failed("name", ["name: The field cannot be left blank"])
    if description is not None and not isinstance(description, str):
        raise malformed_body()
    owner = org.group_names.get(name.casefold())
    if owner is not None and (current is None or owner != current.id):
        raise validation_failed(
            "name", ["name: An object with this field already exists in the current organization"]
        )
    return name, description


@endpoint("okta.groups.read")
async def get_group(request: Request, org: Org) -> Response:
    group = find_group(org, request.path_params["groupId"])
    stats = request.query_params.get("expand") == "stats"
    return JSONResponse(_render(org, base_url(request), group.id, stats))


def _check_managed(group: GroupRecord) -> None:
    # Only OKTA_GROUP is managed through this API (spec); BUILT_IN and APP_GROUP are not.
    if group.type != "OKTA_GROUP":
        raise forbidden()


@endpoint("okta.groups.manage")
async def replace_group(request: Request, org: Org) -> Response:
    """``PUT /api/v1/groups/{groupId}``: replace the profile of an OKTA_GROUP."""
    group = find_group(org, request.path_params["groupId"])
    body = await json_object(request, ("profile",))
    _check_managed(group)
    profile = body.get("profile")
    if not isinstance(profile, dict):
        raise malformed_body()
    name, description = _checked_profile(org, profile, group)
    org.rename_group(group, name)
    group.description = description
    group.last_updated = org.clock()
    log_event(request, org, "group.profile.update", [group_target(group)])
    return JSONResponse(group_json(group, base_url(request)))


@endpoint("okta.groups.manage")
async def delete_group(request: Request, org: Org) -> Response:
    """``DELETE /api/v1/groups/{groupId}``: 204, even with members (recorded)."""
    group = find_group(org, request.path_params["groupId"])
    _check_managed(group)
    org.delete_group(group.id)
    log_event(request, org, "group.lifecycle.delete", [group_target(group)])
    return no_content()


@endpoint("okta.groups.read")
async def list_members(request: Request, org: Org) -> Response:
    """``GET /api/v1/groups/{groupId}/users``: members by id, ``limit`` default 1000."""
    group = find_group(org, request.path_params["groupId"])
    base = base_url(request)
    limit = parse_limit(request.query_params.get("limit"), MEMBERS_DEFAULT_LIMIT, 10_000)
    after = request.query_params.get("after")
    page = page_of(org.members[group.id], after, limit)
    users = org.users
    response = JSONResponse([user_json(users[uid], base, in_collection=True) for uid in page.ids])
    path = f"/api/v1/groups/{group.id}/users"
    for link in link_headers(base, path, limit, [], after=after, next_cursor=page.next_cursor):
        response.headers.append("link", link)
    return response


def _membership_target(request: Request, org: Org) -> tuple[GroupRecord, str]:
    group = find_group(org, request.path_params["groupId"])
    user_id = request.path_params["userId"]
    if user_id not in org.users:
        raise not_found(user_id, "User")
    _check_managed(group)
    return group, user_id


@endpoint("okta.groups.manage")
async def add_member(request: Request, org: Org) -> Response:
    """``PUT``: 204, also when the user is already a member."""
    group, user_id = _membership_target(request, org)
    if org.add_member(group.id, user_id):
        targets = [user_target(org.users[user_id]), group_target(group)]
        log_event(request, org, "group.user_membership.add", targets)
    return no_content()


@endpoint("okta.groups.manage")
async def remove_member(request: Request, org: Org) -> Response:
    """``DELETE``: 204, also when the user was not a member."""
    group, user_id = _membership_target(request, org)
    if org.remove_member(group.id, user_id):
        targets = [user_target(org.users[user_id]), group_target(group)]
        log_event(request, org, "group.user_membership.remove", targets)
    return no_content()


ROUTES = [
    Route("/api/v1/groups", list_groups, methods=["GET"]),
    Route("/api/v1/groups", create_group, methods=["POST"]),
    Route("/api/v1/groups/{groupId}", get_group, methods=["GET"]),
    Route("/api/v1/groups/{groupId}", replace_group, methods=["PUT"]),
    Route("/api/v1/groups/{groupId}", delete_group, methods=["DELETE"]),
    Route("/api/v1/groups/{groupId}/users", list_members, methods=["GET"]),
    Route("/api/v1/groups/{groupId}/users/{userId}", add_member, methods=["PUT"]),
    Route("/api/v1/groups/{groupId}/users/{userId}", remove_member, methods=["DELETE"]),
]
