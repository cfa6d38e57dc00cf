"""Fixtures and the session summary of the fault-injection suite.

Each scenario test attaches its figures to its report (``user_properties``), so the summary
adds them up on the controlling process, with or without pytest-xdist.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

TALLY_KEY = "fault_scenario"
_totals: Counter[str] = Counter()
_faults: Counter[str] = Counter()
_exit_codes: Counter[str] = Counter()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "call":
        return
    for key, value in report.user_properties:
        if key != TALLY_KEY:
            continue
        tally = json.loads(str(value))
        _totals["scenarios"] += 1
        _totals["passed" if report.passed else "failed"] += 1
        for name in ("runs", "kills", "clean_reruns", "checks"):
            _totals[name] += int(tally[name])
        _faults.update(tally["faults"])
        _exit_codes.update(tally["exit_codes"])


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _totals["scenarios"]:
        return
    faults = ", ".join(f"{k} {v}" for k, v in sorted(_faults.items()))
    codes = ", ".join(f"{k}: {v}" for k, v in sorted(_exit_codes.items()))
    terminalreporter.write_sep("-", "fault-injection summary")
    terminalreporter.write_line(
        f"fault scenarios: {_totals['scenarios']} run ({_totals['passed']} passed, "
        f"{_totals['failed']} failed); "
        f"syncs under faults: {_totals['runs']} "
        f"(exit codes {codes}); SIGKILLs: {_totals['kills']}; clean reruns: "
        f"{_totals['clean_reruns']}; faults injected: {sum(_faults.values())} ({faults}); "
        f"invariant checks passed: {_totals['checks']}"
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "faults: randomized fault-injection scenarios (deselect: -m 'not faults')"
    )
