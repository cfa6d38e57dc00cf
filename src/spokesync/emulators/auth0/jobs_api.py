"""``/api/v2/jobs/users-exports``, ``/api/v2/jobs/{id}``, the export download and connections."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from spokesync.emulators.auth0.endpoint import (
    Context,
    Scopes,
    base_url,
    context_of,
    management,
    read_payload,
)
from spokesync.emulators.auth0.errors import json_response


async def create_export(request: Request, ctx: Context) -> Response:
    """200 with ``status: pending``, not 201 (jobs-users-export.json #2)."""
    job = ctx.exports.create(await read_payload(request))
    return json_response(job.to_json())


async def get_job(request: Request, ctx: Context) -> Response:
    return json_response(ctx.exports.poll(request.path_params["id"], base_url(request)))


async def list_connections(request: Request, ctx: Context) -> Response:
    """``GET /api/v2/connections``: the tenant's one database connection (``name`` filters)."""
    connection = ctx.tenant.connection
    wanted = request.query_params.get("name")
    found = [connection.to_json()] if wanted in (None, connection.name) else []
    if request.query_params.get("include_totals", "").lower() == "true":
        return json_response({"total": len(found), "start": 0, "limit": 50, "connections": found})
    return json_response(found)


async def download_export(request: Request) -> Response:
    """The pre-signed file link: no bearer token, 403 once expired (valid 60 s)."""
    ctx = context_of(request)
    params = request.query_params
    try:
        chunks = ctx.exports.download(
            request.path_params["job_id"],
            request.path_params["file_name"],
            params.get("Expires", ""),
            params.get("Signature", ""),
        )
    except PermissionError as error:
        body = f"<Error><Code>AccessDenied</Code><Message>{error}</Message></Error>"
        return Response(body, status_code=403, media_type="application/xml")
    name = request.path_params["file_name"]
    headers = {"content-disposition": f'attachment; filename="{name}"'}
    return StreamingResponse(chunks, media_type="application/gzip", headers=headers)


READ = Scopes(any_of=("read:users",))

ROUTES = [
    Route(
        "/api/v2/jobs/users-exports",
        management(READ, create_export, operation="Create export users job"),
        methods=["POST"],
    ),
    Route(
        "/api/v2/jobs/{id}",
        management(Scopes(any_of=("create:users", "read:users")), get_job),
        methods=["GET"],
    ),
    Route(
        "/api/v2/connections",
        management(Scopes(any_of=("read:connections",)), list_connections),
        methods=["GET"],
    ),
    Route("/exports/{job_id}/{file_name}", download_export, methods=["GET"]),
]
