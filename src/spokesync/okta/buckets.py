"""Which Okta rate-limit bucket a call spends (reference okta-api.md §8).

Okta matches an exact path first, then the longest prefix. Where the published table is silent
(membership, lifecycle and IdP-link calls) they fall to the longest listed prefix, which is
``/api/v1/groups`` for membership and ``/api/v1`` for the rest; the headers of each answer then
teach the budget the real limit.
"""

from __future__ import annotations

USERS_CREATE_LIST = "users:create-list"
USERS_GET = "users:get"
USERS_UPDATE_DELETE = "users:update-delete"
GROUPS_CREATE_LIST = "groups:create-list"
GROUP_BY_ID = "groups:by-id"
APPS = "apps"
OAUTH_TOKEN = "oauth2:token"
OTHER = "api-v1"


def bucket_for(method: str, template: str) -> str:
    """The bucket of ``METHOD`` on a path template such as ``/api/v1/users/{id}``."""
    parts = [p for p in template.split("?", maxsplit=1)[0].split("/") if p]
    if parts[:2] == ["oauth2", "v1"]:
        return OAUTH_TOKEN
    if parts[:2] != ["api", "v1"] or len(parts) < 3:
        return OTHER
    resource, rest = parts[2], parts[3:]
    if resource == "users":
        if not rest and method in ("GET", "POST"):
            return USERS_CREATE_LIST
        if len(rest) == 1:
            return USERS_GET if method == "GET" else USERS_UPDATE_DELETE
        return OTHER
    if resource == "groups":
        return GROUP_BY_ID if len(rest) == 1 and rest[0] != "rules" else GROUPS_CREATE_LIST
    if resource == "apps":
        return APPS
    return OTHER
