"""The store interface the sync engine writes through, and the types it speaks.

:class:`Store` holds a cursor per (account, API, marketplace set), idempotent order upserts
that return the events they caused, and an append-only event log (outbox) the ERP reads and
acknowledges. Protocol v2 adds what many workers sharing one database need: orders set aside
for a retry, deduplicated notifications, leases with fencing, run status, cancellations in
flight and streaming reads. :class:`~amzcancel.sync.store.SqliteStore` and
:class:`~amzcancel.sync.PostgresStore` implement it (see ``docs/store-and-events.md``).

Added in 0.1.0; version 2 in 0.2.0.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import TracebackType
from typing import Protocol, Self, runtime_checkable

from pydantic import BaseModel, ConfigDict

from amzcancel.errors import StoreError
from amzcancel.models import FulfillmentChannel, Order, OrderItem, OrderStatus, UtcDateTime
from amzcancel.sync._records import (
    AccountStatus,
    CancellationRecord,
    CancellationState,
    Lease,
    SetAside,
    SetAsideOrder,
)

__all__ = [
    "AccountStatus",
    "CancellationRecord",
    "CancellationState",
    "CursorKey",
    "Event",
    "EventType",
    "Lease",
    "PendingRequest",
    "SetAside",
    "SetAsideOrder",
    "Store",
]


@dataclass(frozen=True)
class CursorKey:
    """Which sync position a cursor belongs to.

    One cursor per seller account, API and set of marketplaces: a sync of ``ATVPDKIKX0DER``
    alone never moves the cursor of a sync over ``ATVPDKIKX0DER`` and ``A2EUQ1WTGCTBG2``.
    ``marketplace_ids`` is kept sorted and without duplicates whatever order it is given in.

    Attributes:
        account: the account the rows belong to (``sandbox``, ``spapi:<hash>``, ``mws:<id>``).
        api: ``spapi-2026``, ``spapi-v0`` or ``mws``.
        marketplace_ids: the marketplaces the sync covers.

    Added in 0.1.0.
    """

    account: str
    api: str
    marketplace_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.account or not self.api:
            raise StoreError("a cursor key needs a non-empty account and api")
        # Normalised here so equal sets always hit the same stored row.
        object.__setattr__(self, "marketplace_ids", tuple(sorted(set(self.marketplace_ids))))


class EventType(StrEnum):
    """What happened to an order, as recorded in the outbox.

    Added in 0.1.0.
    """

    BUYER_CANCEL_REQUESTED = "buyer_cancel_requested"
    """An item's buyer formally asked to cancel (flag false -> true, or new and already true)."""
    BUYER_CANCEL_WITHDRAWN = "buyer_cancel_withdrawn"
    """An item's buyer-cancel flag went back from true to false."""
    ORDER_CANCELED = "order_canceled"
    """The order's status became ``Canceled``."""
    ORDER_SHIPPED = "order_shipped"
    """The order's status became ``Shipped``."""


_EVENT_CONFIG = ConfigDict(frozen=True, strict=True, extra="forbid", use_attribute_docstrings=True)


class Event(BaseModel):
    """One entry of the outbox.

    Added in 0.1.0.
    """

    model_config = _EVENT_CONFIG

    id: int
    """Position in the outbox; strictly increasing, never reused."""
    type: EventType
    """What happened."""
    account: str
    """The account the order belongs to."""
    amazon_order_id: str
    """The order."""
    order_item_id: str | None = None
    """The item, for buyer-cancel events; ``None`` for order-level events."""
    reason: str | None = None
    """The buyer's cancel reason (``buyer_cancel_requested`` only), when Amazon gave one."""
    occurred_at: UtcDateTime
    """The order's ``last_update_date`` when known, else when the change was recorded."""
    recorded_at: UtcDateTime
    """When the store appended the event."""
    acked: bool = False
    """Whether a consumer acknowledged it."""


class PendingRequest(BaseModel):
    """An open buyer cancel request: the item asks to cancel, the order is still open.

    Carries the stored :class:`~amzcancel.models.Order` and
    :class:`~amzcancel.models.OrderItem` so the policy module can be asked about them.

    Added in 0.1.0.
    """

    model_config = _EVENT_CONFIG

    account: str
    """The account the order belongs to."""
    amazon_order_id: str
    """The order."""
    order_item_id: str
    """The item the buyer asked to cancel."""
    reason: str | None
    """The buyer's reason, when Amazon gave one."""
    status: OrderStatus | None
    """The order's status."""
    fulfillment_channel: FulfillmentChannel | None
    """MFN or AFN."""
    last_update_date: UtcDateTime | None
    """When Amazon last changed the order."""
    order: Order
    """The stored order, with all its items."""
    item: OrderItem
    """The stored item."""


@runtime_checkable
class Store(Protocol):
    """What the sync engine, the workers and the CLI need of a store.

    Every method may raise :class:`~amzcancel.errors.StoreError`. Implementations are safe to
    call from several threads at once.

    Added in 0.1.0; version 2 (set-aside orders, deduplication, leases, status,
    cancellations, streaming) in 0.2.0.
    """

    # -- cursors and orders -----------------------------------------------------------------

    def get_cursor(self, key: CursorKey) -> datetime | None:
        """The stored cursor for ``key``, or ``None`` if that sync never completed a page."""
        ...

    def set_cursor(self, key: CursorKey, value: datetime) -> None:
        """Store ``value`` as the cursor for ``key``."""
        ...

    def stored_update_dates(
        self, account: str, order_ids: Sequence[str]
    ) -> dict[str, datetime | None]:
        """The effective freshness of those of ``order_ids`` already stored with their items.

        That is ``min(last_update_date, when it was received)``: a date in the future (clock
        skew, a bad source) never makes an order look newer than anything Amazon can send.
        Orders not stored (or stored without items) are absent from the result, so the engine
        fetches items only for orders that are new or changed.
        """
        ...

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
        """Upsert ``orders`` with their items, append the events, set ``cursor``; atomically.

        Applying the same orders again changes nothing and returns no events; an order older
        than the stored one does not overwrite it. In the same transaction: every order in
        ``orders`` leaves the set-aside list, then each of ``set_aside`` is (re)recorded there.

        Args:
            account: the account the orders belong to.
            orders: orders with their items.
            cursor: a cursor to store with the rows it covers.
            set_aside: orders that could not be read, kept for a retry by id.
            dedupe_key: a key such as an ORDER_CHANGE ``NotificationId``: when this account
                already recorded it, the whole call is a no-op returning ``[]``.
            lease: when given, nothing is written unless the account's lease is still held
                by ``lease.worker`` at ``lease.epoch``.

        Returns:
            The events appended, in id order.

        Raises:
            LeaseLost: ``lease`` is no longer the account's lease; nothing was written.
        """
        ...

    def get_order(self, account: str, amazon_order_id: str) -> Order | None:
        """The stored order with its items, or ``None``."""
        ...

    def pending_requests(
        self, *, account: str | None = None, include_afn: bool = False
    ) -> list[PendingRequest]:
        """Open buyer cancel requests: item requested, order neither Shipped nor Canceled.

        Amazon-fulfilled orders are left out unless ``include_afn`` (the seller cannot cancel
        them; their events still reach the outbox).
        """
        ...

    def iter_pending_requests(
        self, *, account: str | None = None, include_afn: bool = False
    ) -> Iterator[PendingRequest]:
        """:meth:`pending_requests`, streamed in constant memory (read in chunks)."""
        ...

    # -- set-aside orders -------------------------------------------------------------------

    def set_aside_orders(self, account: str | None = None) -> list[SetAsideOrder]:
        """Orders set aside (one account's, or all), oldest first."""
        ...

    def clear_set_aside(self, account: str, order_ids: Iterable[str]) -> int:
        """Forget these set-aside orders; returns how many were set aside."""
        ...

    # -- the outbox -------------------------------------------------------------------------

    def events(
        self,
        *,
        after_id: int = 0,
        include_acked: bool = False,
        limit: int | None = None,
        account: str | None = None,
    ) -> list[Event]:
        """Outbox events with ids above ``after_id``, oldest first."""
        ...

    def iter_events(
        self, *, after_id: int = 0, include_acked: bool = False, account: str | None = None
    ) -> Iterator[Event]:
        """:meth:`events`, streamed in constant memory (read in chunks by id)."""
        ...

    def ack(self, event_ids: Iterable[int]) -> int:
        """Acknowledge these events; returns how many were not acknowledged before."""
        ...

    def ack_through(self, event_id: int, *, account: str | None = None) -> int:
        """Acknowledge every event up to and including ``event_id`` (of one account, or all);
        returns how many changed."""
        ...

    def wait_for_events(self, after_id: int, timeout_seconds: float) -> bool:
        """Wait up to ``timeout_seconds`` for an event with an id above ``after_id``.

        Returns:
            True as soon as one exists, False when the time ran out.
        """
        ...

    # -- accounts, leases and run status ----------------------------------------------------

    def known_accounts(self) -> list[str]:
        """Every account registered, with a run record, or with orders or a cursor; sorted."""
        ...

    def register_accounts(self, accounts: Mapping[str, float]) -> None:
        """Upsert account name -> sync interval in seconds; new accounts are due at once."""
        ...

    def claim_due(self, worker: str, *, limit: int, lease_seconds: float) -> list[Lease]:
        """Atomically take up to ``limit`` due accounts whose lease is free or expired.

        Two workers never get the same account from concurrent calls.
        """
        ...

    def renew(self, lease: Lease, *, lease_seconds: float) -> Lease | None:
        """Extend ``lease`` by ``lease_seconds`` from now; ``None`` when it was lost."""
        ...

    def release(self, lease: Lease, *, next_due: datetime) -> None:
        """Give the account back, due again at ``next_due`` (only if ``lease`` still holds)."""
        ...

    def record_run(self, account: str, *, ok: bool, error: str | None = None) -> None:
        """Record that a sync of ``account`` ended, successfully or with ``error``."""
        ...

    def account_status(self, account: str | None = None) -> list[AccountStatus]:
        """The status of one account, or of every known account (sorted by name)."""
        ...

    # -- cancellations in flight ------------------------------------------------------------

    def begin_cancellation(
        self, account: str, amazon_order_id: str, order_item_ids: Sequence[str], reason: str
    ) -> CancellationRecord:
        """Record a cancellation as ``prepared``, before its feed is submitted.

        Raises:
            StoreError: a cancellation of that order is already open (prepared or submitted).
        """
        ...

    def update_cancellation(
        self,
        record_id: int,
        *,
        state: CancellationState,
        feed_id: str | None = None,
        detail: str | None = None,
    ) -> CancellationRecord:
        """Move a cancellation to ``state``; ``feed_id``/``detail`` replace the stored ones when
        given. A ``done`` or ``failed`` record never changes again."""
        ...

    def cancellations(
        self,
        *,
        account: str | None = None,
        amazon_order_id: str | None = None,
        open_only: bool = False,
    ) -> list[CancellationRecord]:
        """Recorded cancellations, oldest first; ``open_only``: prepared or submitted only."""
        ...

    # -- lifecycle --------------------------------------------------------------------------

    def close(self) -> None:
        """Release the store's resources; further calls raise :class:`StoreError`."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
