"""Validation of the default Okta user profile (spec ``UserProfile``, reference §1).

Required: login, email, firstName, lastName. login must look like an email address.
Lengths from the spec's default schema: login and email 5..100, firstName and lastName
1..50. Values may only hold characters that encode in at most 3 UTF-8 bytes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from spokesync.emulators.okta.errors import OktaError, validation_failed

REQUIRED = ("login", "email", "firstName", "lastName")
LENGTHS = {"login": (5, 100), "email": (5, 100), "firstName": (1, 50), "lastName": (1, 50)}
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
_BEYOND_BMP = re.compile(r"[\U00010000-\U0010FFFF]")


def _field_causes(name: str, value: Any) -> list[str]:
    if value is None or (isinstance(value, str) and not value.strip()):
        return [f"{name}: The field cannot be left blank"] if name in REQUIRED else []
    if isinstance(value, str) and _BEYOND_BMP.search(value):
        return [f"{name}: The field contains characters that are not supported"]
    if name not in LENGTHS:
        return []
    if not isinstance(value, str):
        return [f"{name}: The field must be a string"]
    low, high = LENGTHS[name]
    if len(value) > high:
        return [f"{name}: The field cannot exceed {high} characters"]
    if len(value) < low:
        return [f"{name}: The field must be at least {low} characters"]
    if name == "login" and not _EMAIL.fullmatch(value):
        return ["login: Username must be in the form of an email address"]
    if name == "email" and not _EMAIL.fullmatch(value):
        return ["email: Does not match required pattern"]
    return []


def validate_profile(profile: Mapping[str, Any]) -> None:
    """Raise 400 E0000001 naming the first bad field, with one cause per bad field."""
    causes: list[str] = []
    first_bad: str | None = None
    names = [*REQUIRED, *(name for name in profile if name not in REQUIRED)]
    for name in names:
        found = _field_causes(name, profile.get(name))
        if found and first_bad is None:
            first_bad = name
        causes.extend(found)
    if first_bad is not None:
        raise validation_failed(first_bad, causes)


def duplicate_login() -> OktaError:
    """The answer to a login that differs from an existing one only in case or diacritics."""
    return validation_failed(
        "login", ["login: An object with this field already exists in the current organization"]
    )
