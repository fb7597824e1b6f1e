"""Defaults and Amazon's documented rate limits, in one place.

Rates and bursts are copied from the usage-plan tables of the official models
(``ordersV0.json``, ``orders_2026-01-01.json``, ``feeds_2021-06-30.json``,
``reports_2021-06-30.json``) and, for MWS, from the throttling sections of the MWS Orders
2013-09-01 reference (shared/reference/amazon-facts.md sections 1.2, 2.2, 3.1, 4.5).

Added in 0.1.0.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from importlib import metadata

__all__ = [
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_MAX_RETRY_SECONDS",
    "DEFAULT_REQUEST_DEADLINE_SECONDS",
    "DEFAULT_TIMEOUT_SECONDS",
    "INITIAL_BACKOFF_SECONDS",
    "LWA_TOKEN_URL",
    "MAX_BACKOFF_SECONDS",
    "MAX_RETRY_AFTER_SECONDS",
    "MWS_ORDERS_PATH",
    "MWS_ORDERS_VERSION",
    "MWS_RATE_LIMITS",
    "PACING_MARGIN_SECONDS",
    "SPAPI_RATE_LIMITS",
    "TOKEN_REFRESH_MARGIN_SECONDS",
    "USER_AGENT",
    "RateLimit",
]

DEFAULT_TIMEOUT_SECONDS = 30.0
"""Connect/read/write/pool timeout of every request: the longest wait for any one step."""

DEFAULT_REQUEST_DEADLINE_SECONDS = 120.0
"""The longest one request attempt may take from connecting to its last byte (real time).

The timeout bounds each wait for data, so a server trickling a body slower than that but
faster than the timeout would otherwise hold a request for ever."""

DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024
"""The largest answer body read, after decoding (64 MiB; an Orders page is well under 1 MiB).

A larger answer is refused with a :class:`~amzcancel.errors.TransportError` instead of being
held in memory."""

DEFAULT_MAX_RETRIES = 5
"""Retries after the first attempt for transient faults (429, 5xx, timeouts, dropped links)."""

DEFAULT_MAX_RETRY_SECONDS = 900.0
"""Upper bound on the clock time one call may spend retrying (pacing waits included)."""

INITIAL_BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 30.0
MAX_RETRY_AFTER_SECONDS = 120.0
"""A ``Retry-After`` longer than this is capped: a broken header must not park a sync."""

PACING_MARGIN_SECONDS = 0.001
"""Added to every pacing wait, so float rounding never sends a request a hair before the token
exists on Amazon's side (a hair early is a 429; a millisecond late costs nothing)."""

TOKEN_REFRESH_MARGIN_SECONDS = 60.0
"""An LWA access token is refreshed this long before Amazon says it expires."""

LWA_TOKEN_URL = "https://api.amazon.com/auth/o2/token"  # noqa: S105 - a URL, not a secret

MWS_ORDERS_PATH = "/Orders/2013-09-01"
MWS_ORDERS_VERSION = "2013-09-01"


def _version() -> str:
    try:
        return metadata.version("amzcancel")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0.1.0"


# Amazon asks for "application name and version number, platform, and programming language".
USER_AGENT = (
    f"amzcancel/{_version()} (Language=Python/{sys.version_info.major}."
    f"{sys.version_info.minor}.{sys.version_info.micro})"
)


@dataclass(frozen=True)
class RateLimit:
    """One usage plan: ``rate`` requests per second, ``burst`` bucket size.

    Attributes:
        rate: tokens restored per second.
        burst: the bucket's capacity.
        bucket: the name of the bucket; operations that share a quota share a name.

    Added in 0.1.0.
    """

    rate: float
    burst: int
    bucket: str


def _plan(
    operation: str, rate: float, burst: int, bucket: str | None = None
) -> tuple[str, RateLimit]:
    return operation, RateLimit(rate=rate, burst=burst, bucket=bucket or operation)


SPAPI_RATE_LIMITS: dict[str, RateLimit] = dict(
    [
        # Orders v0 and 2026-01-01. getOrder has 0.5/30 in both versions; they share a bucket.
        _plan("getOrders", 0.0167, 20),
        _plan("getOrder", 0.5, 30),
        _plan("getOrderItems", 0.5, 30),
        _plan("searchOrders", 0.0056, 20),
        # Feeds 2021-06-30.
        _plan("createFeedDocument", 0.5, 15),
        _plan("createFeed", 0.0083, 15),
        _plan("getFeed", 2.0, 15),
        _plan("getFeeds", 0.0222, 10),
        _plan("cancelFeed", 2.0, 15),
        _plan("getFeedDocument", 0.0222, 10),
        # Reports 2021-06-30.
        _plan("createReport", 0.0167, 15),
        _plan("getReport", 2.0, 15),
        _plan("getReports", 0.0222, 10),
        _plan("getReportDocument", 0.0167, 15),
        # Notifications v1: every operation 1/s, burst 5 (notifications.json usage plans).
        _plan("createDestination", 1.0, 5),
        _plan("getDestinations", 1.0, 5),
        _plan("getDestination", 1.0, 5),
        _plan("deleteDestination", 1.0, 5),
        _plan("createSubscription", 1.0, 5),
        _plan("getSubscription", 1.0, 5),
        _plan("getSubscriptionById", 1.0, 5),
        _plan("deleteSubscriptionById", 1.0, 5),
    ]
)
"""SP-API usage plans by operation name (the models' ``operationId``)."""

MWS_RATE_LIMITS: dict[str, RateLimit] = dict(
    [
        # "ListOrders and ListOrdersByNextToken share same throttling bucket": 6, 1 per minute.
        _plan("ListOrders", 1 / 60, 6, "ListOrders"),
        _plan("ListOrdersByNextToken", 1 / 60, 6, "ListOrders"),
        _plan("GetOrder", 1 / 60, 6),
        # ListOrderItems (+ByNextToken): 30, one restored every 2 seconds.
        _plan("ListOrderItems", 0.5, 30, "ListOrderItems"),
        _plan("ListOrderItemsByNextToken", 0.5, 30, "ListOrderItems"),
    ]
)
"""MWS Orders 2013-09-01 request quotas by action."""
