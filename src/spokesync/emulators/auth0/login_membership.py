"""Control plane ``POST /_emulator/organizations/{id}/login-members``: a user joins at login.

A real tenant adds organization members outside the Management API too: a user accepting an
invitation, or logging in through a connection with auto-membership. Neither can be driven
through an API the emulator serves, so this route does what such a login does: it makes the
user a member (with the invitation's roles, if any) and logs ``organization_member_added``
(tenant-logs schema: ``details.reason`` ``invitation`` or ``auto_membership``).

Body: ``{"user_id": "auth0|...", "reason": "invitation", "roles": ["rol_..."],
"client_id": "..."}``; ``reason`` defaults to ``auto_membership``, ``roles`` to none,
``client_id`` (the application logged into) to ``""``. Answers 200 ``{"log_id"}``; 404 for an
unknown organization or user, 409 when the user is a member already, 400 for a bad body.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from spokesync.emulators.auth0 import log_entries
from spokesync.emulators.auth0.endpoint import context_of
from spokesync.emulators.auth0.organizations import MAX_ROLES_PER_MEMBER

REASONS = ("invitation", "auto_membership")


def _refuse(status: int, error: str) -> Response:
    return JSONResponse({"error": error}, status_code=status)


async def _body(request: Request) -> dict[str, Any] | None:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


async def add_login_member(request: Request) -> Response:
    ctx = context_of(request)
    tenant = ctx.tenant
    organization = tenant.organizations.get(request.path_params["id"])
    if organization is None:
        return _refuse(404, f"no organization {request.path_params['id']!r}")
    body = await _body(request)
    if body is None:
        return _refuse(400, 'expected {"user_id": ..., "reason": "invitation"|"auto_membership"}')
    user_id, reason = body.get("user_id"), body.get("reason", "auto_membership")
    roles, client_id = body.get("roles", []), body.get("client_id", "")
    if reason not in REASONS:
        return _refuse(400, f"reason must be one of {', '.join(REASONS)}")
    if not isinstance(client_id, str):
        return _refuse(400, "client_id must be a string")
    if not isinstance(roles, list) or any(role not in tenant.roles for role in roles):
        return _refuse(400, "roles must be a list of role ids of the tenant")
    if len(set(roles)) > MAX_ROLES_PER_MEMBER:
        return _refuse(400, f"at most {MAX_ROLES_PER_MEMBER} roles per organization member")
    doc = tenant.users.get(user_id) if isinstance(user_id, str) else None
    if doc is None:
        return _refuse(404, f"no user {user_id!r}")
    if not tenant.organizations.add_member(organization.id, doc["user_id"]):
        return _refuse(409, f"{user_id} is a member of {organization.name} already")
    tenant.organizations.assign_roles(organization.id, doc["user_id"], roles)
    entry = ctx.logs.append(
        log_entries.organization_member_added(
            request,
            doc,
            organization_id=organization.id,
            organization_name=organization.name,
            reason=reason,
            client_id=client_id,
            connection_id=tenant.connection.id,
            tenant=tenant.name,
        )
    )
    return JSONResponse({"log_id": entry["log_id"]})


CONTROL_ROUTES: list[BaseRoute] = [
    Route("/_emulator/organizations/{id}/login-members", add_login_member, methods=["POST"])
]
