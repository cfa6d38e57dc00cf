"""Recorded Okta exchanges (tests/reference/recordings/okta) as test answers."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.reference import interaction


def recorded(name: str, index: int) -> dict[str, Any]:
    return interaction("okta", name, index)


def recorded_response(name: str, index: int) -> httpx.Response:
    """Interaction ``index`` of ``name`` replayed as a response (body and kept headers)."""
    resp = recorded(name, index)["response"]
    body = resp["body"]
    content = (
        b""
        if body == ""
        else (body.encode() if isinstance(body, str) else json.dumps(body).encode())
    )
    return httpx.Response(resp["status"], content=content, headers=resp["headers"])
