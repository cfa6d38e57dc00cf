"""The guard against tests reading beside the repository (tests/outside_reads.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.outside_reads import GUARD, Boundary


def test_only_what_sat_beside_the_repository_counts(tmp_path: Path) -> None:
    repository = tmp_path / "spokesync"
    for folder in ("spokesync", "material", ".cache", "venvs"):
        (tmp_path / folder).mkdir()
    boundary = Boundary.around(repository, [str(tmp_path / "venvs"), str(tmp_path)])
    assert boundary.siblings == {"material", "venvs"}
    assert boundary.is_outside(str(tmp_path / "material" / "specs" / "x.json"))
    assert boundary.is_outside(str(repository / ".." / "material"))
    assert not boundary.is_outside(str(repository / "tests" / "reference" / "README.md"))
    assert not boundary.is_outside(str(repository))
    assert not boundary.is_outside(str(tmp_path))  # the parent itself
    assert not boundary.is_outside(str(tmp_path / ".cache" / "pip"))
    assert not boundary.is_outside(str(tmp_path / "venvs" / "lib"))  # allowed
    assert not boundary.is_outside(str(tmp_path / "made-by-a-test"))  # not there at the start
    assert not boundary.is_outside("/proc/self/status")


@pytest.fixture
def material_beside(monkeypatch: pytest.MonkeyPatch) -> Path:
    """A (missing) folder beside the repository that the guard treats as present."""
    watched = GUARD.boundary
    sibling = Path(os.path.dirname(watched.repository.rstrip("/"))) / "material-spokesync-guard"
    siblings = watched.siblings | {sibling.name}
    monkeypatch.setattr(GUARD, "boundary", Boundary(watched.repository, siblings, ()))
    return sibling


def test_an_open_beside_the_repository_is_recorded(material_beside: Path) -> None:
    with pytest.raises(OSError):
        (material_beside / "x.json").read_text()  # the audit event fires before the open fails
    assert GUARD.take() == [str(material_beside / "x.json")]  # taken: this test passes


def test_listing_beside_the_repository_is_recorded(material_beside: Path) -> None:
    with pytest.raises(OSError):
        list(material_beside.iterdir())
    assert GUARD.take() == [str(material_beside)]
