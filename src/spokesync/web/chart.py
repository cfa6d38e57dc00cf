"""The dashboard's chart of runs over time, laid out here and drawn as SVG by a template.

One column per run, oldest on the left: a bar of the actions it applied, a red bar of the
identities that failed, a line of its duration on a scale of its own, and under the axis a
mark of its outcome (a run a guard refused is marked apart from one that failed: nothing went
wrong, someone must decide). Pure geometry: no JavaScript and no chart library; the template
escapes every text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from spokesync.engine import ACTION_COUNTS
from spokesync.store.base import RunRecord

WIDTH = 720
HEIGHT = 180
TOP = 10
BOTTOM = 36  # room for the outcome marks and the first and last run's time
MARK_GAP = 4
MARK_HEIGHT = 8
#: Outcomes with a mark style of their own; any other (running, locked...) is "other".
MARKED = frozenset({"succeeded", "partial", "failed", "refused"})
LEFT = 40
RIGHT = 50


def action_count(summary: Mapping[str, Any]) -> int:
    """How many actions a run's summary counts."""
    return sum(int(summary.get(key, 0) or 0) for key in ACTION_COUNTS)


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    title: str


@dataclass(frozen=True, slots=True)
class Mark:
    """A run's outcome under the axis; ``outcome`` names its style."""

    x: float
    y: float
    width: float
    height: float
    outcome: str
    title: str


@dataclass(frozen=True, slots=True)
class RunChart:
    width: int
    height: int
    plot_bottom: float
    actions: list[Bar]
    failures: list[Bar]
    outcomes: list[Mark]
    duration_points: str  # SVG polyline points
    max_actions: int
    max_seconds: float
    first_label: str
    last_label: str


def run_chart(runs: Sequence[RunRecord]) -> RunChart | None:
    """The chart of ``runs`` (newest first, as the store gives them), or None without runs."""
    if not runs:
        return None
    ordered = list(reversed(runs))
    plot_h = HEIGHT - TOP - BOTTOM
    bottom = float(HEIGHT - BOTTOM)
    step = (WIDTH - LEFT - RIGHT) / len(ordered)
    bar_w = max(1.0, step * 0.6)
    # A refused run applied nothing (its summary counts what it would have done).
    actions = [0 if r.outcome == "refused" else action_count(r.summary) for r in ordered]
    failed = [int(r.summary.get("failed", 0) or 0) for r in ordered]
    seconds = [float(r.summary.get("duration_seconds", 0.0) or 0.0) for r in ordered]
    top_count = max(1, *actions, *failed)
    top_seconds = max(0.001, *seconds)
    action_bars, failure_bars, marks, points = [], [], [], []
    for i, run in enumerate(ordered):
        x = LEFT + i * step + (step - bar_w) / 2
        outcome = run.outcome or "running"
        label = f"{run.started_at} {run.mode} {outcome}"
        marks.append(
            Mark(
                x,
                bottom + MARK_GAP,
                bar_w,
                MARK_HEIGHT,
                outcome if outcome in MARKED else "other",
                f"{label}: {_outcome_words(outcome)}",
            )
        )
        h = plot_h * actions[i] / top_count
        action_bars.append(Bar(x, bottom - h, bar_w / 2, h, f"{label}: {actions[i]} actions"))
        h = plot_h * failed[i] / top_count
        failure_bars.append(
            Bar(x + bar_w / 2, bottom - h, bar_w / 2, h, f"{label}: {failed[i]} failed")
        )
        cx = LEFT + i * step + step / 2
        cy = bottom - plot_h * seconds[i] / top_seconds
        points.append(f"{cx:.1f},{cy:.1f}")
    return RunChart(
        width=WIDTH,
        height=HEIGHT,
        plot_bottom=bottom,
        actions=action_bars,
        failures=failure_bars,
        outcomes=marks,
        duration_points=" ".join(points),
        max_actions=top_count,
        max_seconds=round(top_seconds, 2),
        first_label=ordered[0].started_at[:16].replace("T", " "),
        last_label=ordered[-1].started_at[:16].replace("T", " "),
    )


def _outcome_words(outcome: str) -> str:
    return {
        "refused": "refused by a guard (nothing applied)",
        "failed": "failed",
        "partial": "some identities failed",
        "succeeded": "succeeded",
    }.get(outcome, outcome)
