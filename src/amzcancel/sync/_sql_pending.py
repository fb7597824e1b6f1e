"""Open buyer-cancel requests in a SQL store, read a page of orders at a time.

Orders are listed oldest update first, undated ones before all others (as SQLite has always
sorted them), and paged by key, not offset: each page is ``(last_update_date, account,
amazon_order_id)`` past the previous one, so streaming every request holds one page in memory.

Added in 0.2.0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from amzcancel.models import FulfillmentChannel, OrderStatus
from amzcancel.sync._protocol import PendingRequest
from amzcancel.sync._rows import pending_for
from amzcancel.sync._sql import Tx
from amzcancel.sync._sql_orders import load_orders

__all__ = ["PAGE_ORDERS", "PendingPosition", "pending_page"]

PAGE_ORDERS = 200
"""Orders with a request read per page."""

_OPEN_WITH_REQUEST = (
    "SELECT o.account, o.amazon_order_id, o.last_update_date FROM orders o"
    " WHERE EXISTS (SELECT 1 FROM items i WHERE i.account = o.account"
    " AND i.amazon_order_id = o.amazon_order_id AND i.buyer_cancel_requested = ?)"
    " AND (o.status IS NULL OR o.status NOT IN (?, ?))"
)


@dataclass(frozen=True)
class PendingPosition:
    """Where the previous page ended: undated orders first, then dated ones."""

    dated: bool = False
    last_update_date: Any = None
    account: str | None = None
    amazon_order_id: str | None = None


def _keys(
    tx: Tx, position: PendingPosition, account: str | None, include_afn: bool, limit: int
) -> list[tuple[Any, ...]]:
    sql = _OPEN_WITH_REQUEST
    params: list[Any] = [True, OrderStatus.SHIPPED.value, OrderStatus.CANCELED.value]
    if not include_afn:
        sql += " AND (o.fulfillment_channel IS NULL OR o.fulfillment_channel != ?)"
        params.append(FulfillmentChannel.AFN.value)
    if account is not None:
        sql += " AND o.account = ?"
        params.append(account)
    if position.dated:
        sql += " AND o.last_update_date IS NOT NULL"
        if position.account is not None:
            sql += " AND (o.last_update_date, o.account, o.amazon_order_id) > (?, ?, ?)"
            params += [position.last_update_date, position.account, position.amazon_order_id]
        sql += " ORDER BY o.last_update_date, o.account, o.amazon_order_id"
    else:
        sql += " AND o.last_update_date IS NULL"
        if position.account is not None:
            sql += " AND (o.account, o.amazon_order_id) > (?, ?)"
            params += [position.account, position.amazon_order_id]
        sql += " ORDER BY o.account, o.amazon_order_id"
    return [tuple(row) for row in tx.rows(sql + " LIMIT ?", [*params, limit])]


def pending_page(
    tx: Tx,
    position: PendingPosition,
    *,
    account: str | None,
    include_afn: bool,
    limit: int = PAGE_ORDERS,
) -> tuple[list[PendingRequest], PendingPosition | None]:
    """One page of open requests after ``position``, and where the next page starts.

    Returns ``None`` as the next position when every page has been read.
    """
    keys = _keys(tx, position, account, include_afn, limit)
    while not keys and not position.dated:
        position = PendingPosition(dated=True)
        keys = _keys(tx, position, account, include_afn, limit)
    if not keys:
        return [], None
    groups: dict[str, list[str]] = {}
    for acct, order_id, _ in keys:
        groups.setdefault(acct, []).append(order_id)
    loaded = {acct: load_orders(tx, acct, ids) for acct, ids in groups.items()}
    requests: list[PendingRequest] = []
    for acct, order_id, _ in keys:
        stored = loaded[acct].get(order_id)
        if stored is not None:  # same transaction as the key query: always there
            requests.extend(pending_for(acct, stored.order))
    last = keys[-1]
    following = PendingPosition(position.dated, last[2], last[0], last[1])
    return requests, following
