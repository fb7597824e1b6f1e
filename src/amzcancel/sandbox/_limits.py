"""Per-operation token buckets at Amazon's documented rates, times a speed factor.

Rates and bursts are Amazon's defaults, read from the same table the clients pace themselves
with (``amzcancel.transport.SPAPI_RATE_LIMITS`` and ``MWS_RATE_LIMITS``). ``speed``
multiplies every rate and leaves bursts alone, so a faster simulation refills faster but never
lets more through at once.

Added in 0.1.0.
"""

from __future__ import annotations

import threading

from amzcancel.clock import Clock
from amzcancel.transport import MWS_RATE_LIMITS, SPAPI_RATE_LIMITS, RateLimit, TokenBucket

__all__ = ["BUCKET_OPERATIONS", "RateLimits", "usage_plan"]


BUCKET_OPERATIONS: dict[str, str] = {
    "orders-v0.getOrders": "getOrders",
    "orders-v0.getOrder": "getOrder",
    "orders-v0.getOrderItems": "getOrderItems",
    "orders-2026.searchOrders": "searchOrders",
    "orders-2026.getOrder": "getOrder",
    "feeds.createFeedDocument": "createFeedDocument",
    "feeds.createFeed": "createFeed",
    "feeds.getFeed": "getFeed",
    "feeds.getFeedDocument": "getFeedDocument",
    "notifications.createDestination": "createDestination",
    "notifications.getDestinations": "getDestinations",
    "notifications.deleteDestination": "deleteDestination",
    "notifications.createSubscription": "createSubscription",
    "notifications.getSubscription": "getSubscription",
    "notifications.deleteSubscriptionById": "deleteSubscriptionById",
    # MWS operations share a bucket with their ByNextToken twin.
    "mws.GetOrder": "GetOrder",
    "mws.ListOrders": "ListOrders",
    "mws.ListOrderItems": "ListOrderItems",
}
"""The marketplace's bucket keys and the operation whose usage plan each enforces. Each API
version keeps its own buckets (v0 and 2026-01-01 ``getOrder`` are metered apart)."""


def usage_plan(key: str) -> RateLimit:
    """Amazon's documented usage plan behind bucket ``key`` (the clients' own table)."""
    operation = BUCKET_OPERATIONS[key]
    return SPAPI_RATE_LIMITS.get(operation) or MWS_RATE_LIMITS[operation]


def format_rate(rate: float) -> str:
    """The ``x-amzn-RateLimit-Limit`` text of a rate (``0.0167``, ``0.5``, ``2``)."""
    return f"{rate:.6g}"


class RateLimits:
    """The marketplace's buckets; refuse a request when its bucket is empty.

    Args:
        clock: whose :meth:`~amzcancel.clock.Clock.monotonic` drives the refill.
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
        return usage_plan(key).rate * self._speed

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
                plan = usage_plan(key)
                bucket = TokenBucket(plan.rate * self._speed, plan.burst, now=now)
                self._buckets[key] = bucket
        return bucket.try_take(now)
