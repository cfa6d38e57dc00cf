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

import sys
import uuid
from typing import Any

from starlette.requests import Request

from spokesync.emulators.okta.formats import iso_timestamp
from spokesync.emulators.okta.state import GroupRecord, Org, UserRecord
from spokesync.emulators.okta.system_log import LoggedWrite, StoredEvent, Target

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


def actor(write: LoggedWrite) -> dict[str, Any]:
    """The ``actor`` of an event: the OAuth client, or the API token's owner."""
    if write.caller_kind == "oauth":
        return {
            "id": write.caller_id,
            "type": "PublicClientApp",
            "alternateId": write.caller_id,
            "displayName": write.caller_id,
        }
    owner = "00u" + write.caller_id[3:]
    return {
        "id": owner,
        "type": "User",
        "alternateId": f"{owner}@api-token.invalid",
        "displayName": f"Owner of API token {write.caller_id}",
    }


def user_target(user: UserRecord) -> Target:
    profile = user.profile
    login = str(profile["login"])
    name = " ".join(str(profile[key]) for key in ("firstName", "lastName") if profile.get(key))
    return (user.id, "User", login, name or login)


def group_target(group: GroupRecord) -> Target:
    # Okta names groups "unknown" in alternateId; the name is the displayName
    return (group.id, "UserGroup", "unknown", group.name)


def log_event(request: Request, org: Org, event_type: str, targets: list[Target]) -> None:
    """Append the event of a successful write by this request's caller."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type}")
    caller = request.state.caller
    write = LoggedWrite(
        event_type=event_type,
        caller_kind=caller.kind,
        caller_id=caller.id,
        targets=tuple(targets),
        entropy=org.rng.getrandbits(128),
        # the same few values on every event: one copy each
        ip=sys.intern(request.client.host if request.client else "127.0.0.1"),
        user_agent=sys.intern(request.headers.get("user-agent", "")),
        path=request.url.path,
        query=request.url.query,
    )
    org.system_log.append(write, org.clock())


def render(stored: StoredEvent) -> dict[str, Any]:
    """The ``LogEvent`` document of a stored event."""
    write = stored.write
    display_message, legacy = EVENT_TYPES[write.event_type]
    request_id = f"{write.entropy:032x}"[:27]
    client: dict[str, Any] = {
        "userAgent": {"rawUserAgent": write.user_agent, "os": "Unknown", "browser": "UNKNOWN"},
        "device": "Unknown",
        "ipAddress": write.ip,
    }
    detail: dict[str, Any] = {}
    if write.caller_kind == "oauth":
        client["id"] = write.caller_id
    else:
        detail["requestApiTokenId"] = write.caller_id
    event: dict[str, Any] = {
        "actor": actor(write),
        "client": client,
        "authenticationContext": {"authenticationStep": 0, "externalSessionId": "unknown"},
        "displayMessage": display_message,
        "eventType": write.event_type,
        "outcome": {"result": "SUCCESS"},
        "published": iso_timestamp(stored.published),
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
                "requestUri": write.path,
                "url": write.path + (f"?{write.query}" if write.query else ""),
            }
        },
        "transaction": {"type": "WEB", "id": request_id, "detail": detail},
        "uuid": str(uuid.UUID(int=write.entropy, version=4)),
        "version": "0",
        "request": {"ipChain": [{"ip": write.ip, "version": "V4" if "." in write.ip else "V6"}]},
        "target": [
            {"id": id_, "type": kind, "alternateId": alternate, "displayName": name}
            for id_, kind, alternate, name in write.targets
        ],
    }
    if legacy is not None:
        event["legacyEventType"] = legacy
    return event
