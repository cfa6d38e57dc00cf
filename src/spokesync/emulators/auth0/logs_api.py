"""``GET /api/v2/logs`` in checkpoint and page modes, ``GET /api/v2/logs/{id}``, and the
control-plane ``POST /_emulator/logs/prune``.

Followed (reference §7, the OAS ``get_logs`` parameters, recordings logs.json and
logs-checkpoint.json): ``from`` or ``take`` selects checkpoint mode, which ignores every other
parameter and answers a bare array of entries with a log_id greater than ``from``, ordered by
log_id, plus a ``Link: <...>; rel="next"`` header whose URL continues after the last entry (an
empty page links to the request URL itself). Page mode answers newest first (logs.json #0),
takes ``q`` (or the OAS name ``search``), ``sort``, ``fields``/``include_fields`` and
``include_totals``, and pages through the first 1000 results only.

Assumed: the ``Link`` syntax (unconfirmed in reference §7) is the RFC 8288 form Okta uses;
``take`` without ``from`` starts at the oldest retained entry; a ``from`` that is not a log id
answers 400 ``invalid_query_string``; a ``from`` lost to retention answers what a range read
does, the retained entries after it (see :meth:`TenantLog.after`) -- a client detects the gap by
reading its checkpoint entry with ``GET /api/v2/logs/{id}``, which answers 404 once pruned.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from spokesync.emulators.auth0.endpoint import (
    INCLUDE_TOTALS,
    PAGE,
    Context,
    Scopes,
    base_url,
    context_of,
    management,
    offset_page,
    query_bool,
    query_int,
)
from spokesync.emulators.auth0.errors import ApiError, json_response
from spokesync.emulators.auth0.logs import is_log_id
from spokesync.emulators.auth0.users import parse_fields, project

#: page mode can reach this many results only (OAS ``get_logs``)
SEARCH_LIMIT = 1000
PER_PAGE = (
    "Number of results per page. Paging is disabled if parameter not sent. "
    "Default: 50. Max value: 100"
)
TAKE = "Number of entries to retrieve when using the from parameter. Default 50, max 100"
#: one ``field:value`` or ``field:"value"`` term, or a bare word
_TERM = re.compile(r'\s*(?:([A-Za-z_][\w.]*):)?("(?:[^"\\]|\\.)*"|[^\s"]+)\s*')
#: searched by a term without a field (OAS ``search`` description)
_DEFAULT_FIELDS = ("client_name", "connection", "user_name")

Predicate = Callable[[dict[str, Any]], bool]


def _field(entry: dict[str, Any], path: str) -> Any:
    value: Any = entry
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _term(fields: tuple[str, ...], raw: str) -> Predicate:
    quoted = raw.startswith('"')
    wanted = (raw[1:-1].replace('\\"', '"') if quoted else raw).lower()

    def matches(entry: dict[str, Any]) -> bool:
        for name in fields:
            value = _field(entry, name)
            if value is None or isinstance(value, dict | list):
                continue
            text = str(value).lower()
            if (text == wanted) if quoted else text.startswith(wanted):
                return True
        return False

    return matches


def compile_search(query: str) -> Predicate:
    """Terms joined by AND: quoted values match exactly, others as a prefix, ignoring case."""
    predicates: list[Predicate] = []
    position = 0
    while position < len(query):
        match = _TERM.match(query, position)
        if match is None or match.end() == position:
            raise ApiError(400, f"Bad query: {query}", "invalid_query_string")
        field, raw = match.group(1), match.group(2)
        position = match.end()
        if field is None and raw in ("AND", "and"):
            continue
        predicates.append(_term((field,) if field else _DEFAULT_FIELDS, raw))
    return lambda entry: all(predicate(entry) for predicate in predicates)


def _sorted(entries: list[dict[str, Any]], sort: str | None) -> list[dict[str, Any]]:
    if not sort:
        return entries
    field, _, direction = sort.partition(":")
    if not field or direction not in ("1", "-1"):
        raise ApiError(
            400, "Invalid sort: use field:1 (ascending) or field:-1", "invalid_query_string"
        )
    # entries arrive newest first; a stable sort on the oldest-first list keeps log_id order
    oldest_first = list(reversed(entries))
    present = [entry for entry in oldest_first if _field(entry, field) is not None]
    missing = [entry for entry in oldest_first if _field(entry, field) is None]
    present.sort(key=lambda entry: str(_field(entry, field)), reverse=direction == "-1")
    return present + missing


def _checkpoint(request: Request, ctx: Context) -> Response:
    take = query_int(request, "take", default=50, minimum=1, maximum=100, description=TAKE)
    start = request.query_params.get("from") or None
    if start is not None and not is_log_id(start):
        raise ApiError(
            400,
            "Query validation error: 'from' must be a log_id.",
            "invalid_query_string",
        )
    entries = ctx.logs.after(start, take)
    if entries:
        next_url = f"{base_url(request)}/api/v2/logs?from={entries[-1]['log_id']}&take={take}"
    else:
        next_url = str(request.url)
    return json_response(entries, headers={"link": f'<{next_url}>; rel="next"'})


async def list_logs(request: Request, ctx: Context) -> Response:
    """``GET /api/v2/logs``: checkpoint mode when ``from`` or ``take`` is given, else page mode."""
    params = request.query_params
    if "from" in params or "take" in params:
        return _checkpoint(request, ctx)
    per_page = query_int(
        request, "per_page", default=50, minimum=0, maximum=100, description=PER_PAGE
    )
    page = query_int(request, "page", default=0, minimum=0, maximum=None, description=PAGE)
    totals = query_bool(request, "include_totals", INCLUDE_TOTALS)
    if (page + 1) * per_page > SEARCH_LIMIT:
        raise ApiError(400, "You can only page through the first 1000 records.", "invalid_paging")
    entries = ctx.logs.newest_first()
    query = params.get("q") or params.get("search")
    if query:
        predicate = compile_search(query)
        entries = [entry for entry in entries if predicate(entry)]
    entries = _sorted(entries, params.get("sort"))
    selection = parse_fields(params.get("fields"), params.get("include_fields"))
    chosen = [project(entry, selection) for entry in entries[page * per_page :][:per_page]]
    return offset_page(
        chosen, "logs", page=page, per_page=per_page, total=len(entries), totals=totals
    )


async def get_log(request: Request, ctx: Context) -> Response:
    """``GET /api/v2/logs/{id}`` (logs.json #1); 404 once the entry is pruned (assumed text)."""
    entry = ctx.logs.get(request.path_params["id"])
    if entry is None:
        raise ApiError(404, "The log does not exist.")
    return json_response(entry)


async def prune_logs(request: Request) -> Response:
    """``POST /_emulator/logs/prune`` ``{"keep": N}``: drop all but the newest N entries."""
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        body = None
    keep = body.get("keep") if isinstance(body, dict) else None
    if not isinstance(keep, int) or isinstance(keep, bool) or keep < 0:
        return JSONResponse({"error": 'expected {"keep": N} with N >= 0'}, status_code=400)
    logs = context_of(request).logs
    pruned = logs.prune(keep)
    return JSONResponse({"pruned": pruned, "kept": len(logs), "oldest_log_id": logs.oldest_id()})


READ = Scopes(any_of=("read:logs", "read:logs_users"))

ROUTES: list[BaseRoute] = [
    Route("/api/v2/logs", management(READ, list_logs), methods=["GET"]),
    Route("/api/v2/logs/{id}", management(READ, get_log), methods=["GET"]),
]
CONTROL_ROUTES: list[BaseRoute] = [Route("/_emulator/logs/prune", prune_logs, methods=["POST"])]
