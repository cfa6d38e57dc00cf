"""``GET /api/v1/logs``: System Log events, in bounded or polling requests.

Followed: the spec's ``listLogEvents`` (``since``, ``until``, ``after``, ``filter``, ``q``,
``limit`` 0..1000 default 100, ``sortOrder`` ASCENDING by default, scope ``okta.logs.read``,
400 answers ``ErrorApiValidationFailed400``, i.e. E0000001) and reference §3 (one ``Link``
header per relation, ``self`` then ``next``, an ``after`` cursor like ``1627500044869_1``).
From Okta's System Log query guide: a request without ``until`` is a *polling* request, whose
``next`` link is always present, even on an empty page, so a client can keep polling it; a
request with ``until`` is *bounded* and has a ``next`` link only while results remain.

Assumed: ``until`` is exclusive and ``since`` inclusive; ``sortOrder=DESCENDING`` without
``until`` is answered as a bounded request ending now (a poll can only go forward); ``q``
keywords must all occur (case-insensitively) in the event's ``displayMessage``, ``eventType``
or an actor's or target's ``id``, ``alternateId`` or ``displayName``.

``filter`` takes the SCIM-like expressions Okta documents for the System Log: ``eq``, ``sw``
and ``co`` on text attributes (``eventType``, ``actor.id``, ``target.id``, ...; a ``target.*``
attribute matches when any target does), ``eq``/``gt``/``ge``/``lt``/``le`` on ``published``,
``and``, ``or`` and parentheses. Anything else answers 400 E0000001 naming ``filter``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from spokesync.emulators.okta.endpoint import base_url, endpoint
from spokesync.emulators.okta.errors import validation_failed
from spokesync.emulators.okta.log_events import render
from spokesync.emulators.okta.paging import link_headers
from spokesync.emulators.okta.query import Kind, QueryError, compile_predicate
from spokesync.emulators.okta.state import Org
from spokesync.emulators.okta.system_log import StoredEvent, cursor_sequence

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
#: ``since`` defaults to this long before ``until`` (spec: "7 days prior to until")
DEFAULT_WINDOW = timedelta(days=7)
MAX_KEYWORDS = 10
MAX_KEYWORD_LENGTH = 40
_TEXT_ATTRIBUTE = re.compile(
    r"(eventType|legacyEventType|displayMessage|severity|uuid|outcome\.(result|reason)"
    r"|(actor|target)\.(id|type|alternateId|displayName)"
    r"|client\.(id|ipAddress)|transaction\.(id|type))"
)
_TEXT_OPERATORS = frozenset({"eq", "sw", "co"})
_DATE_OPERATORS = frozenset({"eq", "gt", "ge", "lt", "le"})


def _rules(attribute: str) -> tuple[Kind, frozenset[str]] | None:
    if attribute == "published":
        return "date", _DATE_OPERATORS
    if _TEXT_ATTRIBUTE.fullmatch(attribute):
        return "text", _TEXT_OPERATORS
    return None


def _getter(stored: StoredEvent, event: dict[str, Any]) -> Any:
    def get(attribute: str) -> Any:
        if attribute == "published":
            return stored.published
        head, _, tail = attribute.partition(".")
        value = event.get(head)
        if not tail:
            return value
        if isinstance(value, list):
            return [item.get(tail) for item in value if isinstance(item, dict)]
        return value.get(tail) if isinstance(value, dict) else None

    return get


def _keywords_match(keywords: list[str], event: dict[str, Any]) -> bool:
    texts = [str(event.get("displayMessage", "")), str(event.get("eventType", ""))]
    for party in [event.get("actor", {}), *event.get("target", [])]:
        texts += [str(party.get(key, "")) for key in ("id", "alternateId", "displayName")]
    haystack = "\n".join(texts).casefold()
    return all(keyword in haystack for keyword in keywords)


def _instant(request: Request, name: str) -> float | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        raise validation_failed(
            name, [f"{name}: The date must be an ISO 8601 timestamp, e.g. 2024-01-01T00:00:00Z"]
        ) from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


def _limit(request: Request) -> int:
    raw = request.query_params.get("limit")
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    if not raw.isdigit() or int(raw) > MAX_LIMIT:
        raise validation_failed("limit", [f"limit: The value must be between 0 and {MAX_LIMIT}"])
    return int(raw)


def _keywords(request: Request) -> list[str]:
    words = (request.query_params.get("q") or "").split()
    if len(words) > MAX_KEYWORDS or any(len(word) > MAX_KEYWORD_LENGTH for word in words):
        raise validation_failed(
            "q", [f"q: At most {MAX_KEYWORDS} keywords of {MAX_KEYWORD_LENGTH} characters"]
        )
    return [word.casefold() for word in words]


@endpoint("okta.logs.read")
async def list_log_events(request: Request, org: Org) -> Response:
    """``GET /api/v1/logs``."""
    params = request.query_params
    order = params.get("sortOrder") or "ASCENDING"
    if order not in ("ASCENDING", "DESCENDING"):
        raise validation_failed("sortOrder", ["sortOrder: must be ASCENDING or DESCENDING"])
    limit = _limit(request)
    keywords = _keywords(request)
    until = _instant(request, "until")
    polling = until is None and order == "ASCENDING"
    end = org.clock() if until is None else until
    since = _instant(request, "since")
    start = end - DEFAULT_WINDOW.total_seconds() if since is None else since
    filter_text = params.get("filter")
    try:
        keep = compile_predicate(filter_text, _rules, case_sensitive=True) if filter_text else None
    except QueryError as error:
        raise validation_failed("filter", [f"filter: {error}"]) from None
    after = params.get("after")
    visible = org.system_log.visible()
    if after and order == "DESCENDING":
        sequence = cursor_sequence(after)
        events = [stored for stored in visible if stored.sequence < sequence]
    else:
        events = org.system_log.after(cursor_sequence(after)) if after else visible
    if order == "DESCENDING":
        events = events[::-1]
    # one match past the page says whether more remain; events are rendered only as needed
    matching: list[tuple[StoredEvent, dict[str, Any]]] = []
    for stored in events:
        if stored.published < start or (not polling and stored.published >= end):
            continue
        event = render(stored)
        if (keep is None or keep(_getter(stored, event))) and (
            not keywords or _keywords_match(keywords, event)
        ):
            matching.append((stored, event))
            if len(matching) > limit:
                break
    page = matching[:limit]
    next_cursor: str | None = None
    if polling:
        # always a next link; after an empty page it starts past every event looked at
        if page:
            next_cursor = page[-1][0].cursor
        elif not matching and visible:
            next_cursor = visible[-1].cursor
        else:
            next_cursor = after or "0_0"
    elif len(matching) > limit and page:
        next_cursor = page[-1][0].cursor
    response = JSONResponse([event for _, event in page])
    kept = [
        (name, params[name])
        for name in ("since", "until", "filter", "q", "sortOrder")
        if name in params
    ]
    for link in link_headers(
        base_url(request), "/api/v1/logs", limit, kept, after=after, next_cursor=next_cursor
    ):
        response.headers.append("link", link)
    return response


ROUTES = [Route("/api/v1/logs", list_log_events, methods=["GET"])]
