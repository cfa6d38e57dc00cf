"""``/api/v2/organizations`` (list, create, get, get by name, patch, delete) and
``/api/v2/users/{id}/organizations``.

Followed, recordings first (auth0/go/organizations-*.json, user-organizations.json): the list
answers a bare array, with ``include_totals`` ``{organizations, start, limit, total}``, and with
``take`` or ``from`` ``{organizations, next}`` whose last (short) page has no ``next`` and which
ignores ``include_totals``/``per_page``; ``POST`` answers 201; ``DELETE`` answers 204 and a second
one 404 "No organization found by that id or name" without ``errorCode``. Then the OAS: the
parameter bounds, ``sort`` (``name``, ``display_name``, ``created_at``), the request schemas
(additional properties refused), the scopes, and 409 "An organization with this name already
exists." on a taken name.

Assumed: a full last checkpoint page has no ``next`` either (the OAS: "If there are more
results, a ``next`` value is included"); a missing organization answers the recorded 404; offset paging stops at
1000 records as on role members (reference §2) with ``invalid_paging``; a PATCH of ``metadata``
merges key by key and ``null`` removes a key, like user metadata; ``enabled_connections`` and
``token_quota`` are not emulated and answer 400.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from spokesync.emulators.auth0 import cursor, ids
from spokesync.emulators.auth0.endpoint import (
    INCLUDE_TOTALS,
    PAGE,
    PER_PAGE,
    Context,
    Scopes,
    management,
    query_bool,
    query_int,
    read_payload,
)
from spokesync.emulators.auth0.errors import (
    ApiError,
    invalid_body,
    json_response,
    query_validation,
    user_not_found,
)
from spokesync.emulators.auth0.organizations import (
    Organization,
    display_name_problem,
    metadata_problem,
    name_problem,
)

#: offset paging reaches this many records; checkpoint paging goes further (OAS description)
OFFSET_LIMIT = 1000
MAX_PAGE = 1000
TAKE = "Number of results per page. Defaults to 50."
SORT = "Field to sort by. Use field:order where order is 1 for ascending and -1 for descending."
_SORTABLE = ("name", "display_name", "created_at")
_CREATE_KEYS = frozenset({"name", "display_name", "branding", "metadata"})
_UNEMULATED = frozenset({"enabled_connections", "token_quota"})


def organization_not_found() -> ApiError:
    """404 as recorded (organizations-delete-404.json #2, #3): no ``errorCode``."""
    return ApiError(404, "No organization found by that id or name")


def organization_of(ctx: Context, organization_id: str) -> Organization:
    organization = ctx.tenant.organizations.get(organization_id)
    if organization is None:
        raise organization_not_found()
    return organization


def offset_paging(request: Request, *, limited: bool = True) -> tuple[int, int, bool]:
    """``(page, per_page, include_totals)`` checked against the OAS bounds; 400
    ``invalid_paging`` past the first 1000 records when ``limited``."""
    per_page = query_int(
        request, "per_page", default=50, minimum=1, maximum=100, description=PER_PAGE
    )
    page = query_int(request, "page", default=0, minimum=0, maximum=MAX_PAGE, description=PAGE)
    totals = query_bool(request, "include_totals", INCLUDE_TOTALS)
    if limited and (page + 1) * per_page > OFFSET_LIMIT:
        raise ApiError(
            400,
            f"Requesting page {page} exceeds the allowed maximum of {OFFSET_LIMIT} records. "
            "To fetch results beyond 1000, use the checkpoint pagination method.",
            "invalid_paging",
        )
    return page, per_page, totals


def offset_answer(
    key: str, items: list[Any], *, page: int, per_page: int, total: int, totals: bool
) -> Response:
    """A bare array, or ``{key, start, limit, total}`` (organizations-list.json #1)."""
    if not totals:
        return json_response(items)
    return json_response({key: items, "start": page * per_page, "limit": per_page, "total": total})


def _sorted(organizations: list[Organization], sort: str | None) -> list[Organization]:
    if not sort:
        return organizations
    field, _, direction = sort.partition(":")
    if field not in _SORTABLE or direction not in ("1", "-1"):
        raise query_validation("sort", SORT, f"Invalid sort {sort!r}")

    def key(org: Organization) -> tuple[Any, str]:
        value: Any = org.created_at if field == "created_at" else getattr(org, field) or ""
        return value, org.id

    return sorted(organizations, key=key, reverse=direction == "-1")


async def list_organizations(request: Request, ctx: Context) -> Response:
    """``GET /api/v2/organizations`` in offset or checkpoint mode."""
    params = request.query_params
    organizations = ctx.tenant.organizations
    if "take" in params or "from" in params:
        take = query_int(request, "take", default=50, minimum=1, maximum=100, description=TAKE)
        token = params.get("from")
        chosen, more = organizations.after(cursor.decode(token) if token else None, take)
        body: dict[str, Any] = {"organizations": [org.to_json() for org in chosen]}
        if more:
            body["next"] = cursor.encode(chosen[-1].id, ctx.clock.now())
        return json_response(body)
    page, per_page, totals = offset_paging(request)
    ordered = _sorted(organizations.all(), params.get("sort"))
    items = [org.to_json() for org in ordered[page * per_page : (page + 1) * per_page]]
    return offset_answer(
        "organizations", items, page=page, per_page=per_page, total=len(ordered), totals=totals
    )


def _check_fields(body: dict[str, Any], allowed: frozenset[str], *, patch: bool) -> None:
    unemulated = sorted(set(body) & _UNEMULATED)
    if unemulated:
        raise invalid_body(f"Payload validation error: {unemulated[0]} is not emulated.")
    extra = sorted(set(body) - allowed)
    if extra:
        raise invalid_body(
            f"Payload validation error: 'Additional properties not allowed: {extra[0]}'."
        )
    checks = {"name": name_problem, "display_name": display_name_problem}
    for key, check in checks.items():
        if key in body and (problem := check(body[key])):
            raise invalid_body(f"Payload validation error: {key} {problem}.")
    if "metadata" in body and (
        problem := metadata_problem(body["metadata"], allow_null_values=patch)
    ):
        raise invalid_body(f"Payload validation error: metadata {problem}.")
    if "branding" in body and not isinstance(body["branding"], dict):
        raise invalid_body("Payload validation error: branding must be an object.")


def _name_taken(ctx: Context, name: str, organization_id: str | None = None) -> None:
    holder = ctx.tenant.organizations.by_name(name)
    if holder is not None and holder.id != organization_id:
        raise ApiError(409, "An organization with this name already exists.")


async def create_organization(request: Request, ctx: Context) -> Response:
    """``POST /api/v2/organizations``: 201 with the organization (organizations-list.json #0)."""
    body = await read_payload(request)
    if not isinstance(body, dict):
        raise invalid_body("Payload validation error: 'Expected type object'.")
    if "name" not in body:
        raise invalid_body("Payload validation error: 'Missing required property: name'.")
    _check_fields(body, _CREATE_KEYS, patch=False)
    _name_taken(ctx, body["name"])
    organization = Organization(
        ids.organization_id(),
        body["name"],
        body.get("display_name"),
        body.get("branding"),
        dict(body.get("metadata") or {}),
        ctx.clock.now(),
    )
    ctx.tenant.organizations.add(organization)
    return json_response(organization.to_json(), 201)


async def get_organization(request: Request, ctx: Context) -> Response:
    return json_response(organization_of(ctx, request.path_params["id"]).to_json())


async def get_organization_by_name(request: Request, ctx: Context) -> Response:
    """``GET /api/v2/organizations/name/{name}`` (organizations-read-by-name.json #1)."""
    organization = ctx.tenant.organizations.by_name(request.path_params["name"])
    if organization is None:
        raise organization_not_found()
    return json_response(organization.to_json())


async def update_organization(request: Request, ctx: Context) -> Response:
    """``PATCH /api/v2/organizations/{id}``: 200 with the organization (organizations-update.json
    #1); ``metadata`` is merged key by key, ``null`` removing a key (assumed)."""
    organization = organization_of(ctx, request.path_params["id"])
    body = await read_payload(request)
    if not isinstance(body, dict):
        raise invalid_body("Payload validation error: 'Expected type object'.")
    _check_fields(body, _CREATE_KEYS, patch=True)
    if "name" in body:
        _name_taken(ctx, body["name"], organization.id)
        organization.name = body["name"]
    if "display_name" in body:
        organization.display_name = body["display_name"]
    if "branding" in body:
        organization.branding = body["branding"]
    for key, value in (body.get("metadata") or {}).items():
        if value is None:
            organization.metadata.pop(key, None)
        else:
            organization.metadata[key] = value
    return json_response(organization.to_json())


async def delete_organization(request: Request, ctx: Context) -> Response:
    """204; the members leave, the users stay (OAS); a second delete 404s (recorded)."""
    if not ctx.tenant.organizations.delete(request.path_params["id"]):
        raise organization_not_found()
    return json_response(None, 204)


async def list_user_organizations(request: Request, ctx: Context) -> Response:
    """``GET /api/v2/users/{id}/organizations`` (user-organizations.json #3)."""
    user_id = request.path_params["id"]
    if user_id not in ctx.tenant.users:
        raise user_not_found()
    page, per_page, totals = offset_paging(request, limited=False)
    organizations = ctx.tenant.organizations.organizations_of(user_id)
    items = [org.to_json() for org in organizations[page * per_page : (page + 1) * per_page]]
    return offset_answer(
        "organizations",
        items,
        page=page,
        per_page=per_page,
        total=len(organizations),
        totals=totals,
    )


#: the OAS ``security`` of each operation
READ = Scopes(any_of=("read:organizations", "read:organizations_summary"))

ROUTES = [
    Route("/api/v2/organizations", management(READ, list_organizations), methods=["GET"]),
    Route(
        "/api/v2/organizations",
        management(
            Scopes(any_of=("create:organizations",)),
            create_organization,
            operation="Create an Organization",
        ),
        methods=["POST"],
    ),
    Route(
        "/api/v2/organizations/name/{name}",
        management(Scopes(any_of=("read:organizations",)), get_organization_by_name),
        methods=["GET"],
    ),
    Route("/api/v2/organizations/{id}", management(READ, get_organization), methods=["GET"]),
    Route(
        "/api/v2/organizations/{id}",
        management(
            Scopes(any_of=("update:organizations",)),
            update_organization,
            operation="Modify an Organization",
        ),
        methods=["PATCH"],
    ),
    Route(
        "/api/v2/organizations/{id}",
        management(
            Scopes(any_of=("delete:organizations",)),
            delete_organization,
            operation="Delete organization",
            logged_empty_body={},
        ),
        methods=["DELETE"],
    ),
    Route(
        "/api/v2/users/{id}/organizations",
        management(Scopes(any_of=("read:organizations",)), list_user_organizations),
        methods=["GET"],
    ),
]
