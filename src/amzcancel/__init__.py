"""amzcancel: keep a seller's Amazon orders in step and catch every buyer-requested cancellation.

Added in 0.1.0.
"""

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
)

try:
    __version__ = _version("amzcancel")
except _PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

__all__ = [
    "APIError",
    "AmzCancelError",
    "AuthError",
    "BuyerCancel",
    "ConfigError",
    "ConnectionFailed",
    "FulfillmentChannel",
    "InvalidInputError",
    "ItemsPage",
    "Money",
    "NotFoundError",
    "Order",
    "OrderItem",
    "OrderStatus",
    "OrdersPage",
    "ParseError",
    "PolicyViolation",
    "RequestTimeout",
    "ServerError",
    "Source",
    "StoreError",
    "ThrottledError",
    "TransportError",
    "UnsafeXMLError",
    "__version__",
]
