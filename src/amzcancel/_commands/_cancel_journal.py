"""``amzcancel cancel``'s journal: a cancellation is recorded before it is submitted.

A cancel killed right after Amazon created its feed used to be submitted again by the rerun, and
Amazon's refusal of the second feed ("order ... is Canceled; it cannot be cancelled") was
reported as a failure of a cancellation that had worked. Now the store records each
cancellation before anything is uploaded (state ``prepared``), notes when createFeed is sent,
and keeps the feed id as soon as Amazon answers (``submitted``). A rerun of the same command
finds the open record and finishes it instead of submitting again:

- with a feed id: it waits for that feed and reports its outcome;
- without one: Amazon's view of the order decides. Cancelled: the cancellation happened.
  Otherwise, if createFeed was never sent, nothing reached Amazon and the record is closed; if
  it was sent (its answer lost), the feed may still be processing, so the rerun refuses to send
  another one until :data:`UNCERTAIN_SECONDS` have passed.

Added in 0.2.0.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from amzcancel.clock import Clock
from amzcancel.errors import ConfigError
from amzcancel.feeds import FeedProgress, FeedResult, wait_for_feed
from amzcancel.models import Order, OrderStatus
from amzcancel.sync import CancellationRecord, CancellationState, Store
from amzcancel.transport import SpApiClient

__all__ = ["UNCERTAIN_SECONDS", "CancelJournal", "Resumed"]

logger = logging.getLogger("amzcancel.cli.cancel")

UNCERTAIN_SECONDS = 1800.0
"""How long a feed whose createFeed answer was lost may still be processing (Amazon processes
order acknowledgement feeds within minutes); after that the order's state is taken as final."""

CREATE_SENT = "createFeed sent"
"""The detail a record carries from the moment createFeed is sent."""


@dataclass(frozen=True)
class Resumed:
    """What a rerun found of an earlier, interrupted cancellation of the same order."""

    record: CancellationRecord
    """The earlier cancellation, as the store now holds it (``done`` or ``failed``)."""
    result: FeedResult | None
    """Its feed's outcome, when it had a feed id."""
    order: Order | None
    """The order as Amazon holds it now, when it was read."""

    @property
    def done(self) -> bool:
        """True when the earlier cancellation happened."""
        return self.record.state is CancellationState.DONE


class CancelJournal:
    """The cancellations of one account in the store.

    Args:
        store: where the records are kept.
        account: the seller account (as ``sync`` names it).
        clock: the clock records are aged on.
    """

    def __init__(self, store: Store, account: str, clock: Clock) -> None:
        self._store = store
        self._account = account
        self._clock = clock

    def begin(self, order_id: str, item_ids: Sequence[str], reason: str) -> CancellationRecord:
        """Record a cancellation about to be submitted (nothing has reached Amazon yet)."""
        return self._store.begin_cancellation(self._account, order_id, tuple(item_ids), reason)

    def hooks(self, record: CancellationRecord) -> tuple[Callable[[], None], Callable[[str], None]]:
        """The ``before_create`` and ``on_created`` callbacks of the submission."""

        def before_create() -> None:
            self._store.update_cancellation(
                record.id, state=CancellationState.PREPARED, detail=CREATE_SENT
            )

        def on_created(feed_id: str) -> None:
            self._store.update_cancellation(
                record.id, state=CancellationState.SUBMITTED, feed_id=feed_id
            )

        return before_create, on_created

    def finish(self, record: CancellationRecord, *, ok: bool, detail: str | None = None) -> None:
        """Close a record: the cancellation happened (``ok``) or did not."""
        state = CancellationState.DONE if ok else CancellationState.FAILED
        self._store.update_cancellation(record.id, state=state, detail=detail)

    def resume(
        self,
        client: SpApiClient,
        order_id: str,
        read_order: Callable[[], Order],
        *,
        poll_interval: float,
        on_progress: Callable[[FeedProgress], None] | None = None,
    ) -> Resumed | None:
        """Finish an earlier, interrupted cancellation of ``order_id``; ``None`` if there is none.

        Raises:
            ConfigError: the earlier feed's answer was lost and it may still be processing.
        """
        found = self._store.cancellations(
            account=self._account, amazon_order_id=order_id, open_only=True
        )
        if not found:
            return None
        record = found[0]
        if record.feed_id is not None:
            logger.info("resuming cancellation %d of order %s: feed %s", record.id, order_id,
                        record.feed_id)  # fmt: skip
            result = wait_for_feed(
                client, record.feed_id, poll_interval=poll_interval, on_progress=on_progress
            )
            ok = result.processing_status == "DONE" and not result.errors_for(order_id)
            self.finish(record, ok=ok, detail=f"feed {result.processing_status}")
            return Resumed(self._reread(record), result, None)
        order = read_order()
        if _cancelled(order, record.order_item_ids):
            self.finish(record, ok=True, detail="the order shows the items cancelled")
            return Resumed(self._reread(record), None, order)
        age = (self._clock.now() - record.updated_at).total_seconds()
        if record.detail == CREATE_SENT and age < UNCERTAIN_SECONDS:
            wait = timedelta(seconds=int(UNCERTAIN_SECONDS - age))
            raise ConfigError(
                f"a cancellation of order {order_id} was sent to Amazon at "
                f"{record.updated_at:%Y-%m-%d %H:%M:%S}Z and its feed id was lost; the feed may "
                f"still be processing, so no second one is sent: run the same command again in "
                f"{wait} (or once `amzcancel sync` shows the order cancelled)"
            )
        self.finish(record, ok=False, detail="never reached Amazon, or did not cancel in time")
        return None

    def already_done(self, order: Order, item_ids: Sequence[str]) -> CancellationRecord | None:
        """The recorded cancellation that already cancelled these items (Amazon shows them
        cancelled), or ``None``: a rerun after success then reports it instead of failing."""
        if not _cancelled(order, item_ids):
            return None
        wanted = set(item_ids)
        for record in reversed(
            self._store.cancellations(account=self._account, amazon_order_id=order.amazon_order_id)
        ):
            if record.state is CancellationState.DONE and (
                not record.order_item_ids or wanted <= set(record.order_item_ids)
            ):
                return record
        return None

    def _reread(self, record: CancellationRecord) -> CancellationRecord:
        for found in self._store.cancellations(
            account=self._account, amazon_order_id=record.amazon_order_id
        ):
            if found.id == record.id:
                return found
        return record  # pragma: no cover - a record never leaves the store


def _cancelled(order: Order, item_ids: Sequence[str]) -> bool:
    """True when Amazon shows the order cancelled, or each of these items cancelled."""
    if order.status is OrderStatus.CANCELED:
        return True
    items = {item.order_item_id: item for item in order.items}
    return bool(item_ids) and all(i in items and items[i].cancelled for i in item_ids)
