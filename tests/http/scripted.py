"""Test doubles for the HTTP layer: a scripted MockTransport handler and a fake clock."""

from __future__ import annotations

import json
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import stamina

Answer = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


def respond(
    status: int = 200, body: Any = None, *, headers: dict[str, str] | None = None
) -> httpx.Response:
    """A response with a JSON body (or raw bytes/str as given, or empty for None)."""
    if body is None:
        return httpx.Response(status, headers=headers)
    if isinstance(body, bytes | str):
        return httpx.Response(status, content=body, headers=headers)
    return httpx.Response(status, content=json.dumps(body).encode(), headers=headers)


class Scripted:
    """Answers queued per ``(METHOD, path)``; the last answer of a queue repeats.

    Every request is recorded in ``requests`` (with its body read) so tests can inspect it.
    """

    def __init__(self) -> None:
        self.queues: dict[tuple[str, str], deque[Answer]] = defaultdict(deque)
        self.requests: list[httpx.Request] = []

    def on(self, method: str, path: str, *answers: Answer) -> Scripted:
        self.queues[(method, path)].extend(answers)
        return self

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        queue = self.queues.get((request.method, request.url.path))
        if not queue:
            return respond(599, {"unscripted": f"{request.method} {request.url.path}"})
        answer = queue.popleft() if len(queue) > 1 else queue[0]
        if isinstance(answer, Exception):
            raise answer
        if callable(answer) and not isinstance(answer, httpx.Response):
            return answer(request)
        return answer

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    def paths(self) -> list[str]:
        return [f"{r.method} {r.url.path}" for r in self.requests]


class FakeTime:
    """A clock that only moves when something sleeps on it."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def stamina_testing() -> Iterator[None]:
    """No real backoff; the configured number of attempts still applies (cap=True)."""
    with stamina.set_testing(True, attempts=100, cap=True):
        yield


def rsa_key_pair() -> tuple[str, str]:
    """A fresh RSA private key (PEM) and its public key (PEM), for private_key_jwt tests."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public
