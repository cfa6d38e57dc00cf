"""Fixtures and the session summary of the fault-injection suite.

Each scenario test attaches its figures to its report (``user_properties``), so the summary
adds them up on the controlling process, with or without pytest-xdist.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.responses import Response

from spokesync.emulators.okta import app as okta_app
from spokesync.emulators.okta.errors import (
    INTERNAL_ERROR_SUMMARY,
    RATE_LIMITED_SUMMARY,
    error_response,
)
from spokesync.emulators.okta.ratelimit import RateLimiter

TALLY_KEY = "fault_scenario"
_totals: Counter[str] = Counter()
_faults: Counter[str] = Counter()
_exit_codes: Counter[str] = Counter()


def _concurrency_shaped_faults(limiter: RateLimiter) -> Any:
    """Okta fault bodies whose 429 is the concurrency-limit one (limit 0, reset in 1 s).

    Workaround for an engine bug (tests/faults/test_engine_bugs.py, first test): the
    emulator's own injected 429 says "remaining 0, reset in 1 s" with the limit of a bucket
    whose real window resets later, and RateBudget then waits for that later reset (up to
    60 s) on every injected 429. Both shapes are real Okta answers; this one keeps runs short.
    """

    def fault_body(status: int) -> Response:
        if status == 429:
            response = error_response(429, "E0000047", RATE_LIMITED_SUMMARY)
            response.headers["x-rate-limit-limit"] = "0"
            response.headers["x-rate-limit-remaining"] = "0"
            response.headers["x-rate-limit-reset"] = str(math.ceil(limiter.clock()) + 1)
            return response
        return error_response(status, "E0000009", INTERNAL_ERROR_SUMMARY)

    return fault_body


@pytest.fixture
def okta_429_as_concurrency_limit(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(okta_app, "_fault_body_for", _concurrency_shaped_faults)
    yield


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "call":
        return
    for key, value in report.user_properties:
        if key != TALLY_KEY:
            continue
        tally = json.loads(str(value))
        _totals["scenarios"] += 1
        if hasattr(report, "wasxfail"):
            _totals["known_bug"] += 1
        else:
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
        f"{_totals['failed']} failed, {_totals['known_bug']} xfailed on an open engine bug); "
        f"syncs under faults: {_totals['runs']} "
        f"(exit codes {codes}); SIGKILLs: {_totals['kills']}; clean reruns: "
        f"{_totals['clean_reruns']}; faults injected: {sum(_faults.values())} ({faults}); "
        f"invariant checks passed: {_totals['checks']}"
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "faults: randomized fault-injection scenarios (deselect: -m 'not faults')"
    )
