"""Domain models: what every wire format is normalised into.

The JSON form of :class:`Order` (``order.model_dump(mode="json")`` or :meth:`Order.to_json`) is a
public contract (see DESIGN.md): field names, enum values and the ``Z`` datetime form stay as
they are. Models are frozen and strict; the wire modules do the lenient reading.

Added in 0.1.0.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer

__all__ = [
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
    "UtcDateTime",
    "format_utc",
]


def _ensure_utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("datetime must be timezone-aware")
    return value.astimezone(UTC)


def format_utc(value: datetime) -> str:
    """Write an aware datetime as ISO 8601 in UTC with a ``Z`` suffix.

    Fractions of a second are kept only when present (``2026-11-20T08:00:00Z``,
    ``2026-11-20T08:00:00.250Z``).
    """
    # isoformat, not strftime("%Y"): the C library writes year 1 as "1", which Amazon refuses.
    value = _ensure_utc(value).replace(tzinfo=None)
    if value.microsecond:
        return value.isoformat(timespec="microseconds").rstrip("0") + "Z"
    return value.isoformat(timespec="seconds") + "Z"


UtcDateTime = Annotated[
    datetime,
    AfterValidator(_ensure_utc),
    PlainSerializer(format_utc, return_type=str, when_used="json"),
]
"""A timezone-aware datetime, normalised to UTC and written with ``Z`` in JSON."""


class OrderStatus(StrEnum):
    """Order status, in the SP-API v0 / MWS vocabulary (2026-01-01 values are mapped to it)."""

    PENDING = "Pending"
    PENDING_AVAILABILITY = "PendingAvailability"
    UNSHIPPED = "Unshipped"
    PARTIALLY_SHIPPED = "PartiallyShipped"
    SHIPPED = "Shipped"
    CANCELED = "Canceled"
    UNFULFILLABLE = "Unfulfillable"
    INVOICE_UNCONFIRMED = "InvoiceUnconfirmed"


class FulfillmentChannel(StrEnum):
    """Who fulfils the order: MFN (the seller) or AFN (Amazon)."""

    MFN = "MFN"
    AFN = "AFN"


class Source(StrEnum):
    """The wire format an order was read from."""

    MWS = "mws"
    SPAPI_V0 = "spapi-v0"
    SPAPI_2026 = "spapi-2026"
    NOTIFICATION = "notification"
    REPORT = "report"


_MODEL_CONFIG = ConfigDict(
    frozen=True,
    strict=True,
    extra="forbid",
    use_attribute_docstrings=True,
)


class Money(BaseModel):
    """An amount of money in one currency."""

    model_config = _MODEL_CONFIG

    currency_code: str
    """ISO 4217 currency code, e.g. ``USD``."""
    amount: Decimal
    """The amount, exact (never a float)."""


class BuyerCancel(BaseModel):
    """Whether the buyer formally asked to cancel an item, and why."""

    model_config = _MODEL_CONFIG

    requested: bool = False
    """True only when the buyer filed a formal cancellation request through Amazon."""
    reason: str | None = None
    """The buyer's reason as Amazon passed it on; ``None`` when not given."""
    reported: bool = Field(default=True, exclude=True)
    """False when the source did not carry the flag at all (an ORDER_CHANGE item without
    ``IsBuyerRequestedCancel``, a report without the ``is-buyer-requested-cancellation``
    column): ``requested`` then reads False but says nothing, and never withdraws a request
    already stored (library attribute, not part of the JSON)."""


class OrderItem(BaseModel):
    """One order item (one line of an order)."""

    model_config = _MODEL_CONFIG

    order_item_id: str = Field(min_length=1)
    """Amazon's order item id (``OrderItemId``, ``order-item-id``)."""
    asin: str | None = None
    """The item's ASIN."""
    seller_sku: str | None = None
    """The seller's SKU."""
    title: str | None = None
    """The product title."""
    quantity_ordered: int | None = None
    """Units ordered."""
    quantity_shipped: int | None = None
    """Units shipped so far."""
    buyer_cancel: BuyerCancel = BuyerCancel()
    """The buyer's formal cancellation request, if any."""
    item_price: Money | None = Field(default=None, exclude=True)
    """The item price where the source gives one (library attribute, not part of the JSON)."""
    cancelled: bool = Field(default=False, exclude=True)
    """Amazon executed a cancellation of this item (Orders 2026-01-01
    ``cancellation.cancellationExecution``): nothing of it is left to cancel, even while its
    order stays open. Once seen it stays set. Library attribute, stored, not part of the JSON."""


class Order(BaseModel):
    """One order, normalised from any source."""

    model_config = _MODEL_CONFIG

    amazon_order_id: str = Field(min_length=1)
    """Amazon's order id, 3-7-7 digits."""
    marketplace_id: str | None = None
    """The marketplace the order was placed in, e.g. ``ATVPDKIKX0DER``."""
    status: OrderStatus | None = None
    """The order status."""
    fulfillment_channel: FulfillmentChannel | None = None
    """MFN (seller-fulfilled) or AFN (Amazon-fulfilled)."""
    purchase_date: UtcDateTime | None = None
    """When the order was placed."""
    last_update_date: UtcDateTime | None = None
    """When Amazon last changed the order; moves when the buyer asks to cancel."""
    source: Source
    """The wire format this order was read from."""
    items: list[OrderItem] = Field(default_factory=list)
    """The order's items; empty when the source lists orders without items (MWS, v0)."""
    order_total: Money | None = Field(default=None, exclude=True)
    """The order total where the source gives one (library attribute, not part of the JSON)."""
    unit_count: int | None = Field(default=None, exclude=True)
    """Units in the order as a listing reports them (MWS and v0 ``NumberOfItemsShipped`` plus
    ``NumberOfItemsUnshipped``), before its items are read; an upper bound of its item lines
    (library attribute, not part of the JSON, not stored)."""

    @property
    def buyer_cancel_items(self) -> list[OrderItem]:
        """The items whose buyer formally requested cancellation."""
        return [item for item in self.items if item.buyer_cancel.requested]

    def with_items(self, items: Sequence[OrderItem]) -> Order:
        """Return a copy of this order carrying ``items``."""
        return self.model_copy(update={"items": list(items)})

    def to_json(self) -> str:
        """The contract JSON of this order, on one line."""
        return self.model_dump_json()


class UnreadableOrder(BaseModel):
    """An order of a listing page that could not be read strictly, set aside from the page.

    What the job needs (the order id, every item id, the buyer-cancel flag) is never guessed:
    an order lacking it is kept out of :attr:`OrdersPage.orders` and described here, so that
    the other orders of the page are not lost with it.

    Added in 0.2.0.
    """

    model_config = _MODEL_CONFIG

    amazon_order_id: str | None = None
    """The order's id, when it could be read; ``None`` when the id itself is what is wrong."""
    error: str
    """What is wrong and where: the parse error's message with its location, e.g. ``at
    $.orders[0].orderItems[0].orderItemId: required value is missing``."""


class OrdersPage(BaseModel):
    """One page of an order listing (ListOrders, getOrders, searchOrders)."""

    model_config = _MODEL_CONFIG

    orders: list[Order]
    """The orders on this page."""
    next_token: str | None = None
    """The token for the next page, or ``None`` on the last page."""
    last_updated_before: UtcDateTime | None = None
    """The upper bound Amazon applied (echoed ``LastUpdatedBefore``); the next sync cursor."""
    created_before: UtcDateTime | None = None
    """The echoed ``CreatedBefore``, when the listing was by creation time."""
    unreadable: list[UnreadableOrder] = Field(default_factory=list, exclude=True)
    """The orders of this page that could not be read, in page order; they are not in
    :attr:`orders` (library attribute, not part of the JSON). Added in 0.2.0."""


class ItemsPage(BaseModel):
    """One page of an order's items (ListOrderItems, getOrderItems)."""

    model_config = _MODEL_CONFIG

    amazon_order_id: str
    """The order these items belong to."""
    items: list[OrderItem]
    """The items on this page."""
    next_token: str | None = None
    """The token for the next page, or ``None`` on the last page."""
