"""Export jobs: pending -> processing -> completed, a signed gzip NDJSON link valid 60 s."""

from __future__ import annotations

import gzip
import json
from typing import Any

import pytest

from tests.emulators.auth0.conftest import BASE_URL, Emulator, MakeEmulator, bulk_users, seed_with

pytestmark = pytest.mark.anyio


async def _complete(emulator: Emulator, job_id: str) -> dict[str, Any]:
    statuses = []
    for _ in range(2):
        job = (await emulator.client.get(f"/api/v2/jobs/{job_id}")).json()
        statuses.append(job["status"])
    assert statuses == ["processing", "completed"]
    return job


async def _download(emulator: Emulator, location: str) -> list[dict[str, Any]]:
    assert location.startswith(f"{BASE_URL}/exports/")
    response = await emulator.client.get(location, headers={"Authorization": ""})
    assert response.status_code == 200
    return [json.loads(line) for line in gzip.decompress(response.content).splitlines()]


async def test_lifecycle_and_field_selection(emulator: Emulator) -> None:
    connection = (await emulator.client.get("/api/v2/connections")).json()[0]
    body = {
        "connection_id": connection["id"],
        "format": "json",
        "fields": [
            {"name": "user_id"},
            {"name": "email", "export_as": "mail"},
            {"name": "user_metadata"},
            {"name": "identities[0].connection", "export_as": "conn"},
        ],
    }
    created = await emulator.client.post("/api/v2/jobs/users-exports", json=body)
    assert created.status_code == 200  # not 201 (jobs-users-export.json #2)
    job = created.json()
    assert job["status"] == "pending" and job["type"] == "users_export"
    assert job["connection"] == "Username-Password-Authentication"
    done = await _complete(emulator, job["id"])
    assert done["percentage_done"] == 100
    assert done["location"].split("?")[0].endswith("/emulated.json.gz")
    rows = await _download(emulator, done["location"])
    assert rows[0] == {
        "user_id": "auth0|ann",
        "mail": "Ann@Partner.example",
        "user_metadata": {"firstName": "Ann", "team": "blue"},
        "conn": "Username-Password-Authentication",
    }
    assert [row["user_id"] for row in rows] == ["auth0|ann", "auth0|bob", "google-oauth2|carl"]


async def test_link_expires_after_60_seconds_and_a_new_poll_renews_it(emulator: Emulator) -> None:
    job = (await emulator.client.post("/api/v2/jobs/users-exports", json={"format": "json"})).json()
    location = (await _complete(emulator, job["id"]))["location"]
    emulator.clock.advance(61)
    assert (await emulator.client.get(location)).status_code == 403
    fresh = (await emulator.client.get(f"/api/v2/jobs/{job['id']}")).json()["location"]
    rows = await _download(emulator, fresh)
    assert len(rows) == 3 and "identities" in rows[0]
    tampered = fresh.replace("Signature=", "Signature=0")
    assert (await emulator.client.get(tampered)).status_code == 403


async def test_large_export_streams_and_respects_limit(make_emulator: MakeEmulator) -> None:
    emulator = await make_emulator(seed_with(bulk_users(5000)))
    form = {"format": "json", "limit": "4500", "fields": json.dumps([{"name": "email"}])}
    job = (await emulator.client.post("/api/v2/jobs/users-exports", data=form)).json()
    assert job["limit"] == 4500
    rows = await _download(emulator, (await _complete(emulator, job["id"]))["location"])
    assert len(rows) == 4500 and rows[-1] == {"email": "user4499@partner.example"}


@pytest.mark.parametrize(
    "body",
    [
        {"format": "csv"},
        {"format": "xml"},
        {"connection_id": "con_AAAAAAAAAAAAAAAA"},
        {"connection_id": "bad"},
        {"role": "x"},
        {"limit": 0},
        {"fields": [{"export_as": "x"}]},
    ],
)
async def test_create_errors_are_400(emulator: Emulator, body: dict[str, Any]) -> None:
    response = await emulator.client.post("/api/v2/jobs/users-exports", json=body)
    assert response.status_code == 400
    assert response.json()["statusCode"] == 400


async def test_unknown_job_is_404(emulator: Emulator) -> None:
    response = await emulator.client.get("/api/v2/jobs/job_nope")
    assert response.status_code == 404
    assert response.json()["message"] == "Job not found."
