"""ApiSession: counting, retries, 401 refresh, budgets, concurrency, transport failures."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from spokesync.http.budget import RateBudget
from spokesync.http.errors import (
    AuthError,
    BadRequest,
    MalformedResponse,
    RateLimited,
    ServerError,
    TransportError,
)
from spokesync.http.factory import make_client
from spokesync.http.retry import RetryPolicy
from spokesync.http.session import ApiSession, StaticAuthorization, call
from tests.http.scripted import FakeTime, Scripted, respond

BASE = "https://api.example"


def session(
    script: Scripted, *, auth: object = None, attempts: int = 4, **kw: object
) -> ApiSession:
    http = make_client(BASE, timeout=5, transport=script.transport())
    return ApiSession(
        "okta",
        http,
        authorization=auth or StaticAuthorization("SSWS sekrit-token"),  # type: ignore[arg-type]
        retry=RetryPolicy(attempts=attempts),
        **kw,  # type: ignore[arg-type]
    )


class RotatingToken:
    """A bearer provider whose token changes on each refresh."""

    refreshable = True

    def __init__(self) -> None:
        self.generation = 0
        self.refreshes = 0

    async def header(
        self, s: ApiSession, *, refresh: bool = False, stale: str | None = None
    ) -> str:
        if refresh:
            self.refreshes += 1
            self.generation += 1
        return f"Bearer tok-{self.generation}"


@pytest.mark.anyio
async def test_counts_by_template_and_encodes_path_params() -> None:
    script = Scripted().on("GET", "/users/auth0|1", respond(200, {"ok": 1}))
    s = session(script)
    assert await s.send_json(call("GET", "/users/{id}", id="auth0|1")) == {"ok": 1}
    assert await s.send_json(call("GET", "/users/{id}", id="auth0|1")) == {"ok": 1}
    assert s.calls == {"GET /users/{id}": 2}
    assert s.calls.total() == 2
    # Recorded auth0/users-read.json #1: the | is sent percent-encoded.
    assert script.requests[0].url.raw_path == b"/users/auth0%7C1"
    assert script.requests[0].headers["authorization"] == "SSWS sekrit-token"


@pytest.mark.anyio
async def test_5xx_retried_and_each_attempt_counted() -> None:
    script = Scripted().on(
        "GET", "/x", respond(503, {"errorCode": "E", "errorSummary": "busy"}), respond(200, [])
    )
    s = session(script)
    assert await s.send_json(call("GET", "/x")) == []
    assert s.calls["GET /x"] == 2


@pytest.mark.anyio
async def test_5xx_gives_up_after_attempts() -> None:
    script = Scripted().on("GET", "/x", respond(500, b"oops"))
    s = session(script, attempts=3)
    with pytest.raises(ServerError) as info:
        await s.send(call("GET", "/x"))
    assert len(script.requests) == 3
    assert "not JSON" in info.value.message


@pytest.mark.anyio
async def test_permanent_4xx_not_retried() -> None:
    script = Scripted().on(
        "POST", "/x", respond(400, {"errorCode": "E0000003", "errorSummary": "bad"})
    )
    s = session(script)
    with pytest.raises(BadRequest):
        await s.send(call("POST", "/x", json_body={}))
    assert len(script.requests) == 1


@pytest.mark.anyio
async def test_transport_error_retried_then_raised_with_cause() -> None:
    script = Scripted().on("GET", "/x", httpx.ConnectError("refused"))
    s = session(script, attempts=2)
    with pytest.raises(TransportError) as info:
        await s.send(call("GET", "/x", params={"token": "q-secret"}))
    assert len(script.requests) == 2
    assert isinstance(info.value.__cause__, httpx.ConnectError)
    assert "q-secret" not in str(info.value)


@pytest.mark.anyio
async def test_transport_error_then_success() -> None:
    script = Scripted().on("GET", "/x", httpx.ReadTimeout("slow"), respond(200, {"a": 1}))
    assert await session(script).send_json(call("GET", "/x")) == {"a": 1}


@pytest.mark.anyio
async def test_body_cut_off_mid_stream_is_transport_error() -> None:
    class Broken(httpx.AsyncByteStream):
        async def __aiter__(self):  # type: ignore[no-untyped-def]
            yield b'{"users": ['
            raise httpx.RemoteProtocolError("peer closed connection without sending complete body")

    script = Scripted().on("GET", "/x", lambda r: httpx.Response(200, stream=Broken()))
    with pytest.raises(TransportError):
        await session(script, attempts=2).send(call("GET", "/x"))
    assert len(script.requests) == 2


@pytest.mark.anyio
async def test_truncated_json_is_malformed() -> None:
    script = Scripted().on("GET", "/x", respond(200, b'[{"id": "00u1"'))
    s = session(script)
    with pytest.raises(MalformedResponse) as info:
        await s.send_json(call("GET", "/x"))
    assert "not JSON" in info.value.message
    assert len(script.requests) == 1


@pytest.mark.anyio
async def test_401_refreshes_once_and_retries() -> None:
    def check(request: httpx.Request) -> httpx.Response:
        ok = request.headers["authorization"] == "Bearer tok-1"
        return (
            respond(200, {"ok": True})
            if ok
            else respond(401, {"statusCode": 401, "message": "Invalid token"})
        )

    token = RotatingToken()
    script = Scripted().on("GET", "/x", check)
    s = session(script, auth=token)
    assert await s.send_json(call("GET", "/x")) == {"ok": True}
    assert token.refreshes == 1
    assert len(script.requests) == 2


@pytest.mark.anyio
async def test_401_after_refresh_is_auth_error() -> None:
    token = RotatingToken()
    script = Scripted().on(
        "GET", "/x", respond(401, {"statusCode": 401, "message": "Invalid token"})
    )
    with pytest.raises(AuthError):
        await session(script, auth=token).send(call("GET", "/x"))
    assert token.refreshes == 1
    assert len(script.requests) == 2


@pytest.mark.anyio
async def test_401_with_static_token_not_retried() -> None:
    script = Scripted().on(
        "GET",
        "/x",
        respond(401, {"errorCode": "E0000011", "errorSummary": "Invalid token provided"}),
    )
    s = session(script)
    with pytest.raises(AuthError) as info:
        await s.send(call("GET", "/x"))
    assert len(script.requests) == 1
    assert "sekrit-token" not in str(info.value) + repr(info.value) + repr(s.authorization)


@pytest.mark.anyio
async def test_429_waits_until_reset_then_retries() -> None:
    # Recorded okta/rate-limit-429.json #1 -> #2: a retry after the reset got a fresh window.
    time = FakeTime()
    reset = int(time.now) + 30
    limited = respond(
        429,
        {
            "errorCode": "E0000047",
            "errorSummary": "API call exceeded rate limit due to too many requests.",
        },
        headers={
            "x-rate-limit-limit": "50",
            "x-rate-limit-remaining": "0",
            "x-rate-limit-reset": str(reset),
        },
    )
    fine = respond(
        200,
        [],
        headers={
            "x-rate-limit-limit": "50",
            "x-rate-limit-remaining": "49",
            "x-rate-limit-reset": str(reset + 60),
        },
    )
    script = Scripted().on("GET", "/x", limited, fine)
    budget = RateBudget(share=0.5, sleep=time.sleep, clock=time.clock)
    s = session(script, budget_for=lambda _c: budget)
    assert await s.send_json(call("GET", "/x")) == []
    assert time.now >= reset  # the budget slept (on the fake clock) until the reset
    assert len(script.requests) == 2


@pytest.mark.anyio
async def test_429_repeated_gives_up() -> None:
    script = Scripted().on(
        "GET", "/x", respond(429, {"errorCode": "E0000047", "errorSummary": "slow down"})
    )
    with pytest.raises(RateLimited):
        await session(script, attempts=3).send(call("GET", "/x"))
    assert len(script.requests) == 3


@pytest.mark.anyio
async def test_max_concurrency_bounds_requests_in_flight() -> None:
    in_flight = 0
    peak = 0

    async def slow(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        in_flight -= 1
        return respond(200, {})

    http = make_client(BASE, timeout=5, transport=httpx.MockTransport(slow))
    s = ApiSession("okta", http, max_concurrency=3)
    await asyncio.gather(*(s.send(call("GET", "/x")) for _ in range(20)))
    assert peak == 3
    assert s.calls.total() == 20


@pytest.mark.anyio
async def test_unauthenticated_call_sends_no_authorization() -> None:
    script = Scripted().on("POST", "/oauth/token", respond(200, {}))
    await session(script).send(call("POST", "/oauth/token", authenticated=False, json_body={}))
    assert "authorization" not in script.requests[0].headers


def test_static_authorization_repr_hides_token() -> None:
    assert "sekrit" not in repr(StaticAuthorization("SSWS sekrit"))
