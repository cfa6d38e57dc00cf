"""Machine endpoints: liveness and readiness probes, Prometheus metrics, status, starting runs.

Store reads run in Starlette's thread pool (the endpoints are plain functions): the store is
synchronous and must not stall the loop the scheduler and the other requests share.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from spokesync import report, run_records
from spokesync.run_queue import NotLeader, RunRefused
from spokesync.store.base import StoreError
from spokesync.web.auth import principal_of
from spokesync.web.context import context_of
from spokesync.web.inputs import BadInput, json_value

#: The longest Auth0 user id a run request may name (Auth0 allows far shorter ones).
MAX_USER_ID = 512
_BODY_SHAPE = 'the body must be JSON: {} or {"user": "AUTH0_USER_ID"}'


def healthz(_request: Request) -> Response:
    """Liveness: the process answers."""
    return JSONResponse({"status": "ok"})


def readyz(request: Request) -> Response:
    """Readiness: the config is loaded (it is, or the service would not have started) and
    the state store answers a query."""
    try:
        context_of(request).store.recent_runs(1)
    except StoreError:
        unavailable = {"status": "unavailable", "reason": "the state store does not answer"}
        return JSONResponse(unavailable, 503)
    return JSONResponse({"status": "ready"})


def metrics(request: Request) -> Response:
    """The Prometheus text exposition."""
    return Response(context_of(request).metrics.render(), media_type=CONTENT_TYPE_LATEST)


def status(request: Request) -> Response:
    """The object ``spokesync status --json`` prints (secrets redacted as there)."""
    context = context_of(request)
    run_records.settle(context.store, by="/api/status")
    status = report.status_of(context.store, context.config.sources, datetime.now(UTC))
    body = report.to_json(status)
    return Response(body, media_type="application/json")


def refusal(exc: RunRefused) -> JSONResponse:
    """A refused run request as JSON, naming the leader when a standby refuses."""
    body: dict[str, Any] = {"error": str(exc)}
    if isinstance(exc, NotLeader):
        body["leader"] = exc.leader
    return JSONResponse(body, exc.status)


def requested_user(value: object) -> str | None:
    """The Auth0 user id a request names, or None; ValueError with the fix when unusable."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValueError('"user" must be a non-empty Auth0 user id such as "auth0|123"')
    if len(value) > MAX_USER_ID or not value.isprintable():
        raise ValueError(f'"user" must be a printable Auth0 user id of at most {MAX_USER_ID} chars')
    return value.strip()


async def start_run(request: Request) -> Response:
    """``POST /api/runs`` with ``{}`` or ``{"user": ID}``: 202 with the run's id once it is
    started or queued behind the current run."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return JSONResponse({"error": "send the request as Content-Type: application/json"}, 415)
    try:
        body = json_value(await request.body() or b"{}")
    except BadInput as exc:
        return JSONResponse({"error": f"{exc}: {_BODY_SHAPE}"}, 400)
    if not isinstance(body, dict):
        return JSONResponse({"error": _BODY_SHAPE}, 400)
    if unknown := sorted(set(body) - {"user"}):
        return JSONResponse({"error": f"unknown field {unknown[0]!r}: {_BODY_SHAPE}"}, 400)
    try:
        user = requested_user(body.get("user"))
    except ValueError as exc:
        return JSONResponse({"error": str(exc)}, 400)
    try:
        ticket = context_of(request).queue.submit(
            origin="api", user=user, requested_by=principal_of(request).requested_by
        )
    except RunRefused as exc:
        return refusal(exc)
    return JSONResponse({"run_id": ticket.request.run_id}, 202)
