"""Engine pieces that the end-to-end tests do not single out."""

from __future__ import annotations

from spokesync.domain import Action, ActionKind, Outcome, Plan, Situation
from spokesync.engine import RunResult


def test_a_run_result_repr_stays_short_however_large_the_plan() -> None:
    # asyncio.run (Python 3.11) formats the main task's result with repr on its way out; a
    # repr holding the plan cost a 100,000-identity run hundreds of MB at its very end.
    actions = tuple(
        Action(ActionKind.LINK, f"apac:auth0|{i}", Situation.UNLINKED, "already in Okta")
        for i in range(2000)
    )
    result = RunResult(
        "20261127T041500Z-3f9a1c",
        "sync",
        0,
        plan=Plan(actions),
        outcomes=[Outcome(a, "succeeded") for a in actions],
        summary={"skipped_reasons": ["x" * 100] * 2000},
    )
    assert len(repr(result)) < 200
    assert "20261127T041500Z-3f9a1c" in repr(result)
