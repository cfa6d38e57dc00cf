"""Catch tests that read files beside the repository (research material), which a clone lacks.

An audit hook (``sys.addaudithook``) sees every ``open``, ``os.listdir`` and ``os.scandir`` in
the test process; a path inside something that sat beside the repository when the tests
started is recorded, and ``tests/conftest.py`` fails the test during which it happened. Cheap
(a string test per open) and exact, unlike running the suite again from a copy. Subprocesses
are not audited, and neither is ``stat`` (an existence check reads nothing).
"""

from __future__ import annotations

import contextlib
import getpass
import os
import site
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests import postgres_server

#: the repository root (this file sits in ``tests/``)
REPOSITORY = Path(__file__).resolve().parent.parent

_WATCHED_EVENTS = frozenset({"open", "os.listdir", "os.scandir"})


def _prefix(path: str | Path) -> str:
    return os.path.join(os.path.realpath(path), "")


def _machine_folders() -> list[str]:
    """Folders that may sit beside a clone and are the machine's: interpreter, venv, temp."""
    folders = [sys.prefix, sys.base_prefix, sys.exec_prefix, site.getuserbase()]
    folders.append(tempfile.gettempdir())
    with contextlib.suppress(OSError, KeyError):  # pytest's temp root, for a clone in /tmp
        folders.append(os.path.join(tempfile.gettempdir(), f"pytest-of-{getpass.getuser()}"))
    # The session's PostgreSQL scratch folder, made in the temp folder by the controlling
    # process before the xdist workers start: beside a clone in /tmp, and the suite's own.
    scratch = os.environ.get(postgres_server.DIR_ENV)
    if scratch:
        folders.append(scratch)
    return folders


@dataclass(frozen=True)
class Boundary:
    """What counts as beside the repository: the entries ``siblings`` of its parent folder.

    Only entries that existed before the tests ran count, so what the tests create (temp
    folders, when the clone itself sits in the temp folder) never does; dot-entries
    (``~/.cache`` when the clone sits in a home folder) and ``allowed`` folders neither.
    """

    repository: str
    siblings: frozenset[str]
    allowed: tuple[str, ...]

    @classmethod
    def around(cls, repository: Path, allowed: list[str]) -> Boundary:
        parent = repository.parent
        siblings = {name for name in os.listdir(parent) if not name.startswith(".")}
        siblings.discard(repository.name)
        beside = _prefix(parent)
        # a machine folder that holds the parent (the clone in /tmp) would excuse everything
        kept = tuple(p for p in map(_prefix, allowed) if p.startswith(beside) and p != beside)
        return cls(_prefix(repository), frozenset(siblings), kept)

    def is_outside(self, path: str) -> bool:
        """Whether ``path`` lies in one of the siblings (and in no allowed folder)."""
        absolute = os.path.join(os.path.abspath(path), "")  # trailing "/": a root matches too
        beside = _prefix(os.path.dirname(self.repository.rstrip("/")))
        if not absolute.startswith(beside):
            return False
        sibling = absolute[len(beside) :].split("/", 1)[0]
        return sibling in self.siblings and not absolute.startswith(self.allowed)


class Guard:
    """The audit hook's state: the boundary it watches and the reads it caught."""

    def __init__(self) -> None:
        self.boundary = Boundary(_prefix(REPOSITORY), frozenset(), ())
        self.reads: list[str] = []

    def audit(self, event: str, args: tuple[Any, ...]) -> None:
        if event not in _WATCHED_EVENTS or not args:
            return
        if not isinstance(args[0], (str, bytes, os.PathLike)):
            return  # a file descriptor
        path = os.fsdecode(args[0])
        if self.boundary.is_outside(path):
            self.reads.append(path)

    def take(self) -> list[str]:
        """The outside reads caught so far, forgetting them."""
        taken, self.reads = self.reads, []
        return taken


#: the one guard of this process
GUARD = Guard()


def install() -> None:
    """Note what sits beside the repository now and start auditing (once per process)."""
    GUARD.boundary = Boundary.around(REPOSITORY, _machine_folders())
    sys.addaudithook(GUARD.audit)
