"""Clocks: the real one, and a fake one tests and the sandbox can drive.

Everything that waits or reads the time (rate limiter, retries, sync windows, sandbox) takes a
:class:`Clock`, so tests run on simulated time and never sleep::

    from datetime import timedelta
    from amzcancel.clock import FakeClock

    clock = FakeClock()
    clock.advance(timedelta(minutes=5))     # or clock.advance(300)

Added in 0.1.0 (as ``amzcancel._clock``; public as ``amzcancel.clock`` since 0.2.0).
"""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "FakeClock", "SystemClock"]


@runtime_checkable
class Clock(Protocol):
    """What the library needs of a clock."""

    def now(self) -> datetime:
        """The current wall-clock time, timezone-aware UTC."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (for rate limiting)."""
        ...

    def sleep(self, seconds: float) -> None:
        """Block the calling thread for ``seconds``."""
        ...

    async def asleep(self, seconds: float) -> None:
        """Suspend the calling task for ``seconds``."""
        ...

    def sleep_until(self, deadline: float) -> None:
        """Block until :meth:`monotonic` reaches ``deadline`` (returns at once if past)."""
        ...

    async def asleep_until(self, deadline: float) -> None:
        """Suspend the calling task until :meth:`monotonic` reaches ``deadline``."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    async def asleep(self, seconds: float) -> None:
        await asyncio.sleep(max(seconds, 0.0))

    def sleep_until(self, deadline: float) -> None:
        self.sleep(deadline - time.monotonic())

    async def asleep_until(self, deadline: float) -> None:
        await self.asleep(deadline - time.monotonic())


class FakeClock:
    """A clock that only moves when told to, or when someone sleeps on it.

    ``sleep``/``asleep`` advance the clock by the requested time at once, so code that paces
    itself runs instantly while its clock-time behaviour stays exact. ``sleep_until`` and
    ``asleep_until`` move it to a deadline only if it is not there yet, so concurrent tasks that
    each wait for their own slot (the rate limiter) end at the latest slot, not at the sum of
    their waits. ``slept`` records each wait.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._start = start or datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
        self._elapsed = 0.0
        self._lock = threading.Lock()
        self.slept: list[float] = []

    def now(self) -> datetime:
        with self._lock:
            return self._start + timedelta(seconds=self._elapsed)

    def monotonic(self) -> float:
        with self._lock:
            return self._elapsed

    def advance(self, seconds: float | timedelta) -> None:
        """Move the clock forward by ``seconds`` (a number of seconds or a timedelta)."""
        if isinstance(seconds, timedelta):
            seconds = seconds.total_seconds()
        if seconds < 0:
            raise ValueError("a clock cannot go back")
        with self._lock:
            self._elapsed += seconds

    def sleep(self, seconds: float) -> None:
        seconds = max(seconds, 0.0)
        self.slept.append(seconds)
        self.advance(seconds)

    async def asleep(self, seconds: float) -> None:
        seconds = max(seconds, 0.0)
        self.slept.append(seconds)
        self.advance(seconds)
        await asyncio.sleep(0)

    def _advance_to(self, deadline: float) -> None:
        with self._lock:
            wait = max(deadline - self._elapsed, 0.0)
            self._elapsed += wait
        self.slept.append(wait)

    def sleep_until(self, deadline: float) -> None:
        self._advance_to(deadline)

    async def asleep_until(self, deadline: float) -> None:
        self._advance_to(deadline)
        await asyncio.sleep(0)
