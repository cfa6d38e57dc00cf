"""The dashboard's pages: server-rendered HTML, readable without JavaScript.

Every page reads a bounded slice of the store (a page of runs, failures or audit rows, and
aggregate counts), never a whole table. Values pass through Jinja2's autoescaping and
:func:`~spokesync.redact.redact`: Auth0 names and metadata are attacker-controlled.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from spokesync import group_names, run_records
from spokesync.audit_changes import changes
from spokesync.engine import ACTION_COUNTS
from spokesync.redact import redact
from spokesync.run_queue import RunRefused
from spokesync.store.base import RunRecord
from spokesync.web.api import requested_user
from spokesync.web.approval_view import pending_approvals
from spokesync.web.auth import csrf_matches, csrf_token, principal_of
from spokesync.web.chart import action_count, run_chart
from spokesync.web.context import context_of
from spokesync.web.inputs import BadInput, form_fields, query_int, query_text
from spokesync.web.limits import MAX_FORM_BYTES
from spokesync.web.metrics import SITUATIONS, identity_counts
from spokesync.web.panels import duration, leader_panel, live_panel, schedule_panel

RUNS_PER_PAGE = 20
ROWS_PER_PAGE = 50


def _pretty(value: Any) -> str:
    return redact(json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str))


def _when(iso: str | None) -> str:
    return "" if not iso else iso[:19].replace("T", " ")


templates = Environment(
    loader=PackageLoader("spokesync.web", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
templates.filters["redact"] = lambda text: redact(str(text))
templates.filters["pretty"] = _pretty
templates.filters["when"] = _when
templates.filters["duration"] = duration


def render(request: Request, name: str, status: int = 200, **values: Any) -> HTMLResponse:
    """Render template ``name`` with the values every page uses."""
    context = context_of(request)
    principal = principal_of(request)
    page = templates.get_template(name).render(
        csrf=csrf_token(request),
        token_required=context.guard.needs_token,
        signed_in=principal.session is not None,
        principal=principal,
        may_operate=principal.holds("operator"),
        may_approve=principal.holds("approver"),
        queue_current=context.queue.current,
        queue_waiting=context.queue.waiting,
        example_source=next(iter(context.config.sources), "SOURCE"),
        **values,
    )
    return HTMLResponse(page, status)


def _run_row(run: RunRecord, approvable: frozenset[str]) -> dict[str, Any]:
    s = run.summary
    return {
        "id": run.id,
        # a refused run whose kept plan waits for approval: its row has the button too
        "approvable": run.id in approvable,
        "mode": run.mode,
        "started_at": run.started_at,
        "outcome": run.outcome or "running",
        "seconds": s.get("duration_seconds"),
        "actions": [(k.replace("_", " "), s[k]) for k in ACTION_COUNTS if s.get(k)],
        "total": action_count(s),
        "failed": s.get("failed", 0),
        "skipped": s.get("skipped", 0),
        "api_calls": sorted((s.get("api_calls") or {}).items()),
        "error": s.get("error"),
        "requested_by": run_records.requester(run.requested_by),
    }


def dashboard(request: Request) -> Response:
    """Last runs with a chart, identities by situation, failures, disputed, queue, search."""
    context = context_of(request)
    store = context.store
    quarantine_after = context.config.policy.quarantine_after
    try:
        runs_before = query_text(request.query_params.get("runs_before"), "runs_before")
        failures_after = query_text(request.query_params.get("failures_after"), "failures_after")
    except BadInput as exc:
        return message(request, "Bad request", f"{exc}: follow the page's own links", 400)
    run_records.settle(store, by="the dashboard")
    runs = store.recent_runs(RUNS_PER_PAGE, before=runs_before)
    failures = store.failure_page(ROWS_PER_PAGE, after=failures_after)
    last = runs[:1] if runs_before is None else store.recent_runs(1)
    notices = last[0].summary.get("skipped_reasons", []) if last else []
    disputed = [n for n in notices if n.get("situation") == "disputed"]
    now = datetime.now(UTC)
    config = context.config
    approvals = pending_approvals(store, runs)
    waiting = frozenset(p.run_id for p in approvals)
    return render(
        request,
        "dashboard.html",
        live=live_panel(
            store, list(config.sources), config.live.enabled, context.metrics.last_poll, now
        ),
        leadership=leader_panel(store, context.queue.leadership),
        schedule=schedule_panel(context.schedule, now),
        runs=[_run_row(r, waiting) for r in runs],
        chart=run_chart(runs),
        next_runs=runs[-1].id if len(runs) == RUNS_PER_PAGE else None,
        counts=identity_counts(store, quarantine_after),
        situations=SITUATIONS,
        failures=failures,
        next_failures=failures[-1].identity if len(failures) == ROWS_PER_PAGE else None,
        quarantine_after=quarantine_after,
        disputed=disputed[:ROWS_PER_PAGE],
        disputed_total=len(disputed),
        queued=request.query_params.get("queued"),
        approvals=approvals,
    )


def audit(request: Request) -> Response:
    """One identity's audit trail, newest first, a page at a time."""
    store = context_of(request).store
    try:
        wanted = query_text(request.query_params.get("identity"), "identity") or ""
        before = query_int(request.query_params.get("before"), "before")
    except BadInput as exc:
        return message(request, "Bad request", f"{exc}: search again from the page", 400)
    identity = store.find_identity(wanted) if wanted else None
    rows = []
    if identity is not None:
        rows = list(reversed(store.audit(identity, limit=ROWS_PER_PAGE, before=before)))
    older = None
    if len(rows) == ROWS_PER_PAGE:
        older = "/audit?" + urlencode({"identity": identity, "before": rows[-1].id})
    user = identity.split(":", 1)[1] if identity and ":" in identity else None
    names = group_names.known(store) if rows else {}
    return render(
        request,
        "audit.html",
        wanted=wanted,
        identity=identity,
        user=user,
        rows=[(row, changes(row, names), run_records.requester(row.requested_by)) for row in rows],
        older=older,
    )


@dataclass(frozen=True, slots=True)
class Form:
    """A small url-encoded form's fields (first value each) and whether its CSRF field holds."""

    fields: Mapping[str, str]
    csrf_ok: bool

    def get(self, name: str) -> str:
        return self.fields.get(name, "")


async def read_form(request: Request) -> Form | None:
    """The request's form, or None when it is too large or has too many fields."""
    body = await request.body()  # at most MAX_FORM_BYTES: the BodyLimit middleware saw to it
    if len(body) > MAX_FORM_BYTES:
        return None
    try:
        fields = form_fields(body)
    except BadInput:
        return None
    return Form(fields, csrf_matches(request, fields.get("csrf", "")))


def message(
    request: Request,
    title: str,
    text: str,
    status: int,
    *,
    link: tuple[str, str] = ("/", "Back to the dashboard"),
) -> HTMLResponse:
    return render(request, "message.html", status, title=title, text=text, link=link)


def forbidden(request: Request, role: str) -> HTMLResponse:
    """403 for a signed-in person whose roles do not allow what they asked."""
    return message(
        request,
        "Not allowed",
        f"This needs the {role} role, which none of your groups gives you. Ask your Okta "
        "administrator for a group that [serve.roles] maps to it.",
        403,
    )


async def start_run(request: Request) -> Response:
    """The dashboard's run buttons: a whole sync, or one user's (``user``)."""
    form = await read_form(request)
    if form is None or not form.csrf_ok:
        return message(request, "Refused", "The form expired: reload the page and try again.", 403)
    try:
        user = requested_user(form.get("user") or None)
    except ValueError as exc:
        return message(request, "Refused", str(exc), 400)
    try:
        ticket = context_of(request).queue.submit(
            origin="dashboard", user=user, requested_by=principal_of(request).requested_by
        )
    except RunRefused as exc:
        return message(request, "Not started", str(exc), exc.status)
    return RedirectResponse("/?" + urlencode({"queued": ticket.request.run_id}), 303)


_STYLE = resources.files("spokesync.web").joinpath("static/style.css").read_bytes()


def style_sheet(_request: Request) -> Response:
    return Response(_STYLE, media_type="text/css", headers={"Cache-Control": "max-age=3600"})


def no_icon(_request: Request) -> Response:
    """No icon, said without a 404 that a browser would report as an error."""
    return Response(status_code=204, headers={"Cache-Control": "max-age=86400"})
