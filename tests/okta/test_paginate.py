"""LinkPaginator: Link parsing, following next as given, stopping, loop and host guards."""

from __future__ import annotations

import httpx
import pytest

from spokesync.http.errors import MalformedResponse
from spokesync.http.factory import make_client
from spokesync.http.session import ApiSession, call
from spokesync.okta.paginate import LinkPaginator, parse_links
from tests.http.scripted import Scripted, respond

ORG = "https://org.example"


def test_parse_separate_and_merged_headers() -> None:
    separate = ['<https://o/a?limit=2>; rel="self"', '<https://o/a?after=x,y&limit=2>; rel="next"']
    merged = [", ".join(separate)]
    for values in (separate, merged):
        assert parse_links(values) == {
            "self": "https://o/a?limit=2",
            "next": "https://o/a?after=x,y&limit=2",
        }


def test_parse_unquoted_rel_and_extra_params() -> None:
    assert parse_links(['<https://o/b>; title="t"; rel=next']) == {"next": "https://o/b"}
    assert parse_links([]) == {}


def session(script: Scripted) -> ApiSession:
    return ApiSession("okta", make_client(ORG, timeout=5, transport=script.transport()))


async def pages(s: ApiSession, path: str) -> list[list[object]]:
    return [p async for p in LinkPaginator().pages(s, call("GET", path, params={"limit": 1}))]


@pytest.mark.anyio
async def test_follows_next_until_absent() -> None:
    # Recorded okta/users-pagination.json #2/#3: the after cursor is opaque, used as given.
    script = Scripted().on(
        "GET",
        "/api/v1/users",
        respond(
            200,
            [{"id": "a"}],
            headers={
                "link": f'<{ORG}/api/v1/users?limit=1>; rel="self", '
                f'<{ORG}/api/v1/users?after=000a&limit=1>; rel="next"'
            },
        ),
        respond(
            200,
            [{"id": "b"}],
            headers={"link": f'<{ORG}/api/v1/users?after=000a&limit=1>; rel="self"'},
        ),
    )
    assert await pages(session(script), "/api/v1/users") == [[{"id": "a"}], [{"id": "b"}]]
    assert str(script.requests[1].url) == f"{ORG}/api/v1/users?after=000a&limit=1"


@pytest.mark.anyio
async def test_repeated_link_headers() -> None:
    headers = httpx.Headers(
        [("link", f'<{ORG}/x?limit=1>; rel="self"'), ("link", f'<{ORG}/x?after=2>; rel="next"')]
    )
    script = Scripted().on(
        "GET", "/x", httpx.Response(200, json=[1], headers=headers), respond(200, [2])
    )
    assert await pages(session(script), "/x") == [[1], [2]]


@pytest.mark.anyio
async def test_loop_guard() -> None:
    script = Scripted().on(
        "GET", "/x", respond(200, [1], headers={"link": f'<{ORG}/x?after=1>; rel="next"'})
    )
    with pytest.raises(MalformedResponse, match="loops"):
        await pages(session(script), "/x")


@pytest.mark.anyio
async def test_next_to_another_host_is_refused() -> None:
    script = Scripted().on(
        "GET",
        "/x",
        respond(200, [1], headers={"link": '<https://evil.example/x?after=1>; rel="next"'}),
    )
    with pytest.raises(MalformedResponse, match="another host"):
        await pages(session(script), "/x")
    assert len(script.requests) == 1


@pytest.mark.anyio
async def test_non_array_page() -> None:
    script = Scripted().on("GET", "/x", respond(200, {"errorCode": "x"}))
    with pytest.raises(MalformedResponse, match="array"):
        await pages(session(script), "/x")
