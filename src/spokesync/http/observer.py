"""A seam for watching the responses sessions receive, without the clients knowing who watches.

The service counts real API calls per service and status for its metrics: it sets an observer
for the duration of a run (a context variable, so tasks the run starts inherit it and other
runs in the same process are not affected), and :class:`~spokesync.http.session.ApiSession`
reports each exchange to whatever observer is set, if any.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

#: ``(service, status)``: the HTTP status as text, or ``"transport_error"`` when none came back.
ResponseObserver = Callable[[str, str], None]

TRANSPORT_ERROR = "transport_error"

_observer: ContextVar[ResponseObserver | None] = ContextVar(
    "spokesync_response_observer", default=None
)


@contextmanager
def observing(observer: ResponseObserver) -> Iterator[None]:
    """Report every exchange sent in this context (and the tasks it starts) to ``observer``."""
    token = _observer.set(observer)
    try:
        yield
    finally:
        _observer.reset(token)


def notify(service: str, status: int | None) -> None:
    """Tell the current observer, if any, that one exchange with ``service`` ended."""
    observer = _observer.get()
    if observer is not None:
        observer(service, TRANSPORT_ERROR if status is None else str(status))


#: ``(what, seconds)``: a call waits ``seconds`` for the rate-limit window of ``what``
#: (a bucket's name, or ``"<service> 429"`` for a retry after a 429).
WaitObserver = Callable[[str, float], None]

_wait_observer: ContextVar[WaitObserver | None] = ContextVar(
    "spokesync_wait_observer", default=None
)


@contextmanager
def observing_waits(observer: WaitObserver) -> Iterator[None]:
    """Report every rate-limit wait in this context (and the tasks it starts) to ``observer``:
    the command line says that it paces, and for how long, without http/ knowing who asks."""
    token = _wait_observer.set(observer)
    try:
        yield
    finally:
        _wait_observer.reset(token)


def notify_wait(what: str, seconds: float) -> None:
    """Tell the current wait observer, if any, that a call waits ``seconds`` for ``what``."""
    observer = _wait_observer.get()
    if observer is not None and seconds > 0:
        observer(what, seconds)
