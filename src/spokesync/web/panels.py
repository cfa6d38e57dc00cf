"""What the on-call person reads first on the dashboard: live mode's positions and lag, who
leads, and when the next scheduled run starts. Read from the store (what every replica sees)
and from this process (its own last poll, whether it leads); pure shaping, no API calls."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

from croniter import croniter

from spokesync.live.cursors import OKTA_LOGS, live_status, source_logs
from spokesync.live.touched import parse_time
from spokesync.run_queue import Leadership
from spokesync.store.base import Store
from spokesync.web.metrics import LastPoll

#: A position longer than this is shown cut (an Auth0 log_id has 56 characters).
POSITION_CHARS = 64


def duration(seconds: float | None) -> str:
    """``4 s``, ``3 min 5 s``, ``2 h 10 min``, ``3 d 4 h``; empty for None."""
    if seconds is None:
        return ""
    whole = max(0, int(seconds))
    if whole < 60:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


@dataclass(frozen=True, slots=True)
class Position:
    """Where live mode stands in one log."""

    log: str  # "Auth0 tenant log of apac", "Okta System Log"
    cursor: str
    value: str | None  # None: not read yet

    @property
    def short(self) -> str:
        """The position as a person compares it: an Okta ``next`` link by its ``after`` (or
        ``since``) value, anything too long cut in the middle."""
        text = self.value or ""
        if "?" in text:
            query = parse_qs(urlsplit(text).query)
            for key in ("after", "since"):
                if query.get(key):
                    text = f"{key}={query[key][0]}"
                    break
        if len(text) <= POSITION_CHARS:
            return text
        half = (POSITION_CHARS - 1) // 2
        return text[:half] + "…" + text[-half:]


@dataclass(frozen=True, slots=True)
class LivePanel:
    enabled: bool
    positions: list[Position]
    last_event_at: str | None
    lag: str  # now - newest event synced, readable; "" before any
    last_poll: LastPoll | None  # this process's; None on a standby or before the first
    last_poll_ago: str
    fallback_at: str | None
    fallback_reason: str | None


def live_panel(
    store: Store,
    sources: list[str],
    enabled: bool,
    last_poll: LastPoll | None,
    now: datetime,
) -> LivePanel:
    status = live_status(store, sources, now) or {}
    cursors = status.get("cursors") or {}
    positions = [
        Position(f"Auth0 tenant log of {s}", source_logs(s), cursors.get(source_logs(s)))
        for s in sources
    ]
    positions.append(Position("Okta System Log", OKTA_LOGS, cursors.get(OKTA_LOGS)))
    fallback = status.get("last_fallback")
    fallback_at, _, reason = (fallback or "").partition(" ")
    poll_moment = parse_time(last_poll.at) if last_poll is not None else None
    return LivePanel(
        enabled=enabled,
        positions=positions,
        last_event_at=status.get("last_event_at"),
        lag=duration(status.get("last_event_age_seconds")),
        last_poll=last_poll,
        last_poll_ago=duration((now - poll_moment).total_seconds()) if poll_moment else "",
        fallback_at=fallback_at or None,
        fallback_reason=reason or None,
    )


@dataclass(frozen=True, slots=True)
class LeaderPanel:
    leader: str | None  # host:pid
    since: str | None
    this_process_leads: bool
    seen_leader: str | None  # whom this process last saw leading (a standby's view)


def leader_panel(store: Store, leadership: Leadership) -> LeaderPanel:
    row = store.leader()
    return LeaderPanel(
        leader=row.owner if row is not None else None,
        since=row.since if row is not None else None,
        this_process_leads=leadership.is_leader(),
        seen_leader=leadership.leader(),
    )


@dataclass(frozen=True, slots=True)
class SchedulePanel:
    schedule: str
    next_at: datetime
    in_: str


def schedule_panel(schedule: str | None, now: datetime) -> SchedulePanel | None:
    """When the schedule next fires (None without a scheduler, or an unusable expression)."""
    if not schedule or not croniter.is_valid(schedule):
        return None
    moment: datetime = croniter(schedule, now).get_next(datetime)
    return SchedulePanel(schedule, moment, duration((moment - now).total_seconds()))
