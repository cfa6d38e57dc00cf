"""What both emulators share and no real API has: the ``/_emulator/`` control plane.

It counts requests by route template and status, adds latency, and injects faults
(5xx and 429 answers, dropped connections, slow answers), so tests and benchmarks can
observe call economy and exercise failure handling. Each emulator supplies its own error
body for injected faults, since the two APIs format errors differently; an OAuth token
endpoint answers injected faults in the OAuth 2.0 error shape (RFC 6749 §5.2), as the real
endpoints do.

``PUT /_emulator/faults`` takes ``{"rate": 0.1, "seed": 7}`` (the contract) and optionally
``"kinds"`` (relative weights per fault kind, e.g. ``{"500": 4, "429": 5, "drop_after": 1}``),
``"slow_ms"`` (how long a "slow" fault holds the answer) and ``"latency_ms"``.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import random
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: (status) -> the API's own error response for an injected fault
FaultBody = Callable[[int], Response]
#: (status, request path) -> the error response; lets an API shape faults per endpoint
PathFaultBody = Callable[[int, str], Response]

#: every kind of fault, with the default weights (roughly how often each is met in incidents)
FAULT_KINDS: dict[str, float] = {
    "500": 2.0,
    "502": 1.0,
    "503": 2.0,
    "429": 2.0,
    # the connection breaks before the request reaches the API: nothing was applied
    "drop_before": 1.0,
    # the request is applied, then the connection breaks: the answer is lost
    "drop_after": 1.0,
    # the answer comes, late (``slow_seconds``); with a short client timeout, a timeout
    "slow": 1.0,
}
_STATUS_KINDS = frozenset({"500", "502", "503", "429"})
#: headers of an API's fault answer worth keeping on an OAuth-shaped one
_RATE_HEADERS = ("retry-after", "x-ratelimit-", "x-rate-limit-")


class FaultConfigError(ValueError):
    """A ``PUT /_emulator/faults`` body that does not describe a fault profile."""


@dataclass
class Faults:
    """Random fault injection, seeded so a failing scenario can be replayed."""

    rate: float = 0.0
    seed: int = 0
    #: seconds a "slow" fault holds the answer
    slow_seconds: float = 0.5
    #: relative weight of each fault kind (kinds absent or 0 are never drawn)
    kinds: dict[str, float] = field(default_factory=lambda: dict(FAULT_KINDS))
    rng: random.Random = field(default_factory=random.Random)

    def configure(
        self,
        rate: float,
        seed: int,
        *,
        kinds: Mapping[str, float] | None = None,
        slow_seconds: float | None = None,
    ) -> None:
        """Set the profile and restart the random sequence, so ``seed`` replays it exactly.

        ``kinds`` None restores the default weights; ``slow_seconds`` None keeps the current.
        """
        weights = dict(FAULT_KINDS) if kinds is None else _check_kinds(kinds)
        self.rate = max(0.0, min(1.0, rate))
        self.seed = seed
        self.kinds = weights
        if slow_seconds is not None:
            self.slow_seconds = max(0.0, slow_seconds)
        self.rng = random.Random(seed)

    def draw(self) -> str | None:
        """Pick a fault for this request, or None."""
        if self.rate <= 0 or self.rng.random() >= self.rate:
            return None
        names = [k for k, w in self.kinds.items() if w > 0]
        if not names:
            return None
        return self.rng.choices(names, weights=[self.kinds[k] for k in names])[0]

    def describe(self) -> dict[str, Any]:
        """The profile as ``PUT /_emulator/faults`` takes it."""
        return {
            "rate": self.rate,
            "seed": self.seed,
            "kinds": dict(self.kinds),
            "slow_ms": round(self.slow_seconds * 1000, 3),
        }


def _check_kinds(kinds: Mapping[str, Any]) -> dict[str, float]:
    if not isinstance(kinds, Mapping):
        raise FaultConfigError('"kinds" must be an object of fault kind -> weight')
    unknown = sorted(set(kinds) - set(FAULT_KINDS))
    if unknown:
        raise FaultConfigError(f"unknown fault kinds {unknown}; known: {sorted(FAULT_KINDS)}")
    weights: dict[str, float] = {}
    for name, raw in kinds.items():
        if isinstance(raw, bool) or not isinstance(raw, int | float) or raw < 0:
            raise FaultConfigError(f"the weight of {name!r} must be a number >= 0")
        weights[name] = float(raw)
    return weights


@dataclass
class Control:
    """Counters, latency and faults of one emulator."""

    latency_ms: float = 0.0
    faults: Faults = field(default_factory=Faults)
    requests: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    injected: Counter[str] = field(default_factory=Counter)
    #: an emulator's own counters shown in the stats (e.g. Okta's "emails"), by section name
    tallies: dict[str, Counter[str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def tally(self, name: str, counter: Counter[str]) -> None:
        """Show ``counter`` in the stats under ``name``; the stats reset zeroes its keys."""
        with self.lock:
            self.tallies[name] = counter

    def count(self, template: str, status: int) -> None:
        with self.lock:
            self.requests[template] += 1
            self.statuses[str(status)] += 1

    def count_fault(self, kind: str) -> None:
        with self.lock:
            self.injected[kind] += 1

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "requests": dict(self.requests),
                "statuses": dict(self.statuses),
                "faults": dict(self.injected),
                **{name: dict(counter) for name, counter in self.tallies.items()},
            }

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.statuses.clear()
            self.injected.clear()
            for counter in self.tallies.values():
                for key in counter:
                    counter[key] = 0


def control_routes(control: Control) -> list[BaseRoute]:
    """``GET /_emulator/stats``, ``POST /_emulator/stats/reset``, ``GET|PUT /_emulator/faults``."""

    async def stats(_: Request) -> Response:
        return JSONResponse(control.snapshot())

    async def reset(_: Request) -> Response:
        control.reset()
        return JSONResponse({})

    async def show_faults(_: Request) -> Response:
        return JSONResponse({**control.faults.describe(), "latency_ms": control.latency_ms})

    async def faults(request: Request) -> Response:
        try:
            body = json.loads(await request.body() or b"{}")
            if not isinstance(body, dict):
                raise FaultConfigError("the body must be a JSON object")
            rate = float(body.get("rate", 0.0))
            seed = int(body.get("seed", 0))
            latency = body.get("latency_ms")
            slow_ms = body.get("slow_ms")
            slow = None if slow_ms is None else float(slow_ms) / 1000
            latency_ms = None if latency is None else float(latency)
            control.faults.configure(rate, seed, kinds=body.get("kinds"), slow_seconds=slow)
        except FaultConfigError as exc:
            return JSONResponse({"error": str(exc)}, 400)
        except (ValueError, TypeError):
            return JSONResponse(
                {
                    "error": "body must be {rate: float, seed: int, kinds?: {kind: weight}, "
                    "slow_ms?: float, latency_ms?: float}"
                },
                400,
            )
        if latency_ms is not None:
            control.latency_ms = latency_ms
        return JSONResponse({**control.faults.describe(), "latency_ms": control.latency_ms})

    return [
        Route("/_emulator/stats", stats, methods=["GET"]),
        Route("/_emulator/stats/reset", reset, methods=["POST"]),
        Route("/_emulator/faults", show_faults, methods=["GET"]),
        Route("/_emulator/faults", faults, methods=["PUT"]),
    ]


def route_template(routes: list[BaseRoute], scope: Scope) -> str:
    """``"METHOD /path/{template}"`` for the route that serves this request."""
    for route in routes:
        match, _ = route.matches(scope)
        if match is Match.FULL and isinstance(route, Route):
            return f"{scope['method']} {route.path}"
    return f"{scope['method']} {scope['path']}"


def is_token_endpoint(path: str) -> bool:
    """Auth0's ``/oauth/token`` and Okta's ``/oauth2/.../v1/token``: OAuth-shaped errors."""
    return path.rstrip("/").endswith("/oauth/token") or (
        path.startswith("/oauth2/") and path.rstrip("/").endswith("/token")
    )


def oauth_fault(status: int, api_answer: Response) -> Response:
    """The OAuth 2.0 error body for an injected fault, keeping the API's rate-limit headers."""
    error, description = (
        ("too_many_requests", "Global limit has been reached")
        if status == 429
        else ("temporarily_unavailable", "The service is temporarily unavailable")
    )
    kept = {k: v for k, v in api_answer.headers.items() if k.lower().startswith(_RATE_HEADERS)}
    return JSONResponse({"error": error, "error_description": description}, status, kept)


def _path_aware(fault_body: FaultBody | PathFaultBody) -> PathFaultBody:
    """Accept both shapes of fault body: ``(status)`` and ``(status, path)``."""
    try:
        takes_path = len(inspect.signature(fault_body).parameters) >= 2
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        takes_path = False
    if takes_path:
        return cast(PathFaultBody, fault_body)
    by_status = cast(FaultBody, fault_body)
    return lambda status, _path: by_status(status)


class ControlMiddleware:
    """Pure ASGI middleware: latency, fault injection and stats around an emulator app."""

    def __init__(
        self,
        app: ASGIApp,
        control: Control,
        routes: list[BaseRoute],
        fault_body: FaultBody | PathFaultBody,
    ) -> None:
        self.app = app
        self.control = control
        self.routes = routes
        self.fault_body = _path_aware(fault_body)

    def fault_response(self, status: int, path: str) -> Response:
        """The answer to an injected ``status``: the API's own, or OAuth's on token endpoints."""
        response = self.fault_body(status, path)
        if is_token_endpoint(path):
            return oauth_fault(status, response)
        return response

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
            control.count_fault(fault)
        if fault == "slow":
            await asyncio.sleep(control.faults.slow_seconds)
        if fault in _STATUS_KINDS:
            response = self.fault_response(int(fault), scope["path"])
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
