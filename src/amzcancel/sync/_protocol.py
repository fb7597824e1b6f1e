"""The store interface the sync engine writes through, and the types it speaks.

:class:`Store` is deliberately narrow: a cursor per (account, API, marketplace set), idempotent
order upserts that return the events they caused, and an append-only event log (outbox) the ERP
reads and acknowledges. :class:`~amzcancel.sync.store.SqliteStore` implements it; a PostgreSQL
store can follow without the engine changing (see ``docs/store-and-events.md``).

Added in 0.1.0.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import TracebackType
from typing import Protocol, Self, runtime_checkable

from pydantic import BaseModel, ConfigDict

from amzcancel.errors import StoreError
from amzcancel.models import FulfillmentChannel, Order, OrderItem, OrderStatus, UtcDateTime

__all__ = ["CursorKey", "Event", "EventType", "PendingRequest", "Store"]


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
    """What the sync engine needs of a store.

    Every method may raise :class:`~amzcancel.errors.StoreError`.

    Added in 0.1.0.
    """

    def get_cursor(self, key: CursorKey) -> datetime | None:
        """The stored cursor for ``key``, or ``None`` if that sync never completed a page."""
        ...

    def set_cursor(self, key: CursorKey, value: datetime) -> None:
        """Store ``value`` as the cursor for ``key``."""
        ...

    def stored_update_dates(
        self, account: str, order_ids: Sequence[str]
    ) -> dict[str, datetime | None]:
        """``last_update_date`` of those of ``order_ids`` already stored with their items.

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
    ) -> list[Event]:
        """Upsert ``orders`` with their items, append the events, set ``cursor``; atomically.

        Applying the same orders again changes nothing and returns no events; an order older
        than the stored one does not overwrite it.

        Returns:
            The events appended, in id order.
        """
        ...

    def events(
        self, *, after_id: int = 0, include_acked: bool = False, limit: int | None = None
    ) -> list[Event]:
        """Outbox events with ids above ``after_id``, oldest first."""
        ...

    def ack(self, event_ids: Iterable[int]) -> int:
        """Acknowledge these events; returns how many were not acknowledged before."""
        ...

    def ack_through(self, event_id: int) -> int:
        """Acknowledge every event up to and including ``event_id``; returns how many changed."""
        ...

    def pending_requests(
        self, *, account: str | None = None, include_afn: bool = False
    ) -> list[PendingRequest]:
        """Open buyer cancel requests: item requested, order neither Shipped nor Canceled.

        Amazon-fulfilled orders are left out unless ``include_afn`` (the seller cannot cancel
        them; their events still reach the outbox).
        """
        ...

    def get_order(self, account: str, amazon_order_id: str) -> Order | None:
        """The stored order with its items, or ``None``."""
        ...

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
