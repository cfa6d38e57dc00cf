"""``/api/v1/users/{id}/lifecycle/*``: status transitions (reference §5).

Okta runs some transitions asynchronously (``transitioningToStatus``); here every
transition completes before the answer, so a following GET already sees the new status.
Calls with ``sendEmail=true`` count the email a real org would send (``org.emails``); users
of an IdP (FEDERATION or SOCIAL provider) get no activation link and no password reset.
"""

from __future__ import annotations

import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from spokesync.emulators.okta.endpoint import base_url, endpoint, query_bool
from spokesync.emulators.okta.errors import (
    OktaError,
    forbidden,
    validation_failed,
    wrong_status,
)
from spokesync.emulators.okta.log_events import log_event, user_target
from spokesync.emulators.okta.state import Org, UserRecord
from spokesync.emulators.okta.user_routes import deactivate, find_user


def _activation_answer(request: Request, send_email: bool) -> dict[str, Any]:
    """``{}`` when Okta mails the link (recorded with no query at all:
    okta/terraform/users-update-all-attributes.json #2), the link and token when
    ``sendEmail=false`` (okta/users-activate.json #1). The reference notes' "200
    UserActivationToken" holds for the latter only; the recordings win."""
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
    if send_email and not user.federated:
        org.emails["activation"] += 1
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
    if send_email:
        org.emails["activation"] += 1
    return JSONResponse(_activation_answer(request, send_email))


@endpoint("okta.users.manage")
async def deactivate_user(request: Request, org: Org) -> Response:
    """Any status but DEPROVISIONED -> DEPROVISIONED; 200 ``{}`` as recorded."""
    user = find_user(org, request.path_params["id"])
    if user.status == "DEPROVISIONED":
        raise wrong_status()
    deactivate(org, user, send_email=query_bool(request, "sendEmail", False))
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


#: statuses whose user carries a ``resetPassword`` link (spec ``User._links``)
_RESETTABLE = frozenset({"ACTIVE", "PROVISIONED", "RECOVERY", "LOCKED_OUT", "PASSWORD_EXPIRED"})


@endpoint("okta.users.manage")
async def reset_password(request: Request, org: Org) -> Response:
    """-> RECOVERY with a one-time reset link, mailed (``sendEmail``, legacy default true) or
    returned. ``provider=FEDERATION`` instead converts the user to federated (legacy users
    reference, "Convert a User to a Federated User": ``sendEmail`` false or omitted, ``{}``).

    A user of an IdP has no password to reset (spec ``AuthenticationProviderType``: FEDERATION
    "doesn't support a password"): 403 E0000006, the one 403 the spec documents for
    ``resetPassword``; the exact code real Okta sends here is not documented.
    """
    user = find_user(org, request.path_params["id"])
    provider = request.query_params.get("provider")
    if provider is not None:
        if provider != "FEDERATION":
            raise validation_failed("provider", ["provider: The value must be FEDERATION"])
        if query_bool(request, "sendEmail", False):
            raise validation_failed(
                "sendEmail", ["sendEmail: must be false to convert a user to federated"]
            )
        user.provider_type = user.provider_name = "FEDERATION"
        user.has_password = False
        user.last_updated = org.clock()
        return JSONResponse({})
    send_email = query_bool(request, "sendEmail", True)
    if user.federated:
        raise forbidden()
    if user.status not in _RESETTABLE:
        raise wrong_status()
    _set_status(user, "RECOVERY", org.clock())
    if send_email:
        org.emails["password_reset"] += 1
        return JSONResponse({})
    token = secrets.token_urlsafe(15)
    return JSONResponse({"resetPasswordUrl": f"{base_url(request)}/reset_password/{token}"})


_PREFIX = "/api/v1/users/{id}/lifecycle"
ROUTES = [
    Route(f"{_PREFIX}/activate", activate, methods=["POST"]),
    Route(f"{_PREFIX}/reactivate", reactivate, methods=["POST"]),
    Route(f"{_PREFIX}/deactivate", deactivate_user, methods=["POST"]),
    Route(f"{_PREFIX}/suspend", suspend, methods=["POST"]),
    Route(f"{_PREFIX}/unsuspend", unsuspend, methods=["POST"]),
    Route(f"{_PREFIX}/reset_password", reset_password, methods=["POST"]),
]
