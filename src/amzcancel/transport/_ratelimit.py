"""Pacing: one token bucket per (selling partner, operation), waited on before sending.

Amazon meters each operation with a token bucket (rate per second, burst). A client that waits
for its own token before every request runs at exactly the documented rate and is almost never
refused, instead of firing until a 429 and then sleeping. Buckets start full with the
documented usage plan and take the rate from ``x-amzn-RateLimit-Limit`` when a response carries
it ("when available", on successful responses only; the header has no burst).
https://developer-docs.amazon.com/sp-api/docs/usage-plans-and-rate-limits

Added in 0.1.0.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Mapping

from amzcancel._bucket import Slot, TokenBucket
from amzcancel.clock import Clock, SystemClock
from amzcancel.transport._constants import (
    MWS_RATE_LIMITS,
    PACING_MARGIN_SECONDS,
    SPAPI_RATE_LIMITS,
    RateLimit,
)

__all__ = ["RateLimiter", "parse_rate_limit_header"]

logger = logging.getLogger("amzcancel.transport.ratelimit")

_RATE_TOLERANCE = 1e-9
MIN_HEADER_RATE_PER_SECOND = 1 / 3600
"""The slowest ``x-amzn-RateLimit-Limit`` adopted (Amazon's slowest plan is 0.0056/s): a header
of ``1e-300`` would otherwise pace the next call for longer than a clock can sleep."""


def parse_rate_limit_header(value: str | None) -> float | None:
    """The rate in ``x-amzn-RateLimit-Limit`` (requests per second), or ``None`` if unusable."""
    if value is None:
        return None
    try:
        rate = float(value.strip())
    except ValueError:
        return None
    if not math.isfinite(rate) or rate < MIN_HEADER_RATE_PER_SECOND:
        return None
    return rate


ANSWER_POLL_SECONDS = 0.02
"""How often a call past the burst looks whether the burst's first call has its answer."""

ANSWER_WAIT_LIMIT_SECONDS = 30.0
"""The longest a call past the burst waits for that answer (a request's own timeout)."""


class RateLimiter:
    """Token buckets keyed by (selling partner, bucket name), shared by concurrent calls.

    One limiter may serve several clients of the same seller (pass it as ``rate_limiter=``) so
    that together they keep to the seller's quota. Every caller reserves its own slot, so
    concurrent callers never collide on one token; on a fake clock they finish at the latest
    slot.

    Args:
        clock: the clock waits run on; :class:`~amzcancel.clock.SystemClock` by default.
        limits: operation name -> :class:`RateLimit`; defaults to Amazon's documented SP-API
            and MWS usage plans. Operations not in the table are not paced.

    Added in 0.1.0.
    """

    def __init__(
        self, *, clock: Clock | None = None, limits: Mapping[str, RateLimit] | None = None
    ) -> None:
        self._clock: Clock = clock or SystemClock()
        self._limits = (
            dict(limits) if limits is not None else {**SPAPI_RATE_LIMITS, **MWS_RATE_LIMITS}
        )
        self._buckets: dict[tuple[str, str], TokenBucket] = {}
        self._lock = threading.Lock()

    @property
    def clock(self) -> Clock:
        """The clock this limiter waits on."""
        return self._clock

    def bucket(self, partner: str, operation: str) -> TokenBucket | None:
        """The bucket an operation draws from (created on first use), or ``None`` if unpaced."""
        plan = self._limits.get(operation)
        if plan is None:
            return None
        key = (partner, plan.bucket)
        with self._lock:
            found = self._buckets.get(key)
            if found is None:
                found = TokenBucket(plan.rate, plan.burst, now=self._clock.monotonic())
                self._buckets[key] = found
            return found

    def time_until_token(self, partner: str, operation: str | None) -> float:
        """Seconds until ``operation`` has a token for ``partner`` (0.0 now, or when unpaced)."""
        bucket = None if operation is None else self.bucket(partner, operation)
        return 0.0 if bucket is None else bucket.time_until_token(self._clock.monotonic())

    def reserve(self, partner: str, operation: str | None) -> float:
        """Take the next slot; return the monotonic deadline to wait until (now if free)."""
        return self._reserve(partner, operation, track=False)[0]

    def _reserve(
        self, partner: str, operation: str | None, *, track: bool = True
    ) -> tuple[float, TokenBucket | None, Slot | None]:
        now = self._clock.monotonic()
        bucket = None if operation is None else self.bucket(partner, operation)
        if bucket is None:
            return now, None, None
        slot = bucket.reserve_slot(now, track=track)
        deadline = now + slot.wait + PACING_MARGIN_SECONDS if slot.wait > 0 else now
        return deadline, bucket, slot

    def acquire(self, partner: str, operation: str | None) -> float:
        """Wait (blocking) for a token; return the seconds waited.

        The take is not followed: a caller that reports answers uses :meth:`acquire_slot`.
        """
        return self._acquire(partner, operation, track=False)[0]

    def acquire_slot(self, partner: str, operation: str | None) -> tuple[float, bool]:
        """:meth:`acquire`, also saying whether the take opened the bucket's refill: when it
        did, report the answer's arrival with :meth:`answered`.

        Added in 0.2.0.
        """
        return self._acquire(partner, operation, track=True)

    def _acquire(self, partner: str, operation: str | None, *, track: bool) -> tuple[float, bool]:
        start = self._clock.monotonic()
        deadline, bucket, slot = self._reserve(partner, operation, track=track)
        if bucket is None or slot is None:
            return 0.0, False
        if slot.wait > 0:
            self._clock.sleep_until(deadline)
            # Past the burst, a call waits for the burst's first answer: Amazon's refill may
            # not have started before it.
            patience = self._clock.monotonic() + ANSWER_WAIT_LIMIT_SECONDS
            while bucket.awaiting_answer() and self._clock.monotonic() < patience:
                self._clock.sleep(ANSWER_POLL_SECONDS)
            shifted = bucket.shifted_since(slot.mark)
            if shifted > 0:
                deadline += shifted
                self._clock.sleep_until(deadline)
            deadline = max(deadline, self._clock.monotonic())
        return max(deadline - start, 0.0), slot.opened

    async def async_acquire(self, partner: str, operation: str | None) -> float:
        """Wait (in the event loop) for a token; return the seconds waited (not followed, as
        :meth:`acquire`)."""
        return (await self._async_acquire(partner, operation, track=False))[0]

    async def async_acquire_slot(self, partner: str, operation: str | None) -> tuple[float, bool]:
        """:meth:`async_acquire`, also saying whether the take opened the bucket's refill.

        Added in 0.2.0.
        """
        return await self._async_acquire(partner, operation, track=True)

    async def _async_acquire(
        self, partner: str, operation: str | None, *, track: bool
    ) -> tuple[float, bool]:
        start = self._clock.monotonic()
        deadline, bucket, slot = self._reserve(partner, operation, track=track)
        if bucket is None or slot is None:
            return 0.0, False
        if slot.wait > 0:
            await self._clock.asleep_until(deadline)
            patience = self._clock.monotonic() + ANSWER_WAIT_LIMIT_SECONDS
            while bucket.awaiting_answer() and self._clock.monotonic() < patience:
                await self._clock.asleep(ANSWER_POLL_SECONDS)
            shifted = bucket.shifted_since(slot.mark)
            if shifted > 0:
                deadline += shifted
                await self._clock.asleep_until(deadline)
            deadline = max(deadline, self._clock.monotonic())
        return max(deadline - start, 0.0), slot.opened

    def answered(self, partner: str, operation: str | None) -> None:
        """The call that opened ``operation``'s bucket (see :meth:`acquire_slot`) got its
        answer now: Amazon's refill started by then, so ours counts from then too, and the
        calls already waiting for a token after the burst wait that much longer.

        Added in 0.2.0.
        """
        bucket = None if operation is None else self.bucket(partner, operation)
        if bucket is not None:
            bucket.answered(self._clock.monotonic())

    def observe_rate(self, partner: str, operation: str | None, rate: float) -> None:
        """Adopt the rate Amazon reported in ``x-amzn-RateLimit-Limit``."""
        bucket = None if operation is None else self.bucket(partner, operation)
        if bucket is None or abs(bucket.rate - rate) <= _RATE_TOLERANCE:
            return
        logger.info(
            "%s: rate limit corrected from %g to %g requests/s", operation, bucket.rate, rate
        )
        bucket.update(rate=rate, now=self._clock.monotonic())

    def on_throttled(self, partner: str, operation: str | None) -> None:
        """Amazon's bucket is empty: empty ours too, so the retry waits for a fresh token."""
        bucket = None if operation is None else self.bucket(partner, operation)
        if bucket is None:
            return
        now = self._clock.monotonic()
        # Bounded by the burst: try_take fails as soon as the bucket holds less than a token.
        while bucket.try_take(now):
            pass

    def __repr__(self) -> str:
        return f"RateLimiter(buckets={len(self._buckets)})"
