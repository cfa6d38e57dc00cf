"""Auth0 pagination strategies: checkpoint (``from``/``take``/``next``), log checkpoints
(``from=<log_id>``/``take``) and offset (``page``).

A paginator knows how to ask for the first page, where the items are in an answer, and how to
ask for the next page; the client owns sending. Both guard against a service that never ends.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, replace
from typing import Any

from spokesync.http.session import ApiSession, Call, Query

#: Auth0 serves at most 100 items per page on the endpoints we page through.
MAX_PAGE = 100
#: Offset paging stops at 1,000 records (Auth0 answers 400 past that).
OFFSET_CAP = 1000


@dataclass(frozen=True)
class CheckpointPaginator:
    """``take`` per page, ``from=<next>`` after the first; ends when ``next`` is absent.

    Real answers omit ``next`` on the last page (recordings ``auth0/role-users-checkpoint.json``
    #6); an empty or null ``next`` is treated the same. A cursor seen before is a loop.
    """

    items_key: str
    take: int = MAX_PAGE

    def __post_init__(self) -> None:
        if not 1 <= self.take <= MAX_PAGE:
            raise ValueError(f"take must be 1..{MAX_PAGE}")

    async def pages(self, session: ApiSession, first: Call) -> AsyncGenerator[list[Any], None]:
        """Each page's raw items, in order."""
        seen: set[str] = set()
        cursor: str | None = None
        base = dict(first.params or {})
        while True:
            params: dict[str, str | int | bool] = {**base, "take": self.take}
            if cursor is not None:
                params["from"] = cursor
            request = _with_params(first, params)
            body = await session.send_json(request)
            if isinstance(body, list):  # a service that ignores take answers a bare array
                yield body
                return
            if not isinstance(body, dict) or not isinstance(body.get(self.items_key), list):
                raise session.malformed(
                    request, f"expected an object with a {self.items_key!r} list"
                )
            yield body[self.items_key]
            nxt = body.get("next")
            if not nxt:
                return
            if not isinstance(nxt, str):
                raise session.malformed(request, "'next' is not a string")
            if nxt in seen:
                raise session.malformed(request, "pagination cursor loops")
            seen.add(nxt)
            cursor = nxt


@dataclass(frozen=True)
class LogCheckpointPaginator:
    """Tenant log pages newer than a ``log_id``: ``from``/``take``; the next ``from`` is the
    highest ``log_id`` of the page (logs carry no ``next`` in the body, reference §7).

    Ends at a page shorter than ``take`` (an empty one when idle: one request). An answer with
    nothing newer than the position it was asked from is a loop, and ends the read.
    """

    take: int = MAX_PAGE

    def __post_init__(self) -> None:
        if not 1 <= self.take <= MAX_PAGE:
            raise ValueError(f"take must be 1..{MAX_PAGE}")

    async def pages(
        self, session: ApiSession, first: Call, position: str | None, order: Callable[[str], Any]
    ) -> AsyncGenerator[list[Any], None]:
        """Each page's raw entries, in order; ``order`` is the sort key of a log id."""
        while True:
            params: dict[str, str | int | bool] = {"take": self.take}
            if position is not None:
                params["from"] = position
            request = _with_params(first, params)
            body = await session.send_json(request)
            if not isinstance(body, list):
                raise session.malformed(request, "expected a JSON array of log entries")
            yield body
            ids = [
                e["log_id"]
                for e in body
                if isinstance(e, dict) and isinstance(e.get("log_id"), str)
            ]
            if len(body) < self.take or not ids:
                return
            newest = max(ids, key=order)
            if position is not None and order(newest) <= order(position):
                return
            position = newest


@dataclass(frozen=True)
class OffsetPaginator:
    """``page``/``per_page`` with ``include_totals``; ends at ``total``, an empty page, or 1,000.

    ``on_total`` receives the ``total`` of the first answer (search uses it to split windows).
    """

    items_key: str
    per_page: int = MAX_PAGE

    async def pages(
        self,
        session: ApiSession,
        first: Call,
        on_total: Callable[[int], None] | None = None,
    ) -> AsyncGenerator[list[Any], None]:
        """Each page's raw items, in order."""
        base = dict(first.params or {})
        page = 0
        fetched = 0
        while True:
            params: dict[str, str | int | bool] = {
                **base,
                "page": page,
                "per_page": self.per_page,
                "include_totals": True,
            }
            request = _with_params(first, params)
            body = await session.send_json(request)
            if isinstance(body, list):
                yield body
                return
            items = body.get(self.items_key) if isinstance(body, dict) else None
            total = body.get("total") if isinstance(body, dict) else None
            if not isinstance(items, list) or not isinstance(total, int):
                raise session.malformed(
                    request, f"expected an object with a {self.items_key!r} list and a 'total'"
                )
            if page == 0 and on_total is not None:
                on_total(total)
            yield items
            fetched += len(items)
            page += 1
            if not items or fetched >= total or page * self.per_page >= OFFSET_CAP:
                return


def _with_params(first: Call, params: Query) -> Call:
    return replace(first, params=params)
