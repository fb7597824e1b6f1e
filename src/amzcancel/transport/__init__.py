"""HTTP clients for SP-API and MWS: LWA auth, pacing to Amazon's rate limits, retries.

::

    from amzcancel.transport import SpApiClient

    with SpApiClient(region="na") as client:  # credentials from LWA_APP_ID, ...
        page = client.orders_2026.search_orders(last_updated_after=since)

Added in 0.1.0.
"""

from __future__ import annotations

from amzcancel._bucket import TokenBucket
from amzcancel.transport._auth import LwaAuth
from amzcancel.transport._constants import (
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_MAX_RETRIES,
    DEFAULT_MAX_RETRY_SECONDS,
    DEFAULT_REQUEST_DEADLINE_SECONDS,
    DEFAULT_TIMEOUT_SECONDS,
    LWA_TOKEN_URL,
    MWS_RATE_LIMITS,
    SPAPI_RATE_LIMITS,
    USER_AGENT,
    RateLimit,
)
from amzcancel.transport._credentials import (
    LWA_ENV_VARS,
    MWS_ENV_VARS,
    LwaCredentials,
    MwsCredentials,
)
from amzcancel.transport._endpoints import (
    MARKETPLACE_REGIONS,
    Region,
    mws_endpoint,
    region_for_marketplace,
    region_for_marketplaces,
    spapi_endpoint,
)
from amzcancel.transport._mws import AsyncMwsClient, MwsClient, MwsOptions
from amzcancel.transport._notifications import (
    NOTIFICATIONS_SCOPE,
    ORDER_CHANGE_TYPES,
    Destination,
    Subscription,
    order_change_filter,
)
from amzcancel.transport._orders_2026 import ORDERS_2026_INCLUDED_DATA
from amzcancel.transport._pagination import AsyncPager, SyncPager
from amzcancel.transport._ratelimit import RateLimiter
from amzcancel.transport._retry import RetryPolicy
from amzcancel.transport._settings import ClientOptions, ClientSettings
from amzcancel.transport._sigv2 import sign_v2
from amzcancel.transport._spapi import AsyncSpApiClient, SpApiClient, SpApiOptions
from amzcancel.transport._stats import TransportStats

__all__ = [
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_MAX_RETRY_SECONDS",
    "DEFAULT_REQUEST_DEADLINE_SECONDS",
    "DEFAULT_TIMEOUT_SECONDS",
    "LWA_ENV_VARS",
    "LWA_TOKEN_URL",
    "MARKETPLACE_REGIONS",
    "MWS_ENV_VARS",
    "MWS_RATE_LIMITS",
    "NOTIFICATIONS_SCOPE",
    "ORDERS_2026_INCLUDED_DATA",
    "ORDER_CHANGE_TYPES",
    "SPAPI_RATE_LIMITS",
    "USER_AGENT",
    "AsyncMwsClient",
    "AsyncPager",
    "AsyncSpApiClient",
    "ClientOptions",
    "ClientSettings",
    "Destination",
    "LwaAuth",
    "LwaCredentials",
    "MwsClient",
    "MwsCredentials",
    "MwsOptions",
    "RateLimit",
    "RateLimiter",
    "Region",
    "RetryPolicy",
    "SpApiClient",
    "SpApiOptions",
    "Subscription",
    "SyncPager",
    "TokenBucket",
    "TransportStats",
    "mws_endpoint",
    "order_change_filter",
    "region_for_marketplace",
    "region_for_marketplaces",
    "sign_v2",
    "spapi_endpoint",
]
