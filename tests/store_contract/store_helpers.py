"""Orders, items and clocks for the store tests (both backends)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

from amzcancel.models import (
    BuyerCancel,
    FulfillmentChannel,
    Money,
    Order,
    OrderItem,
    OrderStatus,
    Source,
)
from amzcancel.sync import CursorKey, Event, EventType

# Read once at import: the suite's autouse fixture hides AMZCANCEL_* variables from tests.
PG_DSN = os.environ.get("AMZCANCEL_TEST_POSTGRES", "")
PG_SKIP = (
    'PostgreSQL store tests need a server: run `eval "$(bash .ci/postgres.sh start)"` '
    "(starts one on 127.0.0.1:54329 and exports AMZCANCEL_TEST_POSTGRES="
    "postgresql://postgres@127.0.0.1:54329/postgres), then pytest again; "
    "`bash .ci/postgres.sh stop` removes it"
)

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
T1 = T0 + timedelta(hours=1)
T2 = T0 + timedelta(hours=2)
OID = "902-1845936-5435065"
KEY = CursorKey("sandbox", "spapi-v0", ("ATVPDKIKX0DER",))


def item(
    item_id: str = "05015851154158",
    *,
    requested: bool = False,
    reason: str | None = None,
    title: str | None = "Widget",
    ordered: int | None = 1,
    shipped: int | None = 0,
    price: Money | None = None,
) -> OrderItem:
    """One order item, open and not requested unless told."""
    return OrderItem(
        order_item_id=item_id,
        asin="B00551Q3CS",
        seller_sku=f"SKU-{item_id[-2:]}",
        title=title,
        quantity_ordered=ordered,
        quantity_shipped=shipped,
        buyer_cancel=BuyerCancel(requested=requested, reason=reason),
        item_price=price,
    )


def order(
    order_id: str = OID,
    *,
    status: OrderStatus | None = OrderStatus.UNSHIPPED,
    updated: datetime | None = T0,
    items: list[OrderItem] | None = None,
    channel: FulfillmentChannel = FulfillmentChannel.MFN,
    source: Source = Source.SPAPI_V0,
    total: Money | None = None,
) -> Order:
    """One MFN order, unshipped and dated T0 unless told."""
    return Order(
        amazon_order_id=order_id,
        marketplace_id="ATVPDKIKX0DER",
        status=status,
        fulfillment_channel=channel,
        purchase_date=T0 - timedelta(days=1),
        last_update_date=updated,
        source=source,
        items=[item()] if items is None else items,
        order_total=total,
    )


def oid(n: int) -> str:
    """A distinct order id."""
    return f"902-0000000-{n:07d}"


def kinds(events: list[Event]) -> list[tuple[EventType, str | None]]:
    """What the events say, without ids and times."""
    return [(e.type, e.order_item_id) for e in events]


def real_now() -> datetime:
    """The wall clock, to the second: a PostgreSQL server times leases by it."""
    return datetime.now(UTC).replace(microsecond=0)
