"""Progress of a long run: a rich progress bar on a terminal, a log line every few seconds
otherwise, and a word whenever the run waits for a rate-limit window (and for how long).

Observe and apply report ``(phase, done)`` and, when they know it, the phase's ``total``
(apply knows its actions); rate and ETA follow. Rate-limit waits reach us through
:func:`spokesync.http.observer.observing_waits`, so http/ knows nothing of terminals.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol

import structlog
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from spokesync import inert
from spokesync.http.observer import observing_waits

log = structlog.get_logger("spokesync.progress")

#: seconds between two plain progress lines of the same phase (not on a terminal)
LOG_EVERY = 5.0


class ProgressFn(Protocol):
    """What observe and apply report: ``done`` more of ``phase``, and its ``total`` if known."""

    def __call__(self, phase: str, done: int, /, *, total: int | None = None) -> None: ...


def no_progress(phase: str, done: int, /, *, total: int | None = None) -> None:
    """Report nowhere (the engine without a display)."""


class _RateColumn(ProgressColumn):
    """Items per second of a task, once rich has measured it."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.0f}/s", style="progress.data.speed")


class _Waits:
    """Says each rate-limit wait once: concurrent calls that wait for the same window end
    together, so a wait ending within a second of the last one said is the same wait."""

    def __init__(self, say: Callable[[str, float], None], clock: Callable[[], float]) -> None:
        self._say = say
        self._clock = clock
        self._until: dict[str, float] = {}

    def __call__(self, what: str, seconds: float) -> None:
        until = self._clock() + seconds
        if until <= self._until.get(what, 0.0) + 1.0:
            return
        self._until[what] = until
        self._say(what, seconds)


@contextmanager
def progress_for(
    console: Console, *, enabled: bool = True, clock: Callable[[], float] = time.monotonic
) -> Iterator[ProgressFn]:
    """Yield the run's progress callback, and watch its rate-limit waits, for the block."""
    if enabled and console.is_terminal:
        with _bar(console, clock) as advance:
            yield advance
        return
    totals: dict[str, int] = {}
    limits: dict[str, int] = {}
    first: dict[str, float] = {}
    last: dict[str, float] = {}

    def log_line(phase: str, done: int, /, *, total: int | None = None) -> None:
        now = clock()
        if total is not None:
            limits[phase] = total
        totals[phase] = totals.get(phase, 0) + done
        first.setdefault(phase, now)
        if now - last.get(phase, first[phase] - LOG_EVERY) < LOG_EVERY:
            return
        last[phase] = now
        count, elapsed = totals[phase], now - first[phase]
        fields: dict[str, object] = {"phase": phase, "done": count}
        rate = count / elapsed if elapsed > 0 else None
        if rate:
            fields["per_second"] = round(rate, 1)
        if phase in limits:
            fields["total"] = limits[phase]
            if rate:
                fields["eta_seconds"] = round(max(0, limits[phase] - count) / rate)
        log.info("progress", **fields)

    def said(what: str, seconds: float) -> None:
        log.info("waiting for a rate-limit window", limit=what, seconds=round(seconds, 1))

    with observing_waits(_Waits(said, clock)):
        yield log_line


@contextmanager
def _bar(console: Console, clock: Callable[[], float]) -> Iterator[ProgressFn]:
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _RateColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as bar:
        tasks: dict[str, TaskID] = {}
        waiting: list[TaskID] = []

        def advance(phase: str, done: int, /, *, total: int | None = None) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(inert.show(phase), total=total)
            elif total is not None:
                bar.update(tasks[phase], total=total)
            bar.advance(tasks[phase], done)

        def said(what: str, seconds: float) -> None:
            ends = time.strftime("%H:%M:%S", time.localtime(time.time() + seconds))
            text = f"waiting {seconds:.0f} s for the {inert.show(what)} rate-limit window"
            # Said above the bar too: a person who looks later still sees that it paced.
            bar.console.print(Text(f"{text} (until {ends})", style="yellow"))
            for task in waiting:
                bar.remove_task(task)
            waiting[:] = [bar.add_task(text, total=seconds)]

        with observing_waits(_Waits(said, clock)):
            yield advance
