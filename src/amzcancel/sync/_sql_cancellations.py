"""Cancellations in flight in a SQL store: recorded before the feed goes out.

``amzcancel cancel`` records a cancellation as ``prepared`` before it submits the feed, then
``submitted`` with the feed id, then ``done`` or ``failed``. A rerun after a kill finds the
open record instead of submitting twice; a unique index allows one open cancellation per order.

Added in 0.2.0.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from amzcancel.errors import StoreError
from amzcancel.sync._records import ALLOWED_TRANSITIONS, CancellationRecord, CancellationState
from amzcancel.sync._sql import Row, Tx, check_id

__all__ = ["begin_cancellation", "cancellation_rows", "update_cancellation"]

_COLUMNS = (
    "id, account, amazon_order_id, order_item_ids, reason, state, feed_id, detail,"
    " created_at, updated_at"
)
_OPEN = (CancellationState.PREPARED.value, CancellationState.SUBMITTED.value)
_UPDATE = (
    "UPDATE cancellations SET state = ?, feed_id = COALESCE(?, feed_id),"  # noqa: S608
    f" detail = COALESCE(?, detail), updated_at = ? WHERE id = ? RETURNING {_COLUMNS}"
)


def _record(tx: Tx, row: Row) -> CancellationRecord:
    record_id, account, order_id, item_ids, reason, state, feed_id, detail, created, updated = row
    return CancellationRecord(
        id=int(record_id),
        account=account,
        amazon_order_id=order_id,
        order_item_ids=tuple(json.loads(item_ids)),
        reason=reason,
        state=CancellationState(state),
        feed_id=feed_id,
        detail=detail,
        created_at=tx.dt(created),
        updated_at=tx.dt(updated),
    )


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise StoreError(f"{what} must be a non-empty string, got {value!r}")
    return value


def begin_cancellation(
    tx: Tx,
    account: str,
    amazon_order_id: str,
    order_item_ids: Sequence[str],
    reason: str,
    now: datetime,
) -> CancellationRecord:
    """Insert a ``prepared`` record; refuse when that order already has an open one."""
    _text(account, "account")
    _text(amazon_order_id, "amazon_order_id")
    _text(reason, "reason")
    if isinstance(order_item_ids, str):
        raise StoreError("order_item_ids must be a sequence of item ids, not one string")
    items = [_text(item_id, "an order item id") for item_id in order_item_ids]
    tx.lock_account(account)
    open_row = tx.one(
        "SELECT id, state FROM cancellations WHERE account = ? AND amazon_order_id = ?"
        " AND state IN (?, ?)",
        (account, amazon_order_id, *_OPEN),
    )
    if open_row is not None:
        raise StoreError(
            f"a cancellation of order {amazon_order_id} ({account}) is already {open_row[1]}"
            f" (record {open_row[0]}); finish it (done or failed) before starting another"
        )
    stamp = tx.ts(now)
    row = tx.one(
        f"INSERT INTO cancellations ({_COLUMNS.replace('id, ', '', 1)})"  # noqa: S608
        " VALUES (?, ?, ?, ?, ?, NULL, NULL, ?, ?) RETURNING " + _COLUMNS,
        (
            account,
            amazon_order_id,
            json.dumps(items),
            reason,
            CancellationState.PREPARED.value,
            stamp,
            stamp,
        ),
    )
    if row is None:  # pragma: no cover - INSERT ... RETURNING always returns the row
        raise StoreError("cancellation insert returned no row")
    return _record(tx, row)


def update_cancellation(
    tx: Tx,
    record_id: int,
    state: CancellationState,
    feed_id: str | None,
    detail: str | None,
    now: datetime,
) -> CancellationRecord:
    """Move record ``record_id`` to ``state`` if that transition is allowed."""
    check_id(record_id, "cancellation id")
    try:
        target = CancellationState(state)
    except ValueError:
        raise StoreError(f"unknown cancellation state {state!r}") from None
    row = tx.one(
        f"SELECT {_COLUMNS} FROM cancellations WHERE id = ?{tx.for_update}",  # noqa: S608
        (record_id,),
    )
    if row is None:
        raise StoreError(f"no cancellation record {record_id}")
    current = _record(tx, row)
    if target not in ALLOWED_TRANSITIONS[current.state]:
        raise StoreError(
            f"cancellation {record_id} is {current.state.value}; it cannot become {target.value}"
        )
    updated = tx.one(_UPDATE, (target.value, feed_id, detail, tx.ts(now), record_id))
    if updated is None:  # pragma: no cover - the row is locked by this transaction
        raise StoreError(f"no cancellation record {record_id}")
    return _record(tx, updated)


def cancellation_rows(
    tx: Tx, account: str | None, amazon_order_id: str | None, open_only: bool
) -> list[CancellationRecord]:
    """Recorded cancellations matching the filters, oldest first."""
    sql = f"SELECT {_COLUMNS} FROM cancellations WHERE 1 = 1"  # noqa: S608 - constant columns
    params: list[Any] = []
    if account is not None:
        sql += " AND account = ?"
        params.append(account)
    if amazon_order_id is not None:
        sql += " AND amazon_order_id = ?"
        params.append(amazon_order_id)
    if open_only:
        sql += " AND state IN (?, ?)"
        params.extend(_OPEN)
    return [_record(tx, row) for row in tx.rows(sql + " ORDER BY id", params)]
