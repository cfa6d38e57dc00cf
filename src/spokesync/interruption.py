"""Stopping a command-line run on SIGINT or SIGTERM, honestly.

The run starts no new action, lets those in flight return, records itself ``interrupted``
with what its journal says it applied, and the process exits 130 (SIGINT) or 143 (SIGTERM),
the codes a shell gives a process killed by those signals (128 + the signal number).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Awaitable, Callable

from spokesync.engine import Engine, RunResult
from spokesync.run_records import applied_phrase

EXIT_SIGINT = 128 + signal.SIGINT
EXIT_SIGTERM = 128 + signal.SIGTERM


class Interrupted(Exception):
    """A run stopped by a signal; ``result`` is what it recorded (None if it never started)."""

    def __init__(self, signal_name: str, exit_code: int, result: RunResult | None) -> None:
        super().__init__(signal_name)
        self.signal_name = signal_name
        self.exit_code = exit_code
        self.result = result

    def line(self) -> str:
        """One line: what the run applied before it stopped, and that a rerun finishes it."""
        result = self.result
        if result is None or not result.summary:
            return f"interrupted by {self.signal_name} before the run started; nothing changed"
        if result.mode == "plan":
            return f"plan {result.run_id} interrupted by {self.signal_name}; nothing changed"
        applied = applied_phrase(result.summary)
        return (
            f"run {result.run_id} interrupted by {self.signal_name}: applied {applied}; "
            "run spokesync sync again to finish the job"
        )


def run_interruptibly(engine: Engine, call: Callable[[], Awaitable[RunResult]]) -> RunResult:
    """``asyncio.run(call())``, turning SIGINT and SIGTERM into :class:`Interrupted` once the
    engine has recorded the run (SIGINT cancels the run through asyncio's own handler; SIGTERM
    through ours, in place of the default of dying on the spot)."""
    received: list[str] = []

    async def main() -> RunResult:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None

        def on_sigterm() -> None:
            received.append("SIGTERM")
            task.cancel()

        installed = False
        with contextlib.suppress(ValueError, RuntimeError, NotImplementedError):
            loop.add_signal_handler(signal.SIGTERM, on_sigterm)  # main thread only
            installed = True
        try:
            return await call()
        finally:
            if installed:
                loop.remove_signal_handler(signal.SIGTERM)

    try:
        return asyncio.run(main())
    except KeyboardInterrupt:
        raise Interrupted("SIGINT", EXIT_SIGINT, engine.last_result) from None
    except asyncio.CancelledError:
        if received:
            raise Interrupted("SIGTERM", EXIT_SIGTERM, engine.last_result) from None
        raise
