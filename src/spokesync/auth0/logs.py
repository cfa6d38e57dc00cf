"""Tenant log entries (``GET /api/v2/logs``) as typed values: only the fields live mode reads.

Parsed tolerantly, after the tenant-logs schema (``sapi``: ``details.request`` with ``method``,
``path``, ``body``) and the recordings (logs.json, logs-checkpoint.json): every field but
``log_id`` may be missing or null, and an unexpected type reads as absent rather than failing
the poll, because an entry we cannot read is one we ignore, not one that stops live mode.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from spokesync.auth0.models import ShapeError, required_str
from spokesync.domain import NO_METADATA


@dataclass(frozen=True, slots=True)
class LogRequest:
    """``details.request`` of a Management API entry: what was called, with what body."""

    method: str
    path: str
    body: Any = None


@dataclass(frozen=True, slots=True)
class TenantLogEntry:
    """One tenant log entry."""

    log_id: str
    type: str
    date: str | None = None
    client_id: str | None = None
    #: the user the entry is about (a signup, a deletion), or who acted (an API call)
    user_id: str | None = None
    request: LogRequest | None = None
    #: ``details.response.body`` (a created user's id is there)
    response_body: Mapping[str, Any] = field(default_factory=lambda: NO_METADATA)
    #: the organization an ``organization_member_added`` entry is about
    #: (``details.organization_id``, else the entry's own ``organization_id``)
    organization_id: str | None = None
    #: ``details.user_id``, where an entry names the member there
    details_user_id: str | None = None


def _text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) and value else None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else NO_METADATA


def _request(details: Mapping[str, Any]) -> LogRequest | None:
    request = _mapping(details.get("request"))
    method, path = _text(request, "method"), _text(request, "path")
    if method is None or path is None:
        return None
    # The recordings log the method in lower case ("delete").
    return LogRequest(method=method.upper(), path=path, body=request.get("body"))


def parse_log_entry(value: Any) -> TenantLogEntry:
    """One entry of a ``GET /api/v2/logs`` answer; ``ShapeError`` only without a ``log_id``."""
    if not isinstance(value, dict):
        raise ShapeError("log entry is not a JSON object")
    details = _mapping(value.get("details"))
    return TenantLogEntry(
        log_id=required_str(value, "log_id", "log entry"),
        type=_text(value, "type") or "",
        date=_text(value, "date"),
        client_id=_text(value, "client_id"),
        user_id=_text(value, "user_id"),
        request=_request(details),
        response_body=_mapping(_mapping(details.get("response")).get("body")),
        organization_id=_text(details, "organization_id") or _text(value, "organization_id"),
        details_user_id=_text(details, "user_id"),
    )


def log_id_order(log_id: str) -> tuple[int, str]:
    """Sort key of log ids: numeric strings of one length sort as text; longer is newer."""
    return (len(log_id), log_id)
