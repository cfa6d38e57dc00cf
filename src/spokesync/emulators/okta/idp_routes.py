"""``/api/v1/idps``: identity providers and the links of Okta users to them (reference §7)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from spokesync.emulators.okta.endpoint import base_url, endpoint, json_object, no_content
from spokesync.emulators.okta.errors import not_found, validation_failed
from spokesync.emulators.okta.paging import link_headers, page_of, parse_limit
from spokesync.emulators.okta.render import idp_json, idp_link_json
from spokesync.emulators.okta.state import IdpLink, IdpRecord, Org

MAX_EXTERNAL_ID = 512


def _find_idp(org: Org, idp_id: str, kind: str) -> IdpRecord:
    idp = org.idps.get(idp_id)
    if idp is None:
        raise not_found(idp_id, kind)
    return idp


def _find_link(org: Org, idp_id: str, user_id: str) -> IdpLink:
    link = org.idp_links[idp_id].get(user_id)
    if link is None:
        raise not_found(user_id, "User")
    return link


@endpoint("okta.idps.read")
async def list_idps(request: Request, org: Org) -> Response:
    """``GET /api/v1/idps``: the seeded IdPs, ``limit`` default 20."""
    base = base_url(request)
    limit = parse_limit(request.query_params.get("limit"), 20, 200)
    after = request.query_params.get("after")
    page = page_of(sorted(org.idps), after, limit)
    response = JSONResponse([idp_json(org.idps[idp_id], base) for idp_id in page.ids])
    for link in link_headers(
        base, "/api/v1/idps", limit, [], after=after, next_cursor=page.next_cursor
    ):
        response.headers.append("link", link)
    return response


@endpoint("okta.idps.read")
async def get_idp(request: Request, org: Org) -> Response:
    """``GET /api/v1/idps/{idpId}``; a miss names ``(IdpTrust)`` as recorded."""
    idp = _find_idp(org, request.path_params["idpId"], "IdpTrust")
    return JSONResponse(idp_json(idp, base_url(request)))


@endpoint("okta.users.manage")
async def link_user(request: Request, org: Org) -> Response:
    """``POST /api/v1/idps/{idpId}/users/{userId}`` ``{"externalId"}``: 200 and the link.

    One externalId names one Okta user per IdP: linking a second user with it is 400
    E0000001. Relinking the same user with the same externalId answers the link again;
    with another externalId it is 400 E0000001 too (unlink first).
    """
    idp = _find_idp(org, request.path_params["idpId"], "IdpAppInstance")
    user_id = request.path_params["userId"]
    body = await json_object(request, ("externalId",))
    if user_id not in org.users:
        raise not_found(user_id, "User")
    external_id = body.get("externalId")
    if not isinstance(external_id, str) or not external_id.strip():
        raise validation_failed("externalId", ["externalId: The field cannot be left blank"])
    if len(external_id) > MAX_EXTERNAL_ID:
        raise validation_failed(
            "externalId", [f"externalId: The field cannot exceed {MAX_EXTERNAL_ID} characters"]
        )
    holder = org.idp_external_ids[idp.id].get(external_id)
    existing = org.idp_links[idp.id].get(user_id)
    if holder is not None and holder != user_id:
        raise validation_failed(
            "externalId",
            ["externalId: Another user is already linked to this external id for this IdP"],
        )
    if existing is not None and existing.external_id != external_id:
        raise validation_failed(
            "externalId", ["externalId: The user is already linked to this IdP"]
        )
    link = existing or org.link(idp.id, user_id, external_id)
    return JSONResponse(idp_link_json(link, base_url(request)))


@endpoint("okta.idps.read")
async def list_links(request: Request, org: Org) -> Response:
    """``GET /api/v1/idps/{idpId}/users``: ``limit`` default 20, max 200, Link headers."""
    idp = _find_idp(org, request.path_params["idpId"], "IdpAppInstance")
    base = base_url(request)
    limit = parse_limit(request.query_params.get("limit"), 20, 200)
    after = request.query_params.get("after")
    links = org.idp_links[idp.id]
    page = page_of(sorted(links), after, limit)
    response = JSONResponse([idp_link_json(links[uid], base) for uid in page.ids])
    path = f"/api/v1/idps/{idp.id}/users"
    for header in link_headers(base, path, limit, [], after=after, next_cursor=page.next_cursor):
        response.headers.append("link", header)
    return response


@endpoint("okta.idps.read")
async def get_link(request: Request, org: Org) -> Response:
    idp = _find_idp(org, request.path_params["idpId"], "IdpAppInstance")
    link = _find_link(org, idp.id, request.path_params["userId"])
    return JSONResponse(idp_link_json(link, base_url(request)))


@endpoint("okta.idps.manage")
async def unlink_user(request: Request, org: Org) -> Response:
    """``DELETE``: 204; 404 when the user is not linked to this IdP."""
    idp = _find_idp(org, request.path_params["idpId"], "IdpAppInstance")
    link = _find_link(org, idp.id, request.path_params["userId"])
    org.unlink(idp.id, link.user_id)
    return no_content()


ROUTES = [
    Route("/api/v1/idps", list_idps, methods=["GET"]),
    Route("/api/v1/idps/{idpId}", get_idp, methods=["GET"]),
    Route("/api/v1/idps/{idpId}/users", list_links, methods=["GET"]),
    Route("/api/v1/idps/{idpId}/users/{userId}", link_user, methods=["POST"]),
    Route("/api/v1/idps/{idpId}/users/{userId}", get_link, methods=["GET"]),
    Route("/api/v1/idps/{idpId}/users/{userId}", unlink_user, methods=["DELETE"]),
]
