"""The /_emulator/ control plane around the Okta emulator: stats by template, faults."""

from __future__ import annotations

import httpx
import pytest

from spokesync.emulators.control import Control
from spokesync.emulators.okta import create_app
from spokesync.emulators.server import serve_in_thread
from tests.emulators.okta.support import TOKEN, FakeClock, client, profile, seed

pytestmark = pytest.mark.anyio


async def test_stats_count_by_route_template(api: httpx.AsyncClient) -> None:
    await api.post("/_emulator/stats/reset")
    await api.post("/api/v1/users", json={"profile": profile("ann@partner.example")})
    await api.post("/api/v1/users/", json={"profile": profile("carl@partner.example")})
    await api.get("/api/v1/users/ann@partner.example")
    await api.get("/api/v1/users/nobody@partner.example")
    stats = (await api.get("/_emulator/stats")).json()
    assert stats["requests"]["POST /api/v1/users"] == 2
    assert stats["requests"]["GET /api/v1/users/{id}"] == 2
    assert stats["statuses"] == {"200": 3, "404": 1}


async def test_injected_faults_have_okta_error_bodies() -> None:
    control = Control()
    control.faults.slow_seconds = 0.0  # the slow kind would only make the test slow
    app = create_app(seed(), control=control, clock=FakeClock())
    async with client(app) as api:
        await api.put("/_emulator/faults", json={"rate": 1.0, "seed": 3})
        statuses: dict[int, dict[str, object]] = {}
        for _ in range(60):
            try:
                response = await api.get("/api/v1/users")
            except httpx.HTTPError:
                continue  # dropped connections are a fault kind too
            if response.status_code != 200:
                statuses[response.status_code] = response.json()
        await api.put("/_emulator/faults", json={"rate": 0, "seed": 0})
        assert (await api.get("/api/v1/users")).status_code == 200
    assert {429, 500, 503} <= set(statuses)
    assert statuses[429]["errorCode"] == "E0000047"
    assert statuses[500]["errorCode"] == "E0000009"
    assert all(
        set(body) == {"errorCode", "errorSummary", "errorLink", "errorId", "errorCauses"}
        for body in statuses.values()
    )


def test_over_real_http_on_loopback() -> None:
    server = serve_in_thread(create_app(seed()))
    try:
        with httpx.Client(base_url=server.url, headers={"Authorization": f"SSWS {TOKEN}"}) as http:
            created = http.post("/api/v1/users", json={"profile": profile("ann@partner.example")})
            assert created.status_code == 200
            listed = http.get("/api/v1/users")
            assert listed.headers["link"].startswith(f"<{server.url}/api/v1/users?limit=200>")
            assert "x-rate-limit-reset" in listed.headers
            assert http.get("/_emulator/stats").json()["requests"]["GET /api/v1/users"] == 1
    finally:
        server.stop()
