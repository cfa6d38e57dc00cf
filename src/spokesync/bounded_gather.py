"""Run many awaitables, at most ``limit`` at a time, and collect their results in order.

Observe reads profiles and Okta users this way, and the organizations code reads members and
resolves template groups this way: enough at once to hide latency, few enough for the
rate-limit budgets and the emulators' sockets.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

T = TypeVar("T")


async def bounded_gather(limit: int, jobs: Iterable[Callable[[], Awaitable[T]]]) -> list[T]:
    """Each job's result, in the jobs' order; at most ``limit`` jobs run at once."""
    semaphore = asyncio.Semaphore(limit)

    async def one(job: Callable[[], Awaitable[T]]) -> T:
        async with semaphore:
            return await job()

    return await asyncio.gather(*(one(job) for job in jobs))
