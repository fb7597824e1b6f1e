"""What SQLite and PostgreSQL stores share: every :class:`~amzcancel.sync.Store` method.

A backend supplies transactions (:meth:`SqlStore._transaction`, yielding a
:class:`~amzcancel.sync._sql.Tx`) and, if it can do better than polling,
:meth:`SqlStore.wait_for_events`; the logic lives once, in the ``_sql_*`` modules.

Added in 0.2.0.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from types import TracebackType
from typing import Self

from amzcancel.clock import Clock
from amzcancel.errors import StoreError
from amzcancel.models import Order
from amzcancel.sync import _sql_accounts as account_sql
from amzcancel.sync import _sql_cancellations as cancel_sql
from amzcancel.sync import _sql_outbox as outbox
from amzcancel.sync._protocol import (
    AccountStatus,
    CancellationRecord,
    CancellationState,
    CursorKey,
    Event,
    Lease,
    PendingRequest,
    SetAside,
    SetAsideOrder,
)
from amzcancel.sync._sql import Tx, chunks, marks
from amzcancel.sync._sql_apply import apply_orders, cursor_marketplaces, put_cursor
from amzcancel.sync._sql_orders import load_orders, stored_freshness
from amzcancel.sync._sql_pending import PendingPosition, pending_page

__all__ = ["EVENT_PAGE", "POLL_SECONDS", "SqlStore"]

_log = logging.getLogger("amzcancel.sync.store")

EVENT_PAGE = 500
"""Events read per query by :meth:`SqlStore.iter_events`."""

POLL_SECONDS = 0.5
"""How often :meth:`SqlStore.wait_for_events` looks for new events when it polls."""

_WARNED_MAX = 10_000  # future-date warnings remembered (once per order), then forgotten


class SqlStore(ABC):
    """The shared implementation of the store protocol over a SQL database.

    Added in 0.2.0.
    """

    _clock: Clock

    def __init__(self) -> None:
        self._warned: dict[tuple[str, str], None] = {}

    @abstractmethod
    def _transaction(self, action: str, *, write: bool) -> AbstractContextManager[Tx]:
        """One transaction; ``write`` ones are serialised with other writers as needed."""

    def _read(self, action: str) -> AbstractContextManager[Tx]:
        return self._transaction(action, write=False)

    def _write(self, action: str) -> AbstractContextManager[Tx]:
        return self._transaction(action, write=True)

    @abstractmethod
    def close(self) -> None:
        """Release the store's resources; later calls raise :class:`StoreError`."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- cursors and orders -----------------------------------------------------------------

    def get_cursor(self, key: CursorKey) -> datetime | None:
        """The stored cursor for ``key``, or ``None``."""
        with self._read("get_cursor") as tx:
            row = tx.one(
                "SELECT value FROM cursors WHERE account = ? AND api = ? AND marketplace_ids = ?",
                (key.account, key.api, cursor_marketplaces(key)),
            )
        return None if row is None else tx.dt(row[0])

    def set_cursor(self, key: CursorKey, value: datetime) -> None:
        """Store ``value`` as the cursor for ``key`` (on its own; see :meth:`apply`)."""
        with self._write("set_cursor") as tx:
            put_cursor(tx, key, value, self._clock.now())

    def stored_update_dates(
        self, account: str, order_ids: Sequence[str]
    ) -> dict[str, datetime | None]:
        """Effective freshness (``min(last_update_date, received)``) of stored orders."""
        with self._read("stored_update_dates") as tx:
            return stored_freshness(tx, account, order_ids)

    def get_order(self, account: str, amazon_order_id: str) -> Order | None:
        """The stored order with its items (and money attributes), or ``None``."""
        with self._read("get_order") as tx:
            stored = load_orders(tx, account, [amazon_order_id]).get(amazon_order_id)
        return None if stored is None else stored.order

    def apply(
        self,
        account: str,
        orders: Sequence[Order],
        *,
        cursor: tuple[CursorKey, datetime] | None = None,
        set_aside: Sequence[SetAside] = (),
        dedupe_key: str | None = None,
        lease: Lease | None = None,
    ) -> list[Event]:
        """Upsert ``orders``, append their events, update set-asides and ``cursor``; atomically.

        See :meth:`amzcancel.sync.Store.apply` and ``docs/store-and-events.md``.
        """
        if not isinstance(account, str) or not account:
            raise StoreError("apply needs a non-empty account")
        if dedupe_key is not None and (not isinstance(dedupe_key, str) or not dedupe_key):
            raise StoreError(f"dedupe_key must be a non-empty string, got {dedupe_key!r}")
        entries = list(set_aside)
        if not all(isinstance(entry, SetAside) for entry in entries):
            raise StoreError("set_aside takes SetAside entries")
        with self._write("apply") as tx:
            return apply_orders(
                tx,
                account,
                orders,
                now=self._clock.now(),
                cursor=cursor,
                set_aside=entries,
                dedupe_key=dedupe_key,
                lease=lease,
                warn_future=self._warn_future,
            )

    def _warn_future(self, account: str, order: Order, now: datetime) -> None:
        key = (account, order.amazon_order_id)
        if key in self._warned:
            return
        if len(self._warned) >= _WARNED_MAX:
            self._warned.clear()
        self._warned[key] = None
        _log.warning(
            "order %s (%s): LastUpdateDate %s is later than now (%s); its freshness counts "
            "from when it was received (clock skew or a bad source)",
            order.amazon_order_id,
            account,
            order.last_update_date,
            now,
        )

    # -- pending requests -------------------------------------------------------------------

    def pending_requests(
        self, *, account: str | None = None, include_afn: bool = False
    ) -> list[PendingRequest]:
        """Open buyer cancel requests, oldest order update first (undated orders first).

        An item is listed when its buyer formally asked to cancel, its order is neither
        ``Shipped`` nor ``Canceled``, and it is neither cancelled nor fully shipped.
        Amazon-fulfilled (AFN) orders are left out unless ``include_afn``.
        """
        return list(self.iter_pending_requests(account=account, include_afn=include_afn))

    def iter_pending_requests(
        self, *, account: str | None = None, include_afn: bool = False
    ) -> Iterator[PendingRequest]:
        """:meth:`pending_requests`, streamed: one page of orders in memory at a time."""
        position: PendingPosition | None = PendingPosition()
        while position is not None:
            with self._read("pending_requests") as tx:
                page, position = pending_page(
                    tx, position, account=account, include_afn=include_afn
                )
            yield from page

    # -- set-aside orders -------------------------------------------------------------------

    def set_aside_orders(self, account: str | None = None) -> list[SetAsideOrder]:
        """Orders set aside (one account's, or every account's), oldest first."""
        sql = (
            "SELECT account, amazon_order_id, error, first_seen, last_seen, attempts FROM set_aside"
        )
        params: list[str] = []
        if account is not None:
            sql += " WHERE account = ?"
            params.append(account)
        with self._read("set_aside_orders") as tx:
            rows = tx.rows(sql + " ORDER BY first_seen, account, amazon_order_id", params)
            return [
                SetAsideOrder(
                    account=acct,
                    amazon_order_id=order_id,
                    error=error,
                    first_seen=tx.dt(first),
                    last_seen=tx.dt(last),
                    attempts=int(attempts),
                )
                for acct, order_id, error, first, last, attempts in rows
            ]

    def clear_set_aside(self, account: str, order_ids: Iterable[str]) -> int:
        """Forget these set-aside orders; returns how many were set aside."""
        ids = list(dict.fromkeys(order_ids))
        removed = 0
        with self._write("clear_set_aside") as tx:
            for chunk in chunks(ids):
                removed += tx.run(
                    "DELETE FROM set_aside WHERE account = ?"  # noqa: S608 - placeholders only
                    f" AND amazon_order_id IN ({marks(len(chunk))})",
                    (account, *chunk),
                )
        return removed

    # -- the outbox -------------------------------------------------------------------------

    def events(
        self,
        *,
        after_id: int = 0,
        include_acked: bool = False,
        limit: int | None = None,
        account: str | None = None,
    ) -> list[Event]:
        """Events with ids above ``after_id``, oldest first; unacknowledged only by default.

        Args:
            after_id: only events with a larger id (a consumer's last id seen).
            include_acked: also return acknowledged events.
            limit: at most this many events; ``None`` for all.
            account: only this account's events.
        """
        with self._read("events") as tx:
            return outbox.events_page(
                tx, after_id=after_id, include_acked=include_acked, limit=limit, account=account
            )

    def iter_events(
        self, *, after_id: int = 0, include_acked: bool = False, account: str | None = None
    ) -> Iterator[Event]:
        """:meth:`events`, streamed: read :data:`EVENT_PAGE` at a time by id."""
        while True:
            page = self.events(
                after_id=after_id, include_acked=include_acked, limit=EVENT_PAGE, account=account
            )
            yield from page
            if len(page) < EVENT_PAGE:
                return
            after_id = page[-1].id

    def ack(self, event_ids: Iterable[int]) -> int:
        """Acknowledge the given events; returns how many were unacknowledged before."""
        with self._write("ack") as tx:
            return outbox.ack(tx, event_ids, self._clock.now())

    def ack_through(self, event_id: int, *, account: str | None = None) -> int:
        """Acknowledge every event up to ``event_id`` (of ``account``); returns how many."""
        with self._write("ack_through") as tx:
            return outbox.ack_through(tx, event_id, account, self._clock.now())

    def wait_for_events(self, after_id: int, timeout_seconds: float) -> bool:
        """Poll every :data:`POLL_SECONDS` (on the store's clock) for an id above ``after_id``."""
        deadline = self._clock.monotonic() + max(float(timeout_seconds), 0.0)
        while True:
            if self._latest_event_id() > after_id:
                return True
            remaining = deadline - self._clock.monotonic()
            if remaining <= 0:
                return False
            self._clock.sleep(min(POLL_SECONDS, remaining))

    def _latest_event_id(self) -> int:
        with self._read("wait_for_events") as tx:
            return outbox.latest_event_id(tx)

    # -- accounts, leases and run status ----------------------------------------------------

    def known_accounts(self) -> list[str]:
        """Every account registered, with a run record, orders, a cursor or set-asides."""
        with self._read("known_accounts") as tx:
            return account_sql.known_accounts(tx)

    def register_accounts(self, accounts: Mapping[str, float]) -> None:
        """Upsert account name -> sync interval (seconds); new accounts are due at once."""
        with self._write("register_accounts") as tx:
            account_sql.register_accounts(tx, accounts)

    def claim_due(self, worker: str, *, limit: int, lease_seconds: float) -> list[Lease]:
        """Take up to ``limit`` due accounts whose lease is free or expired (atomically)."""
        with self._write("claim_due") as tx:
            return account_sql.claim_due(tx, worker, limit, lease_seconds)

    def renew(self, lease: Lease, *, lease_seconds: float) -> Lease | None:
        """Extend ``lease`` by ``lease_seconds`` from now; ``None`` when it was lost."""
        with self._write("renew") as tx:
            return account_sql.renew(tx, lease, lease_seconds)

    def release(self, lease: Lease, *, next_due: datetime) -> None:
        """Give the account back, due at ``next_due`` (only while ``lease`` holds it)."""
        with self._write("release") as tx:
            account_sql.release(tx, lease, next_due)

    def record_run(self, account: str, *, ok: bool, error: str | None = None) -> None:
        """Record that a sync of ``account`` ended (``ok``, or failed with ``error``)."""
        with self._write("record_run") as tx:
            account_sql.record_run(tx, account, ok, error, self._clock.now())

    def account_status(self, account: str | None = None) -> list[AccountStatus]:
        """The status of ``account``, or of every known account, sorted by name."""
        with self._read("account_status") as tx:
            rows = account_sql.account_rows(tx, account)
        if not rows:
            return []
        open_requests = Counter(p.account for p in self.iter_pending_requests(account=account))
        return [
            AccountStatus(**row, open_requests=open_requests.get(row["name"], 0)) for row in rows
        ]

    # -- cancellations in flight ------------------------------------------------------------

    def begin_cancellation(
        self, account: str, amazon_order_id: str, order_item_ids: Sequence[str], reason: str
    ) -> CancellationRecord:
        """Record a cancellation as ``prepared`` before its feed is submitted."""
        with self._write("begin_cancellation") as tx:
            return cancel_sql.begin_cancellation(
                tx, account, amazon_order_id, order_item_ids, reason, self._clock.now()
            )

    def update_cancellation(
        self,
        record_id: int,
        *,
        state: CancellationState,
        feed_id: str | None = None,
        detail: str | None = None,
    ) -> CancellationRecord:
        """Move cancellation ``record_id`` to ``state`` (``done``/``failed`` are final)."""
        with self._write("update_cancellation") as tx:
            return cancel_sql.update_cancellation(
                tx, record_id, state, feed_id, detail, self._clock.now()
            )

    def cancellations(
        self,
        *,
        account: str | None = None,
        amazon_order_id: str | None = None,
        open_only: bool = False,
    ) -> list[CancellationRecord]:
        """Recorded cancellations, oldest first (``open_only``: prepared or submitted)."""
        with self._read("cancellations") as tx:
            return cancel_sql.cancellation_rows(tx, account, amazon_order_id, open_only)
