"""Fixtures for the Auth0 emulator tests: a seeded app, an HTTP client and tokens."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from spokesync.emulators.auth0 import create_app

BASE_URL = "http://127.0.0.1:8801"
AUDIENCE = f"{BASE_URL}/api/v2/"
ALL_SCOPES = [
    "read:users",
    "read:roles",
    "create:users",
    "update:users",
    "delete:users",
    "create:roles",
    "update:roles",
    "delete:roles",
    "read:connections",
    "read:organizations",
    "create:organizations",
    "update:organizations",
    "delete:organizations",
    "read:organization_members",
    "create:organization_members",
    "delete:organization_members",
    "read:organization_member_roles",
    "create:organization_member_roles",
    "delete:organization_member_roles",
]


def seed_with(users: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    """A seed with client ``admin`` (all scopes), role ``rol_A1`` named Salesforce and ``users``."""
    seed: dict[str, Any] = {
        "clients": [{"client_id": "admin", "client_secret": "admin-secret", "scopes": ALL_SCOPES}],
        "roles": [{"id": "rol_A1", "name": "Salesforce", "description": "Salesforce users"}],
        "users": users or [],
    }
    seed.update(extra)
    return seed


def bulk_users(count: int, role: str = "rol_A1") -> list[dict[str, Any]]:
    return [
        {"user_id": f"auth0|{index:06d}", "email": f"user{index}@partner.example", "roles": [role]}
        for index in range(count)
    ]


class Emulator:
    """An app plus an AsyncClient bound to it through ASGITransport."""

    def __init__(self, app: Starlette, client: httpx.AsyncClient) -> None:
        self.app = app
        self.client = client

    @property
    def clock(self) -> Any:
        return self.app.state.auth0.clock

    async def token(self, client_id: str = "admin", secret: str = "admin-secret") -> str:
        response = await self.client.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": secret,
                "audience": AUDIENCE,
            },
        )
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token

    async def authorize(self, client_id: str = "admin", secret: str = "admin-secret") -> None:
        """Set the bearer token of ``client_id`` on every later request."""
        token = await self.token(client_id, secret)
        self.client.headers["Authorization"] = f"Bearer {token}"


MakeEmulator = Callable[..., Awaitable[Emulator]]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def make_emulator() -> AsyncIterator[MakeEmulator]:
    """Build an authorized emulator from a seed: ``await make_emulator(seed, burst=...)``."""
    clients: list[httpx.AsyncClient] = []

    async def build(seed: dict[str, Any] | None = None, **options: Any) -> Emulator:
        app = create_app(seed if seed is not None else seed_with(), **options)
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL)
        clients.append(client)
        emulator = Emulator(app, client)
        await emulator.authorize()
        return emulator

    yield build
    for client in clients:
        await client.aclose()


@pytest.fixture
async def emulator(make_emulator: MakeEmulator) -> Emulator:
    """Three users, two in role rol_A1."""
    return await make_emulator(
        seed_with(
            [
                {
                    "user_id": "auth0|ann",
                    "email": "Ann@Partner.example",
                    "name": "Ann Lee",
                    "given_name": "Ann",
                    "family_name": "Lee",
                    "user_metadata": {"firstName": "Ann", "team": "blue"},
                    "app_metadata": {"tier": "gold"},
                    "updated_at": "2023-01-10T10:00:00.000Z",
                    "created_at": "2023-01-01T00:00:00.000Z",
                    "roles": ["rol_A1"],
                },
                {
                    "user_id": "auth0|bob",
                    "email": "bob@partner.example",
                    "blocked": True,
                    "updated_at": "2023-02-10T10:00:00.000Z",
                    "created_at": "2023-01-02T00:00:00.000Z",
                    "roles": ["Salesforce"],
                },
                {
                    "user_id": "google-oauth2|carl",
                    "email": "carl@other.example",
                    "updated_at": "2023-03-10T10:00:00.000Z",
                    "created_at": "2023-01-03T00:00:00.000Z",
                },
            ]
        )
    )
