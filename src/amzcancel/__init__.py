"""amzcancel: keep a seller's Amazon orders in step and catch every buyer-requested cancellation.

The models and errors are imported eagerly; clients, the policy, the store and the sync facade
load on first use (PEP 562), so ``import amzcancel`` stays cheap for code that only parses.

Added in 0.1.0.
"""

import typing
from importlib.metadata import PackageNotFoundError as _PackageNotFoundError
from importlib.metadata import version as _version

from amzcancel.errors import (
    AmzCancelError,
    APIError,
    AuthError,
    ConfigError,
    ConnectionFailed,
    InvalidInputError,
    NotFoundError,
    ParseError,
    PolicyViolation,
    RequestTimeout,
    ServerError,
    StoreError,
    ThrottledError,
    TransportError,
    UnsafeXMLError,
)
from amzcancel.models import (
    BuyerCancel,
    FulfillmentChannel,
    ItemsPage,
    Money,
    Order,
    OrderItem,
    OrdersPage,
    OrderStatus,
    Source,
    UnreadableOrder,
)

if typing.TYPE_CHECKING:
    from amzcancel.policy import (
        CancelReason,
        ReasonVerdict,
        allowed_cancel_reasons,
        approve_cancellation,
        recommended_reason,
    )
    from amzcancel.sync import Event, EventType, OrderSync, SqliteStore, Store, SyncResult
    from amzcancel.transport import (
        AsyncMwsClient,
        AsyncSpApiClient,
        LwaCredentials,
        MwsClient,
        MwsCredentials,
        RateLimiter,
        SpApiClient,
        TransportStats,
    )

_LAZY: dict[str, str] = {
    "AsyncMwsClient": "amzcancel.transport",
    "AsyncSpApiClient": "amzcancel.transport",
    "CancelReason": "amzcancel.policy",
    "Event": "amzcancel.sync",
    "EventType": "amzcancel.sync",
    "LwaCredentials": "amzcancel.transport",
    "MwsClient": "amzcancel.transport",
    "MwsCredentials": "amzcancel.transport",
    "OrderSync": "amzcancel.sync",
    "RateLimiter": "amzcancel.transport",
    "ReasonVerdict": "amzcancel.policy",
    "SpApiClient": "amzcancel.transport",
    "SqliteStore": "amzcancel.sync",
    "Store": "amzcancel.sync",
    "SyncResult": "amzcancel.sync",
    "TransportStats": "amzcancel.transport",
    "allowed_cancel_reasons": "amzcancel.policy",
    "approve_cancellation": "amzcancel.policy",
    "recommended_reason": "amzcancel.policy",
}


def __getattr__(name: str) -> typing.Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'amzcancel' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


try:
    __version__ = _version("amzcancel")
except _PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

__all__ = [
    "APIError",
    "AmzCancelError",
    "AsyncMwsClient",
    "AsyncSpApiClient",
    "AuthError",
    "BuyerCancel",
    "CancelReason",
    "ConfigError",
    "ConnectionFailed",
    "Event",
    "EventType",
    "FulfillmentChannel",
    "InvalidInputError",
    "ItemsPage",
    "LwaCredentials",
    "Money",
    "MwsClient",
    "MwsCredentials",
    "NotFoundError",
    "Order",
    "OrderItem",
    "OrderStatus",
    "OrderSync",
    "OrdersPage",
    "ParseError",
    "PolicyViolation",
    "RateLimiter",
    "ReasonVerdict",
    "RequestTimeout",
    "ServerError",
    "Source",
    "SpApiClient",
    "SqliteStore",
    "Store",
    "StoreError",
    "SyncResult",
    "ThrottledError",
    "TransportError",
    "TransportStats",
    "UnreadableOrder",
    "UnsafeXMLError",
    "__version__",
    "allowed_cancel_reasons",
    "approve_cancellation",
    "recommended_reason",
]
