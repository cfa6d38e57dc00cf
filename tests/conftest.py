from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import stamina

from tests import outside_reads, postgres_server
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


#: The controlling process's PostgreSQL scratch directory (tests/postgres_server.py).
_SCRATCH = pytest.StashKey[Path]()


def pytest_configure(config: pytest.Config) -> None:
    """The controlling process names the shared PostgreSQL directory before workers start."""
    if hasattr(config, "workerinput") or os.environ.get(postgres_server.URL_ENV):
        return
    scratch = postgres_server.new_scratch_dir()
    os.environ[postgres_server.DIR_ENV] = str(scratch)  # inherited by the xdist workers
    config.stash[_SCRATCH] = scratch


def pytest_unconfigure(config: pytest.Config) -> None:
    scratch = config.stash.get(_SCRATCH, None)
    if scratch is not None:
        postgres_server.stop(scratch)


@pytest.fixture(autouse=True)
def _no_retry_sleeps() -> Iterator[None]:
    """stamina's testing switch: retries happen, backoff sleeps do not."""
    stamina.set_testing(True, attempts=3)
    yield
    stamina.set_testing(False)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A scratch database of this worker on the session's PostgreSQL (dropped at the end).

    Skips where no server can be started, except on CI (``CI=true``), where it fails.
    """
    try:
        pytest.importorskip("psycopg", reason="psycopg is not installed (spokesync[postgres])")
        server = os.environ.get(postgres_server.URL_ENV) or postgres_server.server_url(
            Path(os.environ[postgres_server.DIR_ENV])
        )
    except (pytest.skip.Exception, postgres_server.Unavailable) as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL tests must run on CI: {exc}")
        pytest.skip(f"no PostgreSQL: {exc}")
    admin = sa.create_engine(sa.make_url(server), isolation_level="AUTOCOMMIT")
    name = f"spokesync_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield sa.make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def state_backend() -> str:
    """The state backend of end-to-end worlds: SQLite unless a module asks for both."""
    return "sqlite"


@pytest.fixture
def world_factory(
    tmp_path: Path, state_backend: str, request: pytest.FixtureRequest
) -> Iterator[Callable[..., World]]:
    """Build a world (both emulators on loopback + a config); stopped after the test."""
    state_url = None
    if state_backend == "postgresql":
        state_url = postgres_server.empty_database(request.getfixturevalue("postgres_url"))
    worlds: list[World] = []

    def build(document: dict[str, Any], **options: Any) -> World:
        world = make_world(tmp_path, document, state_url=state_url, **options)
        worlds.append(world)
        return world

    yield build
    for world in worlds:
        world.emulators.stop()
