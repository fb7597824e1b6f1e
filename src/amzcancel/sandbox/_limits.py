"""Per-operation token buckets at Amazon's documented rates, times a speed factor.

Rates and bursts are Amazon's defaults (the usage plans in the official models; MWS from its
throttling tables, shared/reference/amazon-facts.md sections 1.2 and 4.5). ``speed`` multiplies
every rate and leaves bursts alone, so a faster simulation refills faster but never lets more
through at once.

Added in 0.1.0.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from amzcancel._bucket import TokenBucket
from amzcancel._clock import Clock

__all__ = ["RATE_LIMITS", "RateLimit", "RateLimits"]


@dataclass(frozen=True)
class RateLimit:
    """One usage plan: ``rate`` requests per second, ``burst`` at once.

    Added in 0.1.0.
    """

    rate: float
    burst: int


RATE_LIMITS: dict[str, RateLimit] = {
    "orders-v0.getOrders": RateLimit(0.0167, 20),
    "orders-v0.getOrder": RateLimit(0.5, 30),
    "orders-v0.getOrderItems": RateLimit(0.5, 30),
    "orders-2026.searchOrders": RateLimit(0.0056, 20),
    "orders-2026.getOrder": RateLimit(0.5, 30),
    # MWS operations share a bucket with their ByNextToken twin.
    "mws.ListOrders": RateLimit(1 / 60, 6),
    "mws.ListOrderItems": RateLimit(1 / 2, 30),
    "feeds.createFeedDocument": RateLimit(0.5, 15),
    "feeds.createFeed": RateLimit(0.0083, 15),
    "feeds.getFeed": RateLimit(2.0, 15),
    "feeds.getFeedDocument": RateLimit(0.0222, 10),
}
"""Bucket key -> Amazon's default usage plan."""


def format_rate(rate: float) -> str:
    """The ``x-amzn-RateLimit-Limit`` text of a rate (``0.0167``, ``0.5``, ``2``)."""
    return f"{rate:.6g}"


class RateLimits:
    """The marketplace's buckets; refuse a request when its bucket is empty.

    Args:
        clock: whose :meth:`~amzcancel._clock.Clock.monotonic` drives the refill.
        speed: multiplies every rate.
        enabled: False turns limiting off (every request passes).

    Added in 0.1.0.
    """

    def __init__(self, clock: Clock, *, speed: float, enabled: bool) -> None:
        self._clock = clock
        self._speed = speed
        self.enabled = enabled
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()

    def rate(self, key: str) -> float:
        """The effective rate of bucket ``key`` (Amazon's rate times the speed factor)."""
        return RATE_LIMITS[key].rate * self._speed

    def header(self, key: str) -> tuple[str, str]:
        """The ``x-amzn-RateLimit-Limit`` header for bucket ``key``."""
        return ("x-amzn-RateLimit-Limit", format_rate(self.rate(key)))

    def try_take(self, key: str) -> bool:
        """Take a token from bucket ``key``; False means answer 429 (MWS: 503)."""
        if not self.enabled:
            return True
        now = self._clock.monotonic()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                plan = RATE_LIMITS[key]
                bucket = TokenBucket(plan.rate * self._speed, plan.burst, now=now)
                self._buckets[key] = bucket
        return bucket.try_take(now)
