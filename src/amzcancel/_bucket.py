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
from typing import NamedTuple

__all__ = ["Slot", "TokenBucket"]


class Slot(NamedTuple):
    """One reservation: its wait, whether it opened the bucket's refill, and its shift mark.

    Added in 0.2.0.
    """

    wait: float
    """Seconds to wait before sending."""
    opened: bool
    """The take found the bucket full: report its answer with :meth:`TokenBucket.answered`."""
    mark: float
    """Pass to :meth:`TokenBucket.shifted_since` after the wait."""


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
        self._opened_at: float | None = None
        self._shifted = 0.0  # seconds every queued reservation moved, in all (see answered)
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
        return self.reserve_slot(now, track=False).wait

    def reserve_slot(self, now: float, *, track: bool = True) -> Slot:
        """:meth:`reserve`, with what the caller needs to report the answer (:class:`Slot`).

        A take from a full bucket starts its refill, here at ``now``; on the server it starts
        when the request arrives, up to a round trip later. Until the caller reports the
        answer with :meth:`answered`, this bucket's refill counts from ``now``; :meth:`answered`
        then moves it to the latest moment it can have started, and a caller already queued
        waits :meth:`shifted_since` its slot's ``mark`` longer. With ``track=False`` the take
        is not followed (a caller that never reports answers, such as :meth:`reserve`).

        Added in 0.2.0.
        """
        with self._lock:
            self._refill(now)
            opened = track and self._tokens >= self._burst - _ROUNDING
            if opened:
                self._opened_at = now
            self._tokens -= 1.0
            wait = 0.0 if self._tokens >= 0.0 else -self._tokens / self._rate
            return Slot(wait, opened, self._shifted)

    def awaiting_answer(self) -> bool:
        """The call that opened the refill (see :meth:`reserve_slot`) has no answer yet."""
        with self._lock:
            return self._opened_at is not None

    def shifted_since(self, mark: float) -> float:
        """Seconds queued reservations moved since a slot's ``mark`` (0.0 when none did)."""
        with self._lock:
            return self._shifted - mark

    def answered(self, now: float) -> None:
        """The request whose take found the bucket full (see :meth:`reserve_slot`) got its
        answer at ``now``: the server's refill started at the latest then.

        The refill counted since the take is given back: the next request after the burst
        then waits for the server's token, not for the client's, one round trip earlier (a
        429 on the first request after every burst otherwise). All of it, not one token's
        worth: on a starved machine a request may leave long after it was paced, and its
        arrival, not its pacing, is when Amazon's refill begins.

        Added in 0.2.0.
        """
        with self._lock:
            opened, self._opened_at = self._opened_at, None
            if opened is None or now <= opened:
                return
            self._refill(now)
            lost = (now - opened) * self._rate
            self._tokens -= lost
            self._shifted += lost / self._rate

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
