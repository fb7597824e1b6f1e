"""Which failures are retried, and how long to wait: one policy, driven by tenacity.

Retried: 429 and MWS throttling, 500/502/503/504 (MWS InternalError/ServiceUnavailable), 408,
timeouts and dropped connections. Never retried: other 4xx (bad input, auth, not found), which
raise at once. Waits grow exponentially with jitter, are stretched to a ``Retry-After`` (capped),
and the attempts and the clock time of one call are both bounded. Each call that fails builds
its own tenacity controller, so retry counters are never shared between concurrent calls; a call
whose first attempt succeeds (nearly all of them) never builds one, which keeps the client cheap.

Added in 0.1.0.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import tenacity

from amzcancel.clock import Clock
from amzcancel.errors import (
    APIError,
    ConnectionFailed,
    RequestTimeout,
    ServerError,
    ThrottledError,
)
from amzcancel.transport._constants import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_MAX_RETRY_SECONDS,
    INITIAL_BACKOFF_SECONDS,
    MAX_BACKOFF_SECONDS,
    MAX_RETRY_AFTER_SECONDS,
)
from amzcancel.transport._stats import TransportStats

__all__ = ["RetryPolicy", "parse_retry_after"]

logger = logging.getLogger("amzcancel.transport.retry")

A = TypeVar("A")
R = TypeVar("R")

_RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
_RETRY_CODES = frozenset({"InternalError", "ServiceUnavailable", "RequestThrottled"})


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta seconds only); ``None`` when unusable."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    # inf and nan would stop a sync for ever or break the arithmetic: ignore them.
    if seconds != seconds or seconds in (float("inf"), float("-inf")) or seconds < 0:
        return None
    return min(seconds, MAX_RETRY_AFTER_SECONDS)


def is_retryable(exc: BaseException) -> bool:
    """True for transient faults: throttling, 408/5xx (not 501/505), timeouts, lost links."""
    if isinstance(exc, RequestTimeout | ConnectionFailed | ThrottledError):
        return True
    if isinstance(exc, APIError):
        if exc.status_code in _RETRY_STATUSES:
            return True
        if exc.code in _RETRY_CODES:
            return True
        return isinstance(exc, ServerError) and exc.status_code is None
    return False


class _OutOfTime(tenacity.stop.stop_base):
    """Stop when the next wait would take the call past its time budget (on our clock).

    The next wait is the backoff, or the rate-limit wait before the next attempt can be sent
    when that is longer (after a 429 the bucket is empty; a corrected rate may be slow).
    """

    def __init__(
        self, clock: Clock, start: float, budget: float, pacing: Callable[[], float] | None
    ) -> None:
        self._clock = clock
        self._start = start
        self._budget = budget
        self._pacing = pacing

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        upcoming = retry_state.upcoming_sleep or 0.0
        if self._pacing is not None:
            upcoming = max(upcoming, self._pacing())
        return self._clock.monotonic() - self._start + upcoming > self._budget


@dataclass(frozen=True)
class RetryPolicy:
    """How a call is retried.

    Attributes:
        max_retries: retries after the first attempt (0 disables retrying).
        max_retry_seconds: clock seconds one call may spend before it gives up.
        initial_backoff_seconds: the first wait; doubles on every further retry.
        max_backoff_seconds: the longest single wait (a ``Retry-After`` may ask for more,
            up to ``MAX_RETRY_AFTER_SECONDS``).
        rng: the jitter source (seed it for reproducible tests).

    Added in 0.1.0.
    """

    max_retries: int = DEFAULT_MAX_RETRIES
    max_retry_seconds: float = DEFAULT_MAX_RETRY_SECONDS
    initial_backoff_seconds: float = INITIAL_BACKOFF_SECONDS
    max_backoff_seconds: float = MAX_BACKOFF_SECONDS
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def backoff_seconds(self, attempt: int, exc: BaseException | None = None) -> float:
        """The wait before retry number ``attempt`` (1-based), with "equal jitter"."""
        base = min(self.max_backoff_seconds, self.initial_backoff_seconds * 2.0 ** (attempt - 1))
        wait: float = base / 2 + self.rng.uniform(0, base / 2)
        if isinstance(exc, ThrottledError | ServerError) and exc.retry_after is not None:
            wait = max(wait, min(exc.retry_after, MAX_RETRY_AFTER_SECONDS))
        return wait

    def _kwargs(
        self,
        *,
        clock: Clock,
        stats: TransportStats | None,
        label: str,
        pacing: Callable[[], float] | None,
        start: float | None,
    ) -> dict[str, Any]:
        start = clock.monotonic() if start is None else start

        def wait(state: tenacity.RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            return self.backoff_seconds(state.attempt_number, exc)

        def before_sleep(state: tenacity.RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            if stats is not None:
                stats.record_retry()
            logger.warning(
                "%s failed (%s); retry %d of %d in %.2fs",
                label,
                exc,
                state.attempt_number,
                self.max_retries,
                state.upcoming_sleep or 0.0,
            )

        stop = tenacity.stop_after_attempt(self.max_retries + 1) | _OutOfTime(
            clock, start, self.max_retry_seconds, pacing
        )
        return {
            "stop": stop,
            "wait": wait,
            "retry": tenacity.retry_if_exception(is_retryable),
            "before_sleep": before_sleep,
            "reraise": True,
        }

    def retrying(
        self,
        *,
        clock: Clock,
        stats: TransportStats | None = None,
        label: str = "request",
        pacing: Callable[[], float] | None = None,
        start: float | None = None,
    ) -> tenacity.Retrying:
        """A fresh tenacity controller for one blocking call, sleeping on ``clock``.

        ``pacing`` tells the rate-limit wait the next attempt would have before it is sent, so
        that the time budget covers it too; ``start`` is when the call began (default: now).
        """
        return tenacity.Retrying(
            sleep=clock.sleep,
            **self._kwargs(clock=clock, stats=stats, label=label, pacing=pacing, start=start),
        )

    def async_retrying(
        self,
        *,
        clock: Clock,
        stats: TransportStats | None = None,
        label: str = "request",
        pacing: Callable[[], float] | None = None,
        start: float | None = None,
    ) -> tenacity.AsyncRetrying:
        """A fresh tenacity controller for one async call, sleeping on ``clock``."""
        return tenacity.AsyncRetrying(
            sleep=clock.asleep,
            **self._kwargs(clock=clock, stats=stats, label=label, pacing=pacing, start=start),
        )

    def call(
        self,
        attempt: Callable[[A], R],
        argument: A,
        *,
        clock: Clock,
        stats: TransportStats | None = None,
        label: str = "request",
        pacing: Callable[[], float] | None = None,
    ) -> R:
        """``attempt(argument)``, retried by :meth:`retrying` if its first try fails.

        The first try runs without a tenacity controller; a retryable failure hands the call
        to one, which counts that failure as its first attempt (same waits, budget, logs).

        Added in 0.2.0.
        """
        start = clock.monotonic()
        try:
            return attempt(argument)
        except Exception as exc:
            if not self._retries(exc):
                raise
            failure = exc
        pending = [failure]

        def again(value: A) -> R:
            if pending:
                raise pending.pop()
            return attempt(value)

        retrying = self.retrying(clock=clock, stats=stats, label=label, pacing=pacing, start=start)
        return retrying(again, argument)

    async def acall(
        self,
        attempt: Callable[[A], Awaitable[R]],
        argument: A,
        *,
        clock: Clock,
        stats: TransportStats | None = None,
        label: str = "request",
        pacing: Callable[[], float] | None = None,
    ) -> R:
        """The async twin of :meth:`call`.

        Added in 0.2.0.
        """
        start = clock.monotonic()
        try:
            return await attempt(argument)
        except Exception as exc:
            if not self._retries(exc):
                raise
            failure = exc
        pending = [failure]

        async def again(value: A) -> R:
            if pending:
                raise pending.pop()
            return await attempt(value)

        retrying = self.async_retrying(
            clock=clock, stats=stats, label=label, pacing=pacing, start=start
        )
        result: R = await retrying(again, argument)
        return result

    def _retries(self, exc: BaseException) -> bool:
        return self.max_retries > 0 and is_retryable(exc)
