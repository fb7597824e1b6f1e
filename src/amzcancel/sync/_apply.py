"""Batched, crash-safe writes of fetched orders.

Each order arrives with its items; writing them one transaction per order would cost a disk
sync per order, while holding them until the window ends would lose a whole window's item calls
to a kill. Small batches flushed by size or age sit between the two: a kill loses at most one
batch of fetches, and the rerun fetches those orders again.

Added in 0.1.0.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from amzcancel.clock import Clock
from amzcancel.models import Order
from amzcancel.sync._offload import off_loop
from amzcancel.sync._protocol import CursorKey, Event, Lease, SetAside, Store

__all__ = ["DEFAULT_BATCH_SIZE", "DEFAULT_FLUSH_SECONDS", "Applier"]

DEFAULT_BATCH_SIZE = 50
"""Orders written per transaction at most."""

DEFAULT_FLUSH_SECONDS = 1.0
"""Seconds (on the sync's clock) a fetched order may wait for its batch to fill."""


class Applier:
    """Collects orders (with items) and writes them to the store in small transactions.

    Args:
        store: the store to write to.
        account: the seller account.
        on_events: receives the events each write appended to the outbox.
        on_set_aside: told of the orders set aside (for the run's summary).
        clock: the sync's clock, which ages batches.
        lease: the worker's lease on the account, checked by every write (``None``: one
            process syncs this account, no lease).
        batch_size: orders per transaction at most.
        flush_seconds: a batch older than this is written at the next order.
    """

    def __init__(
        self,
        store: Store,
        account: str,
        on_events: Callable[[Sequence[Event]], None],
        *,
        clock: Clock,
        on_set_aside: Callable[[Sequence[SetAside]], None] | None = None,
        lease: Lease | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        flush_seconds: float = DEFAULT_FLUSH_SECONDS,
    ) -> None:
        self._store = store
        self._account = account
        self._clock = clock
        self._lease = lease
        self._set_aside: list[SetAside] = []
        self._on_set_aside = on_set_aside
        self._on_events = on_events
        self._batch_size = batch_size
        self._flush_seconds = flush_seconds
        self._pending: list[Order] = []
        self._oldest = 0.0

    async def add(self, order: Order) -> None:
        """Queue one order (which must carry its items); write the batch when due."""
        if not self._pending:
            self._oldest = self._clock.monotonic()
        self._pending.append(order)
        due = self._clock.monotonic() - self._oldest >= self._flush_seconds
        if len(self._pending) >= self._batch_size or due:
            await self.flush()

    def set_aside(self, entries: Sequence[SetAside]) -> None:
        """Record orders that could not be read, with the next write (at the latest, with the
        cursor: it never moves past an order that is neither stored nor set aside)."""
        self._set_aside.extend(entries)
        if self._on_set_aside is not None:
            self._on_set_aside(entries)

    async def flush(self, cursor: tuple[CursorKey, datetime] | None = None) -> None:
        """Write what is queued, and the cursor with it when given, in one transaction (in a
        worker thread: the event loop goes on serving other requests meanwhile)."""
        if not self._pending and not self._set_aside and cursor is None:
            return
        orders, self._pending = self._pending, []
        aside, self._set_aside = self._set_aside, []
        events = await off_loop(
            self._store.apply,
            self._account,
            orders,
            cursor=cursor,
            set_aside=aside,
            lease=self._lease,
        )
        self._on_events(events)
