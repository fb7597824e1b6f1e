"""The sync window: which slice of Amazon's last-update timeline one run asks for.

Amazon lists orders by last-update time in a window ``(after, before]``. ``before`` must be at
least two minutes before the request reaches Amazon ("LastUpdatedBefore ... must be at least two
minutes before current time", Orders v0 and 2026-01-01 models), so the engine stays a safety
margin further back for clock skew between this machine and Amazon. ``after`` is the stored
cursor moved back by an overlap, because Amazon's index is eventually consistent: an order
updated just before the previous upper bound may become visible a little late. Re-reading the
overlap costs listing calls only; unchanged orders are not fetched again.

Added in 0.1.0.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = [
    "AMAZON_MIN_LAG",
    "DEFAULT_LOOKBACK",
    "DEFAULT_OVERLAP",
    "DEFAULT_SAFETY",
    "Window",
    "next_window",
    "reached_bound",
]

_log = logging.getLogger("amzcancel.sync")

AMAZON_MIN_LAG = timedelta(minutes=2)
"""Amazon refuses a ``LastUpdatedBefore`` later than this before the request time."""

DEFAULT_SAFETY = timedelta(seconds=30)
"""Extra distance from "now" beyond Amazon's two minutes, for clock skew and request latency."""

DEFAULT_OVERLAP = timedelta(minutes=5)
"""How far before the stored cursor each window starts again."""

DEFAULT_LOOKBACK = timedelta(days=7)
"""Where the first sync starts when no ``since`` is given."""


@dataclass(frozen=True, slots=True)
class Window:
    """A half-open slice ``(after, before]`` of last-update time.

    Added in 0.1.0.
    """

    after: datetime
    """The lower bound sent as ``LastUpdatedAfter``."""
    before: datetime
    """The upper bound sent as ``LastUpdatedBefore``."""

    @property
    def is_empty(self) -> bool:
        """True when there is nothing to ask for (the upper bound is not after the lower)."""
        return self.before <= self.after

    def first_part(self, span: timedelta) -> Window:
        """The leading part of this window, at most ``span`` long."""
        return Window(self.after, min(self.before, (self.after + span).replace(microsecond=0)))


def next_window(
    *,
    cursor: datetime | None,
    now: datetime,
    since: datetime | None = None,
    overlap: timedelta = DEFAULT_OVERLAP,
    safety: timedelta = DEFAULT_SAFETY,
    lookback: timedelta = DEFAULT_LOOKBACK,
) -> Window:
    """The window one sync run should cover.

    Args:
        cursor: the stored cursor (the upper bound Amazon echoed last time), or ``None`` on the
            first run.
        now: the current time, from the engine's clock.
        since: where a first run starts; ``now - lookback`` when ``None``. Ignored once a
            cursor exists, so a rerun never skips what the cursor has not covered.
        overlap: how far before the cursor to start again.
        safety: extra margin beyond Amazon's two-minute rule.
        lookback: the first run's default reach into the past.

    Returns:
        The window; :attr:`Window.is_empty` when the cursor is already within the safety margin
        of ``now``.
    """
    # Whole seconds, as Amazon echoes them: the echoed cursor then equals the bound asked for.
    before = (now - AMAZON_MIN_LAG - safety).replace(microsecond=0)
    after = cursor - overlap if cursor is not None else since or now - lookback
    return Window(after=after, before=before)


def reached_bound(echoes: Iterable[datetime], window: Window) -> datetime:
    """How far a window's listing really reached: the next cursor.

    Amazon echoes the upper bound it applied (``LastUpdatedBefore``); it may be earlier than the
    one asked for (a bound too close to its "now" is lowered), and then the earliest echo is
    what was covered. An echo outside the window is not believed: one later than the bound asked
    for cannot have been applied, and one before the window's start (a server echoing
    2001-01-01) would move the cursor back and make the next run re-read years.
    """
    reached = window.before
    for echo in echoes:
        if echo < window.after:
            _log.warning(
                "ignoring an echoed upper bound %s before the window's start %s",
                echo.isoformat(),
                window.after.isoformat(),
            )
        elif echo < reached:
            reached = echo
    return reached
