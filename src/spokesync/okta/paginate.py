"""Okta's cursor pagination: follow the ``Link: <...>; rel="next"`` URL until there is none.

Okta sends one ``Link`` header per relation; httpx keeps them as separate values, and a proxy
may merge them into one comma-separated value, so both forms are parsed. The next URL is used
exactly as given (the cursor is opaque), but only on the same origin as the first request, so
the API token is never sent elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any

import httpx

from spokesync.http.session import ApiSession, Call

_LINK = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,<]+)*)")
_REL = re.compile(r"""rel\s*=\s*"?([^";]+)"?""", re.IGNORECASE)


def parse_links(values: list[str]) -> dict[str, str]:
    """``{rel: url}`` from ``Link`` header values (separate or merged with ``", "``)."""
    links: dict[str, str] = {}
    for value in values:
        for match in _LINK.finditer(value):
            url, params = match.group(1).strip(), match.group(2)
            rel = _REL.search(params)
            if rel:
                for name in rel.group(1).split():
                    links.setdefault(name.lower(), url)
    return links


def next_link(response: httpx.Response) -> str | None:
    """The ``rel="next"`` URL of a response, if any."""
    return parse_links(response.headers.get_list("link")).get("next")


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port


@dataclass(frozen=True)
class LinkPaginator:
    """Pages of a list endpoint that answers a JSON array and ``Link`` headers."""

    max_pages: int = 100_000

    async def pages(self, session: ApiSession, first: Call) -> AsyncGenerator[list[Any], None]:
        """Each page's raw items, in order; ``MalformedResponse`` on a loop or a foreign link."""
        request = first
        seen: set[str] = set()
        origin = _origin(session.http.base_url)
        for _ in range(self.max_pages):
            response = await session.send(request)
            body = session.parse_json(request, response)
            if not isinstance(body, list):
                raise session.malformed(request, "expected a JSON array")
            seen.add(str(response.request.url))
            yield body
            url = next_link(response)
            if url is None:
                return
            absolute = response.request.url.join(url)
            if _origin(absolute) != origin:
                raise session.malformed(request, "the next link points to another host")
            if str(absolute) in seen:
                raise session.malformed(request, "pagination cursor loops")
            seen.add(str(absolute))
            request = first.following(str(absolute))
        raise session.malformed(first, f"more than {self.max_pages} pages")
