"""Recorded Auth0 exchanges (tests/reference/recordings/auth0) as test answers."""

from __future__ import annotations

from typing import Any

from tests.reference import interaction


def recorded_body(name: str, index: int) -> Any:
    """The response body of interaction ``index`` of recording ``name``."""
    return interaction("auth0", name, index)["response"]["body"]
