"""The guard against tests reading beside the repository (tests/outside_reads.py)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from tests.outside_reads import REPOSITORY, is_outside, take_outside_reads


def test_sibling_folders_are_outside_and_the_repository_and_machine_are_not() -> None:
    assert is_outside(str(REPOSITORY.parent / "material" / "specs" / "x.json"))
    assert is_outside(str(REPOSITORY / ".." / "material"))
    assert not is_outside(str(REPOSITORY / "tests" / "reference" / "README.md"))
    assert not is_outside(str(REPOSITORY))
    assert not is_outside(str(REPOSITORY.parent))
    assert not is_outside(str(REPOSITORY.parent / ".cache" / "pip"))
    assert not is_outside(str(Path(tempfile.gettempdir()) / "x"))
    assert not is_outside("/proc/self/status")


def test_an_open_beside_the_repository_is_recorded() -> None:
    sibling = REPOSITORY.parent / "material" / "no-such-file-spokesync-guard.json"
    with pytest.raises(OSError):
        sibling.read_text()  # the audit event fires before the open fails
    assert take_outside_reads() == [str(sibling)]  # taken, so this test itself passes


def test_listing_beside_the_repository_is_recorded() -> None:
    with pytest.raises(OSError):
        list((REPOSITORY.parent / "material-no-such-folder").iterdir())
    assert take_outside_reads() == [str(REPOSITORY.parent / "material-no-such-folder")]
