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
