"""``/api/v2/roles`` and ``/api/v2/roles/{id}/users``.

Role members answer in three modes (reference "Emulator checklist" 2, recordings
role-users.json #3 and role-users-checkpoint.json #5, #6): a bare array; with
``include_totals`` an offset object ``{users, start, limit, total}``; with ``take`` or ``from``
a checkpoint object ``{users, next}`` whose ``next`` is absent on the last page and which
ignores ``include_totals``/``per_page``. Members are ordered by ``user_id``.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from spokesync.emulators.auth0 import cursor as checkpoint
from spokesync.emulators.auth0 import ids
from spokesync.emulators.auth0.endpoint import (
    INCLUDE_TOTALS,
    PAGE,
    PER_PAGE,
    Context,
    Scopes,
    management,
    query_bool,
    query_int,
    read_json,
)
from spokesync.emulators.auth0.errors import ApiError, invalid_body, json_response, role_not_found
from spokesync.emulators.auth0.state import Role
from spokesync.emulators.auth0.users import member_view

#: offset paging stops here (reference §2)
OFFSET_LIMIT = 1000
NAME_FILTER = "Optional filter on name (case-insensitive)."


def _role(ctx: Context, role_id: str) -> Role:
    role = ctx.tenant.roles.get(role_id)
    if role is None:
        raise role_not_found()
    return role


async def list_roles(request: Request, ctx: Context) -> Response:
    """``GET /api/v2/roles``; ``name_filter`` is a case-insensitive substring match."""
    per_page = query_int(
        request, "per_page", default=50, minimum=1, maximum=100, description=PER_PAGE
    )
    page = query_int(request, "page", default=0, minimum=0, maximum=None, description=PAGE)
    totals = query_bool(request, "include_totals", INCLUDE_TOTALS)
    wanted = (request.query_params.get("name_filter") or "").lower()
    roles = [role for role in ctx.tenant.roles.values() if wanted in role.name.lower()]
    roles.sort(key=lambda role: (role.name.lower(), role.id))
    chosen = [role.to_json() for role in roles[page * per_page : (page + 1) * per_page]]
    if not totals:
        return json_response(chosen)
    return json_response(
        {"roles": chosen, "start": page * per_page, "limit": per_page, "total": len(roles)}
    )


async def create_role(request: Request, ctx: Context) -> Response:
    """``POST /api/v2/roles``: 200, not 201 (roles-create.json #0)."""
    body = await read_json(request)
    if not isinstance(body, dict) or not isinstance(body.get("name"), str) or not body["name"]:
        raise invalid_body("Payload validation error: 'Missing required property: name'.")
    if set(body) - {"name", "description"}:
        extra = sorted(set(body) - {"name", "description"})[0]
        raise invalid_body(
            f"Payload validation error: 'Additional properties not allowed: {extra}'."
        )
    description = body.get("description")
    if description is not None and not isinstance(description, str):
        raise invalid_body(
            "Payload validation error: 'Expected type string' on property description."
        )
    if ctx.tenant.role_by_name(body["name"]) is not None:
        raise ApiError(409, "Role already exists", "conflict")
    role = Role(ids.role_id(), body["name"], description)
    ctx.tenant.add_role(role)
    return json_response(role.to_json())


async def get_role(request: Request, ctx: Context) -> Response:
    return json_response(_role(ctx, request.path_params["id"]).to_json())


async def update_role(request: Request, ctx: Context) -> Response:
    role = _role(ctx, request.path_params["id"])
    body = await read_json(request)
    if not isinstance(body, dict) or set(body) - {"name", "description"}:
        raise invalid_body("Payload validation error: only name and description can be changed.")
    for key in ("name", "description"):
        if key in body and not isinstance(body[key], str):
            raise invalid_body(
                f"Payload validation error: 'Expected type string' on property {key}."
            )
    role.name = body.get("name", role.name)
    role.description = body.get("description", role.description)
    return json_response(role.to_json())


async def delete_role(request: Request, ctx: Context) -> Response:
    """200 ``{}``, then 404 on a second delete (roles-delete-404.json #1, #3)."""
    if not ctx.tenant.delete_role(request.path_params["id"]):
        raise role_not_found()
    return json_response({})


# role members -----------------------------------------------------------------------------


def _checkpoint_page(request: Request, ctx: Context, role_id: str) -> dict[str, Any]:
    take = query_int(request, "take", default=50, minimum=1, maximum=100, description=PER_PAGE)
    cursor = request.query_params.get("from")
    after = checkpoint.decode(cursor, padded=True) if cursor else None
    docs, more = ctx.tenant.members_after(role_id, after, take)
    body: dict[str, Any] = {"users": [member_view(doc) for doc in docs]}
    if more and docs:
        body["next"] = checkpoint.encode(docs[-1]["user_id"], ctx.clock.now(), padded=True)
    return body


async def list_role_users(request: Request, ctx: Context) -> Response:
    """``GET /api/v2/roles/{id}/users`` in its three modes."""
    role = _role(ctx, request.path_params["id"])
    params = request.query_params
    if "take" in params or "from" in params:
        return json_response(_checkpoint_page(request, ctx, role.id))
    per_page = query_int(
        request, "per_page", default=50, minimum=1, maximum=100, description=PER_PAGE
    )
    page = query_int(request, "page", default=0, minimum=0, maximum=None, description=PAGE)
    totals = query_bool(request, "include_totals", INCLUDE_TOTALS)
    if (page + 1) * per_page > OFFSET_LIMIT:
        raise ApiError(
            400,
            f"Requesting page {page} exceeds the allowed maximum of {OFFSET_LIMIT} records. "
            "To fetch results beyond 1000, use the checkpoint pagination method.",
            "invalid_paging",
        )
    users = [
        member_view(doc) for doc in ctx.tenant.members_slice(role.id, page * per_page, per_page)
    ]
    if not totals:
        return json_response(users)
    total = ctx.tenant.member_count(role.id)
    return json_response(
        {"users": users, "start": page * per_page, "limit": per_page, "total": total}
    )


async def assign_role_users(request: Request, ctx: Context) -> Response:
    """``POST /api/v2/roles/{id}/users`` ``{"users": [...]}``: 200 ``{}`` (role-users.json #2)."""
    role = _role(ctx, request.path_params["id"])
    body = await read_json(request)
    users = body.get("users") if isinstance(body, dict) else None
    if not isinstance(users, list) or not users or not all(isinstance(u, str) for u in users):
        raise invalid_body(
            "Payload validation error: 'users' must be a non-empty array of user ids."
        )
    missing = [user_id for user_id in users if user_id not in ctx.tenant.users]
    if missing:
        raise ApiError(404, "One or more of the users do not exist.", "inexistent_user")
    for user_id in users:
        ctx.tenant.assign(role.id, user_id)
    return json_response({})


READ = Scopes(any_of=("read:roles",))
MEMBERS = Scopes(all_of=("read:users", "read:roles"), any_of=("read:role_members",))
ASSIGN = Scopes(any_of=("update:roles", "create:role_members"))

ROUTES = [
    Route("/api/v2/roles", management(READ, list_roles), methods=["GET"]),
    Route(
        "/api/v2/roles",
        management(Scopes(any_of=("create:roles",)), create_role, operation="Create a role"),
        methods=["POST"],
    ),
    Route("/api/v2/roles/{id}", management(READ, get_role), methods=["GET"]),
    Route(
        "/api/v2/roles/{id}",
        management(Scopes(any_of=("update:roles",)), update_role, operation="Update a role"),
        methods=["PATCH"],
    ),
    Route(
        "/api/v2/roles/{id}",
        management(Scopes(any_of=("delete:roles",)), delete_role, operation="Delete a role"),
        methods=["DELETE"],
    ),
    Route("/api/v2/roles/{id}/users", management(MEMBERS, list_role_users), methods=["GET"]),
    Route(
        "/api/v2/roles/{id}/users",
        management(ASSIGN, assign_role_users, operation="Assign users to a role"),
        methods=["POST"],
    ),
]
