"""Token-bucket arithmetic shared by the client's pacer and the sandbox's enforcer.

Amazon meters every SP-API operation with a token bucket: tokens are added at ``rate`` per
second up to ``burst``; each request takes one; a request finding the bucket empty gets a 429
(https://developer-docs.amazon.com/sp-api/docs/usage-plans-and-rate-limits). The client uses
:meth:`TokenBucket.reserve` to wait its turn; the sandbox uses :meth:`TokenBucket.try_take` to
refuse. Times are seconds on a monotonic clock supplied by the caller, so both run on fake time.

Added in 0.1.0.
"""

from __future__ import annotations

import threading

__all__ = ["TokenBucket"]


_ROUNDING = 1e-9
"""Tokens lost to float rounding: a token due after ``missing / rate`` seconds refills as
``wait * rate``, which can come out a hair under one. Without this margin a client that paces
itself exactly (it waits what :meth:`TokenBucket.reserve` says) is refused by a server bucket
doing the same arithmetic."""


class TokenBucket:
    """A thread-safe token bucket driven by caller-supplied monotonic timestamps.

    Args:
        rate: tokens added per second (Amazon's "rate").
        burst: the bucket's capacity (Amazon's "burst"); it starts full.
        now: the monotonic time at creation.
    """

    def __init__(self, rate: float, burst: int, *, now: float) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError(f"rate must be > 0 and burst >= 1, got {rate}, {burst}")
        self._rate = rate
        self._burst = burst
        self._tokens = float(burst)
        self._updated = now
        self._lock = threading.Lock()

    @property
    def rate(self) -> float:
        """Tokens added per second."""
        return self._rate

    @property
    def burst(self) -> int:
        """The bucket's capacity."""
        return self._burst

    def _refill(self, now: float) -> None:
        if now > self._updated:
            self._tokens = min(self._burst, self._tokens + (now - self._updated) * self._rate)
            self._updated = now

    def tokens(self, now: float) -> float:
        """Tokens available at ``now`` (may be negative while reservations are queued)."""
        with self._lock:
            self._refill(now)
            return self._tokens

    def try_take(self, now: float) -> bool:
        """Take a token if one is available at ``now``; the sandbox's 429 decision."""
        with self._lock:
            self._refill(now)
            if self._tokens >= 1.0 - _ROUNDING:
                self._tokens -= 1.0
                return True
            return False

    def reserve(self, now: float) -> float:
        """Take the next token, queueing behind earlier reservations.

        Returns the seconds the caller must wait before sending (0.0 when a token is there).
        Every caller gets its own slot, so concurrent callers never collide on one token.
        """
        with self._lock:
            self._refill(now)
            self._tokens -= 1.0
            if self._tokens >= 0.0:
                return 0.0
            return -self._tokens / self._rate

    def time_until_token(self, now: float) -> float:
        """Seconds from ``now`` until one token is available (0.0 if one is)."""
        with self._lock:
            self._refill(now)
            if self._tokens >= 1.0 - _ROUNDING:
                return 0.0
            return (1.0 - self._tokens) / self._rate

    def update(self, *, rate: float | None = None, burst: int | None = None, now: float) -> None:
        """Change the rate and/or burst (from ``x-amzn-RateLimit-Limit``), keeping the fill."""
        with self._lock:
            self._refill(now)
            if rate is not None and rate > 0:
                self._rate = rate
            if burst is not None and burst >= 1:
                self._burst = burst
                self._tokens = min(self._tokens, float(burst))
