"""Where live mode stands in each log, stored with the other cursors, and how it reads in
``status`` and ``/metrics``.

``auth0:<source>:logs`` holds the last tenant log_id consumed ("" before the tenant logged
anything), ``okta:logs`` the System Log ``next`` link to poll, ``live:last_event_at`` the time
of the newest event a recorded run applied. Cursors advance only after that run is recorded.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from spokesync.live.touched import parse_time
from spokesync.store.base import Store

OKTA_LOGS = "okta:logs"
LAST_EVENT_AT = "live:last_event_at"
#: the last reason live mode fell back to a full reconcile, with when
FALLBACK = "live:fallback"


def source_logs(source: str) -> str:
    """The cursor name of a source's tenant log position."""
    return f"auth0:{source}:logs"


def live_status(store: Store, sources: Iterable[str], now: datetime) -> dict[str, Any] | None:
    """The live cursors and the age of the last event applied; None before live mode ran."""
    names = [source_logs(s) for s in sources] + [OKTA_LOGS]
    cursors = {name: store.get_cursor(name) for name in names}
    if not any(v is not None for v in cursors.values()):
        return None
    last = store.get_cursor(LAST_EVENT_AT)
    moment = parse_time(last)
    age = None if moment is None else round((now - moment).total_seconds(), 3)
    return {
        "cursors": cursors,
        "last_event_at": last,
        "last_event_age_seconds": age,
        "last_fallback": store.get_cursor(FALLBACK),
    }
