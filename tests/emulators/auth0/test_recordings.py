"""Replay the real Auth0 recordings against the emulator and compare statuses, content types
and body shapes (same keys recursively, same JSON types; values are not compared).

Replayed: every file whose endpoints the emulator serves, interaction by interaction, skipping
the calls it does not serve (listed in UNSERVED below):
  roles-create, roles-read, roles-update, roles-list, roles-delete-404, role-users,
  role-users-checkpoint, role-users-take-per-page, user-roles, user-blocks, user-unblock,
  users-create, users-read, users-update, users-list, users-search-email, users-by-email,
  users-delete-404, users-patch-metadata, users-get-404-and-query, jobs-users-export,
  the go-auth0 organization cassettes under go/ (REPLAYED_ORGANIZATIONS),
  oauth-token-client-credentials (request form only: it was sanitized by hand; our answer adds
  ``scope``, which the AUTH-OAS allows and the sanitized file cannot rule out).
Not replayed:
  logs, logs-checkpoint (their answers hold other tenants' history; test_logs compares the
  emulator's entries with their keys and types), connections-create-400 (POST connections is
  not emulated), jobs-users-import, jobs-errors (user imports are not emulated),
  jobs-verification-email (verification emails are not emulated).
Ids differ between the recording and the emulator: ids learnt from answers (``id``,
``user_id``, checkpoint ``next``) are mapped and substituted into later requests.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests import reference
from tests.emulators.auth0.conftest import AUDIENCE, MakeEmulator
from tests.emulators.auth0.shapes import shape_differences

pytestmark = pytest.mark.anyio

RECORDINGS = reference.RECORDINGS / "auth0"

REPLAYED = [
    "oauth-token-client-credentials",
    "roles-create",
    "roles-read",
    "roles-update",
    "roles-list",
    "roles-delete-404",
    "role-users",
    "role-users-checkpoint",
    "role-users-take-per-page",
    "user-roles",
    "user-blocks",
    "user-unblock",
    "users-create",
    "users-read",
    "users-update",
    "users-list",
    "users-search-email",
    "users-by-email",
    "users-delete-404",
    "users-patch-metadata",
    "users-get-404-and-query",
    "jobs-users-export",
]
#: go-auth0's organization cassettes (recordings/auth0/go/), replayed the same way
REPLAYED_ORGANIZATIONS = [
    "go/organizations-list",
    "go/organizations-list-checkpoint",
    "go/organizations-read",
    "go/organizations-read-by-name",
    "go/organizations-update",
    "go/organizations-delete-404",
    "go/organization-members",
    "go/organization-members-add",
    "go/organization-members-delete",
    "go/organization-members-checkpoint",
    "go/organization-member-roles",
    "go/user-organizations",
]
NOT_REPLAYED = [
    "logs",
    "logs-checkpoint",
    "connections-create-400",
    "jobs-users-import",
    "jobs-errors",
    "jobs-verification-email",
]

#: endpoints in the replayed files that the emulator does not serve
UNSERVED = re.compile(
    r"^/api/v2/(resource-servers|roles/[^/]+/permissions|users/[^/]+/permissions)"
)
#: served, but the emulator's object is deliberately minimal: status and content type only
SHAPE_NOT_COMPARED = re.compile(r"^GET /api/v2/connections$")


def _load(name: str) -> list[dict[str, Any]]:
    interactions: list[dict[str, Any]] = json.loads((RECORDINGS / f"{name}.json").read_text())[
        "interactions"
    ]
    return interactions


def _learn(recorded: Any, actual: Any, ids: dict[str, str]) -> None:
    """Pair the recording's ids with the emulator's, walking both answers side by side."""
    if isinstance(recorded, dict) and isinstance(actual, dict):
        for key in recorded.keys() & actual.keys():
            old, new = recorded[key], actual[key]
            if (
                key in ("id", "user_id", "next")
                and isinstance(old, str)
                and isinstance(new, str)
                and old != new
            ):
                ids[old] = new
            _learn(old, new, ids)
    elif isinstance(recorded, list) and isinstance(actual, list):
        for old, new in zip(recorded, actual, strict=False):
            _learn(old, new, ids)


def _substitute_text(text: str, ids: dict[str, str]) -> str:
    for old in sorted(ids, key=len, reverse=True):
        text = text.replace(quote(old, safe=""), quote(ids[old], safe="")).replace(
            old, quote(ids[old], safe="")
        )
    return text


def _substitute_body(body: Any, ids: dict[str, str]) -> Any:
    if isinstance(body, dict):
        return {key: _substitute_body(value, ids) for key, value in body.items()}
    if isinstance(body, list):
        return [_substitute_body(value, ids) for value in body]
    if isinstance(body, str):
        return ids.get(body, body)
    return body


def _token_form(body: str) -> str:
    # the sanitized recording's placeholders, swapped for the seeded client
    return (
        body.replace("test-client_id", "admin")
        .replace("client_secret=REDACTED", "client_secret=admin-secret")
        .replace("audience=test-audience", f"audience={quote(AUDIENCE, safe='')}")
    )


def test_every_recording_is_accounted_for() -> None:
    names = {path.stem for path in Path(RECORDINGS).glob("*.json")}
    assert names == set(REPLAYED) | set(NOT_REPLAYED)


@pytest.mark.parametrize("name", REPLAYED + REPLAYED_ORGANIZATIONS)
async def test_replay(make_emulator: MakeEmulator, name: str) -> None:
    # the recorded calls were paced by the network (six organization writes in a row pass the
    # 5-write burst there); replayed at once they would meet the per-endpoint limits
    emulator = await make_emulator(endpoint_rate_limits=False)
    ids: dict[str, str] = {}
    replayed = 0
    for index, interaction in enumerate(_load(name)):
        request, recorded = interaction["request"], interaction["response"]
        if UNSERVED.match(request["path"]):
            continue
        path = _substitute_text(request["path"], ids)
        query = _substitute_text(request["query"], ids)
        headers = {k: v for k, v in request["headers"].items() if k.lower() == "content-type"}
        body = request["body"]
        if request["path"] == "/oauth/token":
            content: bytes | None = _token_form(body).encode()
        elif body is None or body == "":
            content = None
        else:
            content = json.dumps(_substitute_body(body, ids)).encode()
            headers["Content-Type"] = "application/json"
        url = f"{path}?{query}" if query else path
        response = await emulator.client.request(
            request["method"], url, content=content, headers=headers
        )
        where = f"{name} #{index} {request['method']} {request['path']}"
        assert response.status_code == recorded["status"], f"{where}: {response.text}"
        assert response.headers["content-type"] == recorded["headers"]["Content-Type"], where
        replayed += 1
        if recorded["body"] == "":
            assert response.content == b"", where
            continue
        actual = response.json()
        _learn(recorded["body"], actual, ids)
        if SHAPE_NOT_COMPARED.match(f"{request['method']} {request['path']}"):
            continue
        extra = frozenset({"$.scope"}) if request["path"] == "/oauth/token" else frozenset()
        assert shape_differences(recorded["body"], actual, allow_extra=extra) == [], where
    assert replayed > 0
