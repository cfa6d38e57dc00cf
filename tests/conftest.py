from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import stamina

from tests import outside_reads
from tests.world_kit import World, make_world

# Installed when pytest loads this file, before the test modules are imported, so reads
# at import time are seen too (they are charged to the first test of the process).
outside_reads.install()


@pytest.fixture(autouse=True)
def _reads_stay_in_the_repository() -> Iterator[None]:
    """Fail a test that read a file beside the repository: a clone has nothing there."""
    yield
    if read := outside_reads.GUARD.take():
        pytest.fail(
            f"read outside the repository: {sorted(set(read))}; copy what the test needs "
            "into tests/reference (README.md there says how)",
            pytrace=False,
        )


@pytest.fixture(autouse=True)
def _no_retry_sleeps() -> Iterator[None]:
    """stamina's testing switch: retries happen, backoff sleeps do not."""
    stamina.set_testing(True, attempts=3)
    yield
    stamina.set_testing(False)


@pytest.fixture
def world_factory(tmp_path: Path) -> Iterator[Callable[..., World]]:
    """Build a world (both emulators on loopback + a config); stopped after the test."""
    worlds: list[World] = []

    def build(document: dict[str, Any], **options: Any) -> World:
        world = make_world(tmp_path, document, **options)
        worlds.append(world)
        return world

    yield build
    for world in worlds:
        world.emulators.stop()
