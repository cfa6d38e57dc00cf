"""Recorded Auth0 exchanges (shared/recordings/auth0) as test answers."""

from __future__ import annotations

import json
from typing import Any

from tests.shared_material import shared_path


def recorded_body(name: str, index: int) -> Any:
    """The response body of interaction ``index`` of recording ``name``."""
    data = json.loads(shared_path("recordings", "auth0", f"{name}.json").read_text())
    return data["interactions"][index]["response"]["body"]
