"""Logging: structlog to stderr, human lines on a terminal, JSON lines elsewhere.

Every event passes through the secret redactor, then through :mod:`spokesync.inert` (a
hostile ``user_id`` in a log line is shown escaped, never interpreted by the terminal that
tails the log), before it is rendered.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import MutableMapping
from typing import Any

import stamina.instrumentation
import structlog

from spokesync import inert
from spokesync.redact import redact_event

#: the values ``--log-format`` accepts
FORMATS = ("auto", "json", "console")
#: the values ``--log-level`` accepts
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def default_level(as_json: bool) -> str:
    """A person at a terminal reads warnings and errors; a collector keeps INFO too."""
    return "INFO" if as_json else "WARNING"


def _inert_value(value: Any) -> Any:
    if isinstance(value, str):
        return inert.escape(value)
    if isinstance(value, dict):
        return {k: _inert_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_inert_value(v) for v in value]
    return value


def inert_event(
    logger: Any, method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: every string of the event shown escaped (a traceback keeps its
    line breaks, each line escaped). Place it after :func:`redact_event`."""
    for key, value in event_dict.items():
        if key in ("exc_info", "stack_info"):
            continue
        if key == "exception" and isinstance(value, str):
            event_dict[key] = inert.show_lines(value)
        else:
            event_dict[key] = _inert_value(value)
    return event_dict


_said: set[tuple[str, str]] = set()
_said_lock = threading.Lock()


def _json_line(data: Any, **options: Any) -> str:
    return inert.json_text(data, indent=None, **options)


def configure(*, json_lines: bool | None = None, level: str | None = None) -> None:
    """Configure structlog for the process; ``json_lines=None`` means JSON unless on a TTY,
    ``level=None`` the :func:`default_level` of that format."""
    as_json = (not sys.stderr.isatty()) if json_lines is None else json_lines
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer(serializer=_json_line)
        if as_json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    chosen = (level or default_level(as_json)).upper()
    with _said_lock:  # a new configuration (one a process; each command in tests) starts anew
        _said.clear()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            redact_event,
            # JSON lines escape in the serializer (a reader gets the data back); human lines
            # show each string escaped.
            *([] if as_json else [inert_event]),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping().get(chosen, logging.INFO)
        ),
        # Resolve sys.stderr at each use: tests and embedders swap it after configuration.
        logger_factory=lambda *_: structlog.PrintLogger(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    # stamina logs every retry it schedules; the engine logs one line per run instead
    # ("auth0: 3 calls retried after 429, 1 after 503").
    stamina.instrumentation.set_on_retry_hooks([])
    # httpx logs every request URL at INFO; our own events say what matters.
    logging.getLogger("httpx").setLevel(logging.WARNING)


def warn_once(logger: Any, event: str, **fields: Any) -> None:
    """Log the warning ``event`` with these ``fields`` the first time this process meets it,
    then never again (a command may open its clients twice; the service opens them every run)."""
    said = (event, repr(sorted(fields.items())))
    with _said_lock:
        if said in _said:
            return
        _said.add(said)
    logger.warning(event, **fields)
