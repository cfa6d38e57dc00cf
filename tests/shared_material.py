"""Where the shared research material (specs, recordings, reference notes) lives for tests."""

from __future__ import annotations

import os
from pathlib import Path

#: the repository root (this file sits in ``tests/``)
REPO_ROOT = Path(__file__).resolve().parent.parent

#: ``shared/`` next to the repository, or ``$SPOKESYNC_SHARED`` (in CI the clone sits beside a copy)
SHARED = Path(os.environ.get("SPOKESYNC_SHARED", REPO_ROOT.parent / "shared"))


def shared_path(*parts: str) -> Path:
    """A path inside the shared material, e.g. ``shared_path("recordings", "okta")``."""
    return SHARED.joinpath(*parts)
