"""The SQLite store: orders, items, cursors and the event outbox in one crash-safe file.

Usage::

    from amzcancel.sync import SqliteStore

    with SqliteStore("amzcancel.db") as store:
        for event in store.events():
            handle(event)                 # the ERP's own, idempotent, processing
            store.ack([event.id])

Durability: WAL journal with ``synchronous=FULL``, one ``BEGIN IMMEDIATE`` transaction per
:meth:`SqliteStore.apply`, so a process killed at any point leaves the old state or the new
one, never a mix, and a committed event survives a power cut (``NORMAL`` could lose the last
commits there, and a lost event id would be handed out again to a different event).

Added in 0.1.0.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from amzcancel.clock import Clock, SystemClock
from amzcancel.errors import StoreError
from amzcancel.models import FulfillmentChannel, Order, OrderItem, OrderStatus
from amzcancel.sync._merge import Change, changes, merge_order
from amzcancel.sync._protocol import CursorKey, Event, PendingRequest
from amzcancel.sync._rows import (
    EVENT_COLUMNS,
    chunks,
    event_from_row,
    fingerprint,
    money,
    parse_ts,
    pending_for,
    ts,
    ts_or_none,
)
from amzcancel.sync._schema import migrate, schema_version

__all__ = ["DEFAULT_STORE_PATH", "SqliteStore"]

_log = logging.getLogger("amzcancel.sync.store")

DEFAULT_STORE_PATH = "amzcancel.db"
"""Where the CLI and :class:`SqliteStore` keep the store unless told otherwise."""


_STORED_DATES = (
    "SELECT amazon_order_id, last_update_date FROM orders WHERE account = ? AND has_items = 1"
)
_ACK = "UPDATE events SET acked_at = ? WHERE acked_at IS NULL"


class SqliteStore:
    """The default :class:`~amzcancel.sync.Store`: one SQLite file (or ``":memory:"``).

    Args:
        path: the database file; created (with the schema) if missing and ``create`` is true.
        create: when false, a missing file raises :class:`StoreError` instead of being created.
        clock: the clock for ``recorded_at`` stamps; :class:`SystemClock` by default.
        timeout_seconds: how long to wait for another process's write lock (busy timeout).

    Raises:
        StoreError: the file cannot be opened, is not a database, or was written by a newer
            amzcancel. Every SQLite failure later on is raised as :class:`StoreError` too.

    Added in 0.1.0.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] = DEFAULT_STORE_PATH,
        *,
        create: bool = True,
        clock: Clock | None = None,
        timeout_seconds: float = 5.0,
    ) -> None:
        self.path = os.fspath(path)
        self._clock: Clock = clock or SystemClock()
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        memory = self.path == ":memory:"
        if not memory and not create and not Path(self.path).is_file():
            raise StoreError(f"{self.path}: no such store")
        with self._wrap("open"):
            target = self.path
            if not memory:
                mode = "rwc" if create else "rw"
                target = f"{Path(self.path).absolute().as_uri()}?mode={mode}"
            # check_same_thread=False: the RLock serialises use, so a store may be handed to a
            # worker thread (an async engine running blocking calls in a thread pool).
            conn = sqlite3.connect(
                target,
                uri=not memory,
                timeout=timeout_seconds,
                isolation_level=None,
                check_same_thread=False,
            )
            try:
                _refuse_foreign_database(conn, self.path)
                mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
                if not memory and mode != "wal":
                    # Still transactional, but readers now block the writer: say so.
                    _log.warning("%s: WAL unavailable, journal mode is %s", self.path, mode)
                conn.execute("PRAGMA synchronous=FULL")
                conn.execute("PRAGMA foreign_keys=ON")
                start = migrate(conn, path=self.path)
            except BaseException:
                conn.close()
                raise
        if start == 0:
            _log.info("created store schema in %s", self.path)
        self._conn = conn

    def __repr__(self) -> str:
        return f"SqliteStore(path={self.path!r})"

    # -- plumbing ---------------------------------------------------------------------------

    @contextmanager
    def _wrap(self, action: str) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: {action} failed: {exc}") from exc
        except OverflowError as exc:  # an int beyond SQLite's 64 bits, e.g. ack([2**64])
            raise StoreError(f"{self.path}: {action} failed: {exc}") from exc

    @contextmanager
    def _connection(self, action: str) -> Iterator[sqlite3.Connection]:
        with self._lock, self._wrap(action):
            if self._conn is None:
                raise StoreError(f"{self.path}: the store is closed")
            yield self._conn

    @contextmanager
    def _transaction(self, action: str, begin: str) -> Iterator[sqlite3.Connection]:
        with self._connection(action) as conn:
            conn.execute(begin)
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _read(self, action: str) -> AbstractContextManager[sqlite3.Connection]:
        """A read transaction: every statement in the block sees the same snapshot."""
        return self._transaction(action, "BEGIN")

    def _write(self, action: str) -> AbstractContextManager[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` transaction: all of the block commits, or none of it."""
        return self._transaction(action, "BEGIN IMMEDIATE")

    def close(self) -> None:
        """Close the database; later calls raise :class:`StoreError`. Safe to call twice."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- cursors ----------------------------------------------------------------------------

    def get_cursor(self, key: CursorKey) -> datetime | None:
        """The stored cursor for ``key``, or ``None``."""
        with self._read("get_cursor") as conn:
            row = conn.execute(
                "SELECT value FROM cursors WHERE account = ? AND api = ? AND marketplace_ids = ?",
                (key.account, key.api, json.dumps(key.marketplace_ids)),
            ).fetchone()
        return None if row is None else parse_ts(row[0])

    def set_cursor(self, key: CursorKey, value: datetime) -> None:
        """Store ``value`` as the cursor for ``key`` (on its own; see :meth:`apply`)."""
        with self._write("set_cursor") as conn:
            self._put_cursor(conn, key, value)

    def _put_cursor(self, conn: sqlite3.Connection, key: CursorKey, value: datetime) -> None:
        conn.execute(
            "INSERT INTO cursors (account, api, marketplace_ids, value, updated_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (account, api, marketplace_ids)"
            " DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            (
                key.account,
                key.api,
                json.dumps(key.marketplace_ids),
                ts(value),
                ts(self._clock.now()),
            ),
        )

    # -- orders -----------------------------------------------------------------------------

    def stored_update_dates(
        self, account: str, order_ids: Sequence[str]
    ) -> dict[str, datetime | None]:
        """``last_update_date`` of the orders among ``order_ids`` stored with their items."""
        result: dict[str, datetime | None] = {}
        unique = list(dict.fromkeys(order_ids))
        with self._read("stored_update_dates") as conn:
            for chunk in chunks(unique):
                marks = ",".join("?" * len(chunk))
                # Only "?" placeholders are interpolated; every value is a bound parameter.
                sql = f"{_STORED_DATES} AND amazon_order_id IN ({marks})"
                rows = conn.execute(sql, (account, *chunk))
                for order_id, stamp in rows:
                    result[order_id] = None if stamp is None else parse_ts(stamp)
        return result

    def get_order(self, account: str, amazon_order_id: str) -> Order | None:
        """The stored order with its items (and money attributes), or ``None``."""
        with self._read("get_order") as conn:
            return self._load_order(conn, account, amazon_order_id)

    def _load_order(
        self, conn: sqlite3.Connection, account: str, amazon_order_id: str
    ) -> Order | None:
        row = conn.execute(
            "SELECT doc, order_total_currency, order_total_amount FROM orders"
            " WHERE account = ? AND amazon_order_id = ?",
            (account, amazon_order_id),
        ).fetchone()
        if row is None:
            return None
        item_rows = conn.execute(
            "SELECT doc, item_price_currency, item_price_amount, cancelled FROM items"
            " WHERE account = ? AND amazon_order_id = ? ORDER BY position",
            (account, amazon_order_id),
        ).fetchall()
        try:
            items = [
                OrderItem.model_validate_json(doc).model_copy(
                    update={"item_price": money(currency, amount), "cancelled": bool(cancelled)}
                )
                for doc, currency, amount, cancelled in item_rows
            ]
            order = Order.model_validate_json(row[0])
        except ValueError as exc:  # pydantic's ValidationError and Decimal errors
            raise StoreError(
                f"{self.path}: stored order {amazon_order_id} ({account}) is corrupt: {exc}"
            ) from exc
        return order.model_copy(update={"items": items, "order_total": money(row[1], row[2])})

    def apply(
        self,
        account: str,
        orders: Sequence[Order],
        *,
        cursor: tuple[CursorKey, datetime] | None = None,
    ) -> list[Event]:
        """Upsert ``orders`` with their items, append their events and set ``cursor``, atomically.

        Each order is merged into the stored one (see ``docs/store-and-events.md``); an order
        dated earlier than the stored one is ignored, and an order that changes nothing writes
        nothing, so applying the same page twice emits no events the second time.

        Args:
            account: the account the orders belong to.
            orders: orders with their items (an order listed twice is merged in turn).
            cursor: a cursor to store in the same transaction as the rows it covers.

        Returns:
            The events appended, in id order.
        """
        if not account:
            raise StoreError("apply needs a non-empty account")
        events: list[Event] = []
        with self._write("apply") as conn:
            now = self._clock.now()
            for incoming in orders:
                stored = self._load_order(conn, account, incoming.amazon_order_id)
                merged = merge_order(stored, incoming)
                if merged is None:
                    _log.debug(
                        "order %s: incoming data is older than stored, kept stored",
                        incoming.amazon_order_id,
                    )
                    continue
                if stored is not None and fingerprint(merged) == fingerprint(stored):
                    continue
                self._write_order(conn, account, merged, now)
                for change in changes(stored, merged):
                    events.append(self._append_event(conn, account, merged, change, now))
            if cursor is not None:
                self._put_cursor(conn, *cursor)
        return events

    def _write_order(
        self, conn: sqlite3.Connection, account: str, order: Order, now: datetime
    ) -> None:
        total = order.order_total
        conn.execute(
            "INSERT OR REPLACE INTO orders (account, amazon_order_id, marketplace_id, status,"
            " fulfillment_channel, purchase_date, last_update_date, source, has_items, doc,"
            " order_total_currency, order_total_amount, stored_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                account,
                order.amazon_order_id,
                order.marketplace_id,
                None if order.status is None else order.status.value,
                None if order.fulfillment_channel is None else order.fulfillment_channel.value,
                ts_or_none(order.purchase_date),
                ts_or_none(order.last_update_date),
                order.source.value,
                int(bool(order.items)),
                order.model_dump_json(exclude={"items"}),
                None if total is None else total.currency_code,
                None if total is None else str(total.amount),
                ts(now),
            ),
        )
        conn.executemany(
            "INSERT OR REPLACE INTO items (account, amazon_order_id, order_item_id, position,"
            " seller_sku, buyer_cancel_requested, buyer_cancel_reason, doc,"
            " item_price_currency, item_price_amount, cancelled)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    account,
                    order.amazon_order_id,
                    item.order_item_id,
                    position,
                    item.seller_sku,
                    int(item.buyer_cancel.requested),
                    item.buyer_cancel.reason,
                    item.model_dump_json(),
                    None if item.item_price is None else item.item_price.currency_code,
                    None if item.item_price is None else str(item.item_price.amount),
                    int(item.cancelled),
                )
                for position, item in enumerate(order.items)
            ],
        )

    # -- the outbox -------------------------------------------------------------------------

    def _append_event(
        self, conn: sqlite3.Connection, account: str, order: Order, change: Change, now: datetime
    ) -> Event:
        occurred = order.last_update_date or now
        cur = conn.execute(
            "INSERT INTO events (type, account, amazon_order_id, order_item_id, reason,"
            " occurred_at, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                change.type.value,
                account,
                order.amazon_order_id,
                change.order_item_id,
                change.reason,
                ts(occurred),
                ts(now),
            ),
        )
        if cur.lastrowid is None:  # pragma: no cover - SQLite always sets it after an INSERT
            raise StoreError(f"{self.path}: event insert returned no id")
        return Event(
            id=cur.lastrowid,
            type=change.type,
            account=account,
            amazon_order_id=order.amazon_order_id,
            order_item_id=change.order_item_id,
            reason=change.reason,
            occurred_at=occurred,
            recorded_at=now,
        )

    def events(
        self, *, after_id: int = 0, include_acked: bool = False, limit: int | None = None
    ) -> list[Event]:
        """Events with ids above ``after_id``, oldest first; unacknowledged only by default.

        Args:
            after_id: only events with a larger id (a consumer's last id seen).
            include_acked: also return acknowledged events.
            limit: at most this many events; ``None`` for all.
        """
        if limit is not None and limit < 0:
            raise StoreError(f"limit must be >= 0, got {limit}")
        unacked = "" if include_acked else " AND acked_at IS NULL"
        with self._read("events") as conn:
            # Constant column list and condition only; the values are bound parameters.
            sql = f"SELECT {EVENT_COLUMNS} FROM events WHERE id > ?{unacked} ORDER BY id LIMIT ?"  # noqa: S608
            rows = conn.execute(sql, (after_id, -1 if limit is None else limit)).fetchall()
        return [event_from_row(row) for row in rows]

    def ack(self, event_ids: Iterable[int]) -> int:
        """Acknowledge the given events; returns how many were unacknowledged before."""
        ids = list(dict.fromkeys(event_ids))
        changed = 0
        with self._write("ack") as conn:
            stamp = ts(self._clock.now())
            for chunk in chunks(ids):
                marks = ",".join("?" * len(chunk))
                sql = f"{_ACK} AND id IN ({marks})"
                changed += conn.execute(sql, (stamp, *chunk)).rowcount
        return changed

    def ack_through(self, event_id: int) -> int:
        """Acknowledge every event with an id up to ``event_id``; returns how many changed."""
        with self._write("ack_through") as conn:
            return conn.execute(
                f"{_ACK} AND id <= ?",
                (ts(self._clock.now()), event_id),
            ).rowcount

    # -- pending requests -------------------------------------------------------------------

    def pending_requests(
        self, *, account: str | None = None, include_afn: bool = False
    ) -> list[PendingRequest]:
        """Open buyer cancel requests, oldest order update first.

        An item is listed when its buyer formally asked to cancel, its order is neither
        ``Shipped`` nor ``Canceled``, and it is not already fully shipped. Amazon-fulfilled
        (AFN) orders are left out unless ``include_afn``: the seller cannot cancel them, and
        their requests still reach the outbox.

        Args:
            account: only this account's requests; every account's by default.
            include_afn: also list requests on Amazon-fulfilled orders.
        """
        sql = (
            "SELECT DISTINCT o.account, o.amazon_order_id, o.last_update_date FROM items i"
            " JOIN orders o ON o.account = i.account AND o.amazon_order_id = i.amazon_order_id"
            " WHERE i.buyer_cancel_requested = 1"
            " AND (o.status IS NULL OR o.status NOT IN (?, ?))"
        )
        params: list[Any] = [OrderStatus.SHIPPED.value, OrderStatus.CANCELED.value]
        if not include_afn:
            sql += " AND (o.fulfillment_channel IS NULL OR o.fulfillment_channel != ?)"
            params.append(FulfillmentChannel.AFN.value)
        if account is not None:
            sql += " AND o.account = ?"
            params.append(account)
        sql += " ORDER BY o.last_update_date, o.account, o.amazon_order_id"
        result: list[PendingRequest] = []
        with self._read("pending_requests") as conn:
            for acct, order_id, _ in conn.execute(sql, params).fetchall():
                order = self._load_order(conn, acct, order_id)
                if order is None:  # pragma: no cover - same snapshot as the join
                    continue
                result.extend(pending_for(acct, order))
        return result


def _refuse_foreign_database(conn: sqlite3.Connection, path: str) -> None:
    """Refuse another application's SQLite file (a mistyped ``--store erp.db``).

    Checked before anything is written: opening it as a store would switch its journal mode
    and add our tables to it, even from a read-only command such as ``amzcancel pending``.
    """
    if schema_version(conn) != 0:
        return
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'"
    ).fetchall()
    if rows:
        names = ", ".join(sorted(str(name) for (name,) in rows)[:5])
        raise StoreError(
            f"{path}: not an amzcancel store (it holds other tables: {names}); "
            "choose another --store"
        )
