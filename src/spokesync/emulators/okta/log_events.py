"""The ``LogEvent`` a write made through the API appends to the System Log.

Followed: the spec's ``LogEvent`` schema and its ``ListLogs`` example (key names, ``version``
"0", ``transaction.type`` "WEB", ``outcome.result``, ``severity``), and the spec's
``LogTransaction`` text: an API-token request carries ``transaction.detail.requestApiTokenId``.
The spec allows no nulls outside ``securityContext``, so values the example shows as null are
left out. ``eventType`` names are those of Okta's event-type catalog; the ``displayMessage``
and ``legacyEventType`` texts below are recalled from the catalog, not from the shared material
(unconfirmed).

The actor says who wrote, so a client can recognise its own writes:

- an OAuth service app: ``{"id": client_id, "type": "PublicClientApp", "alternateId":
  client_id, "displayName": client_id}``, and ``client.id`` is the client_id too;
- an SSWS API token: the token's owner, ``{"id": "00u…", "type": "User", ...}``, with
  ``transaction.detail.requestApiTokenId`` the token's id (``00T…``). Seeded tokens have no
  owner, so both ids are derived from the token (``auth.api_token_id``): stable for a token,
  different between tokens, and never the token itself.
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request

from spokesync.emulators.okta.auth import Caller
from spokesync.emulators.okta.formats import iso_timestamp
from spokesync.emulators.okta.state import GroupRecord, Org, UserRecord

#: eventType -> (displayMessage, legacyEventType or None)
EVENT_TYPES: dict[str, tuple[str, str | None]] = {
    "user.lifecycle.create": ("Create Okta user", "core.user.config.user_creation.success"),
    "user.lifecycle.activate": ("Activate Okta user", "core.user.config.user_activated"),
    "user.lifecycle.reactivate": ("Reactivate Okta user", None),
    "user.lifecycle.deactivate": ("Deactivate Okta user", "core.user.config.user_deactivated"),
    "user.lifecycle.suspend": ("Suspend Okta user", "core.user.config.user_status.suspended"),
    "user.lifecycle.unsuspend": (
        "Unsuspend Okta user",
        "core.user.config.user_status.unsuspended",
    ),
    "user.lifecycle.delete.initiated": ("Delete Okta user", None),
    "user.account.update_profile": (
        "Update user profile for Okta",
        "core.user.config.profile_update.success",
    ),
    "group.lifecycle.create": ("Create Okta group", None),
    "group.profile.update": ("Update group profile", None),
    "group.lifecycle.delete": ("Delete Okta group", None),
    "group.user_membership.add": (
        "Add user to group membership",
        "core.user_group_member.user_add",
    ),
    "group.user_membership.remove": (
        "Remove user from group membership",
        "core.user_group_member.user_remove",
    ),
}


def actor_of(caller: Caller) -> dict[str, Any]:
    """The ``actor`` of an event written by ``caller``."""
    if caller.kind == "oauth":
        return {
            "id": caller.id,
            "type": "PublicClientApp",
            "alternateId": caller.id,
            "displayName": caller.id,
        }
    owner = "00u" + caller.id[3:]
    return {
        "id": owner,
        "type": "User",
        "alternateId": f"{owner}@api-token.invalid",
        "displayName": f"Owner of API token {caller.id}",
    }


def user_target(user: UserRecord) -> dict[str, Any]:
    profile = user.profile
    name = " ".join(str(profile[key]) for key in ("firstName", "lastName") if profile.get(key))
    return {
        "id": user.id,
        "type": "User",
        "alternateId": str(profile["login"]),
        "displayName": name or str(profile["login"]),
    }


def group_target(group: GroupRecord) -> dict[str, Any]:
    # Okta names groups "unknown" in alternateId; the name is the displayName
    return {
        "id": group.id,
        "type": "UserGroup",
        "alternateId": "unknown",
        "displayName": group.name,
    }


def _ip(request: Request) -> str:
    return request.client.host if request.client else "127.0.0.1"


def log_event(
    request: Request, org: Org, event_type: str, targets: list[dict[str, Any]]
) -> dict[str, Any]:
    """Append the event of a successful write by this request's caller; returns it."""
    caller: Caller = request.state.caller
    display_message, legacy = EVENT_TYPES[event_type]
    now = org.clock()
    request_id = uuid.UUID(int=org.rng.getrandbits(128)).hex[:27]
    ip = _ip(request)
    client: dict[str, Any] = {
        "userAgent": {
            "rawUserAgent": request.headers.get("user-agent", ""),
            "os": "Unknown",
            "browser": "UNKNOWN",
        },
        "device": "Unknown",
        "ipAddress": ip,
    }
    detail: dict[str, Any] = {}
    if caller.kind == "oauth":
        client["id"] = caller.id
    else:
        detail["requestApiTokenId"] = caller.id
    event: dict[str, Any] = {
        "actor": actor_of(caller),
        "client": client,
        "authenticationContext": {"authenticationStep": 0, "externalSessionId": "unknown"},
        "displayMessage": display_message,
        "eventType": event_type,
        "outcome": {"result": "SUCCESS"},
        "published": iso_timestamp(now),
        "securityContext": {
            "asNumber": None,
            "asOrg": None,
            "isp": None,
            "domain": None,
            "isProxy": None,
        },
        "severity": "INFO",
        "debugContext": {
            "debugData": {
                "requestId": request_id,
                "requestUri": request.url.path,
                "url": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
            }
        },
        "transaction": {"type": "WEB", "id": request_id, "detail": detail},
        "uuid": str(uuid.UUID(int=org.rng.getrandbits(128), version=4)),
        "version": "0",
        "request": {"ipChain": [{"ip": ip, "version": "V4" if "." in ip else "V6"}]},
        "target": targets,
    }
    if legacy is not None:
        event["legacyEventType"] = legacy
    org.system_log.append(event, now)
    return event
