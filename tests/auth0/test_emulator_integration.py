"""Auth0Client against the Auth0 emulator through httpx.ASGITransport (no sockets)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
import pytest

from spokesync.auth0.client import SEARCH_QUERY_BUDGET, Auth0Client, user_id_queries
from spokesync.auth0.token import ClientCredentials
from spokesync.emulators.auth0 import create_app
from spokesync.http.errors import AuthError, NotFound

BASE = "http://127.0.0.1:8801"


def seed(members: int) -> dict[str, Any]:
    users = [
        {
            "user_id": f"auth0|{i:05d}",
            "email": f"user{i:05d}@partner.example",
            "email_verified": True,
            "name": f"User {i}",
            "roles": ["rol_A1"] if i < members else [],
        }
        for i in range(members + 5)
    ]
    return {
        "clients": [
            {"client_id": "c1", "client_secret": "s1", "scopes": ["read:users", "read:roles"]}
        ],
        "roles": [{"id": "rol_A1", "name": "Salesforce"}],
        "users": users,
    }


def client(app: Any, secret: str = "s1") -> Auth0Client:
    return Auth0Client(
        BASE,
        ClientCredentials("c1", secret),
        source="apac",
        transport=httpx.ASGITransport(app=app),
    )


@pytest.mark.anyio
async def test_reads_2500_role_members_completely() -> None:
    app = create_app(seed(2500), rate_per_second=1000, burst=1000)
    async with client(app) as c:
        role = await c.find_role("Salesforce")
        ids: list[str] = []
        async for page in c.role_members(role.id):
            ids.extend(m.user_id for m in page)
        user = await c.get_user(ids[0])
        missing = await c.get_user("auth0|nope")
        scopes = await c.check_scopes()
    assert role.id == "rol_A1"
    assert len(ids) == 2500 and len(set(ids)) == 2500
    assert user is not None and user.email == "user00000@partner.example"
    assert missing is None
    assert {"read:users", "read:roles"} <= set(scopes)
    assert c.calls["GET /api/v2/roles/{id}/users"] == 25
    assert c.calls["POST /oauth/token"] == 1


@pytest.mark.anyio
async def test_unknown_role_and_bad_secret() -> None:
    app = create_app(seed(1))
    async with client(app) as c:
        with pytest.raises(NotFound, match="Nope"):
            await c.find_role("Nope")
    async with client(app, secret="wrong") as c:
        with pytest.raises(AuthError) as info:
            await c.find_role("Salesforce")
    assert "wrong" not in str(info.value)


@pytest.mark.anyio
async def test_batched_id_search_finds_ids_with_lucene_characters_in_few_calls() -> None:
    document = seed(250)
    odd = ['samlp|acme|a"b', "oidc|x\\y", "auth0|(par) OR x:y*"]
    document["users"].extend(
        {"user_id": uid, "email": f"odd{i}@x.example"} for i, uid in enumerate(odd)
    )
    app = create_app(document, rate_per_second=1000, burst=1000)
    wanted = [f"auth0|{i:05d}" for i in range(250)] + odd + ["auth0|absent"]
    async with client(app) as c:
        found: list[str] = []
        async for page in c.search_users_by_id(wanted):
            found.extend(u.user_id for u in page)
    assert sorted(found) == sorted(wanted[:-1])
    assert c.calls["GET /api/v2/users"] == 3  # 100 ids a page


def test_batched_id_queries_keep_urls_short() -> None:
    long_ids = [f"samlp|enterprise-connection|{'x' * 60}{i}" for i in range(200)]
    queries = user_id_queries(long_ids)
    assert len(queries) > 2
    assert all(len(quote(q, safe="")) <= SEARCH_QUERY_BUDGET + 20 for q in queries)
