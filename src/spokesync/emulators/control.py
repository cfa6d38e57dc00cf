"""What both emulators share and no real API has: the ``/_emulator/`` control plane.

It counts requests by route template and status, adds latency, and injects faults
(5xx and 429 answers, dropped connections, slow answers), so tests and benchmarks can
observe call economy and exercise failure handling. Each emulator supplies its own error
body for injected faults, since the two APIs format errors differently.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: (status) -> the API's own error response for an injected fault
FaultBody = Callable[[int], Response]


@dataclass
class Faults:
    """Random fault injection, seeded so a failing scenario can be replayed."""

    rate: float = 0.0
    seed: int = 0
    #: seconds a "slow" fault holds the answer
    slow_seconds: float = 0.5
    rng: random.Random = field(default_factory=random.Random)

    def configure(self, rate: float, seed: int) -> None:
        self.rate = max(0.0, min(1.0, rate))
        self.seed = seed
        self.rng = random.Random(seed)

    def draw(self) -> str | None:
        """Pick a fault for this request, or None. Kinds are weighted like real incidents."""
        if self.rate <= 0 or self.rng.random() >= self.rate:
            return None
        return self.rng.choices(
            ["500", "502", "503", "429", "drop_before", "drop_after", "slow"],
            weights=[2, 1, 2, 2, 1, 1, 1],
        )[0]


@dataclass
class Control:
    """Counters, latency and faults of one emulator."""

    latency_ms: float = 0.0
    faults: Faults = field(default_factory=Faults)
    requests: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    injected: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, template: str, status: int) -> None:
        with self.lock:
            self.requests[template] += 1
            self.statuses[str(status)] += 1

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "requests": dict(self.requests),
                "statuses": dict(self.statuses),
                "faults": dict(self.injected),
            }

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.statuses.clear()
            self.injected.clear()


def control_routes(control: Control) -> list[BaseRoute]:
    """``GET /_emulator/stats``, ``POST /_emulator/stats/reset``, ``PUT /_emulator/faults``."""

    async def stats(_: Request) -> Response:
        return JSONResponse(control.snapshot())

    async def reset(_: Request) -> Response:
        control.reset()
        return JSONResponse({})

    async def faults(request: Request) -> Response:
        try:
            body = json.loads(await request.body() or b"{}")
            rate = float(body.get("rate", 0.0))
            seed = int(body.get("seed", 0))
            latency = body.get("latency_ms")
        except (ValueError, TypeError, AttributeError):
            return JSONResponse({"error": "body must be {rate: float, seed: int}"}, 400)
        control.faults.configure(rate, seed)
        if latency is not None:
            control.latency_ms = float(latency)
        return JSONResponse({"rate": control.faults.rate, "seed": control.faults.seed})

    return [
        Route("/_emulator/stats", stats, methods=["GET"]),
        Route("/_emulator/stats/reset", reset, methods=["POST"]),
        Route("/_emulator/faults", faults, methods=["PUT"]),
    ]


def route_template(routes: list[BaseRoute], scope: Scope) -> str:
    """``"METHOD /path/{template}"`` for the route that serves this request."""
    for route in routes:
        match, _ = route.matches(scope)
        if match is Match.FULL and isinstance(route, Route):
            return f"{scope['method']} {route.path}"
    return f"{scope['method']} {scope['path']}"


class ControlMiddleware:
    """Pure ASGI middleware: latency, fault injection and stats around an emulator app."""

    def __init__(
        self, app: ASGIApp, control: Control, routes: list[BaseRoute], fault_body: FaultBody
    ) -> None:
        self.app = app
        self.control = control
        self.routes = routes
        self.fault_body = fault_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_emulator/"):
            await self.app(scope, receive, send)
            return
        control = self.control
        template = route_template(self.routes, scope)
        if control.latency_ms > 0:
            await asyncio.sleep(control.latency_ms / 1000)
        fault = control.faults.draw()
        if fault is not None:
            control.injected[fault] += 1
        if fault == "slow":
            await asyncio.sleep(control.faults.slow_seconds)
        if fault in ("500", "502", "503", "429"):
            response = self.fault_body(int(fault))
            control.count(template, response.status_code)
            await response(scope, receive, send)
            return
        if fault == "drop_before":
            control.count(template, 0)
            await _drop(send)
            return

        status_holder: list[int] = []

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder.append(int(message["status"]))
            if fault == "drop_after":
                return  # the request is applied, but the answer is lost
            await send(message)

        await self.app(scope, receive, counting_send)
        if fault == "drop_after":
            control.count(template, 0)
            await _drop(send)
            return
        control.count(template, status_holder[0] if status_holder else 500)


async def _drop(send: Send) -> None:
    """Promise a body and never send it: the client sees the connection break mid-answer."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"64")],
        }
    )
    await send({"type": "http.response.body", "body": b"{", "more_body": False})
