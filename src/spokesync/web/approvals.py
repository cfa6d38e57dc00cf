"""Approving a plan the guard refused: what it would do (per group, who), and the approval.

An approval queues a run that applies the plan kept with the refused run (see
:mod:`spokesync.saved_plan`) only if planning again gives that same plan; otherwise the new
run is refused too and keeps the new plan, shown here for a new approval. The approver is the
run's ``requested_by``, so the run record and every audit row it writes name them.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from spokesync.run_queue import RunRefused
from spokesync.web.api import refusal
from spokesync.web.auth import principal_of
from spokesync.web.context import context_of
from spokesync.web.inputs import BadInput, json_value
from spokesync.web.pages import message, read_form


async def _approve(request: Request, run_id: str) -> str:
    """Queue the approval of ``run_id``; its new run id. KeyError when it kept no plan."""
    context = context_of(request)
    if await run_in_threadpool(context.store.run_plan, run_id) is None:
        raise KeyError(run_id)
    ticket = context.queue.submit(
        origin="approval", requested_by=principal_of(request).requested_by, approves=run_id
    )
    return ticket.request.run_id


def _no_plan(run_id: str) -> str:
    return (
        f"run {run_id} kept no plan to approve: only a run the guard refused keeps one "
        "(see the dashboard's refused runs)"
    )


async def approve_api(request: Request) -> Response:
    """``POST /api/runs/{run_id}/approve``: 202 with the new run's id."""
    run_id = str(request.path_params["run_id"])
    if request.headers.get("content-type", "").split(";")[0].strip() not in (
        "",
        "application/json",
    ):
        return JSONResponse({"error": "send no body, or Content-Type: application/json"}, 415)
    body = await request.body()
    if body.strip():
        try:
            parsed = json_value(body)  # bounded depth: a deep nest is a 400, never a 500
        except BadInput:
            parsed = None
        if parsed != {}:
            return JSONResponse({"error": "the body must be empty or {}"}, 400)
    try:
        new_run = await _approve(request, run_id)
    except KeyError:
        return JSONResponse({"error": _no_plan(run_id)}, 404)
    except RunRefused as exc:
        return refusal(exc)
    return JSONResponse({"run_id": new_run, "approves": run_id}, 202)


async def approve_form(request: Request) -> Response:
    """The dashboard's "Approve and apply" button."""
    run_id = str(request.path_params["run_id"])
    form = await read_form(request)
    if form is None or not form.csrf_ok:
        return message(request, "Refused", "The form expired: reload the page and try again.", 403)
    try:
        new_run = await _approve(request, run_id)
    except KeyError:
        return message(request, "Nothing to approve", _no_plan(run_id), 404)
    except RunRefused as exc:
        return message(request, "Not started", str(exc), exc.status)
    return RedirectResponse("/?" + urlencode({"queued": new_run}), 303)
