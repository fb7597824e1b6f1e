"""The listener: ORDER_CHANGE messages from SQS into the store and its outbox, in seconds.

Per message, in this order:

1. parse it (SQS body, SNS envelope or the raw notification);
2. find the account by the notification's ``SellerId`` (one queue may serve many sellers);
3. apply the order with ``dedupe_key=NotificationId``: the writes, the outbox events and the
   key commit in one transaction, so a redelivered notification changes nothing, and an
   older one never overwrites newer stored state (the store's merge rules);
4. only then delete the message from the queue;
5. queue the order for confirmation with ``getOrder`` (:class:`~amzcancel.push.Confirmer`).

A crash between 3 and 4 leaves the message in the queue: it comes back, and its key makes it a
no-op, so no event is appended twice. A message that cannot be parsed, or whose seller no
account claims, is logged once and left alone (never deleted): the queue's redrive policy
moves it to the dead-letter queue after ``maxReceiveCount`` receives. A batch that takes
long keeps its messages invisible (``ChangeMessageVisibility``) until it is done.

Polling keeps running beside it (:meth:`Listener.run` with ``reconcile_seconds``): each
account's :class:`~amzcancel.sync.OrderSync` catches whatever a lost message missed.

Added in 0.2.0.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from amzcancel.clock import Clock, SystemClock
from amzcancel.errors import (
    AmzCancelError,
    APIError,
    AuthError,
    ConfigError,
    ParseError,
    QueueError,
    TransportError,
)
from amzcancel.push._confirm import Confirmer, PushAccount
from amzcancel.push._queue import MessageQueue, QueueMessage
from amzcancel.sync import Event, NotifiedOrders, Store
from amzcancel.wire.notifications import OrderChange, read_order_change

__all__ = [
    "DEFAULT_RECONCILE_SECONDS",
    "BatchOutcome",
    "Listener",
    "ListenerStats",
]

logger = logging.getLogger("amzcancel.push")

DEFAULT_RECONCILE_SECONDS = 900.0
"""How often a listener's polling syncs reconcile (15 minutes; push carries the news)."""

_REMEMBERED = 10_000  # message ids / seller ids remembered for "logged once"
# The queue is gone or we may not read it: retrying cannot help.
_FATAL_CODES = frozenset(
    {
        "AWS.SimpleQueueService.NonExistentQueue",
        "QueueDoesNotExist",
        "AccessDenied",
        "AccessDeniedException",
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "NoCredentialsError",
        "NoRegionError",
    }
)
_RETRY_SECONDS = 5.0


@dataclass
class ListenerStats:
    """What a listener has done so far.

    Added in 0.2.0.
    """

    received: int = 0
    """Messages received (each delivery counts)."""
    applied: int = 0
    """Messages applied to the store (a redelivered one too: it is a no-op there)."""
    events: int = 0
    """Outbox events the applied messages appended."""
    deleted: int = 0
    """Messages deleted after they were applied."""
    unreadable: int = 0
    """Deliveries left in the queue because they could not be parsed."""
    unknown_seller: int = 0
    """Deliveries left in the queue because no account claims their seller."""
    failed: int = 0
    """Deliveries left in the queue because the store refused them (retried on redelivery)."""
    extended: int = 0
    """Visibility extensions of deliveries in slow batches."""


@dataclass
class BatchOutcome:
    """What one received batch came to.

    Added in 0.2.0.
    """

    received: int = 0
    applied: int = 0
    deleted: int = 0
    left: int = 0
    events: list[Event] = field(default_factory=list)


class Listener:
    """Consumes ORDER_CHANGE notifications from a queue into a store; see the module docstring.

    It runs as a task in any event loop (``await listener.run(stop)``), so a worker can run it
    next to its syncs; ``amzcancel listen`` runs one on its own.

    Args:
        queue: where notifications arrive (an :class:`~amzcancel.push.SqsQueue`).
        store: the store to apply them to (SQLite or PostgreSQL).
        accounts: the accounts served, told apart by ``SellerId``; at most one may take every
            seller (``seller_id=None``), and then it must be the only one.
        clock: the clock reconciliation waits on.
        confirm: fetch each notified order with ``getOrder`` (accounts with a ``sync``).
        reconcile_seconds: run each account's sync this often (``None``: never).
        extend_after_seconds: a batch still busy after this long (real time, as SQS counts
            it) keeps its messages invisible for ``visibility_seconds`` more, and again.
        visibility_seconds: the visibility timeout each extension sets.
        confirm_workers: ``getOrder`` fetches in flight at once.
        notified: where each applied notification's order id is noted, for the accounts'
            backlog syncs (``OrderSync(notified=...)``) to fetch with ``getOrder``.

    Raises:
        ConfigError: no accounts, two accounts for one seller, or a catch-all account that
            is not alone.

    Added in 0.2.0.
    """

    def __init__(
        self,
        *,
        queue: MessageQueue,
        store: Store,
        accounts: Sequence[PushAccount],
        clock: Clock | None = None,
        confirm: bool = True,
        reconcile_seconds: float | None = DEFAULT_RECONCILE_SECONDS,
        extend_after_seconds: float = 20.0,
        visibility_seconds: int = 60,
        confirm_workers: int = 2,
        notified: NotifiedOrders | None = None,
    ) -> None:
        if not accounts:
            raise ConfigError("a listener needs at least one account")
        self._by_seller: dict[str, PushAccount] = {}
        self._any_seller: PushAccount | None = None
        for account in accounts:
            if account.seller_id is None:
                if len(accounts) > 1:
                    raise ConfigError(
                        f"account {account.name!r} has no seller id; with several accounts "
                        "each needs its SellerId"
                    )
                self._any_seller = account
            elif account.seller_id in self._by_seller:
                raise ConfigError(f"two accounts for seller {account.seller_id!r}")
            else:
                self._by_seller[account.seller_id] = account
        if reconcile_seconds is not None and not reconcile_seconds > 0:
            raise ConfigError(f"reconcile_seconds must be positive, got {reconcile_seconds!r}")
        self._queue = queue
        self._store = store
        self._accounts = tuple(accounts)
        self._clock: Clock = clock or SystemClock()
        self._confirm = confirm
        self._reconcile_seconds = reconcile_seconds
        self._extend_after = extend_after_seconds
        self._visibility = visibility_seconds
        self._confirm_workers = max(1, confirm_workers)
        self._notified = notified
        self.confirmer = Confirmer(store)
        """The ``getOrder`` confirmation queue."""
        self.stats = ListenerStats()
        """Counters of what this listener has done."""
        self._logged_messages: deque[str] = deque(maxlen=_REMEMBERED)
        self._logged_sellers: set[str] = set()

    async def poll_once(self) -> BatchOutcome:
        """Receive one batch (a long poll) and handle it.

        Raises:
            QueueError: the queue refused or could not be reached.
        """
        return await self.handle(await self._queue.receive())

    async def handle(self, messages: Sequence[QueueMessage]) -> BatchOutcome:
        """Apply, then delete, a batch of received messages; see the module docstring."""
        outcome = BatchOutcome(received=len(messages))
        self.stats.received += len(messages)
        if not messages:
            return outcome
        busy = set(messages)
        keeper = asyncio.create_task(self._keep_invisible(busy))
        try:
            done: list[QueueMessage] = []
            confirmations: list[tuple[PushAccount, OrderChange]] = []
            for message in messages:
                applied = await self._apply(message, outcome)
                if applied is None:
                    busy.discard(message)  # left for redelivery: no longer ours to extend
                    continue
                done.append(message)
                confirmations.append(applied)
            failed = await self._queue.delete(done) if done else []
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
        outcome.deleted = len(done) - len(failed)
        self.stats.deleted += outcome.deleted
        if self._confirm:
            for account, change in confirmations:
                urgent = change.change_type == "BuyerRequestedChange" or any(
                    item.buyer_cancel.requested for item in change.order.items
                )
                self.confirmer.request(account, change.order.amazon_order_id, urgent=urgent)
        return outcome

    async def _apply(
        self, message: QueueMessage, outcome: BatchOutcome
    ) -> tuple[PushAccount, OrderChange] | None:
        try:
            change = read_order_change(message.body)
        except ParseError as exc:
            self.stats.unreadable += 1
            outcome.left += 1
            self._log_once(
                message.message_id,
                "message %s cannot be read, left for the queue's redrive policy (receive %d): %s",
                message.message_id,
                message.receive_count,
                exc,
            )
            return None
        account = self._account_for(change.seller_id)
        if account is None:
            self.stats.unknown_seller += 1
            outcome.left += 1
            seller = change.seller_id or ""
            if seller not in self._logged_sellers and len(self._logged_sellers) < _REMEMBERED:
                self._logged_sellers.add(seller)
                logger.warning(
                    "no account for seller %r (message %s): left in the queue",
                    change.seller_id,
                    message.message_id,
                )
            return None
        try:
            # In a thread: a slow store must not stop the loop (and the batch's visibility
            # keeper with it).
            events = await asyncio.to_thread(
                self._store.apply, account.name, [change.order], dedupe_key=change.notification_id
            )
        except AmzCancelError as exc:
            self.stats.failed += 1
            outcome.left += 1
            logger.warning(
                "message %s not applied, left for redelivery: %s", message.message_id, exc
            )
            return None
        if self._notified is not None:
            self._notified.note(
                account.name, change.order.amazon_order_id, change.order.last_update_date
            )
        self.stats.applied += 1
        self.stats.events += len(events)
        outcome.applied += 1
        outcome.events.extend(events)
        return account, change

    def _account_for(self, seller_id: str | None) -> PushAccount | None:
        if self._any_seller is not None:
            return self._any_seller
        return None if seller_id is None else self._by_seller.get(seller_id)

    def _log_once(self, key: str, message: str, *args: object) -> None:
        if key in self._logged_messages:
            return
        self._logged_messages.append(key)
        logger.warning(message, *args)

    async def _keep_invisible(self, busy: set[QueueMessage]) -> None:
        # Real time on purpose: SQS counts a visibility timeout on its own clock.
        while True:
            await asyncio.sleep(self._extend_after)
            still = sorted(busy, key=lambda m: m.message_id)
            if not still:
                return
            try:
                await self._queue.extend(still, self._visibility)
            except QueueError as exc:
                logger.warning("could not extend the visibility of a slow batch: %s", exc)
                continue
            self.stats.extended += len(still)
            logger.info("batch still busy: %d messages kept invisible", len(still))

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until ``stop`` is set (then return), confirming and reconciling beside it.

        Raises:
            QueueError: the queue does not exist or may not be read (missing credentials,
                access denied); passing faults are logged and retried.
            AuthError: Amazon refused an account's credentials during reconciliation.
        """
        tasks = [asyncio.create_task(self._receive_loop(), name="amzcancel-listen")]
        if self._confirm:
            tasks += [
                asyncio.create_task(self.confirmer.run(), name="amzcancel-confirm")
                for _ in range(self._confirm_workers)
            ]
        if self._reconcile_seconds is not None:
            tasks += [
                asyncio.create_task(self._reconcile(account), name=f"amzcancel-poll-{account.name}")
                for account in self._accounts
                if account.sync is not None
            ]
        stopping = asyncio.create_task(stop.wait())
        try:
            done, _ = await asyncio.wait([*tasks, stopping], return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if task is not stopping and task.exception() is not None:
                    raise task.exception()  # type: ignore[misc]
        finally:
            for task in (*tasks, stopping):
                task.cancel()
            await asyncio.gather(*tasks, stopping, return_exceptions=True)

    async def _receive_loop(self) -> None:
        while True:
            try:
                await self.poll_once()
            except QueueError as exc:
                if exc.code in _FATAL_CODES:
                    raise
                logger.warning("receiving failed, retrying in %.0f s: %s", _RETRY_SECONDS, exc)
                await asyncio.sleep(_RETRY_SECONDS)

    async def _reconcile(self, account: PushAccount) -> None:
        assert account.sync is not None
        assert self._reconcile_seconds is not None
        while True:
            try:
                result = await account.sync.arun_once()
            except AuthError:
                raise
            except (APIError, TransportError) as exc:
                logger.warning("reconciling %s failed, retrying later: %s", account.name, exc)
            else:
                logger.info("reconciled %s: %d orders changed", account.name, result.orders_changed)
            await self._clock.asleep(self._reconcile_seconds)
