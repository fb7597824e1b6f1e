"""Orders that cannot be read: set aside with a warning, never allowed to stop the others.

An order whose document lacks what the job needs (an item without its id, an unreadable cancel
flag) once failed its whole page, on every run, so no other order was stored again. Now such
an order goes into the store's set-aside table, in the same transaction as the orders and the
cursor around it, so the cursor may move past it without losing it; every later run reads the
set-aside orders again by id (:func:`retry_set_aside`), and one that reads well is stored and
leaves the table. An order whose id itself could not be read cannot be retried: it is counted
and logged.

Added in 0.2.0.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from amzcancel.errors import NotFoundError, ParseError
from amzcancel.models import Order, UnreadableOrder
from amzcancel.sync._apply import Applier
from amzcancel.sync._offload import off_loop
from amzcancel.sync._protocol import SetAside, Store
from amzcancel.sync._result import SyncProgress
from amzcancel.sync._sources import OrderSource

__all__ = ["MAX_RETRIES_PER_RUN", "note_unreadable", "retry_set_aside", "set_aside_one"]

_log = logging.getLogger("amzcancel.sync")

MAX_RETRIES_PER_RUN = 50
"""Set-aside orders one run reads again (oldest first); the rest wait for the next run."""


def note_unreadable(
    unreadable: Sequence[UnreadableOrder], applier: Applier, progress: SyncProgress
) -> None:
    """Set aside the unreadable orders of a listing page (the parser logged each one)."""
    if not unreadable:
        return
    named = [SetAside(u.amazon_order_id, u.error) for u in unreadable if u.amazon_order_id]
    nameless = len(unreadable) - len(named)
    if nameless:
        progress.unreadable_without_id += nameless
        _log.warning(
            "%d listed orders could not be read and carry no readable order id: "
            "they cannot be set aside for a retry",
            nameless,
        )
    if named:
        applier.set_aside(named)
        progress.set_aside += len(named)


def set_aside_one(
    order_id: str, error: ParseError, applier: Applier, progress: SyncProgress
) -> None:
    """Set aside one order whose own document (items, getOrder) could not be read."""
    _log.warning("order %s could not be read and is set aside for a retry: %s", order_id, error)
    applier.set_aside([SetAside(order_id, str(error))])
    progress.set_aside += 1


async def retry_set_aside(
    store: Store,
    account: str,
    source: OrderSource,
    applier: Applier,
    progress: SyncProgress,
) -> None:
    """Read the account's set-aside orders again by id; store those that read well now.

    One that still cannot be read stays aside (its attempts counted); one Amazon no longer
    knows (404) leaves the table with a warning.
    """
    waiting = (await off_loop(store.set_aside_orders, account))[:MAX_RETRIES_PER_RUN]
    for entry in waiting:
        order_id = entry.amazon_order_id
        try:
            order: Order = await source.get_order(order_id)
        except ParseError as exc:
            applier.set_aside([SetAside(order_id, str(exc))])
            continue
        except NotFoundError:
            _log.warning("set-aside order %s is unknown to Amazon; it leaves the set-aside list",
                         order_id)  # fmt: skip
            await off_loop(store.clear_set_aside, account, [order_id])
            continue
        progress.set_aside_recovered += 1
        progress.items_seen += len(order.items)
        await applier.add(order)
