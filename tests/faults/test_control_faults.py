"""Fault injection of the emulators' control plane: per-kind weights, replay by seed, the
OAuth error shape on token endpoints, and the ``{"rate", "seed"}`` contract kept."""

from __future__ import annotations

from collections import Counter

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from spokesync.emulators.auth0 import create_app as create_auth0_app
from spokesync.emulators.control import FAULT_KINDS, Control, ControlMiddleware, control_routes
from tests.world_kit import ADMIN_SECRET, seed

pytestmark = pytest.mark.anyio


def _app(control: Control, fault_body: object = None) -> Starlette:
    async def hello(_: Request) -> Response:
        return JSONResponse({"hello": "world"})

    routes = [Route("/api/hello", hello), Route("/oauth/token", hello, methods=["POST"])]

    def by_status(status: int) -> Response:
        return JSONResponse({"message": "api-shaped"}, status, {"x-ratelimit-limit": "50"})

    return Starlette(
        routes=[*routes, *control_routes(control)],
        middleware=[Middleware(ControlMiddleware, control, routes, fault_body or by_status)],
    )


def _client(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://emulator")


async def test_kinds_restrict_the_faults_drawn_and_stats_count_them() -> None:
    control = Control()
    async with _client(_app(control)) as http:
        body = {"rate": 1.0, "seed": 5, "kinds": {"503": 3, "429": 1}}
        assert (await http.put("/_emulator/faults", json=body)).status_code == 200
        statuses = Counter([(await http.get("/api/hello")).status_code for _ in range(40)])
        stats = (await http.get("/_emulator/stats")).json()
    assert set(statuses) == {503, 429}
    assert stats["faults"] == {"503": statuses[503], "429": statuses[429]}
    assert statuses[503] > statuses[429]


async def test_contract_body_still_works_and_restores_the_default_kinds() -> None:
    control = Control()
    async with _client(_app(control)) as http:
        await http.put("/_emulator/faults", json={"rate": 1, "seed": 1, "kinds": {"500": 1}})
        answer = (await http.put("/_emulator/faults", json={"rate": 0.1, "seed": 7})).json()
        shown = (await http.get("/_emulator/faults")).json()
        await http.put("/_emulator/faults", json={"rate": 0})
        assert (await http.get("/api/hello")).status_code == 200
    assert answer["rate"] == 0.1 and answer["seed"] == 7
    assert shown["kinds"] == FAULT_KINDS


@pytest.mark.parametrize(
    "body",
    [
        {"rate": 1, "seed": 1, "kinds": {"418": 1}},
        {"rate": 1, "seed": 1, "kinds": {"500": -1}},
        {"rate": 1, "seed": 1, "kinds": ["500"]},
        {"rate": "often", "seed": 1},
        [1, 2],
    ],
)
async def test_a_bad_fault_profile_is_refused_with_400(body: object) -> None:
    control = Control()
    async with _client(_app(control)) as http:
        response = await http.put("/_emulator/faults", json=body)
    assert response.status_code == 400 and "error" in response.json()
    assert control.faults.rate == 0.0


def test_the_same_seed_replays_the_same_faults() -> None:
    control = Control()
    kinds = {"500": 1.0, "429": 1.0, "slow": 1.0}
    control.faults.configure(0.5, 42, kinds=kinds)
    first = [control.faults.draw() for _ in range(200)]
    control.faults.configure(0.5, 42, kinds=kinds)
    assert [control.faults.draw() for _ in range(200)] == first
    drawn = Counter(first)
    assert set(drawn) == {None, "500", "429", "slow"}
    assert 60 < drawn[None] < 140  # about half the requests, at rate 0.5


async def test_slow_ms_holds_the_answer_and_it_still_arrives() -> None:
    control = Control()
    async with _client(_app(control)) as http:
        body = {"rate": 1, "seed": 1, "kinds": {"slow": 1}, "slow_ms": 1}
        assert (await http.put("/_emulator/faults", json=body)).json()["slow_ms"] == 1
        assert (await http.get("/api/hello")).json() == {"hello": "world"}
    assert control.faults.slow_seconds == 0.001
    assert control.snapshot()["faults"] == {"slow": 1}


async def test_a_fault_body_may_take_the_path() -> None:
    seen: list[str] = []

    def by_path(status: int, path: str) -> Response:
        seen.append(path)
        return JSONResponse({"path": path}, status)

    control = Control()
    async with _client(_app(control, by_path)) as http:
        await http.put("/_emulator/faults", json={"rate": 1, "seed": 1, "kinds": {"500": 1}})
        response = await http.get("/api/hello")
    assert response.status_code == 500 and response.json() == {"path": "/api/hello"}
    assert seen == ["/api/hello"]


async def test_auth0_token_endpoint_faults_are_oauth_shaped() -> None:
    control = Control()
    app = create_auth0_app(seed([])["auth0"], control=control)
    form = {
        "grant_type": "client_credentials",
        "client_id": "admin",
        "client_secret": ADMIN_SECRET,
        "audience": "http://emulator/api/v2/",
    }
    async with _client(app) as http:
        bodies: dict[int, httpx.Response] = {}
        for kind in ("503", "429"):
            body = {"rate": 1, "seed": 1, "kinds": {kind: 1}}
            await http.put("/_emulator/faults", json=body)
            bodies[int(kind)] = await http.post("/oauth/token", data=form)
        await http.put("/_emulator/faults", json={"rate": 0})
        management = await http.get("/api/v2/roles")  # no token: still the Management shape
        assert (await http.post("/oauth/token", data=form)).status_code == 200
    assert bodies[503].status_code == 503
    assert bodies[503].json()["error"] == "temporarily_unavailable"
    assert set(bodies[503].json()) == {"error", "error_description"}
    assert bodies[429].json()["error"] == "too_many_requests"
    assert "x-ratelimit-limit" in bodies[429].headers
    assert "statusCode" in management.json()
