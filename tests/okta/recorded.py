"""Recorded Okta exchanges (shared/recordings/okta) as test answers."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.shared_material import shared_path


def recorded(name: str, index: int) -> dict[str, Any]:
    data = json.loads(shared_path("recordings", "okta", f"{name}.json").read_text())
    exchange: dict[str, Any] = data["interactions"][index]
    return exchange


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
