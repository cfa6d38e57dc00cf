"""The tenant-log entries a Management API write produces, shaped as the recordings show them.

Followed, in order of authority:

- recordings logs.json #2 and logs-checkpoint.json #0, #1: the key set and the nulls of a
  ``sapi`` entry (``connection``, ``user_id``, ``hostname``... are ``null``), its
  ``details.request`` (``auth``, ``body``, ``channel``, ``ip``, lower-case ``method``, the
  percent-encoded ``path``, ``query``, ``userAgent``) and ``details.response``
  (``body``, ``statusCode``; a 204 logs ``body: {}``); the ``ss`` entry that follows a user
  created through the API, with its ``details.body`` and the new user in ``user_id``;
- the OAS: a ``sapi`` ``description`` is the operation's summary ("Create a User",
  "Delete a User", "Create a role" in the recordings are the OAS summaries);
- the tenant-logs schema (``sdu``: ``details.body`` with ``connection`` and ``tenant``,
  ``strategy`` and ``strategy_type``).

Assumed where nothing says: the role-assignment entries (``POST /api/v2/roles/{id}/users``,
``POST|DELETE /api/v2/users/{id}/roles``) are ``sapi`` like every other write (reference §7
marks their exact text unconfirmed); deleting a user through the API logs ``sapi`` then ``sdu``;
``client_name`` is ``""`` (clients have no name in the seed; the recorded ``sapi`` entries
also carry ``""``); passwords in logged bodies read ``REDACTED``, as in the recordings; the
top-level ``scope`` (in the 2023-03 recording, gone by 2023-06) is left out.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from spokesync.emulators.auth0.state import UserDoc

#: what the recordings show for a client without a parsed browser (``user_agent``)
USER_AGENT = "Other 0.0.0 / Other 0.0.0"
#: how the recordings show a password in a logged body
REDACTED = "REDACTED"
_FOLLOW_UPS = "tenant_log_follow_ups"
_SOCIAL_OR_ENTERPRISE = {"samlp": "enterprise", "oidc": "enterprise", "waad": "enterprise"}


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "127.0.0.1"


def _common(request: Request, client_id: str) -> dict[str, Any]:
    """The keys every recorded entry has, with the values of an API call by ``client_id``."""
    return {
        "connection": None,
        "connection_id": None,
        "organization_id": None,
        "organization_name": None,
        "client_id": client_id,
        "client_name": "",
        "ip": _client_ip(request),
        "hostname": None,
        "user_id": None,
        "user_name": None,
        "user_agent": USER_AGENT,
        "audience": None,
        "strategy": None,
        "strategy_type": None,
        "isMobile": False,
        "location_info": None,
    }


def _without_password(body: Any) -> Any:
    if isinstance(body, dict) and "password" in body:
        return {**body, "password": REDACTED}
    return body


def _decoded(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


def _logged_body(raw: bytes, empty: Any) -> Any:
    decoded = _decoded(raw)
    return empty if decoded is None else _without_password(decoded)


def api_operation(
    request: Request,
    response: Response,
    *,
    description: str,
    client_id: str,
    scopes: frozenset[str],
    request_body: bytes,
    empty_body: Any = None,
) -> dict[str, Any]:
    """The ``sapi`` ("Success API Operation") entry of a write that succeeded; a request
    without a body logs ``empty_body`` as its body."""
    raw_path = request.scope.get("raw_path")
    path = raw_path.decode("latin-1").split("?")[0] if raw_path else request.url.path
    response_body = _decoded(bytes(response.body))
    return {
        **_common(request, client_id),
        "type": "sapi",
        "description": description,
        "details": {
            "request": {
                "auth": {
                    "credentials": {"scopes": sorted(scopes)},
                    "strategy": "jwt",
                    "user": {},
                },
                "body": _logged_body(request_body, empty_body),
                "channel": "api",
                "ip": _client_ip(request),
                "method": request.method.lower(),
                "path": path,
                "query": dict(request.query_params),
                "userAgent": request.headers.get("user-agent", ""),
            },
            "response": {
                "body": {} if response_body is None else response_body,
                "statusCode": response.status_code,
            },
        },
    }


def _strategy(doc: UserDoc) -> tuple[str, str]:
    """``(strategy, strategy_type)`` of the user's first identity."""
    identities = doc.get("identities") or [{}]
    provider = str(identities[0].get("provider", "auth0"))
    if provider == "auth0":
        return provider, "database"
    return provider, _SOCIAL_OR_ENTERPRISE.get(provider, "social")


def _user_part(doc: UserDoc, connection_id: str, tenant: str) -> dict[str, Any]:
    connection = str((doc.get("identities") or [{}])[0].get("connection", ""))
    strategy, strategy_type = _strategy(doc)
    return {
        "connection": connection,
        "connection_id": connection_id if strategy == "auth0" else "",
        "user_id": doc["user_id"],
        "user_name": doc.get("username") or doc.get("email") or "",
        "strategy": strategy,
        "strategy_type": strategy_type,
        "details": {"body": {"connection": connection, "tenant": tenant}},
    }


def signup(
    request: Request,
    doc: UserDoc,
    body: dict[str, Any],
    *,
    client_id: str,
    connection_id: str,
    tenant: str,
) -> dict[str, Any]:
    """The ``ss`` ("Success Signup") entry of a user created through the API."""
    entry = {**_common(request, client_id), "type": "ss", "description": ""}
    entry.update(_user_part(doc, connection_id, tenant))
    entry["details"] = {
        "body": {
            **_without_password(body),
            "client_id": client_id,
            "connection": entry["connection"],
            "tenant": tenant,
        }
    }
    return entry


def user_deletion(
    request: Request, doc: UserDoc, *, client_id: str, connection_id: str, tenant: str
) -> dict[str, Any]:
    """The ``sdu`` ("Success User Deletion") entry of a user deleted through the API."""
    entry = {**_common(request, client_id), "type": "sdu", "description": ""}
    entry.update(_user_part(doc, connection_id, tenant))
    return entry


def organization_member_added(
    request: Request,
    doc: UserDoc,
    *,
    organization_id: str,
    organization_name: str,
    reason: str,
    client_id: str,
    connection_id: str,
    tenant: str,
) -> dict[str, Any]:
    """The ``organization_member_added`` entry of a user who became a member at login.

    Shape from the tenant-logs schema (no recording has one): ``organization_id`` and
    ``organization_name`` at the top level, ``details.reason`` ``invitation`` or
    ``auto_membership``. ``details.organization_id`` repeats the organization (issue 19 names
    that key; the schema's ``details`` allows more keys). ``hostname`` is the tenant's host as
    the request named it; ``description`` is empty as on ``ss`` (assumed).
    """
    entry = {**_common(request, client_id), "type": "organization_member_added", "description": ""}
    entry.update(_user_part(doc, connection_id, tenant))
    entry["organization_id"] = organization_id
    entry["organization_name"] = organization_name
    entry["hostname"] = request.url.netloc
    entry["details"] = {"reason": reason, "organization_id": organization_id}
    return entry


def follow_up(request: Request, entry: dict[str, Any]) -> None:
    """Queue an entry to be logged after the request's ``sapi`` entry (ids keep that order)."""
    queued: list[dict[str, Any]] = getattr(request.state, _FOLLOW_UPS, [])
    queued.append(entry)
    setattr(request.state, _FOLLOW_UPS, queued)


def follow_ups(request: Request) -> list[dict[str, Any]]:
    """The entries queued by :func:`follow_up`."""
    queued: list[dict[str, Any]] = getattr(request.state, _FOLLOW_UPS, [])
    return queued
