"""Issue 5: randomized fault scenarios. After a clean rerun, Okta is exactly the desired state,
no Okta user is duplicated, every change made is in the audit log and none is lost.

``SPOKESYNC_FAULT_SEED`` (default below) is the first seed and ``SPOKESYNC_FAULT_SCENARIOS``
(default 50) how many: replay a failure with ``SPOKESYNC_FAULT_SEED=<its seed>
SPOKESYNC_FAULT_SCENARIOS=1 pytest tests/faults``. The seed is in the test id and in every
failure message.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.faults.conftest import TALLY_KEY
from tests.faults.harness import ScenarioRun
from tests.faults.scenario import generate

FIRST_SEED = int(os.environ.get("SPOKESYNC_FAULT_SEED", "20261127"))
SCENARIOS = int(os.environ.get("SPOKESYNC_FAULT_SCENARIOS", "50"))


@pytest.mark.faults
@pytest.mark.parametrize(
    "seed", range(FIRST_SEED, FIRST_SEED + SCENARIOS), ids=lambda s: f"seed{s}"
)
def test_fault_scenario(seed: int, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    run = ScenarioRun(generate(seed), tmp_path)
    try:
        tally = run.run()
    finally:
        request.node.user_properties.append((TALLY_KEY, json.dumps(run.tally.as_dict())))
        run.close()
    assert tally.checks > 0
