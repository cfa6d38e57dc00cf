"""Rate-limit headers, per-bucket 429s, window refill and the concurrency limit (§8)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from spokesync.emulators.okta import create_app
from spokesync.emulators.okta.ratelimit import bucket_of
from tests.emulators.okta.support import FakeClock, client, seed

pytestmark = pytest.mark.anyio

HEADERS = ("x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset")


@pytest.mark.parametrize(
    ("method", "path", "bucket"),
    [
        ("GET", "/api/v1/users", "users"),
        ("POST", "/api/v1/users", "users"),
        ("GET", "/api/v1/users/00uA", "user_read"),
        ("POST", "/api/v1/users/00uA", "user_write"),
        ("DELETE", "/api/v1/users/00uA", "user_write"),
        # recorded in 2020: lifecycle steps down the POST /users count
        ("POST", "/api/v1/users/00uA/lifecycle/activate", "users"),
        ("GET", "/api/v1/groups", "groups"),
        ("GET", "/api/v1/groups/00gA", "group"),
        # recorded in 2020: membership steps down the POST /groups count
        ("PUT", "/api/v1/groups/00gA/users/00uA", "groups"),
        ("GET", "/api/v1/groups/00gA/users", "groups"),
        ("POST", "/api/v1/idps/0oaA/users/00uA", "other"),
        ("POST", "/oauth2/v1/token", "oauth_token"),
    ],
)
def test_bucket_matching(method: str, path: str, bucket: str) -> None:
    assert bucket_of(method, path) == bucket


async def test_headers_on_every_response_including_errors(api: httpx.AsyncClient) -> None:
    responses = [
        await api.get("/api/v1/users"),
        await api.get("/api/v1/users/missing@example.com"),
        await api.delete("/api/v1/users/00ubob00000000000001"),
        await api.get("/api/v1/nowhere"),
    ]
    for response in responses:
        assert all(name in response.headers for name in HEADERS), response.status_code
    assert responses[0].headers["x-rate-limit-limit"] == "600"
    assert responses[1].headers["x-rate-limit-limit"] == "1000"


async def test_429_after_the_bucket_is_spent_and_refill_after_the_window() -> None:
    clock = FakeClock(1_000_000.0)
    app = create_app(seed(), clock=clock, rate_limit_per_minute=3)
    async with client(app) as api:
        remaining = [
            (await api.get("/api/v1/users")).headers["x-rate-limit-remaining"] for _ in range(3)
        ]
        # recorded: the answer before the 429 already shows remaining 0
        assert remaining == ["2", "1", "0"]
        refused = await api.get("/api/v1/users")
        assert refused.status_code == 429
        assert refused.json()["errorCode"] == "E0000047"
        assert refused.headers["x-rate-limit-remaining"] == "0"
        assert refused.headers["x-rate-limit-reset"] == str(1_000_060)
        assert "retry-after" not in refused.headers
        # another bucket is untouched
        assert (await api.get("/api/v1/users/00ubob00000000000001")).status_code == 200
        clock.advance(59)
        assert (await api.get("/api/v1/users")).status_code == 429
        clock.advance(1)
        fresh = await api.get("/api/v1/users")
        assert fresh.status_code == 200
        assert fresh.headers["x-rate-limit-remaining"] == "2"
        assert fresh.headers["x-rate-limit-reset"] == str(1_000_120)


async def test_concurrency_limit_answers_429_with_zero_limit() -> None:
    app = create_app(seed(), clock=FakeClock(), concurrency_limit=2)
    async with client(app) as api:
        # Latency holds requests in flight, so five at once exceed the limit of two.
        await api.put("/_emulator/faults", json={"rate": 0, "seed": 0, "latency_ms": 50})
        answers = await asyncio.gather(*(api.get("/api/v1/users") for _ in range(5)))
        refused = [r for r in answers if r.status_code == 429]
        assert len(refused) == 3
        for response in refused:
            assert response.headers["x-rate-limit-limit"] == "0"
            assert response.headers["x-rate-limit-remaining"] == "0"
            assert response.json()["errorCode"] == "E0000047"
        await api.put("/_emulator/faults", json={"rate": 0, "seed": 0, "latency_ms": 0})
        assert (await api.get("/api/v1/users")).status_code == 200
        stats = (await api.get("/_emulator/stats")).json()
        assert stats["statuses"]["429"] == 3
