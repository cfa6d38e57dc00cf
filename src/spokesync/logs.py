"""Logging: structlog to stderr, human-readable on a terminal, JSON lines elsewhere.

Every event passes through the secret redactor before it is rendered.
"""

from __future__ import annotations

import logging
import sys

import stamina.instrumentation
import structlog

from spokesync.redact import redact_event


def configure(*, json_lines: bool | None = None, level: str = "INFO") -> None:
    """Configure structlog for the process; ``json_lines=None`` means JSON unless on a TTY."""
    as_json = (not sys.stderr.isatty()) if json_lines is None else json_lines
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if as_json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact_event,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
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
