"""The /_emulator/ control plane: stats by route template, fault injection, real loopback."""

from __future__ import annotations

import httpx
import pytest

from spokesync.emulators.auth0 import create_app
from spokesync.emulators.server import serve_in_thread
from tests.emulators.auth0.conftest import ALL_SCOPES, MakeEmulator, seed_with


@pytest.mark.anyio
async def test_stats_count_by_route_template(make_emulator: MakeEmulator) -> None:
    emulator = await make_emulator()
    client = emulator.client
    await client.get("/api/v2/roles/rol_A1/users")
    await client.get("/api/v2/roles/rol_other/users")
    await client.get("/api/v2/users/auth0%7Cx")
    stats = (await client.get("/_emulator/stats")).json()
    assert stats["requests"]["GET /api/v2/roles/{id}/users"] == 2
    assert stats["requests"]["GET /api/v2/users/{id}"] == 1
    assert stats["requests"]["POST /oauth/token"] == 1
    assert stats["statuses"] == {"200": 2, "404": 2}
    await client.post("/_emulator/stats/reset")
    assert (await client.get("/_emulator/stats")).json()["requests"] == {}


@pytest.mark.anyio
async def test_fault_rate_one_gives_management_shaped_5xx_and_429(
    make_emulator: MakeEmulator,
) -> None:
    emulator = await make_emulator()
    client = emulator.client
    emulator.app.state.control.faults.slow_seconds = 0.0  # "slow" faults need not wait here
    assert (await client.put("/_emulator/faults", json={"rate": 1.0, "seed": 3})).status_code == 200
    seen: set[int] = set()
    for _ in range(40):
        try:
            response = await client.get("/api/v2/roles")
        except httpx.HTTPError:
            continue  # dropped connections are one of the injected faults
        if response.status_code == 200:
            continue  # "slow" faults still answer
        body = response.json()
        seen.add(response.status_code)
        assert body["statusCode"] == response.status_code
        assert response.headers["content-type"] == "application/json; charset=utf-8"
        assert "x-ratelimit-limit" in response.headers
        if response.status_code == 429:
            assert body["errorCode"] == "too_many_requests"
    assert 429 in seen and seen & {500, 502, 503}
    await client.put("/_emulator/faults", json={"rate": 0})
    assert (await client.get("/api/v2/roles")).status_code == 200


def test_served_on_loopback_with_uvicorn() -> None:
    server = serve_in_thread(create_app(seed_with()))
    try:
        with httpx.Client(base_url=server.url) as client:
            token = client.post(
                "/oauth/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": "admin",
                    "client_secret": "admin-secret",
                    "audience": f"{server.url}/api/v2/",
                },
            ).json()
            assert token["scope"].split() == ALL_SCOPES
            headers = {"Authorization": f"Bearer {token['access_token']}"}
            response = client.get("/api/v2/roles/rol_A1/users", headers=headers)
            assert response.status_code == 200 and response.json() == []
            deleted = client.delete("/api/v2/users/auth0%7Cnobody", headers=headers)
            assert deleted.status_code == 204
            assert deleted.headers["content-type"] == "application/json; charset=utf-8"
    finally:
        server.stop()
