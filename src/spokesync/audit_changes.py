"""An audit row as a person reads it: ``firstName: User1 → Zoë``, ``group: Salesforce Users``,
instead of the JSON the store keeps. Pure, and read the same by ``audit`` (which makes the
values inert) and the dashboard's audit trail (whose template escapes them)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from spokesync.domain import GROUP_WORK
from spokesync.store.base import AuditRecord

#: A value longer than this is cut (metadata can be long; the JSON API has it whole).
VALUE_CHARS = 120
#: Keys of "after" that say where the change landed, not what changed.
_BOOKKEEPING = frozenset({"okta_id"})
#: What the "deprovisioned" flag of a lifecycle action means.
_DEPROVISIONED = {True: "yes", False: "no"}


@dataclass(frozen=True, slots=True)
class Change:
    """One line of what an action changed: ``field: old → new`` (``old`` None: set anew).

    A membership is the field ``group``, its value the group's name (its id when the name is
    not known) and ``group_id`` the id; a group's own action names it by id alone.
    """

    field: str
    old: str | None
    new: str | None
    group_id: str | None = None


def value_text(value: Any) -> str:
    """A value on one line: text as it is, anything else as compact JSON, cut when long."""
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool) and value in _DEPROVISIONED:
        text = _DEPROVISIONED[value]
    else:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    text = " ".join(text.split()) if "\n" in text else text
    return text if len(text) <= VALUE_CHARS else text[: VALUE_CHARS - 1] + "…"


def _flat(values: Mapping[str, Any] | None, prefix: str = "") -> dict[str, Any]:
    """Nested objects as dotted keys (``app_metadata.hub_status``), one level of nesting."""
    out: dict[str, Any] = {}
    for key, value in (values or {}).items():
        if isinstance(value, Mapping) and not prefix:
            out.update(_flat(value, f"{key}."))
        else:
            out[prefix + str(key)] = value
    return out


def changes(row: AuditRecord, group_names: Mapping[str, str]) -> list[Change]:
    """What ``row``'s action changed, field by field; a group named by its name."""
    after = dict(row.after or {})
    before_values = dict(row.before) if isinstance(row.before, Mapping) else {}
    group_id = after.pop("group_id", None) or before_values.pop("group_id", None)
    lines: list[Change] = []
    if group_id is not None:
        before_values.pop("group_id", None)
        before_values.pop("member", None)  # the membership is what the group line says
        if row.action in GROUP_WORK:  # the group itself: its id, and its name as a change
            lines.append(Change("group", None, str(group_id)))
        else:
            name = group_names.get(str(group_id)) or str(group_id)
            removed = row.action == "remove_from_group"
            lines.append(
                Change("group", name if removed else None, None if removed else name, str(group_id))
            )
    before = _flat(before_values)
    now = _flat({k: v for k, v in after.items() if k not in _BOOKKEEPING})
    for key in sorted(set(before) | set(now)):
        old = value_text(before[key]) if key in before else None
        new = value_text(now[key]) if key in now else None
        if key == "link" and now.get(key) is None:
            new = "removed"
        lines.append(Change(key, old, new))
    return lines
