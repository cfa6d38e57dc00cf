"""Catch tests that read files beside the repository (research material), which a clone lacks.

An audit hook (``sys.addaudithook``) sees every ``open``, ``os.listdir`` and ``os.scandir`` in
the test process; a path under the repository's parent but outside the repository is recorded,
and ``tests/conftest.py`` fails the test during which it happened. Cheap (a string test per
open) and exact, unlike running the suite again from a copy. Subprocesses are not audited.
"""

from __future__ import annotations

import os
import site
import sys
import tempfile
from pathlib import Path
from typing import Any

#: the repository root (this file sits in ``tests/``)
REPOSITORY = Path(__file__).resolve().parent.parent

_WATCHED_EVENTS = frozenset({"open", "os.listdir", "os.scandir"})


def _prefix(path: str | Path) -> str:
    return os.path.join(os.path.realpath(path), "")


_REPOSITORY = _prefix(REPOSITORY)
_BESIDE = _prefix(REPOSITORY.parent)
#: roots that may sit beside the repository and are the machine's, not project material:
#: the interpreter and venv, user site-packages, the temp folder
_ALLOWED = tuple(
    _prefix(root)
    for root in {
        sys.prefix,
        sys.base_prefix,
        sys.exec_prefix,
        site.getuserbase(),
        tempfile.gettempdir(),
    }
)

#: paths read outside the repository since the last ``take_outside_reads()``
outside_reads: list[str] = []


def is_outside(path: str) -> bool:
    """Whether ``path`` lies beside the repository: under its parent, not inside it.

    Dot-folders beside it (``~/.cache``, ``~/.local`` when the clone sits in a home folder)
    and the interpreter's and temp folders are the machine's, so they are allowed.
    """
    absolute = os.path.join(os.path.abspath(path), "")  # a trailing "/" so a root matches too
    if not absolute.startswith(_BESIDE) or absolute.startswith(_REPOSITORY):
        return False
    beside = absolute[len(_BESIDE) :]  # empty for the parent itself
    return bool(beside) and not beside.startswith(".") and not absolute.startswith(_ALLOWED)


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event not in _WATCHED_EVENTS or not args:
        return
    path = args[0]
    if isinstance(path, (str, bytes, os.PathLike)) and is_outside(os.fsdecode(path)):
        outside_reads.append(os.fsdecode(path))


def install() -> None:
    """Start auditing (once per process; audit hooks cannot be removed)."""
    sys.addaudithook(_audit)


def take_outside_reads() -> list[str]:
    """The outside reads recorded so far, forgetting them."""
    taken = list(outside_reads)
    outside_reads.clear()
    return taken
