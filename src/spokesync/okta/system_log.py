"""System Log events (``GET /api/v1/logs``) as typed values: only the fields live mode reads.

From the official spec's ``LogEvent`` (``uuid``, ``published``, ``eventType``, ``actor``,
``client``, ``outcome``, ``target[]``). Parsed tolerantly: a field of an unexpected type reads
as absent, and an event without ``uuid`` or ``eventType`` is skipped by the client, because an
event we cannot read is one we ignore, not one that stops live mode.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from spokesync.okta.models import ShapeError


@dataclass(frozen=True, slots=True)
class LogTarget:
    """One ``target`` of an event: a user, a group, an app..."""

    id: str
    type: str


@dataclass(frozen=True, slots=True)
class SystemLogEvent:
    """One System Log event."""

    uuid: str
    event_type: str
    published: str | None = None
    actor_id: str | None = None
    #: ``client.id``: the OAuth client an API call came through, when Okta knows it
    client_id: str | None = None
    #: ``outcome.result``: SUCCESS, FAILURE, ...
    outcome: str | None = None
    targets: tuple[LogTarget, ...] = ()

    def targets_of(self, kind: str) -> tuple[str, ...]:
        """The ids of the targets of type ``kind`` (``User``, ``UserGroup``)."""
        return tuple(t.id for t in self.targets if t.type == kind)


def _text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) and value else None


def _object(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def parse_log_event(value: Any) -> SystemLogEvent:
    """One ``LogEvent``; ``ShapeError`` only when it has no ``uuid`` or ``eventType``."""
    if not isinstance(value, dict):
        raise ShapeError("log event is not a JSON object")
    uuid, event_type = _text(value, "uuid"), _text(value, "eventType")
    if uuid is None or event_type is None:
        raise ShapeError("log event has no uuid or eventType")
    raw_targets = value.get("target")
    targets = tuple(
        LogTarget(t["id"], _text(t, "type") or "")
        for t in (raw_targets if isinstance(raw_targets, list) else [])
        if isinstance(t, dict) and isinstance(t.get("id"), str)
    )
    return SystemLogEvent(
        uuid=uuid,
        event_type=event_type,
        published=_text(value, "published"),
        actor_id=_text(_object(value, "actor"), "id"),
        client_id=_text(_object(value, "client"), "id"),
        outcome=_text(_object(value, "outcome"), "result"),
        targets=targets,
    )
