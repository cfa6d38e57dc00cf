"""The tenant log: ``GET /api/v2/logs`` in both modes and the entries writes append.

Sources followed, first the recordings (logs.json, logs-checkpoint.json: entry keys and nulls,
``sapi`` then ``ss`` for a user created through the API, newest first in page mode), then the
Management OAS (``get_logs`` parameters, ``Log`` schema, the operation summaries used as
``sapi`` descriptions), then the tenant-logs schema (per-type required keys), then reference §7
(checkpoint ``from`` exclusive, ordered by log_id, ``Link: rel="next"``, retention).
Assumed, as logs_api.py and log_entries.py say: role-assignment writes log ``sapi`` with their
OAS summaries; a user deletion logs ``sapi`` then ``sdu``; a checkpoint lost to retention
answers the retained entries after it, and ``GET /api/v2/logs/{id}`` answers 404 for it.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.emulators.auth0.conftest import ALL_SCOPES, Emulator, MakeEmulator, seed_with
from tests.emulators.auth0.shapes import json_kind
from tests.shared_material import shared_path

pytestmark = pytest.mark.anyio

CLIENTS = [
    {"client_id": "admin", "client_secret": "admin-secret", "scopes": [*ALL_SCOPES, "read:logs"]},
    {"client_id": "auditor", "client_secret": "auditor-secret", "scopes": ["read:logs_users"]},
    {"client_id": "nosy", "client_secret": "nosy-secret", "scopes": ["read:users"]},
]
USERS = [{"user_id": "auth0|ann", "email": "ann@partner.example", "roles": ["rol_A1"]}]
LINK = re.compile(r'^<([^>]+)>; rel="next"$')


def _seed() -> dict[str, Any]:
    return seed_with(USERS, clients=CLIENTS)


async def _writes(emulator: Emulator) -> str:
    """Every kind of write the emulator logs; returns the created user's id."""
    client = emulator.client
    created = await client.post(
        "/api/v2/users",
        json={
            "connection": "Username-Password-Authentication",
            "email": "zoe@partner.example",
            "password": "Secret-Passw0rd!",
        },
    )
    assert created.status_code == 201
    user_id = created.json()["user_id"]
    path = f"/api/v2/users/{user_id.replace('|', '%7C')}"
    assert (await client.patch(path, json={"blocked": True})).status_code == 200
    assert (await client.post("/api/v2/roles/rol_A1/users", json={"users": [user_id]})).is_success
    role = (await client.post("/api/v2/roles", json={"name": "Extra"})).json()["id"]
    assert (await client.post(f"{path}/roles", json={"roles": [role]})).is_success
    assert (await client.request("DELETE", f"{path}/roles", json={"roles": [role]})).is_success
    assert (await client.patch(f"/api/v2/roles/{role}", json={"name": "Extra2"})).is_success
    assert (await client.delete(f"/api/v2/roles/{role}")).is_success
    assert (await client.delete(path)).status_code == 204
    return str(user_id)


async def _checkpoint(emulator: Emulator, **params: str) -> tuple[list[dict[str, Any]], str]:
    response = await emulator.client.get("/api/v2/logs", params=params)
    assert response.status_code == 200, response.text
    match = LINK.match(response.headers["link"])
    assert match is not None, response.headers["link"]
    return response.json(), match.group(1)


async def _all(emulator: Emulator) -> list[dict[str, Any]]:
    entries, _ = await _checkpoint(emulator, take="100")
    return entries


async def test_each_write_appends_its_entries(make_emulator: MakeEmulator) -> None:
    emulator = await make_emulator(_seed())
    user_id = await _writes(emulator)
    entries = await _all(emulator)
    assert [(entry["type"], entry["description"]) for entry in entries] == [
        ("sapi", "Create a User"),
        ("ss", ""),
        ("sapi", "Update a User"),
        ("sapi", "Assign users to a role"),
        ("sapi", "Create a role"),
        ("sapi", "Assign roles to a user"),
        ("sapi", "Removes roles from a user"),
        ("sapi", "Update a role"),
        ("sapi", "Delete a role"),
        ("sapi", "Delete a User"),
        ("sdu", ""),
    ]
    encoded = user_id.replace("|", "%7C")
    requests = [entry["details"]["request"] for entry in entries if entry["type"] == "sapi"]
    assert [(r["method"], r["path"]) for r in requests[:4]] == [
        ("post", "/api/v2/users"),
        ("patch", f"/api/v2/users/{encoded}"),
        ("post", "/api/v2/roles/rol_A1/users"),
        ("post", "/api/v2/roles"),
    ]
    assert requests[1]["body"] == {"blocked": True}
    assert requests[2]["body"] == {"users": [user_id]}
    created, signup, *_, deletion = entries
    assert created["details"]["response"]["statusCode"] == 201
    assert created["details"]["response"]["body"]["user_id"] == user_id
    assert entries[-2]["details"]["response"] == {"body": {}, "statusCode": 204}
    assert signup["user_id"] == deletion["user_id"] == user_id
    assert deletion["strategy"] == "auth0" and deletion["strategy_type"] == "database"
    assert {entry["client_id"] for entry in entries} == {"admin"}
    # the password never reaches the log
    assert "Secret-Passw0rd!" not in json.dumps(entries)
    assert created["details"]["request"]["body"]["password"] == "REDACTED"


async def test_failed_writes_and_reads_are_not_logged(emulator: Emulator) -> None:
    await emulator.client.get("/api/v2/users")
    assert (await emulator.client.delete("/api/v2/roles/rol_nope")).status_code == 404
    assert emulator.app.state.auth0.logs.after(None, 100) == []


async def test_checkpoint_pages_follow_log_id_order_through_next_links(
    make_emulator: MakeEmulator,
) -> None:
    emulator = await make_emulator(_seed())
    await _writes(emulator)
    everything = await _all(emulator)
    ids = [entry["log_id"] for entry in everything]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert all(len(log_id) == 56 and log_id.isdigit() for log_id in ids)
    assert all(entry["_id"] == entry["log_id"] for entry in everything)
    # from is exclusive; take bounds the page; the Link continues after the last entry
    page, next_url = await _checkpoint(emulator, **{"from": ids[0], "take": "3"})
    assert [entry["log_id"] for entry in page] == ids[1:4]
    walked: list[str] = [ids[0]] + [entry["log_id"] for entry in page]
    while True:
        response = await emulator.client.get(next_url)
        assert response.status_code == 200
        if not response.json():
            # an empty page links to the request itself (reference §7)
            assert LINK.match(response.headers["link"]).group(1) == next_url  # type: ignore[union-attr]
            break
        walked += [entry["log_id"] for entry in response.json()]
        next_url = LINK.match(response.headers["link"]).group(1)  # type: ignore[union-attr]
    assert walked == ids
    # checkpoint mode ignores page-mode parameters (reference §7)
    same, _ = await _checkpoint(emulator, take="2", q='type:"sdu"', per_page="1")
    assert [entry["log_id"] for entry in same] == ids[:2]


async def test_page_mode_is_newest_first_with_search_and_totals(
    make_emulator: MakeEmulator,
) -> None:
    emulator = await make_emulator(_seed())
    await _writes(emulator)
    ids = [entry["log_id"] for entry in await _all(emulator)]
    newest = await emulator.client.get("/api/v2/logs", params={"per_page": "5", "page": "0"})
    assert [entry["log_id"] for entry in newest.json()] == ids[::-1][:5]
    oldest = await emulator.client.get("/api/v2/logs", params={"sort": "date:1", "per_page": "2"})
    assert [entry["log_id"] for entry in oldest.json()] == ids[:2]
    found = await emulator.client.get("/api/v2/logs", params={"q": 'type:"sdu"'})
    assert [entry["type"] for entry in found.json()] == ["sdu"]
    prefix = await emulator.client.get("/api/v2/logs", params={"q": "type:sap description:delete"})
    assert [entry["description"] for entry in prefix.json()] == ["Delete a User", "Delete a role"]
    totals = await emulator.client.get(
        "/api/v2/logs", params={"include_totals": "true", "per_page": "2", "page": "1"}
    )
    assert {key: value for key, value in totals.json().items() if key != "logs"} == {
        "start": 2,
        "limit": 2,
        "length": 2,
        "total": len(ids),
    }
    projected = await emulator.client.get(
        "/api/v2/logs", params={"fields": "log_id,type", "per_page": "1"}
    )
    assert set(projected.json()[0]) == {"log_id", "type"}
    too_big = await emulator.client.get("/api/v2/logs", params={"per_page": "101"})
    assert too_big.status_code == 400
    assert too_big.json()["errorCode"] == "invalid_query_string"
    bad_from = await emulator.client.get("/api/v2/logs", params={"from": "nope"})
    assert bad_from.status_code == 400


async def test_log_delay_hides_entries_until_it_passes(make_emulator: MakeEmulator) -> None:
    emulator = await make_emulator(_seed(), log_delay_ms=1500)
    await emulator.client.post("/api/v2/roles", json={"name": "Late"})
    assert await _all(emulator) == []
    emulator.clock.advance(1.0)
    assert await _all(emulator) == []
    emulator.clock.advance(0.6)
    assert [entry["description"] for entry in await _all(emulator)] == ["Create a role"]


async def test_retention_drops_old_entries_and_an_expired_checkpoint_skips_them(
    make_emulator: MakeEmulator,
) -> None:
    emulator = await make_emulator(_seed(), log_retention_seconds=86400)
    await emulator.client.post("/api/v2/roles", json={"name": "Old"})
    (old,) = await _all(emulator)
    emulator.clock.advance(86400 - 10)
    await emulator.authorize()  # tokens live a day too
    await emulator.client.post("/api/v2/roles", json={"name": "Newer"})
    emulator.clock.advance(20)
    await emulator.client.post("/api/v2/roles", json={"name": "Newest"})
    assert [entry["details"]["request"]["body"]["name"] for entry in await _all(emulator)] == [
        "Newer",
        "Newest",
    ]
    gone = await emulator.client.get(f"/api/v2/logs/{old['log_id']}")
    assert gone.status_code == 404
    assert gone.json() == {
        "statusCode": 404,
        "error": "Not Found",
        "message": "The log does not exist.",
    }
    after_old, _ = await _checkpoint(emulator, **{"from": old["log_id"]})
    assert len(after_old) == 2


async def test_prune_knob_keeps_only_the_newest_entries(make_emulator: MakeEmulator) -> None:
    emulator = await make_emulator(_seed())
    for name in ("A", "B", "C"):
        await emulator.client.post("/api/v2/roles", json={"name": name})
    first, second, third = await _all(emulator)
    pruned = await emulator.client.post("/_emulator/logs/prune", json={"keep": 1})
    assert pruned.json() == {"pruned": 2, "kept": 1, "oldest_log_id": third["log_id"]}
    assert (await emulator.client.get(f"/api/v2/logs/{second['log_id']}")).status_code == 404
    found = await emulator.client.get(f"/api/v2/logs/{third['log_id']}")
    assert found.json() == third
    after, _ = await _checkpoint(emulator, **{"from": first["log_id"]})
    assert after == [third]
    refused = await emulator.client.post("/_emulator/logs/prune", json={"keep": -1})
    assert refused.status_code == 400


async def test_scopes(make_emulator: MakeEmulator) -> None:
    emulator = await make_emulator(_seed())
    await emulator.authorize("auditor", "auditor-secret")
    assert (await emulator.client.get("/api/v2/logs")).status_code == 200
    await emulator.authorize("nosy", "nosy-secret")
    refused = await emulator.client.get("/api/v2/logs", params={"take": "10"})
    assert refused.status_code == 403
    assert refused.json() == {
        "statusCode": 403,
        "error": "Forbidden",
        "message": "Insufficient scope, expected any of: read:logs, read:logs_users",
        "errorCode": "insufficient_scope",
    }


async def test_log_reads_spend_the_management_bucket(make_emulator: MakeEmulator) -> None:
    emulator = await make_emulator(_seed(), rate_per_second=0.001, burst=3)
    statuses = [(await emulator.client.get("/api/v2/logs")).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


# shapes --------------------------------------------------------------------------------------


def _recorded_entries() -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    for name in ("logs", "logs-checkpoint"):
        document = json.loads(shared_path("recordings", "auth0", f"{name}.json").read_text())
        for interaction in document["interactions"]:
            body = interaction["response"]["body"]
            entries += body if isinstance(body, list) else [body]
    return entries


def _keys_and_kinds(entry: dict[str, Any]) -> dict[str, str]:
    return {key: json_kind(value) for key, value in entry.items()}


async def test_entries_have_the_recorded_keys_and_types(make_emulator: MakeEmulator) -> None:
    emulator = await make_emulator(_seed())
    await _writes(emulator)
    ours = {entry["type"]: entry for entry in await _all(emulator)}
    recorded = {entry["type"]: entry for entry in _recorded_entries()}
    for kind in ("sapi", "ss"):
        theirs = {k: v for k, v in _keys_and_kinds(recorded[kind]).items() if k != "scope"}
        assert _keys_and_kinds(ours[kind]) == theirs, kind
    request_keys = set(recorded["sapi"]["details"]["request"])
    assert set(ours["sapi"]["details"]["request"]) == request_keys
    assert set(ours["sapi"]["details"]["response"]) == {"body", "statusCode"}
    # recorded with the same sapi shape but null user fields; sdu is not recorded at all
    assert _keys_and_kinds(ours["sdu"]).keys() == _keys_and_kinds(ours["ss"]).keys()


@cache
def _registry() -> Registry[Any]:
    specs = {
        "urn:auth0:management-oas": "auth0-management-api-oas.json",
    }
    return Registry().with_resources(
        (
            uri,
            Resource.from_contents(
                json.loads(shared_path("specs", name).read_text()),
                default_specification=DRAFT202012,
            ),
        )
        for uri, name in specs.items()
    )


def _errors(instance: Any, schema: dict[str, Any]) -> list[str]:
    validator = Draft202012Validator(schema, registry=_registry())
    return [f"{list(error.path)}: {error.message}" for error in validator.iter_errors(instance)]


@cache
def _tenant_log_registry() -> Registry[Any]:
    """The tenant-logs schema without ``environment_name`` and ``tenant_name`` required.

    Those two are log-stream fields: no recorded ``GET /api/v2/logs`` entry carries them.
    """
    document = json.loads(shared_path("specs", "auth0-tenant-logs-schema.json").read_text())
    for schema in document["components"]["schemas"].values():
        schema["required"] = [
            key
            for key in schema.get("required", [])
            if key not in ("environment_name", "tenant_name")
        ]
    resource = Resource.from_contents(document, default_specification=DRAFT202012)
    return Registry().with_resource("urn:auth0:tenant-logs-api", resource)


def _tenant_log_errors(entry: dict[str, Any]) -> list[str]:
    """Errors of ``entry`` without its nulls; a key the recordings answer null may be missing."""
    schema = {"$ref": f"urn:auth0:tenant-logs-api#/components/schemas/{entry['type']}"}
    validator = Draft202012Validator(schema, registry=_tenant_log_registry())
    nulls = {f"{key!r} is a required property" for key, value in entry.items() if value is None}
    present = {key: value for key, value in entry.items() if value is not None}
    return [
        f"{list(error.path)}: {error.message}"
        for error in validator.iter_errors(present)
        if error.message not in nulls
    ]


async def test_entries_validate_against_the_official_schemas(make_emulator: MakeEmulator) -> None:
    emulator = await make_emulator(_seed())
    await _writes(emulator)
    response = await emulator.client.get("/api/v2/logs")
    oas = {"$ref": "urn:auth0:management-oas#/components/schemas/ListLogResponseContent"}
    # the recordings answer null where both schemas say string (connection, user_id, ...):
    # the recording wins, so nulls are dropped before validating what is left
    without_nulls = [
        {key: value for key, value in entry.items() if value is not None}
        for entry in response.json()
    ]
    assert _errors(without_nulls, oas) == []
    for entry in response.json():
        assert _tenant_log_errors(entry) == [], entry["type"]
    totals = await emulator.client.get("/api/v2/logs", params={"include_totals": "true"})
    totals_body = totals.json()
    totals_body["logs"] = without_nulls
    assert _errors(totals_body, oas) == []
