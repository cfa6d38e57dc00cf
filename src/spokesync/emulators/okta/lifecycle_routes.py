"""``/api/v1/users/{id}/lifecycle/*``: status transitions (reference §5).

Okta runs some transitions asynchronously (``transitioningToStatus``); here every
transition completes before the answer, so a following GET already sees the new status.
"""

from __future__ import annotations

import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from spokesync.emulators.okta.endpoint import base_url, endpoint, query_bool
from spokesync.emulators.okta.errors import OktaError, validation_failed, wrong_status
from spokesync.emulators.okta.log_events import log_event, user_target
from spokesync.emulators.okta.state import Org, UserRecord
from spokesync.emulators.okta.user_routes import deactivate, find_user


def _activation_answer(request: Request, send_email: bool) -> dict[str, Any]:
    """``{}`` when Okta mails the link; the link and token when ``sendEmail=false``."""
    if send_email:
        return {}
    token = secrets.token_urlsafe(15)
    return {
        "activationUrl": f"{base_url(request)}/tokens/{token}/verify",
        "activationToken": token,
    }


def _set_status(user: UserRecord, status: str, now: float) -> None:
    user.status = status
    user.status_changed = now
    user.last_updated = now
    if status == "ACTIVE" and user.activated is None:
        user.activated = now


@endpoint("okta.users.manage")
async def activate(request: Request, org: Org) -> Response:
    """STAGED or DEPROVISIONED -> ACTIVE (password or IdP credential) or PROVISIONED."""
    user = find_user(org, request.path_params["id"])
    send_email = query_bool(request, "sendEmail", True)
    if user.status == "ACTIVE":
        raise OktaError(403, "E0000016", "Activation failed because the user is already active")
    if user.status not in ("STAGED", "DEPROVISIONED"):
        raise wrong_status()
    now = org.clock()
    _set_status(user, "ACTIVE" if user.can_sign_in_at_once else "PROVISIONED", now)
    log_event(request, org, "user.lifecycle.activate", [user_target(user)])
    return JSONResponse(_activation_answer(request, send_email))


@endpoint("okta.users.manage")
async def reactivate(request: Request, org: Org) -> Response:
    """PROVISIONED or RECOVERY only (else 403 E0000038, as recorded): restarts activation."""
    user = find_user(org, request.path_params["id"])
    send_email = query_bool(request, "sendEmail", False)
    if user.status not in ("PROVISIONED", "RECOVERY"):
        raise wrong_status()
    _set_status(user, "PROVISIONED", org.clock())
    log_event(request, org, "user.lifecycle.reactivate", [user_target(user)])
    return JSONResponse(_activation_answer(request, send_email))


@endpoint("okta.users.manage")
async def deactivate_user(request: Request, org: Org) -> Response:
    """Any status but DEPROVISIONED -> DEPROVISIONED; 200 ``{}`` as recorded."""
    user = find_user(org, request.path_params["id"])
    if user.status == "DEPROVISIONED":
        raise wrong_status()
    deactivate(user, org.clock())
    log_event(request, org, "user.lifecycle.deactivate", [user_target(user)])
    return JSONResponse({})


@endpoint("okta.users.manage")
async def suspend(request: Request, org: Org) -> Response:
    """ACTIVE -> SUSPENDED; other statuses get 400 E0000001 (legacy users reference)."""
    user = find_user(org, request.path_params["id"])
    if user.status != "ACTIVE":
        raise validation_failed("suspendUser", ["Cannot suspend a user that is not active"])
    _set_status(user, "SUSPENDED", org.clock())
    log_event(request, org, "user.lifecycle.suspend", [user_target(user)])
    return JSONResponse({})


@endpoint("okta.users.manage")
async def unsuspend(request: Request, org: Org) -> Response:
    """SUSPENDED -> ACTIVE; other statuses get 400 E0000001 (legacy users reference)."""
    user = find_user(org, request.path_params["id"])
    if user.status != "SUSPENDED":
        raise validation_failed("unsuspendUser", ["Cannot unsuspend a user that is not suspended"])
    _set_status(user, "ACTIVE", org.clock())
    log_event(request, org, "user.lifecycle.unsuspend", [user_target(user)])
    return JSONResponse({})


_PREFIX = "/api/v1/users/{id}/lifecycle"
ROUTES = [
    Route(f"{_PREFIX}/activate", activate, methods=["POST"]),
    Route(f"{_PREFIX}/reactivate", reactivate, methods=["POST"]),
    Route(f"{_PREFIX}/deactivate", deactivate_user, methods=["POST"]),
    Route(f"{_PREFIX}/suspend", suspend, methods=["POST"]),
    Route(f"{_PREFIX}/unsuspend", unsuspend, methods=["POST"]),
]
