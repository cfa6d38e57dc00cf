"""Which Okta OAuth scope each Management API call needs (reference okta-api.md §9).

An OAuth service app's token carries only the scopes it was granted and asked for; a call
outside them is answered 403 E0000006, whose body does not say which scope was missing. This
module knows, so that the error, ``config check`` and the run's warnings can name it.
"""

from __future__ import annotations

from collections.abc import Iterable


def scope_for(method: str, path: str) -> str | None:
    """The scope ``METHOD path`` needs (``path`` as sent, ids filled in); None if unknown."""
    parts = [p for p in path.split("?", maxsplit=1)[0].split("/") if p]
    if parts[:2] != ["api", "v1"] or len(parts) < 3:
        return None
    resource, rest = parts[2], parts[3:]
    reading = method.upper() in ("GET", "HEAD")
    if resource == "users":
        return "okta.users.read" if reading else "okta.users.manage"
    if resource == "groups":
        return "okta.groups.read" if reading else "okta.groups.manage"
    if resource == "logs":
        return "okta.logs.read"
    if resource == "meta" and rest[:2] == ["schemas", "user"]:
        return "okta.schemas.read" if reading else "okta.schemas.manage"
    if resource == "meta" and rest[:2] == ["types", "user"]:
        return "okta.userTypes.read" if reading else "okta.userTypes.manage"
    if resource == "idps":
        if reading:
            return "okta.idps.read"
        # Linking a user to an IdP is a user change; unlinking is an IdP one.
        linking = method.upper() in ("POST", "PUT") and len(rest) >= 3 and rest[1] == "users"
        return "okta.users.manage" if linking else "okta.idps.manage"
    return None


def covers(granted: Iterable[str], required: str) -> bool:
    """Whether ``granted`` includes ``required``; a ``.manage`` scope includes its ``.read``."""
    have = set(granted)
    if required in have:
        return True
    return required.endswith(".read") and required.removesuffix(".read") + ".manage" in have


def missing(granted: Iterable[str], required: Iterable[str]) -> list[str]:
    """The scopes of ``required`` that ``granted`` does not cover, in order."""
    have = list(granted)
    return [scope for scope in required if not covers(have, scope)]
