"""The outbox in a SQL store: append events, read them by id, acknowledge them.

Ids come from the database (SQLite ``AUTOINCREMENT``, a PostgreSQL identity column): strictly
increasing and never reused. Appends take :meth:`Tx.lock_outbox` first, and hold it until
commit, so on PostgreSQL too the ids become visible in increasing order and a consumer
reading "after id X" never skips one committed later (docs/store-and-events.md).

Added in 0.2.0.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from amzcancel.errors import StoreError
from amzcancel.models import Order
from amzcancel.sync._merge import Change
from amzcancel.sync._protocol import Event
from amzcancel.sync._rows import EVENT_COLUMNS, event_from_row, trusted
from amzcancel.sync._sql import Tx, check_id, chunks, marks

__all__ = ["ack", "ack_through", "append_events", "events_page", "latest_event_id"]

_ACK = "UPDATE events SET acked_at = ? WHERE acked_at IS NULL"


def append_events(
    tx: Tx, account: str, changes: Sequence[tuple[Order, Change]], now: datetime
) -> list[Event]:
    """Append one event per change, in order; returns them with their ids.

    One bulk insert: under the outbox lock (PostgreSQL) or the single writer (SQLite) no one
    else appends meanwhile, so the ids above the largest one before the insert are exactly
    ours, in insertion order.
    """
    if not changes:
        return []
    tx.lock_outbox()
    before = latest_event_id(tx)
    recorded = tx.ts(now)
    rows = []
    for order, change in changes:
        occurred = order.last_update_date or now
        rows.append(
            (
                change.type.value,
                account,
                order.amazon_order_id,
                change.order_item_id,
                change.reason,
                tx.ts(occurred),
                recorded,
            )
        )
    tx.executemany(
        "INSERT INTO events (type, account, amazon_order_id, order_item_id, reason,"
        " occurred_at, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    ids = [
        int(row[0]) for row in tx.rows("SELECT id FROM events WHERE id > ? ORDER BY id", (before,))
    ]
    if len(ids) != len(changes):  # pragma: no cover - someone appended without the lock
        raise StoreError(f"appended {len(changes)} events but found {len(ids)} new ids")
    tx.notify_events()
    now = now.astimezone(UTC)
    # Built from values already checked (ids from the database, a validated order, the
    # clock's aware time): skipping validation halves the cost of a sync's events.
    return [
        trusted(
            Event,
            {
                "id": event_id,
                "type": change.type,
                "account": account,
                "amazon_order_id": order.amazon_order_id,
                "order_item_id": change.order_item_id,
                "reason": change.reason,
                "occurred_at": order.last_update_date or now,
                "recorded_at": now,
                "acked": False,
            },
        )
        for event_id, (order, change) in zip(ids, changes, strict=True)
    ]


def events_page(
    tx: Tx,
    *,
    after_id: int,
    include_acked: bool,
    limit: int | None,
    account: str | None,
) -> list[Event]:
    """Events with ids above ``after_id``, oldest first, at most ``limit``."""
    check_id(after_id, "after_id")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise StoreError(f"limit must be a whole number >= 0, got {limit!r}")
    sql = f"SELECT {EVENT_COLUMNS} FROM events WHERE id > ?"  # noqa: S608 - constant columns
    params: list[Any] = [after_id]
    if not include_acked:
        sql += " AND acked_at IS NULL"
    if account is not None:
        sql += " AND account = ?"
        params.append(account)
    sql += " ORDER BY id"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return [event_from_row(tuple(row), tx.dt) for row in tx.rows(sql, params)]


def ack(tx: Tx, event_ids: Iterable[Any], now: datetime) -> int:
    """Acknowledge the given events; returns how many were unacknowledged before.

    Values that are not integers name no event (they match nothing); an integer beyond 64
    bits is refused.
    """
    ids: list[int] = []
    for value in dict.fromkeys(event_ids):
        if isinstance(value, int) and not isinstance(value, bool):
            ids.append(check_id(value))
    changed = 0
    stamp = tx.ts(now)
    for chunk in chunks(ids):
        changed += tx.run(f"{_ACK} AND id IN ({marks(len(chunk))})", (stamp, *chunk))
    return changed


def ack_through(tx: Tx, event_id: int, account: str | None, now: datetime) -> int:
    """Acknowledge every event up to ``event_id`` (of ``account``, or all)."""
    check_id(event_id)
    sql, params = f"{_ACK} AND id <= ?", [tx.ts(now), event_id]
    if account is not None:
        sql += " AND account = ?"
        params.append(account)
    return tx.run(sql, params)


def latest_event_id(tx: Tx) -> int:
    """The largest event id (0 for an empty outbox)."""
    row = tx.one("SELECT MAX(id) FROM events")
    return 0 if row is None or row[0] is None else int(row[0])
