"""``/api/v2/users`` (search, create, get, patch, delete), user roles, users-by-email, blocks."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from spokesync.emulators.auth0 import log_entries
from spokesync.emulators.auth0.endpoint import (
    INCLUDE_TOTALS,
    PAGE,
    Context,
    Scopes,
    grant_of,
    management,
    offset_page,
    query_bool,
    query_int,
    read_json,
)
from spokesync.emulators.auth0.errors import (
    ApiError,
    invalid_body,
    json_response,
    query_validation,
    role_not_found,
    user_not_found,
)
from spokesync.emulators.auth0.search import QueryError, compile_query, field_values, sort_key
from spokesync.emulators.auth0.state import UserDoc
from spokesync.emulators.auth0.users import (
    create_document,
    parse_fields,
    patch_document,
    project,
)

#: search can page through this many records only (reference §5)
SEARCH_LIMIT = 1000
SEARCH_PAGING_MESSAGE = (
    "You can only page through the first 1000 records. "
    "See https://auth0.com/docs/users/search/v3/view-search-results-by-page#limitation"
)
SEARCH_PER_PAGE = "Number of results per page."
USER_ROLES_PER_PAGE = "Number of results per page."


def _user(ctx: Context, user_id: str) -> UserDoc:
    doc = ctx.tenant.users.get(user_id)
    if doc is None:
        raise user_not_found()
    return doc


def _selection(request: Request) -> tuple[frozenset[str], bool] | None:
    params = request.query_params
    return parse_fields(params.get("fields"), params.get("include_fields"))


def _matches(request: Request, ctx: Context) -> list[UserDoc]:
    params = request.query_params
    engine = params.get("search_engine", "v3")
    query = params.get("q")
    if engine not in ("v1", "v2", "v3"):
        raise query_validation(
            "search_engine", "The version of the search engine", "No enum match for: " + engine
        )
    if query and engine == "v1":
        raise ApiError(
            400,
            "The 'q' parameter is available only if you specify 'search_engine=v2|v3'.",
            "invalid_query_string",
        )
    try:
        predicate = compile_query(query) if query else None
        ordering = sort_key(params["sort"]) if params.get("sort") else None
    except QueryError as error:
        raise ApiError(400, f"Bad query: {error}", "invalid_query_string") from None
    docs = ctx.tenant.searchable_users()
    if predicate is not None:
        docs = [doc for doc in docs if predicate(doc)]
    if ordering is not None:
        # users without the field go last, whatever the direction; user_id breaks ties
        field, descending = ordering
        keyed = [(field_values(doc, field), doc) for doc in docs]
        present = [(str(values[0]), doc["user_id"], doc) for values, doc in keyed if values]
        present.sort(key=lambda item: (item[0], item[1]), reverse=descending)
        docs = [doc for _, _, doc in present] + [doc for values, doc in keyed if not values]
    return docs


async def search_users(request: Request, ctx: Context) -> Response:
    """``GET /api/v2/users``: the v3 search with offset paging."""
    per_page = query_int(
        request, "per_page", default=50, minimum=0, maximum=100, description=SEARCH_PER_PAGE
    )
    page = query_int(request, "page", default=0, minimum=0, maximum=None, description=PAGE)
    totals = query_bool(request, "include_totals", INCLUDE_TOTALS)
    if (page + 1) * per_page > SEARCH_LIMIT:
        raise ApiError(400, SEARCH_PAGING_MESSAGE, "invalid_paging")
    docs = _matches(request, ctx)
    selection = _selection(request)
    chosen = [project(doc, selection) for doc in docs[page * per_page : (page + 1) * per_page]]
    return offset_page(
        chosen, "users", page=page, per_page=per_page, total=len(docs), totals=totals
    )


async def create_user(request: Request, ctx: Context) -> Response:
    """``POST /api/v2/users``: 201 with the new user (users-create.json #0)."""
    body = await read_json(request)
    doc = create_document(body, ctx.tenant.connection.name, ctx.clock.iso())
    if doc["user_id"] in ctx.tenant.users or (
        "email" in doc and ctx.tenant.users_by_email(doc["email"])
    ):
        raise ApiError(409, "The user already exists.", "auth0_idp_error")
    ctx.tenant.put_user(doc)
    log_entries.follow_up(
        request,
        log_entries.signup(
            request,
            doc,
            body,
            client_id=grant_of(request).client_id,
            connection_id=ctx.tenant.connection.id,
            tenant=ctx.tenant.name,
        ),
    )
    return json_response(doc, 201)


async def get_user(request: Request, ctx: Context) -> Response:
    doc = _user(ctx, request.path_params["id"])
    return json_response(project(doc, _selection(request)))


async def update_user(request: Request, ctx: Context) -> Response:
    """``PATCH /api/v2/users/{id}``: metadata merged key by key; ``updated_at`` bumped."""
    doc = _user(ctx, request.path_params["id"])
    body = await read_json(request)
    updated = patch_document(doc, body, ctx.clock.iso())
    email = updated.get("email")
    if (
        isinstance(email, str)
        and email != doc.get("email")
        and any(other["user_id"] != doc["user_id"] for other in ctx.tenant.users_by_email(email))
    ):
        raise ApiError(409, "The specified new email already exists", "email_conflict")
    ctx.tenant.put_user(updated)
    return json_response(updated)


async def delete_user(request: Request, ctx: Context) -> Response:
    """204, and 204 again when already gone (users-delete-404.json #3); ``sdu`` when it went."""
    doc = ctx.tenant.users.get(request.path_params["id"])
    if doc is not None and ctx.tenant.delete_user(doc["user_id"]):
        log_entries.follow_up(
            request,
            log_entries.user_deletion(
                request,
                doc,
                client_id=grant_of(request).client_id,
                connection_id=ctx.tenant.connection.id,
                tenant=ctx.tenant.name,
            ),
        )
    return json_response(None, 204)


async def list_user_roles(request: Request, ctx: Context) -> Response:
    doc = _user(ctx, request.path_params["id"])
    per_page = query_int(
        request, "per_page", default=50, minimum=1, maximum=100, description=USER_ROLES_PER_PAGE
    )
    page = query_int(request, "page", default=0, minimum=0, maximum=None, description=PAGE)
    totals = query_bool(request, "include_totals", INCLUDE_TOTALS)
    roles = ctx.tenant.roles_of(doc["user_id"])
    chosen = [role.to_json() for role in roles[page * per_page : (page + 1) * per_page]]
    if not totals:
        return json_response(chosen)
    return json_response(
        {"roles": chosen, "start": page * per_page, "limit": per_page, "total": len(roles)}
    )


async def _role_ids(request: Request, ctx: Context) -> list[str]:
    body = await read_json(request)
    roles: Any = body.get("roles") if isinstance(body, dict) else None
    if not isinstance(roles, list) or not roles or not all(isinstance(r, str) and r for r in roles):
        raise invalid_body(
            "Payload validation error: 'roles' must be a non-empty array of role ids."
        )
    for role_id in roles:
        if role_id not in ctx.tenant.roles:
            raise role_not_found()
    return list(roles)


async def assign_user_roles(request: Request, ctx: Context) -> Response:
    """``POST /api/v2/users/{id}/roles``: 204 (user-roles.json #2)."""
    doc = _user(ctx, request.path_params["id"])
    for role_id in await _role_ids(request, ctx):
        ctx.tenant.assign(role_id, doc["user_id"])
    return json_response(None, 204)


async def remove_user_roles(request: Request, ctx: Context) -> Response:
    """``DELETE /api/v2/users/{id}/roles`` with a JSON body: 204 (user-roles.json #4)."""
    doc = _user(ctx, request.path_params["id"])
    for role_id in await _role_ids(request, ctx):
        ctx.tenant.unassign(role_id, doc["user_id"])
    return json_response(None, 204)


async def users_by_email(request: Request, ctx: Context) -> Response:
    """``GET /api/v2/users-by-email``: a bare array (users-by-email.json #1)."""
    email = request.query_params.get("email")
    if not email:
        raise query_validation(
            "email",
            "Email address to search for (case-sensitive).",
            "Missing required property: email",
        )
    selection = _selection(request)
    return json_response([project(doc, selection) for doc in ctx.tenant.users_by_email(email)])


async def get_user_blocks(request: Request, ctx: Context) -> Response:
    _user(ctx, request.path_params["id"])
    return json_response({"blocked_for": []})


async def delete_user_blocks(request: Request, ctx: Context) -> Response:
    _user(ctx, request.path_params["id"])
    return json_response(None, 204)


READ = Scopes(any_of=("read:users",))
UPDATE = Scopes(any_of=("update:users",))
USER_ROLES_READ = Scopes(all_of=("read:users", "read:roles"), any_of=("read:role_members",))
USER_ROLES_WRITE = Scopes(any_of=("update:users", "create:role_members"))
USER_ROLES_DELETE = Scopes(any_of=("update:users", "delete:role_members"))

ROUTES = [
    Route("/api/v2/users", management(READ, search_users), methods=["GET"]),
    Route(
        "/api/v2/users",
        management(Scopes(any_of=("create:users",)), create_user, operation="Create a User"),
        methods=["POST"],
    ),
    Route("/api/v2/users/{id}", management(READ, get_user), methods=["GET"]),
    Route(
        "/api/v2/users/{id}",
        management(UPDATE, update_user, operation="Update a User"),
        methods=["PATCH"],
    ),
    Route(
        "/api/v2/users/{id}",
        management(Scopes(any_of=("delete:users",)), delete_user, operation="Delete a User"),
        methods=["DELETE"],
    ),
    Route(
        "/api/v2/users/{id}/roles", management(USER_ROLES_READ, list_user_roles), methods=["GET"]
    ),
    Route(
        "/api/v2/users/{id}/roles",
        management(USER_ROLES_WRITE, assign_user_roles, operation="Assign roles to a user"),
        methods=["POST"],
    ),
    Route(
        "/api/v2/users/{id}/roles",
        management(USER_ROLES_DELETE, remove_user_roles, operation="Removes roles from a user"),
        methods=["DELETE"],
    ),
    Route("/api/v2/users-by-email", management(READ, users_by_email), methods=["GET"]),
    Route("/api/v2/user-blocks/{id}", management(READ, get_user_blocks), methods=["GET"]),
    Route(
        "/api/v2/user-blocks/{id}",
        management(UPDATE, delete_user_blocks, operation="Unblock a user"),
        methods=["DELETE"],
    ),
]
