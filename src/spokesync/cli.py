"""Commands: parse arguments, call the engine, render. No logic of its own.

Exit codes (the README's table says the same): 0 success; 1 some identities failed (the rest
applied); 2 usage, config, credentials, scopes, an unreadable or unwritable state database, or
``sync --user`` of an identity in no source; 3 refused by a safety guard or a stale saved plan
(``sync --plan``); 4 another run holds the lock; 5 a service could not be reached or answered
5xx throughout; 130 / 143 interrupted by SIGINT / SIGTERM (the run recorded what it applied).
"""

from __future__ import annotations

import asyncio
import signal
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from spokesync import (
    __version__,
    audit_view,
    group_names,
    inert,
    logs,
    report,
    run_records,
    saved_plan,
)
from spokesync import config as config_module
from spokesync.engine import (
    EXIT_CONFIG,
    EXIT_LOCKED,
    EXIT_REFUSED,
    EXIT_UNREACHABLE,
    Engine,
    RunResult,
)
from spokesync.interruption import Interrupted, run_interruptibly
from spokesync.live.cursors import live_status
from spokesync.progress import progress_for
from spokesync.saved_plan import SavedPlan
from spokesync.store import Store, StoreError, open_store

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Provision Auth0 role members into Okta groups: plan before apply, safely.",
    pretty_exceptions_enable=False,
    # Help is plain text: "[serve] http" in a help string is a config key, not markup.
    rich_markup_mode=None,
)
config_app = typer.Typer(
    help="Validate the config file.", no_args_is_help=True, rich_markup_mode=None
)
app.add_typer(config_app, name="config")

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


class _State:
    config_path: Path | None = None


_state = _State()

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of text.")]
LimitOpt = Annotated[
    int,
    typer.Option(
        "--limit",
        min=0,
        metavar="N",
        help="Identities shown per section of the plan (--json shows all).",
    ),
]
AllOpt = Annotated[bool, typer.Option("--all", help="Show every identity of every section.")]


def fail(message: str, code: int = EXIT_CONFIG) -> typer.Exit:
    """Print one line to stderr and return the Exit to raise (never a traceback)."""
    err.print(inert.cell(f"spokesync: {message}"), highlight=False)
    return typer.Exit(code)


def load_config() -> config_module.Config:
    try:
        cfg = config_module.load(_state.config_path)
    except config_module.ConfigError as exc:
        raise fail(str(exc)) from None
    # Tokens, client secrets and private keys: masked in every output from here on.
    config_module.register_secrets(cfg)
    return cfg


def _show_version(value: bool) -> None:
    if value:
        out.print(f"spokesync {__version__}", highlight=False, markup=False)
        raise typer.Exit()


@app.callback()
def main_options(
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            metavar="PATH",
            help="Config file (default ./spokesync.toml, or $SPOKESYNC_CONFIG).",
            show_default=False,
        ),
    ] = None,
    log_format: Annotated[
        str,
        typer.Option(
            metavar="FORMAT",
            help="Log lines on stderr: auto (human lines on a terminal, else JSON), json "
            "or console.",
        ),
    ] = "auto",
    log_level: Annotated[
        str | None,
        typer.Option(
            metavar="LEVEL",
            help="DEBUG, INFO, WARNING or ERROR (default: WARNING for human lines, INFO for JSON).",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """spokesync keeps an Okta org in sync with the role members of Auth0 tenants."""
    _state.config_path = config
    if log_format.lower() not in logs.FORMATS:
        raise fail(f"--log-format {log_format!r} is not one of {', '.join(logs.FORMATS)}")
    if log_level is not None and log_level.upper() not in logs.LEVELS:
        raise fail(f"--log-level {log_level!r} is not one of {', '.join(logs.LEVELS)}")
    fmt = log_format.lower()
    logs.configure(json_lines=None if fmt == "auto" else fmt == "json", level=log_level)


def _open_store(cfg: config_module.Config) -> Store:
    """The state store, or a one-line error and exit 2."""
    try:
        return open_store(cfg.state.url)
    except StoreError as exc:
        raise fail(_unusable_state(exc)) from None


def _run(
    apply: bool,
    force: bool,
    user: str | None,
    as_json: bool,
    retry: bool = False,
    *,
    keep_plan: bool = False,
    saved: SavedPlan | None = None,
) -> RunResult:
    cfg = load_config()
    store = _open_store(cfg)
    try:
        with progress_for(out, enabled=not as_json) as progress:
            engine = Engine(cfg, store, progress=progress)
            if saved is not None:
                plan_file = saved
                return run_interruptibly(
                    engine, lambda: engine.apply_saved_plan(plan_file, guard_approved=force)
                )
            return run_interruptibly(
                engine,
                lambda: engine.run(
                    apply=apply,
                    force=force,
                    only_user=user,
                    retry_quarantined=retry,
                    keep_plan=keep_plan,
                ),
            )
    except Interrupted as stopped:
        raise fail(stopped.line(), stopped.exit_code) from None
    except StoreError as exc:
        raise fail(_unusable_state(exc)) from None
    finally:
        store.close()


def _unusable_state(exc: StoreError) -> str:
    """One line for a state database that stopped answering or refused a write (exit 2)."""
    return (
        f"{exc}; the state database ([state] url) must be reachable, readable and writable "
        "by this user: fix its permissions or point [state] url elsewhere"
    )


def _finish(result: RunResult, as_json: bool, limit: int | None = report.DEFAULT_LIMIT) -> None:
    # A saved plan that no longer holds: what changed since, never the whole fresh plan.
    stale = result.difference is not None or (
        result.exit_code == EXIT_REFUSED
        and "saved_plan" in result.summary
        and not result.plan.actions
    )
    if as_json:
        data = report.result_json(result)
        if result.difference is not None:
            data["difference"] = result.difference.describe()
        out.print(report.to_json(data), highlight=False, markup=False, soft_wrap=True)
    elif stale:
        for line in result.difference.lines() if result.difference else ():
            out.print(inert.cell(line), highlight=False)
    elif result.exit_code in (EXIT_LOCKED, EXIT_UNREACHABLE) or (
        result.exit_code == EXIT_CONFIG and result.error
    ):
        pass
    else:
        report.print_result(out, result, limit=limit)
    if result.error and (
        as_json or stale or result.exit_code in (EXIT_LOCKED, EXIT_CONFIG, EXIT_UNREACHABLE)
    ):
        err.print(inert.cell(f"spokesync: {result.error}"), highlight=False)
    raise typer.Exit(result.exit_code)


@app.command(short_help="Show what a sync would do, changing nothing.")
def plan(
    as_json: JsonOpt = False,
    limit: LimitOpt = report.DEFAULT_LIMIT,
    show_all: AllOpt = False,
    out_file: Annotated[
        Path | None,
        typer.Option(
            "--out",
            metavar="FILE",
            help="Also write the plan to this file, for sync --plan to apply exactly it.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Show what a sync would do, changing nothing: observe, plan and guard."""
    result = _run(apply=False, force=False, user=None, as_json=as_json, keep_plan=bool(out_file))
    if out_file is not None and result.saved is not None:
        try:
            saved_plan.write(out_file, result.saved)
        except saved_plan.SavedPlanError as exc:
            raise fail(str(exc)) from None
    _finish(result, as_json, None if show_all else limit)


@app.command(short_help="Bring Okta in line with the config.")
def sync(
    as_json: JsonOpt = False,
    limit: LimitOpt = report.DEFAULT_LIMIT,
    show_all: AllOpt = False,
    user: Annotated[
        str | None,
        typer.Option("--user", metavar="AUTH0_USER_ID", help="Provision one Auth0 user id now."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Override the deprovisioning guard.")
    ] = False,
    retry_quarantined: Annotated[
        bool, typer.Option("--retry-quarantined", help="Try quarantined identities again.")
    ] = False,
    plan_file: Annotated[
        Path | None,
        typer.Option(
            "--plan",
            metavar="FILE",
            help="Apply this saved plan (plan --out) only if planning again gives the same.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Bring Okta in line with the config: observe, plan, guard, apply and record."""
    saved = None
    if plan_file is not None:
        if user is not None or retry_quarantined:
            raise fail("--plan applies a whole saved plan: drop --user and --retry-quarantined")
        try:
            saved = saved_plan.read(plan_file)
        except saved_plan.SavedPlanError as exc:
            raise fail(str(exc)) from None
    result = _run(
        apply=True, force=force, user=user, as_json=as_json, retry=retry_quarantined, saved=saved
    )
    _finish(result, as_json, None if show_all else limit)


@app.command(short_help="Show the leader, the last runs and the identities.")
def status(as_json: JsonOpt = False) -> None:
    """Show the leader among replicas, the last runs and the identities by situation."""
    cfg = load_config()
    store = _open_store(cfg)
    try:
        run_records.settle(store)  # a run whose process died says so from now on
        runs = store.recent_runs(10)
        situations = report.situations(store)
        live = live_status(store, cfg.sources, datetime.now(UTC))
        leader = store.leader()
    except StoreError as exc:
        raise fail(_unusable_state(exc)) from None
    finally:
        store.close()
    if as_json:
        out.print(
            report.to_json(report.status_json(runs, situations, live, leader)),
            markup=False,
            highlight=False,
        )
    else:
        report.print_status(out, runs, situations, live, leader)


@config_app.command("check", short_help="Check the config, credentials and scopes.")
def config_check() -> None:
    """Validate the config, resolve roles and groups to ids, check credentials and scopes."""
    from spokesync.config_check import check

    cfg = load_config()
    ok = asyncio.run(check(cfg, out))
    raise typer.Exit(0 if ok else EXIT_CONFIG)


@app.command(short_help="Show the audit log of applied actions.")
def audit(
    user: Annotated[
        str | None, typer.Option("--user", metavar="ID", help="Auth0 user id or identity key.")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            metavar="TIME",
            help="Only entries from this ISO time on, e.g. 2026-11-01T00:00:00Z.",
        ),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", min=1, metavar="N", help="Entries shown, newest first.")
    ] = audit_view.DEFAULT_LIMIT,
    before: Annotated[
        int | None,
        typer.Option(
            "--before", metavar="ID", help="Entries older than this one (the 'next' of a page)."
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show the audit log: every applied action with the fields before and after, newest first."""
    try:
        since_at = audit_view.parse_since(since) if since is not None else None
    except audit_view.SinceError as exc:
        raise fail(str(exc)) from None
    cfg = load_config()
    store = _open_store(cfg)
    try:
        page = audit_view.audit_page(
            store, sources=cfg.sources, user=user, since=since_at, limit=limit, before=before
        )
        names = {} if as_json else group_names.known(store)
    except StoreError as exc:
        raise fail(_unusable_state(exc)) from None
    finally:
        store.close()
    if as_json:
        out.print(report.to_json(page.as_json()), markup=False, highlight=False)
        return
    filters = ", ".join(
        f"{flag} {value}" for flag, value in (("--user", user), ("--since", since)) if value
    )
    audit_view.print_audit(out, page, names, filters=filters)


@app.command(short_help="Run sync on a schedule and serve the dashboard.")
def serve(
    schedule: Annotated[
        str,
        typer.Option(
            metavar="CRON", help="Cron expression for runs (default: daily at 03:00 UTC)."
        ),
    ] = "0 3 * * *",
    once_now: Annotated[bool, typer.Option("--now", help="Also run once at start.")] = False,
    live: Annotated[
        bool,
        typer.Option("--live", help="Between runs, sync what the Auth0 and Okta logs say changed."),
    ] = False,
    http: Annotated[
        str | None,
        typer.Option(
            "--http",
            metavar="HOST:PORT",
            help="HOST:PORT of the dashboard, probes and metrics, or 'off' "
            "(default: [serve] http, else 127.0.0.1:8470).",
        ),
    ] = None,
) -> None:
    """Run sync on a schedule until stopped and serve the dashboard, probes and metrics."""
    from spokesync.service import serve_forever

    cfg = load_config()
    raise typer.Exit(
        serve_forever(cfg, schedule, run_now=once_now, http=http, console=err, live=live)
    )


@app.command(short_help="Serve the Auth0 and Okta emulators on loopback.")
def emulate(
    seed: Annotated[
        Path, typer.Option("--seed", metavar="FILE", help="Seed file (JSON, see the README).")
    ],
    host: Annotated[
        str, typer.Option(metavar="ADDRESS", help="Loopback address to listen on.")
    ] = "127.0.0.1",
    auth0_port: Annotated[
        int, typer.Option(metavar="PORT", help="Port of the Auth0 emulator.")
    ] = 8801,
    okta_port: Annotated[
        int, typer.Option(metavar="PORT", help="Port of the Okta emulator.")
    ] = 8802,
    latency_ms: Annotated[
        float, typer.Option(metavar="MS", min=0, help="Milliseconds added to every answer.")
    ] = 0.0,
    okta_rate_limit: Annotated[
        int | None,
        typer.Option(metavar="PER_MINUTE", help="Per-minute limit of every Okta bucket."),
    ] = None,
    auth0_rate_limit: Annotated[
        float | None,
        typer.Option(metavar="PER_SECOND", help="Auth0 Management API requests per second."),
    ] = None,
    fault_rate: Annotated[
        float,
        typer.Option(
            metavar="SHARE", min=0, max=1, help="Share of calls answered with an injected fault."
        ),
    ] = 0.0,
    fault_seed: Annotated[
        int, typer.Option(metavar="SEED", help="Random seed of the injected faults.")
    ] = 0,
    log_delay_ms: Annotated[
        float,
        typer.Option(
            metavar="MS",
            min=0,
            help="Milliseconds before a write's log entry (Auth0) or event (Okta) shows.",
        ),
    ] = 0.0,
) -> None:
    """Serve the Auth0 and Okta emulators on loopback until interrupted."""
    from spokesync.emulators.runtime import SeedError, load_seed, start

    if not config_module.is_loopback_host(host):
        raise fail(f"--host {host} is not a loopback address; the emulators serve only on loopback")
    try:
        emulators = start(
            load_seed(seed),
            host=host,
            auth0_port=auth0_port,
            okta_port=okta_port,
            latency_ms=latency_ms,
            okta_rate_limit=okta_rate_limit,
            auth0_rate_limit=auth0_rate_limit,
            fault_rate=fault_rate,
            fault_seed=fault_seed,
            log_delay_ms=log_delay_ms,
        )
    except (SeedError, RuntimeError) as exc:
        raise fail(str(exc)) from None
    out.print(f"Auth0 emulator: {emulators.auth0.url}")
    out.print(f"Okta emulator:  {emulators.okta.url}")
    out.print("Press Ctrl+C to stop.")
    stop = threading.Event()
    # Handlers of our own: an inherited "ignore SIGINT" (as under some supervisors) must not
    # make the emulators unstoppable, and SIGTERM is how containers are stopped.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        while not stop.wait(1.0):
            pass
    finally:
        emulators.stop()


@app.command(short_help="Run the main job against the built-in emulators.")
def demo(
    users: Annotated[int, typer.Option(metavar="N", help="Partner tenant size.")] = 300,
    seed: Annotated[
        int, typer.Option(metavar="SEED", help="Random seed of the generated world.")
    ] = 7,
) -> None:
    """Plan and sync a generated partner tenant against the built-in emulators."""
    from spokesync.demo import run_demo

    raise typer.Exit(run_demo(out, users=users, seed=seed))


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
