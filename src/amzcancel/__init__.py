"""amzcancel: keep a seller's Amazon orders in step and catch every buyer-requested cancellation.

Every name loads on first use (PEP 562): ``import amzcancel`` (and so loading the pytest plugin
``amzcancel.testing.plugin``, which every pytest run of a project that installed us does) costs
almost nothing until a name is used.

Added in 0.1.0.
"""

import typing

if typing.TYPE_CHECKING:
    __version__: str

    from amzcancel.errors import (
        AmzCancelError,
        APIError,
        AuthError,
        ConfigError,
        ConnectionFailed,
        InvalidInputError,
        LeaseLost,
        MissingCredentialsError,
        NotFoundError,
        ParseError,
        PolicyViolation,
        QueueError,
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
    from amzcancel.policy import (
        CancelReason,
        ReasonVerdict,
        allowed_cancel_reasons,
        approve_cancellation,
        recommended_reason,
    )
    from amzcancel.sync import (
        Event,
        EventType,
        OrderSync,
        PostgresStore,
        SqliteStore,
        Store,
        SyncResult,
        open_store,
    )
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

_ERRORS = (
    "APIError",
    "AmzCancelError",
    "AuthError",
    "ConfigError",
    "ConnectionFailed",
    "InvalidInputError",
    "LeaseLost",
    "MissingCredentialsError",
    "NotFoundError",
    "ParseError",
    "PolicyViolation",
    "QueueError",
    "RequestTimeout",
    "ServerError",
    "StoreError",
    "ThrottledError",
    "TransportError",
    "UnsafeXMLError",
)
_MODELS = (
    "BuyerCancel",
    "FulfillmentChannel",
    "ItemsPage",
    "Money",
    "Order",
    "OrderItem",
    "OrderStatus",
    "OrdersPage",
    "Source",
    "UnreadableOrder",
)

_LAZY: dict[str, str] = {
    **dict.fromkeys(_ERRORS, "amzcancel.errors"),
    **dict.fromkeys(_MODELS, "amzcancel.models"),
    "AsyncMwsClient": "amzcancel.transport",
    "AsyncSpApiClient": "amzcancel.transport",
    "CancelReason": "amzcancel.policy",
    "Event": "amzcancel.sync",
    "EventType": "amzcancel.sync",
    "LwaCredentials": "amzcancel.transport",
    "MwsClient": "amzcancel.transport",
    "MwsCredentials": "amzcancel.transport",
    "OrderSync": "amzcancel.sync",
    "PostgresStore": "amzcancel.sync",
    "RateLimiter": "amzcancel.transport",
    "ReasonVerdict": "amzcancel.policy",
    "SpApiClient": "amzcancel.transport",
    "SqliteStore": "amzcancel.sync",
    "Store": "amzcancel.sync",
    "SyncResult": "amzcancel.sync",
    "TransportStats": "amzcancel.transport",
    "allowed_cancel_reasons": "amzcancel.policy",
    "approve_cancellation": "amzcancel.policy",
    "open_store": "amzcancel.sync",
    "recommended_reason": "amzcancel.policy",
}


def __getattr__(name: str) -> typing.Any:
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            found = version("amzcancel")
        except PackageNotFoundError:  # pragma: no cover - a source tree without install
            found = "0.0.0"
        globals()["__version__"] = found
        return found
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'amzcancel' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | {"__version__"})


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
    "LeaseLost",
    "LwaCredentials",
    "MissingCredentialsError",
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
    "PostgresStore",
    "QueueError",
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
    "open_store",
    "recommended_reason",
]
