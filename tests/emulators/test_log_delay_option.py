"""``spokesync emulate --log-delay-ms N`` reaches both emulators' logs, through the runtime."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from spokesync import cli
from spokesync.emulators import runtime

SEED: dict[str, Any] = {
    "auth0": {"clients": [{"client_id": "c1", "client_secret": "s1", "scopes": ["read:logs"]}]},
    "okta": {"api_tokens": ["t1"]},
}


def test_runtime_serves_both_logs_with_the_delay() -> None:
    with runtime.start(SEED, log_delay_ms=250) as emulators:
        auth0_state = emulators.auth0.server.config.app.state.auth0
        okta_state = emulators.okta.server.config.app.state.org
        assert auth0_state.logs.delay_seconds == 0.25
        assert okta_state.system_log.delay_seconds == 0.25
        token = httpx.post(
            f"{emulators.auth0.url}/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "c1",
                "client_secret": "s1",
                "audience": f"{emulators.auth0.url}/api/v2/",
            },
        ).json()["access_token"]
        logs = httpx.get(
            f"{emulators.auth0.url}/api/v2/logs",
            params={"take": "10"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert logs.status_code == 200 and logs.json() == []
        events = httpx.get(
            f"{emulators.okta.url}/api/v1/logs", headers={"Authorization": "SSWS t1"}
        )
        assert events.status_code == 200 and events.json() == []


def test_emulate_passes_the_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seed_file = tmp_path / "seed.json"
    seed_file.write_text(json.dumps(SEED))
    seen: dict[str, Any] = {}

    def refuse_to_start(seed: dict[str, Any], **options: Any) -> runtime.Emulators:
        seen.update(options)
        raise runtime.SeedError("stopped here by the test")

    monkeypatch.setattr(runtime, "start", refuse_to_start)
    result = CliRunner().invoke(
        cli.app, ["emulate", "--seed", str(seed_file), "--log-delay-ms", "1500"]
    )
    assert result.exit_code != 0 and "stopped here by the test" in result.output
    assert seen["log_delay_ms"] == 1500
    negative = CliRunner().invoke(
        cli.app, ["emulate", "--seed", str(seed_file), "--log-delay-ms", "-1"]
    )
    assert negative.exit_code == 2
