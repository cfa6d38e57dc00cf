"""Users-export jobs: create, poll, download without our token, gzip or plain NDJSON."""

from __future__ import annotations

import gzip
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from spokesync.auth0.client import Auth0Client
from spokesync.auth0.export import ExportFormatError, ndjson_records
from spokesync.auth0.token import ClientCredentials
from spokesync.http.errors import ApiError, MalformedResponse
from tests.auth0.recorded import recorded_body
from tests.http.scripted import FakeTime, Scripted, respond

BASE = "https://tenant.example"
FILE_URL = "https://exports.storage.example/job_1/tenant.json.gz?Signature=sig"

USERS = [{"user_id": f"auth0|{i}", "email": f"u{i}@x.example"} for i in range(250)]
NDJSON = "".join(json.dumps(u) + "\n" for u in USERS).encode()


def script_export(file_body: bytes, statuses: list[str]) -> Scripted:
    # Recorded auth0/jobs-users-export.json #2: the create answers 200 with status pending.
    created = recorded_body("jobs-users-export", 2)
    polls = [respond(200, {**created, "status": s}) for s in statuses]
    polls.append(respond(200, {**created, "status": "completed", "location": FILE_URL}))
    return (
        Scripted()
        .on("POST", "/oauth/token", respond(200, {"access_token": "at", "expires_in": 86400}))
        .on("POST", "/api/v2/jobs/users-exports", respond(200, created))
        .on("GET", f"/api/v2/jobs/{created['id']}", *polls)
        .on("GET", "/job_1/tenant.json.gz", httpx.Response(200, content=file_body))
    )


async def collect(it: AsyncIterator[Any]) -> list[Any]:
    return [x async for x in it]


@pytest.mark.anyio
@pytest.mark.parametrize("compress", [True, False])
async def test_export_streams_records(compress: bool) -> None:
    time = FakeTime()
    script = script_export(gzip.compress(NDJSON) if compress else NDJSON, ["pending", "processing"])
    async with Auth0Client(
        BASE,
        ClientCredentials("cid", "sec"),
        source="s",
        transport=script.transport(),
        sleep=time.sleep,
    ) as c:
        records = await collect(c.export_users(["user_id", "email"]))
    assert records == USERS
    assert len(time.sleeps) == 2  # polled while pending and processing, no real waiting
    create = next(r for r in script.requests if r.url.path == "/api/v2/jobs/users-exports")
    assert json.loads(create.content) == {
        "format": "json",
        "fields": [{"name": "user_id"}, {"name": "email"}],
    }
    download = next(r for r in script.requests if r.url.host == "exports.storage.example")
    assert "authorization" not in download.headers
    assert download.url.params["Signature"] == "sig"
    assert c.calls["GET <users-export file>"] == 1


@pytest.mark.anyio
async def test_export_job_failed() -> None:
    script = script_export(b"", [])
    created = recorded_body("jobs-users-export", 2)
    script.queues[("GET", f"/api/v2/jobs/{created['id']}")].clear()
    script.on("GET", f"/api/v2/jobs/{created['id']}", respond(200, {**created, "status": "failed"}))
    async with Auth0Client(
        BASE, ClientCredentials("cid", "sec"), source="s", transport=script.transport()
    ) as c:
        with pytest.raises(ApiError, match="failed"):
            await collect(c.export_users(["user_id"]))


@pytest.mark.anyio
async def test_export_truncated_gzip_is_malformed() -> None:
    script = script_export(gzip.compress(NDJSON)[:-20], [])
    async with Auth0Client(
        BASE, ClientCredentials("cid", "sec"), source="s", transport=script.transport()
    ) as c:
        with pytest.raises(MalformedResponse):
            await collect(c.export_users(["user_id"]))


async def chunks(data: bytes, size: int) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


@pytest.mark.anyio
@pytest.mark.parametrize("size", [1, 7, 4096])
async def test_ndjson_records_any_chunking(size: int) -> None:
    data = gzip.compress(NDJSON[:1000]) + gzip.compress(NDJSON[1000:])  # two gzip members
    assert await collect(ndjson_records(chunks(data, size))) == USERS


@pytest.mark.anyio
async def test_ndjson_last_line_without_newline_and_blank_lines() -> None:
    data = b'{"a": 1}\n\n{"b": 2}'
    assert await collect(ndjson_records(chunks(data, 3))) == [{"a": 1}, {"b": 2}]


@pytest.mark.anyio
async def test_ndjson_rejects_non_objects() -> None:
    with pytest.raises(ExportFormatError, match="line 2"):
        await collect(ndjson_records(chunks(b'{"a": 1}\n[1]\n', 100)))
