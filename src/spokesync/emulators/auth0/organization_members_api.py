"""``/api/v2/organizations/{id}/members`` and ``.../members/{user_id}/roles``.

Followed, recordings first (auth0/go/organization-members*.json, organization-member-roles.json,
recordings README Auth0 facts 8, 9, 11): with ``take`` or ``from`` the members listing answers
``{members, next}`` and sends a ``next`` on every page that has members, even a short one, so it
ends on an empty ``{"members": []}`` without ``next``; ``include_totals`` and ``per_page`` have no
effect then; the cursor is opaque. Without them it answers a bare array, or with
``include_totals`` ``{members, start, limit, total}``. A member item has ``user_id, email,
picture, name``; ``POST``/``DELETE`` of members and member roles answer 204 with an empty body;
member roles list as ``{roles, start, limit, total}`` with ``id, name, description``.
Then the OAS: ``fields`` (``user_id, email, picture, name, roles``; roles only when asked for,
and only with ``read:organization_member_roles``; a role item is ``{id, name}``), the parameter
bounds, the request schemas, the scopes, and 409 "No more roles can be assigned to this
organization member." past 50 role assignments per member (Auth0 entity limit policy).

Assumed: adding a user that does not exist answers 404 ``inexistent_user`` as on role members;
removing a non-member changes nothing; assigning roles to a user who is not a member answers 400;
the 409 has no ``errorCode``.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from spokesync.emulators.auth0 import cursor
from spokesync.emulators.auth0.endpoint import (
    Context,
    Scopes,
    grant_of,
    management,
    query_int,
    read_payload,
)
from spokesync.emulators.auth0.errors import (
    ApiError,
    invalid_body,
    json_response,
    query_validation,
    role_not_found,
    user_not_found,
)
from spokesync.emulators.auth0.organizations_api import (
    TAKE,
    offset_answer,
    offset_paging,
    organization_of,
)
from spokesync.emulators.auth0.users import member_view

MEMBER_FIELDS = ("user_id", "email", "picture", "name", "roles")
FIELDS = (
    "Comma-separated list of fields to include or exclude (based on value provided for "
    "include_fields) in the result. Leave empty to retrieve all fields."
)
FIELDS_PATTERN = (
    "^((user_id)|(email)|(picture)|(name)|(roles))(,((user_id)|(email)|(picture)|(name)|(roles)))*$"
)
ROLES_SCOPE = "read:organization_member_roles"
TOO_MANY_ROLES = "No more roles can be assigned to this organization member."


def _selection(request: Request) -> tuple[frozenset[str], bool] | None:
    """``fields``/``include_fields`` as (names, include?), or None for the default fields."""
    raw = request.query_params.get("fields")
    if not raw:
        return None
    names = raw.split(",")
    if any(name not in MEMBER_FIELDS for name in names):
        raise query_validation("fields", FIELDS, f"String does not match pattern {FIELDS_PATTERN}")
    include = (request.query_params.get("include_fields") or "true").lower() != "false"
    return frozenset(names), include


def _member_item(
    ctx: Context, org_id: str, user_id: str, selection: tuple[frozenset[str], bool] | None
) -> dict[str, Any]:
    item = member_view(ctx.tenant.users[user_id])
    if selection is None:
        return item
    names, include = selection
    item = {key: value for key, value in item.items() if (key in names) == include}
    if include and "roles" in names:
        roles = ctx.tenant.roles
        item["roles"] = [
            {"id": role_id, "name": roles[role_id].name}
            for role_id in ctx.tenant.organizations.member_roles(org_id, user_id)
        ]
    return item


async def list_members(request: Request, ctx: Context) -> Response:
    """``GET /api/v2/organizations/{id}/members`` in offset or checkpoint mode."""
    organization = organization_of(ctx, request.path_params["id"])
    selection = _selection(request)
    wants_roles = selection is not None and selection[1] and "roles" in selection[0]
    if wants_roles and ROLES_SCOPE not in grant_of(request).scopes:
        raise Scopes(any_of=(ROLES_SCOPE,)).refusal()
    organizations = ctx.tenant.organizations
    params = request.query_params
    if "take" in params or "from" in params:
        take = query_int(request, "take", default=50, minimum=1, maximum=100, description=TAKE)
        token = params.get("from")
        user_ids = organizations.members_after(
            organization.id, cursor.decode(token) if token else None, take
        )
        body: dict[str, Any] = {
            "members": [_member_item(ctx, organization.id, uid, selection) for uid in user_ids]
        }
        if user_ids:  # recorded: a next on every non-empty page, even a short one
            body["next"] = cursor.encode(user_ids[-1], ctx.clock.now())
        return json_response(body)
    page, per_page, totals = offset_paging(request)
    user_ids = organizations.members_slice(organization.id, page * per_page, per_page)
    items = [_member_item(ctx, organization.id, uid, selection) for uid in user_ids]
    return offset_answer(
        "members",
        items,
        page=page,
        per_page=per_page,
        total=organizations.member_count(organization.id),
        totals=totals,
    )


async def _user_ids(request: Request) -> list[str]:
    body = await read_payload(request)
    members = body.get("members") if isinstance(body, dict) else None
    if not isinstance(members, list) or not members:
        raise invalid_body("Payload validation error: 'Missing required property: members'.")
    if not all(isinstance(user_id, str) and user_id for user_id in members):
        raise invalid_body("Payload validation error: 'members' must be an array of user ids.")
    return list(members)


async def add_members(request: Request, ctx: Context) -> Response:
    """``POST`` ``{"members": [...]}``: 204 (organization-members-add.json #2)."""
    organization = organization_of(ctx, request.path_params["id"])
    user_ids = await _user_ids(request)
    if any(user_id not in ctx.tenant.users for user_id in user_ids):
        raise ApiError(404, "One or more of the users do not exist.", "inexistent_user")
    for user_id in user_ids:
        ctx.tenant.organizations.add_member(organization.id, user_id)
    return json_response(None, 204)


async def remove_members(request: Request, ctx: Context) -> Response:
    """``DELETE`` ``{"members": [...]}``: 204 (organization-members-delete.json #3)."""
    organization = organization_of(ctx, request.path_params["id"])
    for user_id in await _user_ids(request):
        ctx.tenant.organizations.remove_member(organization.id, user_id)
    return json_response(None, 204)


# member roles -----------------------------------------------------------------------------


def _member(request: Request, ctx: Context) -> tuple[str, str]:
    """(organization id, user id) of the path; 404 for either missing."""
    organization = organization_of(ctx, request.path_params["id"])
    user_id = request.path_params["user_id"]
    if user_id not in ctx.tenant.users:
        raise user_not_found()
    return organization.id, user_id


async def list_member_roles(request: Request, ctx: Context) -> Response:
    """``GET .../members/{user_id}/roles`` (organization-member-roles.json #5, #7)."""
    org_id, user_id = _member(request, ctx)
    page, per_page, totals = offset_paging(request, limited=False)
    role_ids = ctx.tenant.organizations.member_roles(org_id, user_id)
    items = [
        ctx.tenant.roles[role_id].to_json()
        for role_id in role_ids[page * per_page : (page + 1) * per_page]
    ]
    return offset_answer(
        "roles", items, page=page, per_page=per_page, total=len(role_ids), totals=totals
    )


async def _role_ids(request: Request, ctx: Context) -> list[str]:
    body = await read_payload(request)
    roles = body.get("roles") if isinstance(body, dict) else None
    if not isinstance(roles, list) or not roles:
        raise invalid_body("Payload validation error: 'Missing required property: roles'.")
    if set(body) - {"roles"}:
        extra = sorted(set(body) - {"roles"})[0]
        raise invalid_body(
            f"Payload validation error: 'Additional properties not allowed: {extra}'."
        )
    if not all(isinstance(role_id, str) and role_id for role_id in roles):
        raise invalid_body("Payload validation error: 'roles' must be an array of role ids.")
    if any(role_id not in ctx.tenant.roles for role_id in roles):
        raise role_not_found()
    return list(roles)


async def assign_member_roles(request: Request, ctx: Context) -> Response:
    """``POST .../members/{user_id}/roles`` ``{"roles": [...]}``: 204; 409 past 50 roles."""
    org_id, user_id = _member(request, ctx)
    role_ids = await _role_ids(request, ctx)
    organizations = ctx.tenant.organizations
    if not organizations.is_member(org_id, user_id):
        raise ApiError(400, "The user is not a member of the organization.", "invalid_body")
    if not organizations.assign_roles(org_id, user_id, role_ids):
        raise ApiError(409, TOO_MANY_ROLES)
    return json_response(None, 204)


async def remove_member_roles(request: Request, ctx: Context) -> Response:
    """``DELETE .../members/{user_id}/roles`` ``{"roles": [...]}``: 204."""
    org_id, user_id = _member(request, ctx)
    ctx.tenant.organizations.unassign_roles(org_id, user_id, await _role_ids(request, ctx))
    return json_response(None, 204)


MEMBERS = "/api/v2/organizations/{id}/members"
MEMBER_ROLES = "/api/v2/organizations/{id}/members/{user_id}/roles"

ROUTES = [
    Route(
        MEMBERS,
        management(Scopes(any_of=("read:organization_members",)), list_members),
        methods=["GET"],
    ),
    Route(
        MEMBERS,
        management(
            Scopes(any_of=("create:organization_members",)),
            add_members,
            operation="Add members to an organization",
        ),
        methods=["POST"],
    ),
    Route(
        MEMBERS,
        management(
            Scopes(any_of=("delete:organization_members",)),
            remove_members,
            operation="Delete members from an organization",
        ),
        methods=["DELETE"],
    ),
    Route(
        MEMBER_ROLES,
        management(Scopes(any_of=(ROLES_SCOPE,)), list_member_roles),
        methods=["GET"],
    ),
    Route(
        MEMBER_ROLES,
        management(
            Scopes(any_of=("create:organization_member_roles",)),
            assign_member_roles,
            operation="Assign user roles to an Organization member",
        ),
        methods=["POST"],
    ),
    Route(
        MEMBER_ROLES,
        management(
            Scopes(any_of=("delete:organization_member_roles",)),
            remove_member_roles,
            operation="Delete user roles from an Organization member",
        ),
        methods=["DELETE"],
    ),
]
