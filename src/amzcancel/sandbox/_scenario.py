"""The seeded scenario: the orders a marketplace starts with, and how they change when live.

:func:`generate_orders` builds ``N`` orders placed over recent days, seller- and
Amazon-fulfilled, in every status, with 1 to 15 items, a share of whose unshipped items carry a
buyer's cancellation request. :class:`LiveScenario` then changes them the way a busy seller
account changes: new orders, payments authorised, new buyer requests, shipments and
cancellations, at a pace multiplied by the speed factor. Both are deterministic for a seed.

Added in 0.1.0.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

from amzcancel.models import FulfillmentChannel, OrderStatus
from amzcancel.sandbox._catalog import (
    BUYER_CANCEL_REASONS,
    MARKETPLACES,
    Product,
    make_item_id,
    make_order_id,
)
from amzcancel.sandbox._state import SandboxStateError, SimItem, SimOrder, whole_seconds

__all__ = ["LiveScenario", "OrderFactory", "generate_orders"]

# Initial status mix; rare statuses stay rare as on a real account.
_STATUS_WEIGHTS: tuple[tuple[OrderStatus, int], ...] = (
    (OrderStatus.PENDING, 8),
    (OrderStatus.UNSHIPPED, 30),
    (OrderStatus.PARTIALLY_SHIPPED, 7),
    (OrderStatus.SHIPPED, 40),
    (OrderStatus.CANCELED, 10),
    (OrderStatus.INVOICE_UNCONFIRMED, 2),
    (OrderStatus.PENDING_AVAILABILITY, 3),
)
_ITEM_COUNT_WEIGHTS = ((1, 45), (2, 20), (3, 12), (4, 7), (5, 5), (7, 4), (9, 3), (12, 2), (15, 2))
_SERVICE_LEVELS = ("Std US D2D Dom", "Expedited", "Std Cont US Street Addr", "NextDay")
_BUYER_REQUEST_SHARE = 0.25  # of seller-fulfilled orders with unshipped items


class OrderFactory:
    """Makes new orders with unique ids for a marketplace's catalogue.

    Added in 0.1.0.
    """

    def __init__(
        self, rng: random.Random, catalog: list[Product], marketplace_ids: tuple[str, ...]
    ) -> None:
        self._rng = rng
        self._catalog = catalog
        self._marketplace_ids = marketplace_ids
        self._order_ids: set[str] = set()
        self._item_ids: set[str] = set()
        self.listener: Callable[[SimOrder, str, str, datetime], None] | None = None
        """Given to every order made from now on (see :attr:`SimOrder.listener`)."""

    @staticmethod
    def _unique(make: Callable[[], str], seen: set[str]) -> str:
        while True:
            value = make()
            if value not in seen:
                seen.add(value)
                return value

    def new_order(
        self, purchase: datetime, status: OrderStatus, channel: FulfillmentChannel
    ) -> SimOrder:
        """A new order placed at ``purchase``, in ``status`` (quantities made consistent)."""
        rng = self._rng
        purchase = whole_seconds(purchase)
        info = MARKETPLACES[rng.choice(self._marketplace_ids)]
        order_id = self._unique(lambda: make_order_id(rng, info.order_prefixes), self._order_ids)
        counts, weights = zip(*_ITEM_COUNT_WEIGHTS, strict=True)
        n_items = rng.choices(counts, weights)[0]
        items = []
        for product in rng.sample(self._catalog, min(n_items, len(self._catalog))):
            items.append(
                SimItem(
                    order_item_id=self._unique(lambda: make_item_id(rng), self._item_ids),
                    asin=product.asin,
                    seller_sku=product.seller_sku,
                    title=product.title,
                    quantity_ordered=rng.choices((1, 2, 3), (80, 15, 5))[0],
                    unit_price=product.price,
                )
            )
        order = SimOrder(
            amazon_order_id=order_id,
            marketplace_id=info.marketplace_id,
            currency=info.currency,
            channel=channel,
            status=OrderStatus.PENDING,
            purchase_date=purchase,
            last_update_date=purchase,
            ship_service_level=rng.choice(_SERVICE_LEVELS),
            is_prime=rng.random() < 0.4,
            items=items,
        )
        _bring_to_status(order, status, rng)
        order.listener = self.listener
        return order


def _later(
    rng: random.Random, start: datetime, limit: datetime, min_s: float, max_s: float
) -> datetime:
    """A moment ``min_s``..``max_s`` seconds after ``start``, never after ``limit``."""
    return whole_seconds(min(start + timedelta(seconds=rng.uniform(min_s, max_s)), limit))


def _bring_to_status(order: SimOrder, status: OrderStatus, rng: random.Random) -> None:
    """Set shipped/cancelled quantities so that the order is consistent with ``status``."""
    order.status = status
    if status is OrderStatus.PARTIALLY_SHIPPED and len(order.items) < 2:
        order.status = OrderStatus.UNSHIPPED
    when = order.purchase_date + timedelta(seconds=rng.uniform(60, 6 * 3600))
    order.last_update_date = whole_seconds(when)
    if order.status is OrderStatus.PARTIALLY_SHIPPED:
        shipped = rng.randint(1, len(order.items) - 1)
        for item in order.items[:shipped]:
            item.quantity_shipped = item.quantity_ordered
    elif order.status in (OrderStatus.SHIPPED, OrderStatus.INVOICE_UNCONFIRMED):
        for item in order.items:
            item.quantity_shipped = item.quantity_ordered
    elif order.status is OrderStatus.CANCELED:
        by = "BUYER" if rng.random() < 0.5 else "AMAZON"
        for item in order.items:
            item.cancelled_by = by
            item.cancel_reason = "BuyerCanceled" if by == "BUYER" else "GeneralAdjustment"


def generate_orders(
    factory: OrderFactory, rng: random.Random, *, count: int, now: datetime, days: float
) -> list[SimOrder]:
    """``count`` orders placed over the ``days`` before ``now``, oldest first.

    Statuses follow a realistic mix; about a third are Amazon-fulfilled; a share of
    seller-fulfilled orders with unshipped items carry buyer cancel requests (made at least
    30 minutes after purchase, as Amazon forwards only those), and a few shipped or cancelled
    orders carry old requests that are no longer open.
    """
    statuses, weights = zip(*_STATUS_WEIGHTS, strict=True)
    # Nothing is created or updated in the last few minutes, so a window that ends two
    # minutes ago still sees every order at the start.
    latest = whole_seconds(now - timedelta(minutes=5))
    orders = []
    for _ in range(count):
        purchase = latest - timedelta(hours=1) - timedelta(seconds=rng.uniform(0, days * 86400))
        channel = FulfillmentChannel.AFN if rng.random() < 0.3 else FulfillmentChannel.MFN
        status = rng.choices(statuses, weights)[0]
        if channel is FulfillmentChannel.AFN and status is OrderStatus.PARTIALLY_SHIPPED:
            status = OrderStatus.SHIPPED
        order = factory.new_order(purchase, status, channel)
        order.last_update_date = min(order.last_update_date, latest)
        _maybe_add_requests(order, rng, latest)
        orders.append(order)
    orders.sort(key=lambda o: o.purchase_date)
    return orders


def _maybe_add_requests(order: SimOrder, rng: random.Random, latest: datetime) -> None:
    if order.channel is not FulfillmentChannel.MFN:
        return
    if order.status in (OrderStatus.UNSHIPPED, OrderStatus.PARTIALLY_SHIPPED):
        if rng.random() >= _BUYER_REQUEST_SHARE:
            return
        candidates = [i for i in order.items if i.quantity_unshipped]
        chosen = candidates if rng.random() < 0.6 else rng.sample(candidates, 1)
        when = _later(rng, order.purchase_date, latest, 31 * 60, 20 * 3600)
        reason = rng.choice(BUYER_CANCEL_REASONS)
        for item in chosen:
            order.request_cancel(item.order_item_id, reason, when)
    elif order.status in (OrderStatus.SHIPPED, OrderStatus.CANCELED) and rng.random() < 0.05:
        # An old request: the seller shipped anyway, or cancelled as BuyerCanceled.
        item = order.items[0]
        item.buyer_cancel_reason = rng.choice(BUYER_CANCEL_REASONS)
        item.buyer_cancel_time = _later(rng, order.purchase_date, latest, 31 * 60, 3600)
        if order.status is OrderStatus.CANCELED:
            for each in order.items:
                each.cancelled_by, each.cancel_reason = "MERCHANT", "BuyerCanceled"
        order.last_update_date = max(order.last_update_date, item.buyer_cancel_time)


class LiveScenario:
    """Changes the marketplace over time, lazily and deterministically for a seed.

    Events arrive at exponentially distributed intervals with mean
    ``mean_interval_seconds / speed``. :meth:`advance_to` applies every event due up to a time;
    each event stamps the orders it changes with its own time.

    Added in 0.1.0.
    """

    def __init__(
        self,
        rng: random.Random,
        factory: OrderFactory,
        orders: dict[str, SimOrder],
        *,
        start: datetime,
        speed: float,
        mean_interval_seconds: float = 30.0,
    ) -> None:
        self._rng = rng
        self._factory = factory
        self._orders = orders
        self._mean = mean_interval_seconds / speed
        self._next = start + self._gap()
        self.applied: list[tuple[datetime, str, str]] = []
        """Every event applied: (time, kind, order id)."""

    def _gap(self) -> timedelta:
        return timedelta(seconds=self._rng.expovariate(1.0 / self._mean))

    def advance_to(self, now: datetime) -> int:
        """Apply every event due at or before ``now``; returns how many were applied."""
        applied = 0
        while self._next <= now:
            when = self._next
            self._apply(when)
            self._next = when + self._gap()
            applied += 1
        return applied

    def _pick(
        self, statuses: tuple[OrderStatus, ...], *, mfn_only: bool = False
    ) -> SimOrder | None:
        candidates = [
            o
            for o in self._orders.values()
            if o.status in statuses and (not mfn_only or o.channel is FulfillmentChannel.MFN)
        ]
        if not candidates:
            return None
        candidates.sort(key=lambda o: o.amazon_order_id)  # dict order must not matter
        return self._rng.choice(candidates)

    def _apply(self, when: datetime) -> None:
        rng = self._rng
        when = whole_seconds(when)
        kind = rng.choices(
            ("new_order", "buyer_request", "ship", "authorize", "partial_ship", "cancel"),
            (35, 20, 25, 10, 5, 5),
        )[0]
        order: SimOrder | None
        if kind == "new_order":
            channel = FulfillmentChannel.AFN if rng.random() < 0.3 else FulfillmentChannel.MFN
            status = OrderStatus.PENDING if rng.random() < 0.5 else OrderStatus.UNSHIPPED
            order = self._factory.new_order(when, status, channel)
            order.last_update_date = when
            self._orders[order.amazon_order_id] = order
        elif kind == "buyer_request":
            order = self._pick(
                (OrderStatus.UNSHIPPED, OrderStatus.PARTIALLY_SHIPPED), mfn_only=True
            )
            if order is not None:
                free = [i for i in order.items if i.quantity_unshipped and not i.buyer_requested]
                if not free:
                    return
                item = rng.choice(free)
                order.request_cancel(item.order_item_id, rng.choice(BUYER_CANCEL_REASONS), when)
        elif kind in ("ship", "partial_ship"):
            order = self._pick((OrderStatus.UNSHIPPED, OrderStatus.PARTIALLY_SHIPPED))
            if order is not None:
                unshipped = [i.order_item_id for i in order.items if i.quantity_unshipped]
                ids = None
                if kind == "partial_ship" and len(unshipped) > 1:
                    ids = unshipped[: rng.randint(1, len(unshipped) - 1)]
                order.ship(when, ids)
        elif kind == "authorize":
            order = self._pick((OrderStatus.PENDING, OrderStatus.PENDING_AVAILABILITY))
            if order is not None:
                order.authorize(when)
        else:
            # A buyer cancelling a pending order directly, before it reaches the seller.
            order = self._pick((OrderStatus.PENDING,))
            if order is not None:
                try:
                    order.cancel(when, by="BUYER", reason="BuyerCanceled")
                except SandboxStateError:  # pragma: no cover - pending orders never ship
                    return
        if order is not None:
            self.applied.append((when, kind, order.amazon_order_id))
