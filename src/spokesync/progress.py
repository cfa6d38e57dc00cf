"""Progress of a long run: a rich progress display on a terminal, plain log lines otherwise."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import structlog
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

ProgressFn = Callable[[str, int], None]
log = structlog.get_logger("spokesync.progress")

#: seconds between two plain progress lines of the same phase
_LOG_EVERY = 5.0


@contextmanager
def progress_for(console: Console, *, enabled: bool = True) -> Iterator[ProgressFn]:
    """Yield a ``(phase, count)`` callback; counts add up per phase."""
    if enabled and console.is_terminal:
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TextColumn("{task.completed:>8.0f}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar:
            tasks: dict[str, TaskID] = {}

            def advance(phase: str, count: int) -> None:
                if phase not in tasks:
                    tasks[phase] = bar.add_task(phase, total=None)
                bar.advance(tasks[phase], count)

            yield advance
        return
    totals: dict[str, int] = {}
    last: dict[str, float] = {}

    def log_line(phase: str, count: int) -> None:
        totals[phase] = totals.get(phase, 0) + count
        now = time.monotonic()
        if now - last.get(phase, 0.0) >= _LOG_EVERY:
            last[phase] = now
            log.info("progress", phase=phase, done=totals[phase])

    yield log_line
