"""The simulated marketplace's mutable state: orders, items, and the changes that move them.

Every change keeps the order consistent the way Amazon does: quantities shipped match the
status, ``NumberOfItemsShipped``/``NumberOfItemsUnshipped`` follow from the items, and every
change (including a buyer's cancellation request) moves ``LastUpdateDate``.

Added in 0.1.0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from amzcancel.errors import AmzCancelError
from amzcancel.models import (
    BuyerCancel,
    FulfillmentChannel,
    Money,
    Order,
    OrderItem,
    OrderStatus,
    Source,
)

__all__ = ["SandboxStateError", "SimItem", "SimOrder", "whole_seconds"]

# Statuses in which the seller may still cancel (only unshipped seller-fulfilled orders can be
# cancelled by the seller; see shared/reference/amazon-facts.md section 7.2).
_OPEN_STATUSES = frozenset(
    {OrderStatus.PENDING, OrderStatus.UNSHIPPED, OrderStatus.PARTIALLY_SHIPPED}
)


def whole_seconds(value: datetime) -> datetime:
    """``value`` without its fraction of a second."""
    return value.replace(microsecond=0)


class SandboxStateError(AmzCancelError):
    """A change that the simulated marketplace cannot make (unknown order, shipped order...).

    Added in 0.1.0.
    """


@dataclass
class SimItem:
    """One order item in the simulation.

    Added in 0.1.0.
    """

    order_item_id: str
    asin: str
    seller_sku: str
    title: str
    quantity_ordered: int
    unit_price: Decimal
    quantity_shipped: int = 0
    buyer_cancel_reason: str | None = None
    buyer_cancel_time: datetime | None = None
    cancelled_by: str | None = None
    cancel_reason: str | None = None

    @property
    def is_cancelled(self) -> bool:
        """True once the item was cancelled (by the seller, the buyer or Amazon)."""
        return self.cancelled_by is not None

    @property
    def buyer_requested(self) -> bool:
        """True when the buyer filed a formal cancellation request for this item."""
        return self.buyer_cancel_reason is not None

    @property
    def quantity_unshipped(self) -> int:
        """Units still to ship (zero for a cancelled item)."""
        return 0 if self.is_cancelled else self.quantity_ordered - self.quantity_shipped


@dataclass
class SimOrder:
    """One order in the simulation.

    Added in 0.1.0.
    """

    amazon_order_id: str
    marketplace_id: str
    currency: str
    channel: FulfillmentChannel
    status: OrderStatus
    purchase_date: datetime
    last_update_date: datetime
    ship_service_level: str
    is_prime: bool
    items: list[SimItem] = field(default_factory=list)
    listener: Callable[[SimOrder, str, str, datetime], None] | None = field(
        default=None, repr=False, compare=False
    )
    """Told of every change: (order, OrderChangeType, ChangeReason, time) - ORDER_CHANGE."""
    earlier_updates: list[datetime] = field(default_factory=list, repr=False, compare=False)
    """Earlier values of ``last_update_date``, oldest first (what a lagging index still shows)."""
    shown_update_date: datetime | None = field(default=None, repr=False, compare=False)
    """A wrong ``LastUpdateDate`` the APIs show instead of the real one until the next change
    (a quirk: a date in the future)."""
    garbled: bool = field(default=False, repr=False, compare=False)
    """Until the next change, the APIs render this order without its first item's id (a quirk:
    a document the client cannot read)."""

    @property
    def rendered_update_date(self) -> datetime:
        """The ``LastUpdateDate`` the APIs show: the real one unless a quirk shows another."""
        return self.shown_update_date or self.last_update_date

    def index_time(self, lag_seconds: float, now: datetime) -> datetime | None:
        """The last-update time a listing index that lags ``lag_seconds`` behind still holds.

        ``None`` when the order is younger than the lag (not listed yet).
        """
        if lag_seconds <= 0:
            return self.last_update_date
        seen = now - timedelta(seconds=lag_seconds)
        for when in (self.last_update_date, *reversed(self.earlier_updates)):
            if when <= seen:
                return when
        return None

    # --- derived values -------------------------------------------------------------------

    @property
    def items_shipped(self) -> int:
        """``NumberOfItemsShipped``: units shipped across all items."""
        return sum(item.quantity_shipped for item in self.items)

    @property
    def items_unshipped(self) -> int:
        """``NumberOfItemsUnshipped``: units still to ship across all items."""
        return sum(item.quantity_unshipped for item in self.items)

    @property
    def total(self) -> Decimal:
        """The order total over items that were not cancelled."""
        return sum(
            (i.unit_price * i.quantity_ordered for i in self.items if not i.is_cancelled),
            Decimal("0.00"),
        )

    @property
    def is_open(self) -> bool:
        """True while the order can still change before shipping (and be cancelled)."""
        return self.status in _OPEN_STATUSES

    def item(self, order_item_id: str) -> SimItem:
        """The item with this id, or :class:`SandboxStateError`."""
        for item in self.items:
            if item.order_item_id == order_item_id:
                return item
        raise SandboxStateError(f"order {self.amazon_order_id} has no item {order_item_id}")

    def open_requests(self) -> dict[str, str]:
        """Buyer cancel requests the seller still has to act on: ``{item_id: reason}``."""
        if not self.is_open or self.channel is not FulfillmentChannel.MFN:
            return {}
        return {
            i.order_item_id: i.buyer_cancel_reason
            for i in self.items
            if i.buyer_cancel_reason is not None and not i.is_cancelled and i.quantity_unshipped
        }

    # --- changes ---------------------------------------------------------------------------

    def _notify(self, change_type: str, reason: str, when: datetime) -> None:
        if self.listener is not None:
            self.listener(self, change_type, reason, whole_seconds(when))

    def _touch(self, when: datetime) -> None:
        # Amazon's dates have whole seconds; keeping them so means the dates a client reads are
        # exactly the ones the windows compare. LastUpdateDate never goes back.
        new = max(self.last_update_date, whole_seconds(when))
        if new != self.last_update_date:
            self.earlier_updates.append(self.last_update_date)
            del self.earlier_updates[:-8]  # a lagging index is never many changes behind
        self.last_update_date = new
        # A real change heals what a quirk showed wrongly.
        self.shown_update_date = None
        self.garbled = False

    def request_cancel(self, order_item_id: str, reason: str, when: datetime) -> None:
        """Record a buyer's formal cancellation request for one unshipped item."""
        item = self.item(order_item_id)
        if not self.is_open or item.quantity_unshipped == 0:
            raise SandboxStateError(
                f"order {self.amazon_order_id} item {order_item_id} is not awaiting shipment"
            )
        item.buyer_cancel_reason = reason
        item.buyer_cancel_time = whole_seconds(when)
        self._touch(when)
        self._notify("BuyerRequestedChange", "Buyer Requested Cancel", when)

    def authorize(self, when: datetime) -> None:
        """Payment authorised: a Pending order becomes Unshipped."""
        if self.status not in (OrderStatus.PENDING, OrderStatus.PENDING_AVAILABILITY):
            raise SandboxStateError(f"order {self.amazon_order_id} is not pending")
        self.status = OrderStatus.UNSHIPPED
        self._touch(when)
        self._notify("OrderStatusChange", "Order status changed to Unshipped", when)

    def ship(self, when: datetime, item_ids: list[str] | None = None) -> None:
        """Ship the named items (all remaining items when ``item_ids`` is None)."""
        if self.status not in (OrderStatus.UNSHIPPED, OrderStatus.PARTIALLY_SHIPPED):
            raise SandboxStateError(
                f"order {self.amazon_order_id} cannot ship in status {self.status.value}"
            )
        targets = self.items if item_ids is None else [self.item(i) for i in item_ids]
        for item in targets:
            if not item.is_cancelled:
                item.quantity_shipped = item.quantity_ordered
        self._settle_status()
        self._touch(when)
        self._notify("OrderStatusChange", f"Order status changed to {self.status.value}", when)

    def cancel(
        self, when: datetime, *, by: str, reason: str, item_ids: list[str] | None = None
    ) -> None:
        """Cancel the named unshipped items (the whole order when ``item_ids`` is None)."""
        if not self.is_open:
            raise SandboxStateError(
                f"order {self.amazon_order_id} cannot be cancelled in status {self.status.value}"
            )
        targets = self.items if item_ids is None else [self.item(i) for i in item_ids]
        for item in targets:
            if item.quantity_shipped:
                raise SandboxStateError(
                    f"order {self.amazon_order_id} item {item.order_item_id} already shipped"
                )
        for item in targets:
            if not item.is_cancelled:
                item.cancelled_by = by
                item.cancel_reason = reason
        self._settle_status()
        self._touch(when)
        self._notify("OrderStatusChange", f"Order status changed to {self.status.value}", when)

    def _settle_status(self) -> None:
        live = [i for i in self.items if not i.is_cancelled]
        if not live:
            self.status = OrderStatus.CANCELED
        elif all(i.quantity_shipped == i.quantity_ordered for i in live):
            self.status = OrderStatus.SHIPPED
        elif any(i.quantity_shipped for i in live):
            self.status = OrderStatus.PARTIALLY_SHIPPED
        elif self.status is OrderStatus.PARTIALLY_SHIPPED:
            self.status = OrderStatus.UNSHIPPED

    # --- ground truth ----------------------------------------------------------------------

    def to_domain(self) -> Order:
        """This order as a domain :class:`~amzcancel.models.Order` (source ``spapi-2026``)."""
        items = [
            OrderItem(
                order_item_id=i.order_item_id,
                asin=i.asin,
                seller_sku=i.seller_sku,
                title=i.title,
                quantity_ordered=i.quantity_ordered,
                quantity_shipped=i.quantity_shipped,
                buyer_cancel=BuyerCancel(requested=i.buyer_requested, reason=i.buyer_cancel_reason),
                cancelled=i.is_cancelled,
                item_price=Money(
                    currency_code=self.currency, amount=i.unit_price * i.quantity_ordered
                ),
            )
            for i in self.items
        ]
        return Order(
            amazon_order_id=self.amazon_order_id,
            marketplace_id=self.marketplace_id,
            status=self.status,
            fulfillment_channel=self.channel,
            purchase_date=self.purchase_date,
            last_update_date=self.last_update_date,
            source=Source.SPAPI_2026,
            items=items,
            order_total=Money(currency_code=self.currency, amount=self.total),
        )
