"""Cursor pagination over sorted id lists, and the ``Link`` headers that announce it.

The cursor is opaque to clients. As recorded (``after=000usfd…`` after user ``00usfd…``),
it is ``0`` followed by the last id of the page; a bare id is accepted too. Pages are
found by bisect, so a page costs O(page) however long the list.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from spokesync.emulators.okta.errors import validation_failed


@dataclass(frozen=True)
class Page:
    ids: list[str]
    #: the ``after`` value of the next page, or None when nothing remains
    next_cursor: str | None


def cursor_for(last_id: str) -> str:
    return "0" + last_id


def _position(after: str) -> str:
    # "0" + an id of the 20-character Okta form; anything else is taken as a bare id.
    return after[1:] if len(after) == 21 and after.startswith("00") else after


def page_of(
    ids: Sequence[str],
    after: str | None,
    limit: int,
    keep: Callable[[str], bool] | None = None,
) -> Page:
    """Up to ``limit`` ids after the cursor that pass ``keep``, and the cursor after them."""
    index = bisect.bisect_right(ids, _position(after)) if after else 0
    chosen: list[str] = []
    total = len(ids)
    while index < total and len(chosen) < limit:
        candidate = ids[index]
        if keep is None or keep(candidate):
            chosen.append(candidate)
        index += 1
    more = index < total
    if more and keep is not None:
        more = any(keep(ids[rest]) for rest in range(index, total))
    next_cursor = cursor_for(chosen[-1]) if more and chosen else None
    return Page(chosen, next_cursor)


def parse_limit(raw: str | None, default: int, maximum: int) -> int:
    """The page size asked for: ``default`` when absent, capped at ``maximum``."""
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise validation_failed("limit", ["limit: The value must be a number"]) from None
    if value < 1:
        raise validation_failed("limit", ["limit: The value must be at least 1"])
    return min(value, maximum)


def link_headers(
    base: str,
    path: str,
    limit: int,
    params: Sequence[tuple[str, str]],
    *,
    after: str | None,
    next_cursor: str | None,
) -> list[str]:
    """``rel="self"`` then, when more remain, ``rel="next"``: one header per relation.

    As recorded, the self link names ``limit`` first (even when the request had none)
    and re-encodes the other parameters with ``+`` for spaces.
    """
    own = [("after", after)] if after else []
    links = [f'<{base}{path}?{urlencode([*own, ("limit", str(limit)), *params])}>; rel="self"']
    if next_cursor is not None:
        query = urlencode([("after", next_cursor), ("limit", str(limit)), *params])
        links.append(f'<{base}{path}?{query}>; rel="next"')
    return links
