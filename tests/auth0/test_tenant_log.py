"""Auth0Client's tenant log reader and user roles against the Auth0 emulator (ASGI, no sockets).

The emulator writes its entries from the recordings (logs.json, logs-checkpoint.json) and the
tenant-logs schema; what a role assignment's entry looks like is assumed there and here alike
(reference §7 marks it unconfirmed), so these tests pin the path templates we match on.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from spokesync.auth0.client import Auth0Client
from spokesync.auth0.token import ClientCredentials
from spokesync.emulators.auth0 import create_app
from spokesync.http.errors import ScopeError
from spokesync.http.session import Call
from spokesync.live.auth0_entries import classify_entries

BASE = "http://127.0.0.1:8801"
ROLE = "rol_A1"
ADMIN_SCOPES = [
    "read:users",
    "read:roles",
    "create:role_members",
    "delete:role_members",
    "update:users",
    "delete:users",
]


def seed(
    users: int, scopes: tuple[str, ...] = ("read:users", "read:roles", "read:logs")
) -> dict[str, Any]:
    return {
        "clients": [
            {"client_id": "c1", "client_secret": "s1", "scopes": list(scopes)},
            {"client_id": "admin", "client_secret": "s2", "scopes": ADMIN_SCOPES},
        ],
        "roles": [{"id": ROLE, "name": "Salesforce"}, {"id": "rol_B2", "name": "Other"}],
        "users": [{"user_id": f"auth0|{i:04d}", "email": f"u{i}@p.example"} for i in range(users)],
    }


def client(app: Any, client_id: str = "c1", secret: str = "s1") -> Auth0Client:
    return Auth0Client(
        BASE,
        ClientCredentials(client_id, secret),
        source="apac",
        transport=httpx.ASGITransport(app=app),
    )


async def entries_after(c: Auth0Client, position: str | None) -> list[Any]:
    return [e async for page in c.log_entries_after(position) for e in page]


@pytest.mark.anyio
async def test_reads_new_entries_from_a_checkpoint_and_touches_the_assigned_users() -> None:
    app = create_app(seed(300), rate_per_second=1000, burst=1000)
    async with client(app) as reader, client(app, "admin", "s2") as admin:
        start = await reader.newest_log_id()
        calls_before = reader.calls.total()
        idle = await entries_after(reader, start)
        idle_calls = reader.calls.total() - calls_before
        session = admin.session
        for i in range(250):
            await session.send(_post(f"/api/v2/roles/{ROLE}/users", {"users": [f"auth0|{i:04d}"]}))
        await session.send(_delete("/api/v2/users/auth0%7C0299/roles", {"roles": ["rol_B2"]}))
        await session.send(_delete("/api/v2/users/auth0%7C0298/roles", {"roles": [ROLE]}))
        before = reader.calls["GET /api/v2/logs"]
        entries = await entries_after(reader, start)
        pages = reader.calls["GET /api/v2/logs"] - before
    assert idle == [] and idle_calls == 1  # an idle poll is one request
    assert pages == 3  # 252 entries, 100 a page
    ids = [e.log_id for e in entries]
    assert ids == sorted(ids) and len(set(ids)) == len(ids) >= 252
    touched = classify_entries("apac", entries, bound_roles=frozenset({ROLE}))
    expected = {f"apac:auth0|{i:04d}" for i in range(250)} | {"apac:auth0|0298"}
    assert touched.identities == expected  # 0299 lost an unbound role: nothing to do
    assert not touched.full_reasons and touched.newest is not None


@pytest.mark.anyio
async def test_a_pruned_checkpoint_is_reported_lost_and_user_roles_read() -> None:
    app = create_app(seed(3), rate_per_second=1000, burst=1000)
    async with client(app) as reader, client(app, "admin", "s2") as admin:
        await admin.session.send(_post(f"/api/v2/roles/{ROLE}/users", {"users": ["auth0|0001"]}))
        position = await reader.newest_log_id()
        assert position is not None and await reader.log_entry_retained(position)
        await admin.session.send(_post(f"/api/v2/roles/{ROLE}/users", {"users": ["auth0|0002"]}))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as h:
            response = await h.post("/_emulator/logs/prune", json={"keep": 1})
            assert response.status_code == 200
        retained = await reader.log_entry_retained(position)
        roles = await reader.user_role_ids("auth0|0001")
        nobody = await reader.user_role_ids("auth0|nope")
    assert retained is False
    assert roles == frozenset({ROLE}) and nobody is None


@pytest.mark.anyio
async def test_reading_the_log_without_read_logs_is_a_scope_error() -> None:
    app = create_app(seed(1, scopes=("read:users", "read:roles")))
    async with client(app) as reader:
        with pytest.raises(ScopeError):
            await entries_after(reader, None)


def _post(path: str, body: Any) -> Call:
    return Call("POST", path, json_body=body)


def _delete(path: str, body: Any) -> Call:
    return Call("DELETE", path, json_body=body)
