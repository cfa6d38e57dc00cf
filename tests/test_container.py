"""The container image: builds, runs ``serve`` as a non-root user, and answers /healthz.

Needs a Docker daemon and the ``python:3.11-slim`` base image (present or pullable); skipped
with the reason where either is missing (CI machines have no daemon).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from tests.world_kit import OKTA_TOKEN

ROOT = Path(__file__).resolve().parents[1]
BASE = "python:3.11-slim"
TOKEN = "container-token-5d1e9f0a7b3c8e2f40d6a1b9"


def _docker(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="module")
def image() -> str:
    if shutil.which("docker") is None:
        pytest.skip("no docker command")
    if _docker("info", timeout=30).returncode != 0:
        pytest.skip("no Docker daemon answers (docker info failed)")
    if _docker("image", "inspect", BASE).returncode != 0 and _docker("pull", BASE).returncode:
        pytest.skip(f"the base image {BASE} is neither present nor pullable (no registry access)")
    tag = f"spokesync-test:{uuid.uuid4().hex[:8]}"
    built = _docker("build", "-t", tag, str(ROOT), timeout=1200)
    assert built.returncode == 0, built.stderr[-3000:]
    return tag


def test_the_image_serves_healthz_as_a_non_root_user(image: str, tmp_path: Path) -> None:
    config = tmp_path / "spokesync.toml"
    config.write_text(
        f"""[state]
url = "sqlite:////var/lib/spokesync/state.db"
[serve]
token = "${{SPOKESYNC_SERVE_TOKEN}}"
[okta]
org_url = "https://example.okta.com"
token = "{OKTA_TOKEN}"
[sources.partners]
domain = "partners.eu.auth0.com"
client_id = "c1"
client_secret = "s1"
[[bindings]]
source = "partners"
role = "Salesforce"
group = "Salesforce Users"
"""
    )
    config.chmod(0o644)
    name = f"spokesync-test-{uuid.uuid4().hex[:8]}"
    started = _docker(
        "run", "-d", "--name", name, "-e", f"SPOKESYNC_SERVE_TOKEN={TOKEN}",
        "-v", f"{config}:/etc/spokesync/spokesync.toml:ro", image,
    )  # fmt: skip
    assert started.returncode == 0, started.stderr
    try:
        deadline = time.monotonic() + 90
        while True:
            probe = _docker(
                "exec", name, "python", "-c",
                "import urllib.request; print(urllib.request.urlopen("
                "'http://127.0.0.1:8470/healthz', timeout=4).read().decode())",
            )  # fmt: skip
            if probe.returncode == 0:
                break
            assert time.monotonic() < deadline, _docker("logs", name).stderr[-3000:]
            time.sleep(1)
        assert json.loads(probe.stdout) == {"status": "ok"}
        user = _docker("exec", name, "id", "-u").stdout.strip()
        assert user != "0"
    finally:
        stopped = _docker("stop", "-t", "30", name)
        logs = _docker("logs", name)
        _docker("rm", "-f", name)
    assert stopped.returncode == 0
    assert TOKEN not in logs.stdout + logs.stderr
