"""Opening the database: URLs, the private SQLite file, WAL and waiting, errors without secrets."""

from __future__ import annotations

import re
import sqlite3
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from spokesync.domain import ActionKind
from spokesync.store import SqlStore, StoreError, open_store
from spokesync.store.database import open_database
from spokesync.store.schema import metadata

PASSWORD = "hunter2-Sekr1t"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_new_sqlite_file_and_its_wal_files_are_private(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with open_store(f"sqlite:///{path}") as store:
        store.set_cursor("c", "v")  # a write, so the WAL files exist
        assert mode(path) == 0o600
        for companion in (tmp_path / "state.db-wal", tmp_path / "state.db-shm"):
            assert mode(companion) == 0o600


def test_an_existing_file_keeps_its_mode(tmp_path: Path) -> None:
    # Documented choice: spokesync does not chmod a file the operator created.
    path = tmp_path / "state.db"
    path.touch(mode=0o640)
    path.chmod(0o640)
    open_store(f"sqlite:///{path}").close()
    assert mode(path) == 0o640


def test_absolute_url_creates_missing_parent_directories(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "state.db"
    open_store(f"sqlite:///{path}").close()
    assert path.is_file()


def test_relative_url_is_relative_to_the_working_directory_at_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with open_store("sqlite:///var/state.db") as store:
        assert (tmp_path / "var" / "state.db").is_file()
        monkeypatch.chdir(tmp_path / "var")  # a later chdir does not move the store
        store.set_cursor("c", "v")
        assert not (tmp_path / "var" / "var").exists()
    with open_store(f"sqlite:///{tmp_path / 'var' / 'state.db'}") as same:
        assert same.get_cursor("c") == "v"


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_in_memory_sqlite_works_and_keeps_its_data_while_open(url: str) -> None:
    with open_store(url) as store:
        store.set_cursor("c", "v")
        assert store.get_cursor("c") == "v"


def test_sqlite_file_uses_wal(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    open_store(f"sqlite:///{path}").close()
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_a_writer_in_another_connection_makes_the_store_wait_not_fail(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with open_store(f"sqlite:///{path}") as store:
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process in the middle of a write
        outcome: list[object] = []
        finished = threading.Event()

        def write() -> None:
            try:
                store.set_cursor("c", "v")
                outcome.append("ok")
            except StoreError as exc:
                outcome.append(exc)
            finished.set()

        writer = threading.Thread(target=write)
        writer.start()
        # Without a busy timeout the write would fail at once with "database is locked".
        assert not finished.wait(0.3), outcome
        other.execute("COMMIT")
        other.close()
        writer.join(timeout=30)
        assert outcome == ["ok"]
        assert store.get_cursor("c") == "v"


def test_threads_share_one_store(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 'state.db'}") as store:
        ids: list[int] = []

        def journal(n: int) -> None:
            for i in range(25):
                ids.append(
                    store.journal_start(
                        "r", f"s:{n}-{i}", ActionKind.LINK, None, None, None, "2026-01-01"
                    )
                )

        threads = [threading.Thread(target=journal, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(set(ids)) == 100
        assert len(store.audit()) == 100


@pytest.mark.parametrize(
    "url",
    ["mysql://root:x@127.0.0.1/state", "not a url", "http://127.0.0.1/state"],
)
def test_unsupported_or_malformed_urls_are_store_errors(url: str) -> None:
    with pytest.raises(StoreError, match="sqlite"):
        open_store(url)


@pytest.mark.parametrize("scheme", ["postgresql+psycopg", "postgresql"])
def test_postgres_errors_never_show_the_password(scheme: str) -> None:
    # Port 1 on loopback: refused at once (or the driver is not installed): either way an error.
    url = f"{scheme}://spokesync:{PASSWORD}@127.0.0.1:1/state"
    with pytest.raises(StoreError) as caught:
        open_store(url)
    assert PASSWORD not in str(caught.value)
    assert PASSWORD not in repr(caught.value)
    assert "127.0.0.1" in str(caught.value)


def test_a_missing_postgres_driver_is_a_clear_store_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # makes `import psycopg` fail
    with pytest.raises(StoreError, match=r"driver is not installed.*spokesync\[postgres\]") as e:
        open_store(f"postgresql+psycopg://u:{PASSWORD}@127.0.0.1:1/state")
    assert PASSWORD not in str(e.value)


def test_store_repr_hides_the_password() -> None:
    pytest.importorskip("psycopg", reason="psycopg is not installed (spokesync[postgres])")
    store = SqlStore(open_database(f"postgresql+psycopg://u:{PASSWORD}@127.0.0.1:1/state"))
    try:
        assert PASSWORD not in repr(store)
        assert PASSWORD not in store.url
        assert "***" in store.url
    finally:
        store.close()


def test_a_closed_store_refuses_work(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'state.db'}")
    store.close()
    store.close()  # twice is fine
    with pytest.raises(StoreError, match="closed"):
        store.load_links()


def test_database_errors_surface_as_store_errors_with_the_cause(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with open_store(f"sqlite:///{path}") as store:
        with sqlite3.connect(path) as raw:
            raw.execute("DROP TABLE cursors")
        with pytest.raises(StoreError, match=r"cannot read cursor c in sqlite:///.*cursors") as e:
            store.get_cursor("c")
        assert isinstance(e.value.__cause__, sa.exc.OperationalError)


def test_schema_has_no_column_meant_for_secrets() -> None:
    # Secret scanning of real runs is left to the integration tests; here: no place for one.
    secretish = re.compile(r"secret|token|password|passwd|credential|private|api_key", re.I)
    columns = [f"{t.name}.{c.name}" for t in metadata.sorted_tables for c in t.columns]
    assert columns
    assert [c for c in columns if secretish.search(c)] == []


def test_the_postgres_connection_watches_for_a_vanished_server(postgres_url: str) -> None:
    """Keepalives and a user timeout, unless the URL sets its own."""
    own = f"{postgres_url}?keepalives_idle=42"
    for url, idle in ((postgres_url, "10"), (own, "42")):
        with open_store(url) as store, store.database.engine.connect() as connection:
            raw = connection.connection.driver_connection
            assert raw is not None
            given = raw.info.get_parameters()
            assert (given["keepalives_idle"], given["tcp_user_timeout"]) == (idle, "30000")


def test_opening_the_file_again_keeps_the_commits_of_connections_already_open(
    tmp_path: Path,
) -> None:
    """A second store on the same SQLite file (the service opens one per run) must not close a
    descriptor of it: that drops this process's POSIX locks, another process closing its own
    connection then deletes the WAL, and later commits go to a deleted file."""
    path = tmp_path / "state.db"
    touch = (
        "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
        "c.execute('select count(*) from cursors').fetchall(); c.close()"
    )
    names = (
        "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
        "print(sorted(r[0] for r in c.execute('select name from cursors')))"
    )
    first = open_store(f"sqlite:///{path}")
    try:
        first.set_cursor("before", "1")
        open_store(f"sqlite:///{path}").close()
        subprocess.run([sys.executable, "-c", touch, str(path)], check=True)
        first.set_cursor("after", "2")
        shown = subprocess.run(
            [sys.executable, "-c", names, str(path)], check=True, capture_output=True, text=True
        )
    finally:
        first.close()
    assert shown.stdout.strip() == "['after', 'before']"
