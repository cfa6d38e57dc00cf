"""Helpers shared by the Okta emulator tests: a movable clock, seeds, request bodies."""

from __future__ import annotations

from typing import Any

import httpx
from starlette.applications import Starlette

#: a loopback base URL; with ASGITransport nothing is ever sent over the network
BASE = "http://127.0.0.1:8802"
TOKEN = "ssws-test-token"


class FakeClock:
    """Epoch seconds that only move when a test says so."""

    def __init__(self, start: float = 1_750_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def seed(**extra: Any) -> dict[str, Any]:
    """A small org: one token, two groups (one an APP_GROUP), one ACTIVE user in Sales."""
    base: dict[str, Any] = {
        "api_tokens": [TOKEN],
        "groups": [
            {"id": "00gsales0000000000001", "name": "Sales"},
            {"name": "AD Imported", "type": "APP_GROUP"},
        ],
        "users": [
            {
                "id": "00ubob00000000000001",
                "profile": profile("bob@hub.example", "Bob", "Ray"),
                "groups": ["Sales"],
            }
        ],
        "idps": [{"id": "0oaauth0000000000001", "name": "Auth0 partners"}],
    }
    base.update(extra)
    return base


def profile(login: str, first: str = "Ann", last: str = "Lee") -> dict[str, Any]:
    return {"login": login, "email": login, "firstName": first, "lastName": last}


def client(app: Starlette, token: str | None = TOKEN) -> httpx.AsyncClient:
    headers = {"Authorization": f"SSWS {token}"} if token else {}
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE, headers=headers)


def rels(response: httpx.Response) -> list[str]:
    """The ``rel`` names of the Link headers, in order."""
    return [link.rsplit('rel="', 1)[1].rstrip('"') for link in response.headers.get_list("link")]


def next_url(response: httpx.Response) -> str | None:
    for link in response.headers.get_list("link"):
        if link.endswith('rel="next"'):
            return link[1 : link.index(">")]
    return None
