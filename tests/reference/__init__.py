"""Reference data kept in the repository for the tests: recorded exchanges and cut official specs.

Provenance and licences are in README.md beside this file; ``cut_specs`` regenerates ``specs/``.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import yaml

#: recorded exchanges, ``recordings/<service>/<name>.json`` (recordings/README.md)
RECORDINGS = Path(__file__).resolve().parent / "recordings"
#: the official specs, cut (specs/README.md)
SPECS = Path(__file__).resolve().parent / "specs"


def interaction(service: str, name: str, index: int) -> dict[str, Any]:
    """Exchange ``index`` (request and response) of ``recordings/<service>/<name>.json``."""
    recording = json.loads((RECORDINGS / service / f"{name}.json").read_text("utf-8"))
    exchange: dict[str, Any] = recording["interactions"][index]
    return exchange


@cache
def spec(name: str) -> Any:
    """The cut official spec ``specs/<name>``, parsed once per process."""
    return load(SPECS / name)


def load(path: Path) -> Any:
    """A spec file parsed (JSON or YAML, by suffix)."""
    if path.suffix == ".json":
        return json.loads(path.read_text("utf-8"))
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=loader)
