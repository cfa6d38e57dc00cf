"""The command line: config errors, config check, status, audit, emulate, secrets in output."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from spokesync.store import open_store
from tests.world_kit import (
    ADMIN_SECRET,
    CLIENT_SECRET,
    OKTA_TOKEN,
    World,
    auth0_user,
    seed,
)

WorldFactory = Callable[..., World]


def _assert_one_line_error(result_stderr: str, *needles: str) -> None:
    lines = [line for line in result_stderr.splitlines() if line.startswith("spokesync:")]
    assert len(lines) == 1, result_stderr
    assert "Traceback" not in result_stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


BROKEN_BINDINGS = [
    (
        '[[bindings]]\nsource = "nowhere"\nrole = "Salesforce"\ngroup = "Salesforce Users"\n',
        ("bindings[0].source", "nowhere"),
    ),
    (
        '[[bindings]]\nsource = "partners"\nrole = "NoSuchRole"\ngroup = "Salesforce Users"\n',
        ("bindings[0].role", "NoSuchRole"),
    ),
    (
        '[[bindings]]\nsource = "partners"\nrole = "Salesforce"\ngroup = "No Such Group"\n',
        ("bindings[0].group", "No Such Group"),
    ),
    ('[[bindings]]\nsource = "partners"\nrole = "Salesforce"\n', ("bindings[0].group", "missing")),
    (
        # the BUILT_IN group every org has (okta/terraform/groups-everyone.json #0)
        '[[bindings]]\nsource = "partners"\nrole = "Salesforce"\ngroup = "Everyone"\n',
        ("bindings[0].group", "Everyone", "BUILT_IN", "OKTA_GROUP"),
    ),
]


@pytest.mark.parametrize(("bindings", "needles"), BROKEN_BINDINGS)
def test_broken_bindings_exit_2_with_one_line(
    world_factory: WorldFactory, bindings: str, needles: tuple[str, ...]
) -> None:
    world = world_factory(seed([auth0_user(1)]))
    world.write_config(bindings=bindings)
    for command in (["plan"], ["sync"], ["config", "check"]):
        result = world.cli(*command)
        assert result.exit_code == 2, (command, result.stdout, result.stderr)
        if command != ["config", "check"]:
            _assert_one_line_error(result.stderr, *needles)
        else:
            assert needles[0] in result.stdout + result.stderr


def test_missing_environment_variable_exit_2(world_factory: WorldFactory, tmp_path: Path) -> None:
    world = world_factory(seed([auth0_user(1)]))
    world.write_config()
    result = world.runner.invoke(
        __import__("spokesync.cli", fromlist=["app"]).app,
        ["--config", str(world.config_path), "plan"],
        env={"TEST_OKTA_TOKEN": OKTA_TOKEN},
    )
    assert result.exit_code == 2
    _assert_one_line_error(result.stderr, "TEST_AUTH0_SECRET", "sources.partners.client_secret")


def test_bad_url_and_plain_http_to_remote_host_exit_2(world_factory: WorldFactory) -> None:
    world = world_factory(seed([auth0_user(1)]))
    world.write_config()
    text = world.config_path.read_text()
    for bad, needle in (
        (world.okta_url, "not-a-url"),
        (world.okta_url, "http://hub.example.com"),
    ):
        world.config_path.write_text(text.replace(f'org_url = "{bad}"', f'org_url = "{needle}"'))
        result = world.cli("plan")
        assert result.exit_code == 2
        _assert_one_line_error(result.stderr, "okta.org_url")


def test_config_check_resolves_names_and_reports_scopes(world_factory: WorldFactory) -> None:
    world = world_factory(seed([auth0_user(1)], client_scopes=("read:users",)))
    world.write_config()
    result = world.cli("config", "check")
    assert result.exit_code == 2
    assert "lacks read:roles" in result.stdout and "API permissions" in result.stdout
    ok_world = world_factory(seed([auth0_user(1)]))
    ok_world.tmp = ok_world.tmp / "ok"
    ok_world.tmp.mkdir()
    ok_world.write_config()
    result = ok_world.cli("config", "check")
    assert result.exit_code == 0, result.stdout
    assert "rol_Salesforce000001" in result.stdout and "00gSalesforce0000001" in result.stdout


def test_config_check_asks_for_read_logs_in_live_mode(world_factory: WorldFactory) -> None:
    world = world_factory(seed([auth0_user(1)]))
    world.write_config(extra="[live]\nenabled = true\n")
    result = world.cli("config", "check")
    assert result.exit_code == 2
    assert "lacks read:logs" in result.stdout
    world.write_config()
    assert world.cli("config", "check").exit_code == 0


def test_status_and_audit_after_a_sync(world_factory: WorldFactory) -> None:
    no_email = auth0_user(3)
    del no_email["email"]
    world = world_factory(seed([auth0_user(1), auth0_user(2), no_email]))
    world.sync()
    status = world.cli("status", "--json")
    assert status.exit_code == 0, status.stderr
    data = status.json()
    assert data["runs"][0]["outcome"] == "succeeded"
    assert {row["identity"] for row in data["identities"]["linked"]} == {
        "partners:auth0|u00001",
        "partners:auth0|u00002",
    }
    assert any("email" in row["reason"] for row in data["identities"]["skipped"])
    audit = world.cli("audit", "--json", "--user", "auth0|u00001")
    page = audit.json()
    assert set(page) == {"entries", "next"} and page["next"] is None
    rows = page["entries"]
    assert [r["action"] for r in rows] == ["create_user"]
    assert rows[0]["after"]["login"] == "user1@partner.example"
    assert rows[0]["status"] == "succeeded" and rows[0]["run_id"] and rows[0]["started_at"]
    since = world.cli("audit", "--json", "--since", "2000-01-01T00:00:00Z").json()
    assert len(since["entries"]) == 2
    assert world.cli("audit", "--json", "--since", "2999-01-01").json()["entries"] == []
    text = world.cli("status")
    assert text.exit_code == 0 and "linked" in text.stdout


def test_audit_reads_as_a_table_with_a_limit_and_says_when_nothing_matches(
    world_factory: WorldFactory,
) -> None:
    world = world_factory(seed([auth0_user(n) for n in range(1, 5)]))
    world.sync()
    world.auth0().unassign("auth0|u00004")
    world.sync("--force")  # 1 of 4 is over the default guard (issue 16 item 7 is elsewhere)
    table = world.cli("audit")
    assert table.exit_code == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["time", "(UTC)", "run", "action", "identity"]
    # newest first, one line per entry, its changes below: the group by name, the created
    # profile as field: old → new
    assert lines[1].split()[3:] == ["remove_from_group", "partners:auth0|u00004"]
    assert lines[2].strip() == "−Salesforce Users"
    assert "login: (none) → user1@partner.example" in " ".join(table.stdout.split())
    assert "before=" not in table.stdout and "{" not in table.stdout
    limited = world.cli("audit", "--limit", "2", "--json").json()
    assert len(limited["entries"]) == 2 and limited["next"] is not None
    older = world.cli("audit", "--json", "--before", str(limited["next"])).json()
    assert [e["id"] for e in older["entries"]] == sorted(
        {e["id"] for e in older["entries"]}, reverse=True
    )
    assert max(e["id"] for e in older["entries"]) < min(e["id"] for e in limited["entries"])
    assert len(limited["entries"]) + len(older["entries"]) == 5
    nothing = world.cli("audit", "--user", "auth0|nobody")
    assert nothing.exit_code == 0
    assert nothing.stdout.strip() == "No audit entries match (--user auth0|nobody)."
    bad = world.cli("audit", "--since", "garbage")
    assert bad.exit_code == 2 and bad.stdout == ""
    _assert_one_line_error(bad.stderr, "--since 'garbage'", "2026-11-01T00:00:00Z")


class _Corrupting(httpx.AsyncBaseTransport):
    """Forwards to the real emulator but garbles the answer for one user's profile."""

    def __init__(self, path_part: str, body: bytes) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.path_part = path_part
        self.body = body

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if self.path_part in request.url.raw_path.decode():
            await response.aread()
            return httpx.Response(
                200, content=self.body, headers={"content-type": "application/json"}
            )
        return response


@pytest.mark.parametrize(
    "body", [b"<html>oops</html>", b'{"email": 5}', b'{"user_id": "auth0|u00002"']
)
def test_malformed_profile_fails_that_identity_only_and_rerun_converges(
    world_factory: WorldFactory, body: bytes
) -> None:
    world = world_factory(seed([auth0_user(1), auth0_user(2), auth0_user(3)]))
    world.write_config()
    corrupting = _Corrupting("auth0%7Cu00002", body)
    result = world.run_engine(
        transport_for=lambda url: corrupting if url == world.auth0_url else None, apply=True
    )
    assert result.exit_code == 1
    failures = result.summary["failures"]
    assert [f["identity"] for f in failures] == ["partners:auth0|u00002"]
    assert "auth0" in failures[0]["reason"].lower()
    store = open_store(f"sqlite:///{world.db_path}")
    try:
        assert set(store.load_links()) == {"partners:auth0|u00001", "partners:auth0|u00003"}
    finally:
        store.close()
    assert sorted(world.okta().members()) == ["user1@partner.example", "user3@partner.example"]
    out = world.sync()
    assert out["summary"]["created"] == 1
    assert len(world.okta().members()) == 3


def test_secrets_never_appear_in_output_logs_or_state(world_factory: WorldFactory) -> None:
    world = world_factory(seed([auth0_user(1), auth0_user(2)]))
    world.write_config(extra='[policy]\nmax_deprovision = "100%"\n')
    outputs: list[str] = []
    for args in (
        ["plan"],
        ["plan", "--json"],
        ["sync", "--json"],
        ["sync"],
        ["status"],
        ["status", "--json"],
        ["config", "check"],
        ["audit", "--json"],
    ):
        result = world.cli(*args)
        outputs += [result.stdout, result.stderr]
    world.auth0().unassign("auth0|u00001")
    result = world.cli("sync", "--json")
    outputs += [result.stdout, result.stderr]
    # A wrong secret: the error must not echo the configured one.
    bad = world.runner.invoke(
        __import__("spokesync.cli", fromlist=["app"]).app,
        ["--config", str(world.config_path), "sync"],
        env={"TEST_OKTA_TOKEN": OKTA_TOKEN + "x", "TEST_AUTH0_SECRET": CLIENT_SECRET + "y"},
    )
    outputs += [bad.stdout, bad.stderr]
    blob = "\n".join(outputs)
    database = world.db_path.read_bytes()
    for secret in (CLIENT_SECRET, OKTA_TOKEN, ADMIN_SECRET):
        assert secret not in blob
        assert secret.encode() not in database
    assert "Bearer ey" not in blob and "access_token" not in blob


def test_emulate_serves_both_apis_until_interrupted(tmp_path: Path) -> None:
    seed_file = tmp_path / "seed.json"
    seed_file.write_text(json.dumps(seed([auth0_user(1)])))
    from spokesync.emulators.server import free_port

    auth0_port, okta_port = free_port(), free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "spokesync",
            "emulate",
            "--seed",
            str(seed_file),
            "--auth0-port",
            str(auth0_port),
            "--okta-port",
            str(okta_port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ},
        # Start it with SIGINT ignored, as some supervisors (and pytest-xdist) do: Ctrl+C must
        # still stop it, because emulate installs its own handlers.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),  # noqa: PLW1509
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                answer = httpx.get(f"http://127.0.0.1:{okta_port}/_emulator/stats", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, process.stderr.read() if process.stderr else ""
                time.sleep(0.2)
        assert answer.status_code == 200
        users = httpx.get(
            f"http://127.0.0.1:{okta_port}/api/v1/users",
            headers={"Authorization": f"SSWS {OKTA_TOKEN}"},
        )
        assert users.status_code == 200 and users.json() == []
        token = httpx.post(
            f"http://127.0.0.1:{auth0_port}/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "spokesync",
                "client_secret": CLIENT_SECRET,
                "audience": f"http://127.0.0.1:{auth0_port}/api/v2/",
            },
        )
        assert token.status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)  # generous: CI runs six workers on two cores
    assert process.returncode in (0, 130)


def test_serve_runs_now_then_stops_cleanly_on_sigterm(world_factory: WorldFactory) -> None:
    from spokesync.emulators.server import free_port

    world = world_factory(seed([auth0_user(1), auth0_user(2)]))
    world.write_config()
    port = free_port()
    log = world.tmp / "serve.log"
    log_file = log.open("w")
    process = subprocess.Popen(
        world.command("serve", "--now", "--schedule", "0 3 * * *", "--http", f"127.0.0.1:{port}"),
        stdout=subprocess.DEVNULL,
        stderr=log_file,
        text=True,
        env={**os.environ, **world.env},
    )
    try:
        # Wait until the service has finished its first run and says when the next one is,
        # so the SIGTERM lands while it waits (not mid-run).
        deadline = time.monotonic() + 60
        while '"event": "next run"' not in log.read_text():
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline
            time.sleep(0.2)
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").json() == {"status": "ok"}
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics").text
        assert 'spokesync_runs_total{mode="sync",outcome="succeeded"} 1.0' in metrics
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        log_file.close()
    stderr = log.read_text()
    assert process.returncode == 0, stderr
    assert len(world.okta().members()) == 2
    assert '"event": "next run"' in stderr and CLIENT_SECRET not in stderr


def test_serve_rejects_a_bad_schedule(world_factory: WorldFactory) -> None:
    world = world_factory(seed([auth0_user(1)]))
    result = world.cli("serve", "--schedule", "every day at noon")
    assert result.exit_code == 2
    assert "--schedule" in result.stdout + result.stderr


def test_help_is_plain_text_with_every_option_described(world_factory: WorldFactory) -> None:
    world = world_factory(seed([auth0_user(1)]))
    top = world.runner.invoke(
        __import__("spokesync.cli", fromlist=["app"]).app, ["--help"], terminal_width=80
    )
    assert top.exit_code == 0
    summaries = top.stdout.split("Commands:")[1].splitlines()[1:]
    assert summaries and all(line.rstrip().endswith(".") for line in summaries if line.strip())
    assert "..." not in top.stdout.split("Commands:")[1]
    for command in ("plan", "sync", "status", "audit", "serve", "emulate", "demo", "config"):
        result = world.cli(command, "--help")
        assert result.exit_code == 0, result.stdout
        assert "<bool>" not in result.stdout
        options = result.stdout.split("Options:")[1].splitlines()[1:]
        named = [line for line in options if line.startswith("  -")]
        # values are named for what they are (--limit N, --out FILE), never <str> or <int>
        assert not [line for line in named if "<" in line.split("  ")[1]], named
        # every option has words after its name (a description), not just a type
        assert all(len(line.split("  ")) > 2 or line.count(" ") > 6 for line in named), options
    serve = world.cli("serve", "--help").stdout
    assert "[serve] http" in " ".join(serve.split())  # brackets in help are text, not markup


def test_version_and_log_options_are_validated(world_factory: WorldFactory) -> None:
    from spokesync import __version__
    from spokesync.cli import app

    world = world_factory(seed([auth0_user(1)]))
    version = world.runner.invoke(app, ["--version"])
    assert version.exit_code == 0 and version.stdout == f"spokesync {__version__}\n"
    for args, needle in (
        (["--log-format", "xml"], "--log-format 'xml' is not one of auto, json, console"),
        (["--log-level", "LOUD"], "--log-level 'LOUD' is not one of DEBUG, INFO, WARNING, ERROR"),
    ):
        world.write_config()
        result = world.runner.invoke(app, [*args, "--config", str(world.config_path), "plan"])
        assert result.exit_code == 2
        _assert_one_line_error(result.stderr, needle)


def test_status_fits_80_columns_and_shows_a_running_run(world_factory: WorldFactory) -> None:
    world = world_factory(seed([auth0_user(1)]))
    world.sync()
    # A plan run of this (live) process: run_records.settle keeps it running, where a sync run
    # without the run lock would be found abandoned and shown interrupted.
    with open_store(world.state_url) as store:
        store.start_run("20261201T101010Z-abc123", "plan", "2026-12-01T10:10:10.000Z")
    text = world.cli("status").stdout
    assert max(len(line) for line in text.splitlines()) <= 80, text
    row = next(line for line in text.splitlines() if "abc123" in line)
    assert row.split()[:2] == ["abc123", "plan"] and "running" in row
    assert "None" not in text
    data = world.cli("status", "--json").json()
    assert "20261201T101010Z-abc123" in {r["run_id"] for r in data["runs"]}
