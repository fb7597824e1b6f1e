"""Orders and items in a SQL store: load a batch, decode rows, encode and upsert merged orders.

Stored orders are read back from typed columns (no JSON to parse and re-validate; pydantic's
validation of plain values is cheaper than ``model_construct`` here, and still catches a
corrupt row), a whole batch with one query per table; buyer-cancel flags and prices are
shared frozen instances; and an order is compared with what is stored column by column
instead of being serialised twice, so the update path of every sync costs about what an
insert does (``benchmarks/bench_store.py``).

Added in 0.2.0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from amzcancel.errors import StoreError
from amzcancel.models import (
    FulfillmentChannel,
    Order,
    OrderItem,
    OrderStatus,
    Source,
)
from amzcancel.sync._rows import buyer_cancel, money, trusted
from amzcancel.sync._sql import Row, Tx, chunks, marks

__all__ = [
    "StoredOrder",
    "item_values",
    "load_orders",
    "order_values",
    "stored_freshness",
    "touch_freshness",
    "write_items",
    "write_orders",
]

ORDER_COLUMNS = (
    "marketplace_id",
    "status",
    "fulfillment_channel",
    "purchase_date",
    "last_update_date",
    "source",
    "order_total_currency",
    "order_total_amount",
)
ITEM_COLUMNS = (
    "position",
    "asin",
    "seller_sku",
    "title",
    "quantity_ordered",
    "quantity_shipped",
    "buyer_cancel_requested",
    "buyer_cancel_reason",
    "item_price_currency",
    "item_price_amount",
    "cancelled",
)
_ORDER_SELECT = ", ".join(("amazon_order_id", *ORDER_COLUMNS, "freshness", "has_items"))
_ITEM_SELECT = ", ".join(("amazon_order_id", "order_item_id", *ITEM_COLUMNS))


def _upsert(table: str, keys: tuple[str, ...], columns: tuple[str, ...]) -> str:
    names = (*keys, *columns)
    updates = ", ".join(f"{name} = excluded.{name}" for name in columns)
    return (
        f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks(len(names))})"  # noqa: S608
        f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}"
    )


# Constant table and column names only; every value is a bound parameter.
_UPSERT_ORDER = _upsert(
    "orders",
    ("account", "amazon_order_id"),
    (*ORDER_COLUMNS, "has_items", "stored_at", "freshness"),
)
_UPSERT_ITEM = _upsert("items", ("account", "amazon_order_id", "order_item_id"), ITEM_COLUMNS)


@dataclass(slots=True)
class StoredOrder:
    """An order as stored: the model, and its rows as the database returned them."""

    order: Order
    values: Row
    """The order row, in :data:`ORDER_COLUMNS` order (compared with :func:`order_values`)."""
    freshness: datetime | None
    has_items: bool
    items: dict[str, Row] = field(default_factory=dict)
    """Item id -> item row in :data:`ITEM_COLUMNS` order."""


def order_values(tx: Tx, order: Order) -> Row:
    """The order's columns as :meth:`Tx.execute` stores them (:data:`ORDER_COLUMNS`)."""
    total = order.order_total
    return (
        order.marketplace_id,
        None if order.status is None else order.status.value,
        None if order.fulfillment_channel is None else order.fulfillment_channel.value,
        tx.ts_or_none(order.purchase_date),
        tx.ts_or_none(order.last_update_date),
        order.source.value,
        None if total is None else total.currency_code,
        None if total is None else tx.amount(total.amount),
    )


def item_values(tx: Tx, item: OrderItem, position: int) -> Row:
    """The item's columns as stored (:data:`ITEM_COLUMNS`)."""
    price = item.item_price
    return (
        position,
        item.asin,
        item.seller_sku,
        item.title,
        item.quantity_ordered,
        item.quantity_shipped,
        item.buyer_cancel.requested,
        item.buyer_cancel.reason,
        None if price is None else price.currency_code,
        None if price is None else tx.amount(price.amount),
        item.cancelled,
    )


def _item_from(item_id: str, row: Row) -> OrderItem:
    (_, asin, sku, title, ordered, shipped, requested, reason, currency, amount, cancelled) = row
    return trusted(
        OrderItem,
        {
            "order_item_id": item_id,
            "asin": asin,
            "seller_sku": sku,
            "title": title,
            "quantity_ordered": ordered,
            "quantity_shipped": shipped,
            "buyer_cancel": buyer_cancel(bool(requested), reason),
            "item_price": money(currency, amount),
            "cancelled": bool(cancelled),
        },
    )


# Enum members by value: a dict lookup, where calling the enum class costs ten times more.
_STATUSES: dict[str | None, OrderStatus | None] = {s.value: s for s in OrderStatus}
_STATUSES[None] = None
_CHANNELS: dict[str | None, FulfillmentChannel | None] = {c.value: c for c in FulfillmentChannel}
_CHANNELS[None] = None
_SOURCES = {s.value: s for s in Source}


def _order_from(tx: Tx, order_id: str, row: Row, items: list[OrderItem]) -> Order:
    (marketplace, status, channel, purchased, updated, source, currency, amount) = row
    try:
        status_, channel_, source_ = _STATUSES[status], _CHANNELS[channel], _SOURCES[source]
    except KeyError as exc:
        raise ValueError(f"unknown value {exc.args[0]!r}") from None
    return trusted(
        Order,
        {
            "amazon_order_id": order_id,
            "marketplace_id": marketplace,
            "status": status_,
            "fulfillment_channel": channel_,
            "purchase_date": None if purchased is None else tx.dt(purchased),
            "last_update_date": None if updated is None else tx.dt(updated),
            "source": source_,
            "items": items,
            "order_total": money(currency, amount),
            "unit_count": None,
        },
    )


def _position(row: Row) -> Any:
    return row[2]


def load_orders(tx: Tx, account: str, order_ids: Sequence[str]) -> dict[str, StoredOrder]:
    """The stored orders among ``order_ids``, with their items: two queries per 500 ids."""
    found: dict[str, StoredOrder] = {}
    unique = list(dict.fromkeys(order_ids))
    for chunk in chunks(unique):
        in_list = marks(len(chunk))
        order_rows = tx.rows(
            f"SELECT {_ORDER_SELECT} FROM orders"  # noqa: S608 - constant columns, bound values
            f" WHERE account = ? AND amazon_order_id IN ({in_list})",
            (account, *chunk),
        )
        if not order_rows:
            continue
        item_rows = tx.rows(
            f"SELECT {_ITEM_SELECT} FROM items"  # noqa: S608 - constant columns, bound values
            f" WHERE account = ? AND amazon_order_id IN ({in_list})",
            (account, *chunk),
        )
        items: dict[str, list[Row]] = {}
        for row in item_rows:
            items.setdefault(row[0], []).append(row)
        for row in order_rows:
            order_id = row[0]
            values, fresh, has_items = row[1:9], row[9], row[10]
            own = items.get(order_id, [])
            own.sort(key=_position)  # the key order is by item id; the order's is by position
            stored_items = {r[1]: r[2:] for r in own}
            try:
                order = _order_from(
                    tx, order_id, values, [_item_from(i, r) for i, r in stored_items.items()]
                )
            except (ValueError, TypeError) as exc:
                raise StoreError(f"stored order {order_id} ({account}) is corrupt: {exc}") from exc
            found[order_id] = StoredOrder(
                order, values, tx.dt_or_none(fresh), bool(has_items), stored_items
            )
    return found


def stored_freshness(tx: Tx, account: str, order_ids: Sequence[str]) -> dict[str, datetime | None]:
    """Effective freshness of the orders among ``order_ids`` that are stored with items."""
    result: dict[str, datetime | None] = {}
    for chunk in chunks(list(dict.fromkeys(order_ids))):
        rows = tx.rows(
            "SELECT amazon_order_id, freshness FROM orders"  # noqa: S608 - placeholders only
            f" WHERE account = ? AND has_items = ? AND amazon_order_id IN ({marks(len(chunk))})",
            (account, True, *chunk),
        )
        for order_id, fresh in rows:
            result[order_id] = tx.dt_or_none(fresh)
    return result


def write_orders(tx: Tx, rows: Sequence[Row]) -> None:
    """Upsert order rows: (account, id, *order_values, has_items, stored_at, freshness)."""
    if rows:
        tx.executemany(_UPSERT_ORDER, rows)


def write_items(tx: Tx, rows: Sequence[Row]) -> None:
    """Upsert item rows: (account, order id, item id, *item_values)."""
    if rows:
        tx.executemany(_UPSERT_ITEM, rows)


def touch_freshness(tx: Tx, account: str, updates: Sequence[tuple[str, datetime]]) -> None:
    """Raise the stored freshness of unchanged orders whose date has now been received."""
    if updates:
        tx.executemany(
            "UPDATE orders SET freshness = ? WHERE account = ? AND amazon_order_id = ?",
            [(tx.ts(fresh), account, order_id) for order_id, fresh in updates],
        )
