"""Bulk user export jobs (``POST /api/v2/jobs/users-exports``, ``GET /api/v2/jobs/{id}``).

A job moves pending -> processing -> completed, one step per ``GET``: no wall-clock waits.
On completion it keeps a snapshot of the user documents (cheap: documents are immutable), and
each completed ``GET`` hands out a fresh signed download link valid for 60 seconds, like the
pre-signed URL the real service returns. The file is gzip NDJSON named after the tenant,
compressed in chunks as it is streamed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from spokesync.emulators.auth0 import ids
from spokesync.emulators.auth0.errors import ApiError, encode_json, invalid_body
from spokesync.emulators.auth0.state import Tenant, UserDoc
from spokesync.emulators.auth0.users import json_type

LINK_LIFETIME_SECONDS = 60
_REQUEST_KEYS = frozenset({"connection_id", "format", "limit", "fields"})
_CONNECTION_ID = re.compile(r"^con_[A-Za-z0-9]{16}$")
_PATH_PART = re.compile(r"[^.\[\]]+|\[\d+\]")
_ROWS_PER_CHUNK = 1000


@dataclass
class ExportJob:
    """One export job and its progress."""

    id: str
    created_at: str
    format: str
    connection_id: str
    connection: str
    limit: int | None
    fields: list[dict[str, str]] | None
    status: str = "pending"
    snapshot: list[UserDoc] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": "users_export",
            "status": self.status,
            "connection_id": self.connection_id,
            "format": self.format,
        }
        if self.limit is not None:
            body["limit"] = self.limit
        if self.fields is not None:
            body["fields"] = self.fields
        body.update(connection=self.connection, created_at=self.created_at, id=self.id)
        return body


def value_at(doc: Any, path: str) -> Any:
    """The value at ``user_metadata.team`` or ``identities[0].connection``; None if absent."""
    current = doc
    for part in _PATH_PART.findall(path):
        if part.startswith("["):
            index = int(part[1:-1])
            if not isinstance(current, list) or index >= len(current):
                return None
            current = current[index]
        elif isinstance(current, dict):
            current = current.get(part)
        else:
            return None
    return current


def _parse_fields(raw: Any) -> list[dict[str, str]]:
    if isinstance(raw, str):  # a form body carries the list as JSON text
        try:
            raw = json.loads(raw)
        except ValueError:
            raise invalid_body("Payload validation error: 'fields' must be a JSON array.") from None
    if not isinstance(raw, list):
        raise invalid_body(
            f"Payload validation error: 'Expected type array but found type {json_type(raw)}' "
            "on property fields."
        )
    fields: list[dict[str, str]] = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise invalid_body(
                "Payload validation error: 'Missing required property: name' on property fields."
            )
        if set(item) - {"name", "export_as"} or not isinstance(item.get("export_as", ""), str):
            raise invalid_body(
                "Payload validation error: fields items take only name and export_as."
            )
        if len(item["name"]) > 100 or len(item.get("export_as", "")) > 100:
            raise invalid_body(
                "Payload validation error: 'String is too long (maximum 100)' on property fields."
            )
        fields.append(dict(item))
    return fields


def _parse_limit(raw: Any) -> int:
    try:
        limit = int(raw)
    except (TypeError, ValueError):
        raise invalid_body(
            "Payload validation error: 'Expected type integer' on property limit."
        ) from None
    if isinstance(raw, bool) or limit < 1:
        raise invalid_body(
            "Payload validation error: 'Value must be at least 1' on property limit."
        )
    return limit


def gzip_ndjson(rows: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    """Gzip-compressed NDJSON, produced chunk by chunk."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    pending: list[bytes] = []
    for row in rows:
        pending.append(encode_json(row) + b"\n")
        if len(pending) >= _ROWS_PER_CHUNK:
            chunk = compressor.compress(b"".join(pending))
            pending.clear()
            if chunk:
                yield chunk
    yield compressor.compress(b"".join(pending)) + compressor.flush()


class ExportJobs:
    """All export jobs of a tenant."""

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant
        self.jobs: dict[str, ExportJob] = {}
        self._key = secrets.token_bytes(32)

    def create(self, body: Any) -> ExportJob:
        """Validate a create body (JSON or form, OAS schema) and queue the job."""
        if not isinstance(body, dict):
            raise invalid_body("Payload validation error: 'Expected type object'.")
        extra = sorted(set(body) - _REQUEST_KEYS)
        if extra:
            raise invalid_body(
                f"Payload validation error: 'Additional properties not allowed: {extra[0]}'."
            )
        connection = self.tenant.connection
        connection_id = body.get("connection_id", connection.id)
        if not isinstance(connection_id, str) or not _CONNECTION_ID.match(connection_id):
            raise invalid_body(
                "Payload validation error: 'String does not match pattern "
                "^con_[A-Za-z0-9]{16}$' on property connection_id."
            )
        if connection_id != connection.id:
            raise ApiError(400, "The connection does not exist.", "inexistent_connection")
        file_format = body.get("format", "json")
        if file_format == "csv":
            raise ApiError(
                400,
                "This emulator exports only format json (csv is not implemented).",
                "invalid_body",
            )
        if file_format != "json":
            raise invalid_body(
                "Payload validation error: 'No enum match for: format' on property format."
            )
        job = ExportJob(
            id=ids.job_id(),
            created_at=self.tenant.clock.iso(),
            format=file_format,
            connection_id=connection.id,
            connection=connection.name,
            limit=_parse_limit(body["limit"]) if "limit" in body else None,
            fields=_parse_fields(body["fields"]) if "fields" in body else None,
        )
        self.jobs[job.id] = job
        return job

    def poll(self, job_id: str, base_url: str) -> dict[str, Any]:
        """The job as ``GET /api/v2/jobs/{id}`` shows it; each poll moves it one step."""
        job = self.jobs.get(job_id)
        if job is None:
            raise ApiError(404, "Job not found.")
        if job.status == "pending":
            job.status = "processing"
        elif job.status == "processing":
            users = list(self.tenant.users.values())
            job.snapshot = users if job.limit is None else users[: job.limit]
            job.status = "completed"
        body = job.to_json()
        if job.status == "processing":
            body.update(percentage_done=50, time_left_seconds=1)
        else:
            body.update(
                location=self._location(job, base_url), percentage_done=100, time_left_seconds=0
            )
        return body

    def file_name(self) -> str:
        return f"{self.tenant.name}.json.gz"

    def _signature(self, job_id: str, expires: int) -> str:
        message = f"{job_id}:{expires}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def _location(self, job: ExportJob, base_url: str) -> str:
        expires = int(self.tenant.clock.now()) + LINK_LIFETIME_SECONDS
        query = urlencode({"Expires": expires, "Signature": self._signature(job.id, expires)})
        return f"{base_url}/exports/{job.id}/{self.file_name()}?{query}"

    def download(
        self, job_id: str, file_name: str, expires: str, signature: str
    ) -> Iterator[bytes]:
        """The file behind a link, or PermissionError when the link is wrong or expired."""
        job = self.jobs.get(job_id)
        if job is None or job.status != "completed" or file_name != self.file_name():
            raise PermissionError("no such export file")
        if not expires.isdigit() or not hmac.compare_digest(
            signature, self._signature(job_id, int(expires))
        ):
            raise PermissionError("bad signature")
        if int(expires) < self.tenant.clock.now():
            raise PermissionError("Request has expired")
        return gzip_ndjson(self._rows(job))

    def _rows(self, job: ExportJob) -> Iterator[dict[str, Any]]:
        for doc in job.snapshot:
            if job.fields is None:
                yield doc
                continue
            row: dict[str, Any] = {}
            for item in job.fields:
                value = value_at(doc, item["name"])
                if value is not None:
                    row[item.get("export_as") or item["name"]] = value
            yield row
