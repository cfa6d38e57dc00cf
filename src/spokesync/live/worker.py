"""The service's live poller on a thread of its own, so its clients outlive each poll.

The service runs every run through its run queue, each engine run on a worker thread with a
loop of its own. Live mode is different: its poller keeps API clients (and their connections
and rate-limit budgets) open between polls, so an idle poll costs one request per log. Those
clients belong to one event loop, so the poller lives on one thread with one loop for the
whole life of the service, and each poll the queue starts is sent to that thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from spokesync.clients import TransportFor
from spokesync.config import Config
from spokesync.live.poller import LiveOutcome, LivePoller
from spokesync.store import open_store
from spokesync.store.base import Fence, Store

_T = TypeVar("_T")


class LiveWorker:
    """A :class:`LivePoller` with its own store, thread and event loop; ``poll`` from any loop."""

    def __init__(
        self,
        config: Config,
        *,
        fence: Fence | None = None,
        transport_for: TransportFor | None = None,
    ) -> None:
        self._config = config
        self._fence = fence
        self._transport_for = transport_for
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="live")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._store: Store | None = None
        self._poller: LivePoller | None = None

    async def poll(self, run_id: str | None = None) -> LiveOutcome:
        """One poll (read the logs, sync what they touched, advance the cursors); a run it
        makes has ``run_id`` (the id the run queue announced), when given."""
        return await self._on_thread(lambda: self._poll_on_thread(run_id))

    async def close(self) -> None:
        """Close the poller's clients, its store and its loop; the thread ends."""
        await self._on_thread(self._close_on_thread)
        self._thread.shutdown(wait=True)

    async def _on_thread(self, work: Callable[[], _T]) -> _T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, work)

    def _poll_on_thread(self, run_id: str | None) -> LiveOutcome:
        if self._poller is None:
            self._loop = asyncio.new_event_loop()
            self._store = open_store(self._config.state.url)
            if self._fence is not None:
                self._store.fence_with(self._fence)  # a deposed leader's poll writes nothing
            poller = LivePoller(self._config, self._store, transport_for=self._transport_for)
            self._poller = self._loop.run_until_complete(poller.__aenter__())
        assert self._loop is not None
        return self._loop.run_until_complete(self._poller.poll_once(run_id))

    def _close_on_thread(self) -> None:
        if self._loop is None:
            return
        try:
            if self._poller is not None:
                self._loop.run_until_complete(self._poller.__aexit__(None, None, None))
        finally:
            self._loop.close()
            if self._store is not None:
                self._store.close()
            self._loop = self._poller = self._store = None
