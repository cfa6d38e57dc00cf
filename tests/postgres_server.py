"""A private PostgreSQL server for the test session, shared by every xdist worker.

The controlling pytest process names a scratch directory (``SPOKESYNC_TEST_POSTGRES_DIR``,
inherited by the workers); the first worker that needs PostgreSQL starts the server there
under a file lock (``initdb`` + ``pg_ctl``, fsync off, loopback only, trust authentication),
the others read its URL from the directory, and the controlling process stops it and removes
the directory at the end. PostgreSQL refuses to run as root: as root it runs as the
``postgres`` system user. ``SPOKESYNC_TEST_POSTGRES_URL`` names an existing server instead.
"""

from __future__ import annotations

import fcntl
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import sqlalchemy as sa

from spokesync.store.migrate import VERSION_TABLE
from spokesync.store.schema import metadata

URL_ENV = "SPOKESYNC_TEST_POSTGRES_URL"
DIR_ENV = "SPOKESYNC_TEST_POSTGRES_DIR"
BIN_ENV = "SPOKESYNC_TEST_POSTGRES_BIN"
SERVER_USER = "postgres"


class Unavailable(Exception):
    """No PostgreSQL server can be started here; the message says why."""


def bin_dir() -> Path | None:
    """Where initdb and pg_ctl are: $SPOKESYNC_TEST_POSTGRES_BIN, PATH or Debian's layout."""
    if os.environ.get(BIN_ENV):
        return Path(os.environ[BIN_ENV])
    on_path = shutil.which("pg_ctl")
    if on_path:
        return Path(on_path).parent
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
        key=lambda p: int(Path(p).parent.parent.name),
    )
    return Path(versions[-1]).parent if versions else None


def new_scratch_dir() -> Path:
    """A fresh directory for one session's server (made by the controlling process)."""
    return Path(tempfile.mkdtemp(prefix="spokesync-pg-"))


def server_url(scratch: Path) -> str:
    """The server's admin URL, starting the server in ``scratch`` unless already running."""
    with (scratch / "lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # workers queue here while the first one starts it
        url_file = scratch / "url"
        if url_file.exists():
            return url_file.read_text(encoding="utf-8")
        url = _start(scratch)
        url_file.write_text(url, encoding="utf-8")
        return url


def stop(scratch: Path) -> None:
    """Stop the server started in ``scratch`` (if any) and remove the directory."""
    data = scratch / "data"
    pg_ctl = bin_dir()
    if (data / "postmaster.pid").exists() and pg_ctl is not None:
        subprocess.run(
            [*_as_server_user(), str(pg_ctl / "pg_ctl"), "stop", "-D", str(data), "-m", "fast"],
            capture_output=True,
            check=False,
            timeout=60,
        )
    shutil.rmtree(scratch, ignore_errors=True)


def empty_database(url: str) -> str:
    """Drop every spokesync table from the database at ``url``; return ``url``."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            metadata.drop_all(connection)
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS {VERSION_TABLE}")
    finally:
        engine.dispose()
    return url


def _as_server_user() -> list[str]:
    return ["runuser", "-u", SERVER_USER, "--"] if os.geteuid() == 0 else []


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start(scratch: Path) -> str:
    binaries = bin_dir()
    if binaries is None or not (binaries / "initdb").exists():
        raise Unavailable(
            f"no PostgreSQL server binaries (initdb, pg_ctl): install postgresql, or set "
            f"{BIN_ENV} to their directory, or {URL_ENV} to a server"
        )
    if os.geteuid() == 0:
        try:
            server_user = pwd.getpwnam(SERVER_USER)
        except KeyError:
            raise Unavailable(
                f"running as root and there is no {SERVER_USER!r} user to run PostgreSQL as"
            ) from None
        os.chown(scratch, server_user.pw_uid, server_user.pw_gid)
        # mkdtemp's parent (e.g. /tmp) is world-traversable; the directory itself is ours.
    data = scratch / "data"
    _run(
        [
            *_as_server_user(),
            str(binaries / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
        ],
        "initdb",
    )
    # Throwaway data: no durability, loopback only, room for six workers' connections.
    settings = [
        "fsync=off",
        "synchronous_commit=off",
        "full_page_writes=off",
        "max_connections=300",
        "listen_addresses='127.0.0.1'",
        f"unix_socket_directories='{scratch}'",
    ]
    for attempt in range(3):
        port = _free_port()
        options = " ".join(f"-c {setting}" for setting in [*settings, f"port={port}"])
        started = subprocess.run(
            [
                *_as_server_user(),
                str(binaries / "pg_ctl"),
                "start",
                "-w",
                "-t",
                "60",
                "-D",
                str(data),
                "-l",
                str(scratch / "server.log"),
                "-o",
                options,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if started.returncode == 0:
            return f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        if attempt == 2:  # the port may have been taken meanwhile: try another, then give up
            log = (scratch / "server.log").read_text(encoding="utf-8", errors="replace")
            raise Unavailable(f"pg_ctl start failed: {started.stderr.strip()}\n{log[-2000:]}")
    raise AssertionError("unreachable")


def _run(command: list[str], what: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
    if done.returncode != 0:
        raise Unavailable(f"{what} failed: {done.stderr.strip() or done.stdout.strip()}")
