"""The names of the bound Okta groups, as the last applying run resolved them, kept with the
cursors so the dashboard's audit trail can say "Salesforce Users" where a row holds ``00g...``
without asking Okta."""

from __future__ import annotations

import json
from collections.abc import Iterable

from spokesync.domain import Binding
from spokesync.store.base import Store

GROUP_NAMES = "okta:group_names"


def remember(store: Store, bindings: Iterable[Binding]) -> None:
    """Store the bindings' group id -> name (a write only when they changed), keeping names
    of groups no binding names any more: old audit rows still mention them."""
    names = known(store)
    wanted = {**names, **{b.group_id: b.group_name for b in bindings if b.group_name}}
    if wanted != names:
        store.set_cursor(GROUP_NAMES, json.dumps(wanted, sort_keys=True, ensure_ascii=False))


def known(store: Store) -> dict[str, str]:
    """Group id -> name, as last remembered (empty before any applying run)."""
    try:
        names = json.loads(store.get_cursor(GROUP_NAMES) or "{}")
    except ValueError:
        return {}
    if not isinstance(names, dict):
        return {}
    return {str(k): str(v) for k, v in names.items()}
