"""Which organizations an ``organizations`` binding covers: ``"*"``, a glob, or names (pure).

Names match the organization's ``name`` (Auth0's unique, lower-case identifier), never its
display name, which anyone with the rights to edit it may change.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fnmatch import fnmatchcase
from typing import TypeVar

from spokesync.auth0.organizations import Organization

OrgT = TypeVar("OrgT", bound=Organization)


def selects(selector: str | Sequence[str], name: str) -> bool:
    """Whether ``selector`` (``"*"``, a glob such as ``"partner-*"``, or a list of names)
    covers the organization named ``name``."""
    if isinstance(selector, str):
        return fnmatchcase(name, selector)
    return name in selector


def selected(selector: str | Sequence[str], organizations: Iterable[OrgT]) -> list[OrgT]:
    """The organizations ``selector`` covers, sorted by name (bindings expand in that order)."""
    return sorted((o for o in organizations if selects(selector, o.name)), key=lambda o: o.name)
