"""``Store.apply`` in a SQL store: one transaction from the lease check to the cursor.

Order of work inside the transaction, and why:

1. lock the account (PostgreSQL: an advisory lock), so two writers of one account merge one
   after the other and never both fire the same event;
2. check the lease when one is given (the fence): a worker whose lease was taken writes
   nothing and gets :class:`~amzcancel.errors.LeaseLost`;
3. skip the whole call when its dedupe key was already recorded;
4. load the batch's stored orders (one query per table), merge, and upsert only what changed;
5. clear the applied orders from the set-aside list, then record the new set-asides;
6. record the dedupe key (and prune old ones), append the events (under the outbox lock,
   last, so it is held for the shortest time), store the cursor.

Added in 0.2.0.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from amzcancel.errors import LeaseLost, StoreError
from amzcancel.models import Order
from amzcancel.sync._merge import Change, changes, merge
from amzcancel.sync._protocol import CursorKey, Event, Lease, SetAside
from amzcancel.sync._sql import Row, Tx, chunks, marks
from amzcancel.sync._sql_orders import (
    StoredOrder,
    item_values,
    load_orders,
    order_values,
    touch_freshness,
    write_items,
    write_orders,
)
from amzcancel.sync._sql_outbox import append_events

__all__ = ["DEDUPE_RETENTION", "apply_orders", "put_cursor"]

_log = logging.getLogger("amzcancel.sync.store")

DEDUPE_RETENTION = timedelta(days=14)
"""How long a dedupe key is remembered: SQS keeps a message at most 14 days."""

FutureDateWarner = Callable[[str, Order, datetime], None]


def put_cursor(tx: Tx, key: CursorKey, value: datetime, now: datetime) -> None:
    """Upsert the cursor of ``key``."""
    tx.run(
        "INSERT INTO cursors (account, api, marketplace_ids, value, updated_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (account, api, marketplace_ids)"
        " DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        (key.account, key.api, cursor_marketplaces(key), tx.ts(value), tx.ts(now)),
    )


def cursor_marketplaces(key: CursorKey) -> str:
    """The stored form of a cursor key's marketplace set (a JSON list, sorted)."""
    return json.dumps(key.marketplace_ids)


def check_lease(tx: Tx, account: str, lease: Lease) -> None:
    """Raise :class:`LeaseLost` unless ``lease`` is still the account's lease."""
    if lease.account != account:
        raise StoreError(f"lease of {lease.account!r} used to write account {account!r}")
    # for_update is a constant clause of the backend; the account is a bound parameter.
    sql = f"SELECT holder, epoch FROM accounts WHERE name = ?{tx.for_update}"  # noqa: S608
    row = tx.one(sql, (account,))
    if row is None or row[0] != lease.worker or int(row[1]) != lease.epoch:
        holder = None if row is None else row[0]
        raise LeaseLost(
            f"account {account!r}: lease {lease.epoch} of worker {lease.worker!r} was lost"
            f" (now held by {holder!r}); nothing was written"
        )


def _seen(tx: Tx, account: str, key: str) -> bool:
    return (
        tx.one("SELECT 1 FROM dedupe_keys WHERE account = ? AND key = ?", (account, key))
        is not None
    )


def _remember(tx: Tx, account: str, key: str, now: datetime) -> None:
    tx.run(
        "DELETE FROM dedupe_keys WHERE account = ? AND recorded_at < ?",
        (account, tx.ts(now - DEDUPE_RETENTION)),
    )
    tx.run(
        "INSERT INTO dedupe_keys (account, key, recorded_at) VALUES (?, ?, ?)",
        (account, key, tx.ts(now)),
    )


def _update_set_aside(
    tx: Tx, account: str, applied: Sequence[str], set_aside: Sequence[SetAside], now: datetime
) -> None:
    for chunk in chunks(applied):
        tx.run(
            "DELETE FROM set_aside WHERE account = ?"  # noqa: S608 - placeholders only
            f" AND amazon_order_id IN ({marks(len(chunk))})",
            (account, *chunk),
        )
    stamp = tx.ts(now)
    tx.executemany(
        "INSERT INTO set_aside (account, amazon_order_id, error, first_seen, last_seen, attempts)"
        " VALUES (?, ?, ?, ?, ?, 1) ON CONFLICT (account, amazon_order_id) DO UPDATE SET"
        " error = excluded.error, last_seen = excluded.last_seen,"
        " attempts = set_aside.attempts + 1",
        [(account, entry.amazon_order_id, entry.error, stamp, stamp) for entry in set_aside],
    )


class _Batch:
    """The rows one apply writes, collected so each table gets one bulk upsert."""

    def __init__(
        self, tx: Tx, account: str, stored: dict[str, StoredOrder], copies: Counter[str]
    ) -> None:
        self.tx, self.account, self.stored, self.copies = tx, account, stored, copies
        self.orders: dict[str, Row] = {}
        self.items: dict[tuple[str, str], Row] = {}
        self.fresher: dict[str, datetime] = {}
        self.changes: list[tuple[Order, Change]] = []
        self._stamp: Any = None

    def add(self, incoming: Order, now: datetime) -> None:
        tx, oid = self.tx, incoming.amazon_order_id
        current = self.stored.get(oid)
        result = merge(
            None if current is None else current.order,
            incoming,
            freshness=None if current is None else current.freshness,
            received_at=now,
        )
        if result is None:
            _log.debug("order %s: incoming data is older than stored, kept stored", oid)
            return
        merged = result.order
        values, has_items = order_values(tx, merged), bool(merged.items)
        known = {} if current is None else current.items
        changed = [
            (item.order_item_id, row)
            for position, item in enumerate(merged.items)
            if known.get(item.order_item_id) != (row := item_values(tx, item, position))
        ]
        if (
            current is not None
            and not changed
            and values == current.values
            and has_items == current.has_items
        ):
            # Nothing to write; but a date received earlier than it claimed may now count.
            if result.freshness is not None and result.freshness != current.freshness:
                self.fresher[oid] = current.freshness = result.freshness
            return
        self.orders[oid] = (
            self.account,
            oid,
            *values,
            has_items,
            self.stamp(now),
            tx.ts_or_none(result.freshness),
        )
        for item_id, row in changed:
            self.items[(oid, item_id)] = (self.account, oid, item_id, *row)
        self.fresher.pop(oid, None)
        before = None if current is None else current.order
        self.changes.extend((merged, change) for change in changes(before, merged))
        if self.copies[oid] > 1:  # another copy of this order follows in the batch
            self.copies[oid] -= 1
            self.stored[oid] = StoredOrder(
                merged, values, result.freshness, has_items, {**known, **dict(changed)}
            )

    def stamp(self, now: datetime) -> Any:
        """``now`` as stored (one conversion per batch: every row carries the same time)."""
        if self._stamp is None:
            self._stamp = self.tx.ts(now)
        return self._stamp

    def write(self) -> None:
        write_orders(self.tx, list(self.orders.values()))
        write_items(self.tx, list(self.items.values()))
        touch_freshness(self.tx, self.account, list(self.fresher.items()))


def apply_orders(
    tx: Tx,
    account: str,
    orders: Sequence[Order],
    *,
    now: datetime,
    cursor: tuple[CursorKey, datetime] | None,
    set_aside: Sequence[SetAside],
    dedupe_key: str | None,
    lease: Lease | None,
    warn_future: FutureDateWarner,
) -> list[Event]:
    """Everything :meth:`Store.apply` does, inside the open transaction ``tx``."""
    tx.lock_account(account)
    if lease is not None:
        check_lease(tx, account, lease)
    if dedupe_key is not None and _seen(tx, account, dedupe_key):
        _log.debug("account %s: %s already applied, skipped", account, dedupe_key)
        return []
    copies = Counter(order.amazon_order_id for order in orders)
    ids = list(copies)
    batch = _Batch(tx, account, load_orders(tx, account, ids) if ids else {}, copies)
    for incoming in orders:
        if incoming.last_update_date is not None and incoming.last_update_date > now:
            warn_future(account, incoming, now)
        batch.add(incoming, now)
    batch.write()
    if ids or set_aside:
        _update_set_aside(tx, account, ids, set_aside, now)
    if dedupe_key is not None:
        _remember(tx, account, dedupe_key, now)
    events = append_events(tx, account, batch.changes, now)
    if cursor is not None:
        put_cursor(tx, *cursor, now)
    return events
