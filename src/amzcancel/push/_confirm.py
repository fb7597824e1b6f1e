"""Confirm and fill in: fetch each notified order with Orders 2026-01-01 ``getOrder``.

A notification is a summary: per-item flags, no reason text, no titles. Right after a message
is applied, its order is queued here and fetched with ``getOrder``
(``includedData=CANCELLATION,FULFILLMENT``) through the account's :class:`OrderSync` client,
so the call waits on the same 0.5/s, burst-30 bucket as that seller's backlog paths and uses
the same access token. The fetched order is authoritative: the store then holds the items,
flags and reasons Amazon has now.

Buyer requests go first; an order queued twice is fetched once. When the queue outgrows
``max_pending`` (a flood of status changes), the oldest status-change confirmations are
dropped: polling reconciles them, and the buyer requests they stood behind are not delayed.

Added in 0.2.0.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from dataclasses import dataclass

from amzcancel.errors import (
    APIError,
    AuthError,
    NotFoundError,
    ParseError,
    StoreError,
    TransportError,
)
from amzcancel.sync import OrderSync, Store

__all__ = ["DEFAULT_MAX_PENDING", "Confirmer", "PushAccount"]

logger = logging.getLogger("amzcancel.push.confirm")

DEFAULT_MAX_PENDING = 10_000
"""Orders waiting for confirmation beyond which status-change confirmations are dropped."""


@dataclass(frozen=True)
class PushAccount:
    """One seller account a listener serves.

    Args:
        name: the store's account name (the one its polling sync writes under).
        seller_id: the ``SellerId`` its notifications carry; ``None`` takes every seller's
            messages (one account per listener only).
        sync: the account's :class:`OrderSync`: its client confirms notified orders with
            ``getOrder``, and its runs reconcile; ``None`` applies notifications only.

    Added in 0.2.0.
    """

    name: str
    seller_id: str | None = None
    sync: OrderSync | None = None


class Confirmer:
    """Queues notified orders and fetches them with ``getOrder``; see the module docstring.

    Added in 0.2.0.
    """

    def __init__(self, store: Store, *, max_pending: int = DEFAULT_MAX_PENDING) -> None:
        self._store = store
        self._max_pending = max_pending
        # (account name, order id) -> account; urgent ones (buyer requests) first.
        self._urgent: OrderedDict[tuple[str, str], PushAccount] = OrderedDict()
        self._routine: OrderedDict[tuple[str, str], PushAccount] = OrderedDict()
        self._ready = asyncio.Event()
        self._disabled: set[str] = set()
        self.confirmed = 0
        """Orders fetched and applied."""
        self.dropped = 0
        """Status-change confirmations dropped because the queue was full."""
        self.failed = 0
        """Fetches that failed (left to polling)."""

    @property
    def pending(self) -> int:
        """Orders waiting to be fetched."""
        return len(self._urgent) + len(self._routine)

    def request(self, account: PushAccount, order_id: str, *, urgent: bool) -> None:
        """Queue ``order_id`` of ``account`` (once; a buyer request moves it to the front)."""
        if account.sync is None or account.name in self._disabled:
            return
        key = (account.name, order_id)
        if key in self._urgent:
            return
        if urgent:
            self._routine.pop(key, None)
            self._urgent[key] = account
        elif key not in self._routine:
            self._routine[key] = account
        while self.pending > self._max_pending and self._routine:
            self._routine.popitem(last=False)
            self.dropped += 1
        self._ready.set()

    def _take(self) -> tuple[PushAccount, str] | None:
        for queue in (self._urgent, self._routine):
            if queue:
                (_, order_id), account = queue.popitem(last=False)
                return account, order_id
        self._ready.clear()
        return None

    async def drain(self, limit: int | None = None) -> int:
        """Fetch queued orders now, one after the other (at most ``limit``, else all); returns
        how many were applied."""
        done = taken_count = 0
        while (limit is None or taken_count < limit) and (taken := self._take()) is not None:
            taken_count += 1
            done += await self._confirm(*taken)
        return done

    async def run(self) -> None:
        """Fetch queued orders as they come, until cancelled."""
        while True:
            taken = self._take()
            if taken is None:
                await self._ready.wait()
                continue
            await self._confirm(*taken)

    async def _confirm(self, account: PushAccount, order_id: str) -> int:
        sync = account.sync
        if sync is None or account.name in self._disabled:
            return 0
        try:
            client = await sync.aclient()
            order = await client.orders_2026.get_order(order_id)
        except NotFoundError:
            logger.warning("getOrder found no order %s (account %s)", order_id, account.name)
            self.failed += 1
            return 0
        except AuthError as exc:
            # The app may lack Orders 2026-01-01: notifications still apply, polling fills in.
            logger.warning(
                "getOrder refused for account %s (%s); confirmations off, polling fills in",
                account.name,
                exc,
            )
            self._disabled.add(account.name)
            self.failed += 1
            return 0
        except (APIError, TransportError, ParseError) as exc:
            logger.warning("getOrder %s failed, left to polling: %s", order_id, exc)
            self.failed += 1
            return 0
        try:
            await asyncio.to_thread(self._store.apply, account.name, [order])
        except StoreError as exc:
            # The notification itself is stored; polling writes the confirmed state later.
            logger.warning("confirmed order %s not stored: %s", order_id, exc)
            self.failed += 1
            return 0
        self.confirmed += 1
        return 1
