"""Commands: parse arguments, call the engine, render. No logic of its own.

Exit codes: 0 success, 1 some identities failed (the rest applied), 2 usage or config error,
3 refused by a safety guard, 4 another run holds the lock.
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

from spokesync import config as config_module
from spokesync import logs, report, saved_plan
from spokesync.engine import EXIT_CONFIG, EXIT_LOCKED, EXIT_REFUSED, Engine, RunResult
from spokesync.live.cursors import live_status
from spokesync.progress import progress_for
from spokesync.redact import redact
from spokesync.saved_plan import SavedPlan
from spokesync.store import Store, StoreError, open_store

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Provision Auth0 role members into Okta groups: plan before apply, safely.",
    pretty_exceptions_enable=False,
)
config_app = typer.Typer(help="Validate the config file.", no_args_is_help=True)
app.add_typer(config_app, name="config")

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


class _State:
    config_path: Path | None = None


_state = _State()

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of text.")]


def fail(message: str, code: int = EXIT_CONFIG) -> typer.Exit:
    """Print one line to stderr and return the Exit to raise (never a traceback)."""
    err.print(f"spokesync: {redact(message)}", highlight=False, markup=False)
    return typer.Exit(code)


def load_config() -> config_module.Config:
    try:
        cfg = config_module.load(_state.config_path)
    except config_module.ConfigError as exc:
        raise fail(str(exc)) from None
    # Tokens, client secrets and private keys: masked in every output from here on.
    config_module.register_secrets(cfg)
    return cfg


@app.callback()
def main_options(
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="Config file (default ./spokesync.toml, or $SPOKESYNC_CONFIG).",
            show_default=False,
        ),
    ] = None,
    log_format: Annotated[
        str, typer.Option(help="Log lines on stderr: auto, json or console.")
    ] = "auto",
    log_level: Annotated[str, typer.Option(help="DEBUG, INFO, WARNING or ERROR.")] = "INFO",
) -> None:
    """spokesync keeps an Okta org in sync with the role members of Auth0 tenants."""
    _state.config_path = config
    logs.configure(
        json_lines=None if log_format == "auto" else log_format == "json", level=log_level
    )


def _open_store(cfg: config_module.Config) -> Store:
    """The state store, or a one-line error and exit 2."""
    try:
        return open_store(cfg.state.url)
    except StoreError as exc:
        raise fail(str(exc)) from None


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
                return asyncio.run(engine.apply_saved_plan(saved, guard_approved=force))
            return asyncio.run(
                engine.run(
                    apply=apply,
                    force=force,
                    only_user=user,
                    retry_quarantined=retry,
                    keep_plan=keep_plan,
                )
            )
    finally:
        store.close()


def _finish(result: RunResult, as_json: bool) -> None:
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
            out.print(redact(line), highlight=False, markup=False)
    elif result.exit_code == EXIT_LOCKED or (result.exit_code == EXIT_CONFIG and result.error):
        pass
    else:
        report.print_result(out, result)
    if result.error and (as_json or stale or result.exit_code in (EXIT_LOCKED, EXIT_CONFIG)):
        err.print(f"spokesync: {redact(result.error)}", highlight=False, markup=False)
    raise typer.Exit(result.exit_code)


@app.command()
def plan(
    as_json: JsonOpt = False,
    out_file: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Also write the plan to this file, for sync --plan to apply exactly it.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Show what a sync would do, changing nothing (observe, plan, guard)."""
    result = _run(apply=False, force=False, user=None, as_json=as_json, keep_plan=bool(out_file))
    if out_file is not None and result.saved is not None:
        try:
            saved_plan.write(out_file, result.saved)
        except saved_plan.SavedPlanError as exc:
            raise fail(str(exc)) from None
    _finish(result, as_json)


@app.command()
def sync(
    as_json: JsonOpt = False,
    user: Annotated[
        str | None, typer.Option("--user", help="Provision one Auth0 user id now.")
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
            help="Apply this saved plan (plan --out) only if planning again gives the same.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Apply: bring Okta in line with the config (observe, plan, guard, apply, record)."""
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
    _finish(result, as_json)


@app.command()
def status(as_json: JsonOpt = False) -> None:
    """The leader among replicas, last runs, and the identities by situation with their last
    error."""
    cfg = load_config()
    store = _open_store(cfg)
    try:
        runs = store.recent_runs(10)
        situations = report.situations(store)
        live = live_status(store, cfg.sources, datetime.now(UTC))
        leader = store.leader()
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


@config_app.command("check")
def config_check() -> None:
    """Validate the config, resolve roles and groups to ids, check credentials and scopes."""
    from spokesync.config_check import check

    cfg = load_config()
    ok = asyncio.run(check(cfg, out))
    raise typer.Exit(0 if ok else EXIT_CONFIG)


@app.command()
def audit(
    user: Annotated[
        str | None, typer.Option("--user", help="Auth0 user id or identity key.")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="ISO time, e.g. 2026-11-01T00:00:00Z.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """The audit log: every applied action with before and after."""
    store = _open_store(load_config())
    try:
        rows = store.audit(since=since)
    finally:
        store.close()
    if user:
        rows = [r for r in rows if r.identity == user or r.identity.split(":", 1)[-1] == user]
    data = report.audit_json(rows)
    if as_json:
        out.print(report.to_json(data), markup=False, highlight=False)
        return
    for row in data:
        out.print(
            redact(
                f"{row['started_at']} {row['run_id']} {row['identity']} {row['action']} "
                f"{row['status']} okta={row['okta_id']} before={row['before']} after={row['after']}"
                + (f" error={row['error']}" if row["error"] else "")
            ),
            markup=False,
            highlight=False,
        )


@app.command()
def serve(
    schedule: Annotated[
        str, typer.Option(help="Cron expression for runs (default: daily at 03:00 UTC).")
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
            help="HOST:PORT of the dashboard, probes and metrics, or 'off' "
            "(default: [serve] http, else 127.0.0.1:8470).",
        ),
    ] = None,
) -> None:
    """Run sync on a schedule until stopped, one run at a time; serve the dashboard, health
    probes and Prometheus metrics over HTTP."""
    from spokesync.service import serve_forever

    cfg = load_config()
    raise typer.Exit(
        serve_forever(cfg, schedule, run_now=once_now, http=http, console=err, live=live)
    )


@app.command()
def emulate(
    seed: Annotated[Path, typer.Option("--seed", help="Seed file (JSON, see the README).")],
    host: str = "127.0.0.1",
    auth0_port: int = 8801,
    okta_port: int = 8802,
    latency_ms: float = 0.0,
    okta_rate_limit: Annotated[
        int | None, typer.Option(help="Per-minute limit of every Okta bucket.")
    ] = None,
    auth0_rate_limit: Annotated[
        float | None, typer.Option(help="Auth0 Management API requests per second.")
    ] = None,
    fault_rate: float = 0.0,
    fault_seed: int = 0,
    log_delay_ms: Annotated[
        float,
        typer.Option(
            min=0, help="Milliseconds before a write's log entry (Auth0) or event (Okta) shows."
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


@app.command()
def demo(
    users: Annotated[int, typer.Option(help="Partner tenant size.")] = 300,
    seed: Annotated[int, typer.Option(help="Random seed of the generated world.")] = 7,
) -> None:
    """The main job on a generated partner tenant, against the built-in emulators."""
    from spokesync.demo import run_demo

    raise typer.Exit(run_demo(out, users=users, seed=seed))


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
