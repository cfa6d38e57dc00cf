"""Auth0Client over MockTransport: roles, role members, users, search, errors, counting."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from spokesync.auth0.client import Auth0Client, iso_millis
from spokesync.auth0.models import Role, RoleMember
from spokesync.auth0.token import ClientCredentials
from spokesync.http.errors import AmbiguousName, MalformedResponse, NotFound, ScopeError
from tests.auth0.recorded import recorded_body
from tests.http.scripted import FakeTime, Scripted, respond

BASE = "https://tenant.example"
TOKEN = respond(200, {"access_token": "at", "expires_in": 86400, "scope": "read:users read:roles"})


def client(script: Scripted, **kw: Any) -> Auth0Client:
    script.on("POST", "/oauth/token", TOKEN)
    return Auth0Client(
        BASE, ClientCredentials("cid", "sec"), source="apac", transport=script.transport(), **kw
    )


async def collect(pages: Any) -> list[Any]:
    out: list[Any] = []
    async for page in pages:
        out.append(page)
    return out


@pytest.mark.anyio
async def test_role_members_follow_checkpoint_until_next_absent() -> None:
    # Recorded auth0/role-users-checkpoint.json #5 (with next) and #6 (no next key).
    script = Scripted().on(
        "GET",
        "/api/v2/roles/rol_DOPHBiWKzIuAJihL/users",
        respond(200, recorded_body("role-users-checkpoint", 5)),
        respond(200, recorded_body("role-users-checkpoint", 6)),
    )
    async with client(script) as c:
        pages = await collect(c.role_members("rol_DOPHBiWKzIuAJihL", page_size=2))
    assert [len(p) for p in pages] == [2, 1]
    assert pages[0][0] == RoleMember(
        "auth0|6410798838b3e02b77fdd6ae", "chuck499@example.com", "chuck499@example.com"
    )
    gets = [r for r in script.requests if r.method == "GET"]
    assert "from" not in gets[0].url.params
    assert gets[0].url.params["take"] == "2"
    assert gets[1].url.params["from"] == recorded_body("role-users-checkpoint", 5)["next"]
    assert c.calls["GET /api/v2/roles/{id}/users"] == 2
    assert c.calls["POST /oauth/token"] == 1
    assert c.calls.total() == 3


@pytest.mark.anyio
async def test_role_members_looping_cursor() -> None:
    page = {"users": [{"user_id": "auth0|1"}], "next": "c1"}
    script = Scripted().on("GET", "/api/v2/roles/rol_1/users", respond(200, page))
    async with client(script) as c:
        with pytest.raises(MalformedResponse, match="pagination cursor loops"):
            await collect(c.role_members("rol_1"))


@pytest.mark.anyio
async def test_role_members_many_pages() -> None:
    def page(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params.get("from", "0"))
        take = int(request.url.params["take"])
        users = [
            {"user_id": f"auth0|{i}", "email": f"u{i}@x.example"}
            for i in range(start, min(start + take, 2500))
        ]
        body: dict[str, Any] = {"users": users}
        if start + take < 2500:
            body["next"] = str(start + take)
        return respond(200, body)

    script = Scripted().on("GET", "/api/v2/roles/rol_1/users", page)
    async with client(script) as c:
        pages = await collect(c.role_members("rol_1"))
    assert sum(len(p) for p in pages) == 2500
    assert len(pages) == 25


@pytest.mark.anyio
async def test_role_members_wrong_item_shape_names_field() -> None:
    script = Scripted().on(
        "GET", "/api/v2/roles/rol_1/users", respond(200, {"users": [{"user_id": 5}]})
    )
    async with client(script) as c:
        with pytest.raises(MalformedResponse, match="user_id"):
            await collect(c.role_members("rol_1"))


@pytest.mark.anyio
async def test_role_members_missing_users_list() -> None:
    script = Scripted().on("GET", "/api/v2/roles/rol_1/users", respond(200, {"items": []}))
    async with client(script) as c:
        with pytest.raises(MalformedResponse, match="'users'"):
            await collect(c.role_members("rol_1"))


@pytest.mark.anyio
async def test_find_role_by_id() -> None:
    script = Scripted().on(
        "GET",
        "/api/v2/roles/rol_bYiItMxZPmLGplZr",
        respond(200, {"id": "rol_bYiItMxZPmLGplZr", "name": "R", "description": "d"}),
    )
    async with client(script) as c:
        assert await c.find_role("rol_bYiItMxZPmLGplZr") == Role("rol_bYiItMxZPmLGplZr", "R")


@pytest.mark.anyio
async def test_find_role_by_missing_id_names_it() -> None:
    # Recorded auth0/roles-delete-404.json #2: role 404 without errorCode.
    script = Scripted().on(
        "GET", "/api/v2/roles/rol_gone", respond(404, recorded_body("roles-delete-404", 2))
    )
    async with client(script) as c:
        with pytest.raises(NotFound, match="rol_gone"):
            await c.find_role("rol_gone")


@pytest.mark.anyio
async def test_find_role_by_name_recorded() -> None:
    # Recorded auth0/roles-list.json #1.
    script = Scripted().on("GET", "/api/v2/roles", respond(200, recorded_body("roles-list", 1)))
    async with client(script) as c:
        role = await c.find_role("test-role14")
    assert role == Role("rol_9yRKwo2Bl0zckceV", "test-role14")
    get = next(r for r in script.requests if r.method == "GET")
    assert get.url.params["name_filter"] == "test-role14"


def roles(*names: str) -> Callable[[httpx.Request], httpx.Response]:
    items = [{"id": f"rol_{i}", "name": n} for i, n in enumerate(names)]
    return lambda _r: respond(200, {"roles": items, "start": 0, "limit": 100, "total": len(items)})


@pytest.mark.anyio
async def test_find_role_exact_case_wins_over_substring_matches() -> None:
    script = Scripted().on("GET", "/api/v2/roles", roles("Sales Admin", "sales", "Sales"))
    async with client(script) as c:
        assert (await c.find_role("Sales")).id == "rol_2"


@pytest.mark.anyio
async def test_find_role_case_insensitive_if_unique() -> None:
    script = Scripted().on("GET", "/api/v2/roles", roles("SALESFORCE", "Other"))
    async with client(script) as c:
        assert (await c.find_role("Salesforce")).id == "rol_0"


@pytest.mark.anyio
async def test_find_role_case_insensitive_ambiguous() -> None:
    script = Scripted().on("GET", "/api/v2/roles", roles("SALES", "sales"))
    async with client(script) as c:
        with pytest.raises(AmbiguousName, match="rol_0, rol_1"):
            await c.find_role("Sales")


@pytest.mark.anyio
async def test_find_role_not_found_names_role() -> None:
    # Recorded auth0/role-users-take-per-page.json #0: no match is 200 with an empty list.
    script = Scripted().on(
        "GET", "/api/v2/roles", respond(200, {"roles": [], "start": 0, "limit": 100, "total": 0})
    )
    async with client(script) as c:
        with pytest.raises(NotFound, match="'Salesforce'"):
            await c.find_role("Salesforce")


@pytest.mark.anyio
async def test_get_user_recorded_and_encoded() -> None:
    # Recorded auth0/users-read.json #1: the id is sent as auth0%7C...
    script = Scripted().on(
        "GET",
        "/api/v2/users/auth0|63d17c4a9d503d76c056c160",
        respond(200, recorded_body("users-read", 1)),
    )
    async with client(script) as c:
        user = await c.get_user("auth0|63d17c4a9d503d76c056c160")
    assert user is not None
    assert user.source == "apac"
    assert user.key == "apac:auth0|63d17c4a9d503d76c056c160"
    assert (user.email, user.given_name, user.family_name, user.blocked) == (
        "chuck878@example.com",
        "Chuck",
        "Sanchez",
        False,
    )
    assert user.user_metadata == {"favourite_attack": "roundhouse_kick"}
    get = next(r for r in script.requests if r.method == "GET")
    assert get.url.raw_path == b"/api/v2/users/auth0%7C63d17c4a9d503d76c056c160"
    assert get.headers["authorization"] == "Bearer at"


@pytest.mark.anyio
async def test_get_user_404_is_none() -> None:
    # Recorded auth0/users-delete-404.json #2.
    script = Scripted().on(
        "GET", "/api/v2/users/auth0|x", respond(404, recorded_body("users-delete-404", 2))
    )
    async with client(script) as c:
        assert await c.get_user("auth0|x") is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "a@b"}, "user_id"),
        ({"user_id": ""}, "user_id"),
        ({"user_id": "u", "email": 3}, "email"),
        ({"user_id": "u", "blocked": "no"}, "blocked"),
        ({"user_id": "u", "user_metadata": []}, "user_metadata"),
        ([], "user"),
    ],
)
@pytest.mark.anyio
async def test_get_user_wrong_shapes(body: Any, field: str) -> None:
    script = Scripted().on("GET", "/api/v2/users/u", respond(200, body))
    async with client(script) as c:
        with pytest.raises(MalformedResponse, match=field):
            await c.get_user("u")


@pytest.mark.anyio
async def test_scope_error_is_raised() -> None:
    body = {
        "statusCode": 403,
        "error": "Forbidden",
        "message": "Insufficient scope, expected any of: read:users",
        "errorCode": "insufficient_scope",
    }
    script = Scripted().on("GET", "/api/v2/users/u", respond(403, body))
    async with client(script) as c:
        with pytest.raises(ScopeError):
            await c.get_user("u")
    assert c.calls["GET /api/v2/users/{id}"] == 1


@pytest.mark.anyio
async def test_patch_user_sends_body() -> None:
    def echo(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        return respond(
            200, {"user_id": "auth0|1", "app_metadata": body["app_metadata"], "blocked": True}
        )

    script = Scripted().on("PATCH", "/api/v2/users/auth0|1", echo)
    async with client(script) as c:
        user = await c.patch_user(
            "auth0|1", {"app_metadata": {"hub_status": "active"}, "blocked": True}
        )
    assert user.app_metadata == {"hub_status": "active"}
    assert user.blocked is True


@pytest.mark.anyio
async def test_check_scopes() -> None:
    async with client(Scripted()) as c:
        assert await c.check_scopes() == ["read:roles", "read:users"]


def test_repr_hides_secret() -> None:
    c = Auth0Client(BASE, ClientCredentials("cid", "topsecret"), source="apac")
    assert "topsecret" not in repr(c) + repr(c.credentials)


# -- search -----------------------------------------------------------------------------------


def fake_search(updated: list[str]) -> Callable[[httpx.Request], httpx.Response]:
    """A users search over ``updated`` timestamps that honours the q range and the 1,000 cap."""

    def answer(request: httpx.Request) -> httpx.Response:
        q = request.url.params["q"]
        assert q.startswith("updated_at:{") and q.endswith("]")
        low, high = q[len("updated_at:{") : -1].split(" TO ")
        hits = sorted(u for u in updated if u > low and (high == "*" or u <= high))
        page, per_page = int(request.url.params["page"]), int(request.url.params["per_page"])
        if (page + 1) * per_page > 1000:
            return respond(
                400,
                {
                    "statusCode": 400,
                    "message": "You can only page through the first 1000 records",
                    "errorCode": "invalid_paging",
                },
            )
        chunk = hits[page * per_page : (page + 1) * per_page]
        users = [{"user_id": f"auth0|{u}", "updated_at": u} for u in chunk]
        return respond(
            200,
            {
                "start": page * per_page,
                "limit": per_page,
                "length": len(users),
                "users": users,
                "total": len(hits),
            },
        )

    return answer


@pytest.mark.anyio
async def test_search_small_window() -> None:
    stamps = [f"2024-01-01T00:00:{s:02d}.000Z" for s in range(30)]
    script = Scripted().on("GET", "/api/v2/users", fake_search(stamps))
    async with client(script) as c:
        pages = await collect(
            c.search_updated_since("2024-01-01T00:00:09.000Z", "2024-01-01T00:00:19.000Z")
        )
    got = [u.updated_at for p in pages for u in p]
    assert got == stamps[10:20]
    get = next(r for r in script.requests if r.method == "GET")
    assert get.url.params["search_engine"] == "v3"
    assert get.url.params["sort"] == "updated_at:1"


@pytest.mark.anyio
async def test_search_splits_windows_over_the_cap() -> None:
    # 2,500 users updated over ~40 minutes: three+ windows of < 1,000 each, nothing lost.
    stamps = [iso_millis_from(i) for i in range(2500)]
    time = FakeTime(now=1_704_067_200.0 + 3600)  # 2024-01-01T01:00:00Z
    script = Scripted().on("GET", "/api/v2/users", fake_search(stamps))
    async with client(script, clock=time.clock) as c:
        pages = await collect(c.search_updated_since("2023-12-31T23:59:59.000Z"))
    got = [u.updated_at for p in pages for u in p]
    assert got == stamps  # complete, no duplicates, oldest first


def iso_millis_from(i: int) -> str:
    from datetime import UTC, datetime, timedelta

    return iso_millis(datetime(2024, 1, 1, tzinfo=UTC) + timedelta(seconds=i))
