"""The listener against a real SQS-compatible server (moto) and real stores (SQLite, PostgreSQL).

The sandbox pushes its ORDER_CHANGE notifications to the queue through boto3, as Amazon
would; the listener reads them through the same SDK.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections import Counter
from collections.abc import Sequence
from typing import Any

import pytest

from amzcancel.clock import FakeClock
from amzcancel.models import FulfillmentChannel, OrderStatus
from amzcancel.push import Listener, PushAccount, QueueMessage, SqsQueue
from amzcancel.sandbox import SANDBOX_MWS_SELLER_ID, Marketplace, PushOptions, SimOrder
from amzcancel.sync import EventType, Store

REASON = "Found a better price"


def market(queue_url: str | None = None, **push: Any) -> Marketplace:
    options = None if queue_url is None else PushOptions(queue_url, **push)
    return Marketplace(seed=3, orders=40, clock=FakeClock(), rate_limits=False, push=options)


def open_order(mp: Marketplace, skip: int = 0) -> SimOrder:
    found = [
        o
        for o in mp.orders()
        if o.status is OrderStatus.UNSHIPPED
        and o.channel is FulfillmentChannel.MFN
        and not o.open_requests()
    ]
    return found[skip]


def listener_for(mp: Marketplace, store: Store, queue: Any, **options: Any) -> Listener:
    sync = mp.order_sync(store=store)
    return Listener(
        queue=queue,
        store=store,
        accounts=[PushAccount("sandbox", seller_id=SANDBOX_MWS_SELLER_ID, sync=sync)],
        clock=mp.clock,
        reconcile_seconds=None,
        **options,
    )


def deliver(mp: Marketplace, listener: Listener, seconds: int = 3) -> None:
    """Move the marketplace's clock, push what is due, and let the listener take it."""

    async def steps() -> None:
        for _ in range(seconds):
            mp.advance(1)
            mp.push_due()
            await listener.poll_once()

    asyncio.run(steps())


def in_queue(sqs: Any, url: str) -> int:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def requested(store: Store, order_id: str) -> list[Any]:
    return [
        e
        for e in store.events(include_acked=True)
        if e.amazon_order_id == order_id and e.type is EventType.BUYER_CANCEL_REQUESTED
    ]


def test_push_reaches_the_outbox_then_the_message_is_deleted(
    store: Store, queue_url: str, sqs: Any
) -> None:
    """A buyer request pushed through SQS becomes one outbox event; its message is then gone,
    and getOrder fills in the reason the notification does not carry."""
    mp = market(queue_url, delay_seconds=1.0)
    order = open_order(mp)
    listener = listener_for(mp, store, SqsQueue(queue_url, wait_seconds=0))
    mp.request_cancel(order.amazon_order_id, order.items[0].order_item_id, REASON)
    deliver(mp, listener)
    events = requested(store, order.amazon_order_id)
    assert [(e.order_item_id, e.reason) for e in events] == [(order.items[0].order_item_id, None)]
    assert listener.stats.applied == listener.stats.deleted == 1
    assert in_queue(sqs, queue_url) == 0
    assert asyncio.run(listener.confirmer.drain()) == 1
    stored = store.get_order("sandbox", order.amazon_order_id)
    assert stored is not None
    assert stored.items[0].buyer_cancel.reason == REASON
    assert [
        p.reason
        for p in store.pending_requests(account="sandbox")
        if p.amazon_order_id == order.amazon_order_id
    ] == [REASON]
    assert len(requested(store, order.amazon_order_id)) == 1  # the confirmation adds none


def test_duplicates_make_no_duplicate_events(store: Store, queue_url: str, sqs: Any) -> None:
    """Every notification delivered twice, and one resent under a new NotificationId: still
    one event per change (by NotificationId, then by content)."""
    mp = market(queue_url, delay_seconds=1.0, duplicates=1.0)
    order = open_order(mp)
    listener = listener_for(mp, store, SqsQueue(queue_url, wait_seconds=0), confirm=False)
    mp.request_cancel(order.amazon_order_id, order.items[0].order_item_id, REASON)
    deliver(mp, listener, seconds=6)
    assert mp.pusher is not None
    assert mp.pusher.sent == 2
    assert listener.stats.applied == 2
    assert len(requested(store, order.amazon_order_id)) == 1
    # The same content under another id (Amazon re-sending a change): no new event either.
    again = market()
    again_order = next(o for o in again.orders() if o.amazon_order_id == order.amazon_order_id)
    again.request_cancel(again_order.amazon_order_id, again_order.items[0].order_item_id, REASON)
    (notification,) = again.notifications()
    notification["NotificationMetadata"]["NotificationId"] = "another-id"
    sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(notification))
    before = len(store.events(include_acked=True))
    outcome = asyncio.run(listener.poll_once())
    assert (outcome.applied, outcome.events) == (1, [])
    assert len(store.events(include_acked=True)) == before
    assert in_queue(sqs, queue_url) == 0


def test_an_older_notification_arriving_late_changes_nothing(
    store: Store, queue_url: str, sqs: Any
) -> None:
    """Out of order: the shipment's notification first, the earlier request's after it. The
    order stays shipped, and each change is one event."""
    mp = market()
    order = open_order(mp)
    mp.request_cancel(order.amazon_order_id, order.items[0].order_item_id, REASON)
    mp.advance(5)
    mp.ship(order.amazon_order_id)
    request, shipment = mp.notifications()
    listener = listener_for(mp, store, SqsQueue(queue_url, wait_seconds=0), confirm=False)
    for notification in (shipment, request):
        sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(notification))
        asyncio.run(listener.poll_once())
    stored = store.get_order("sandbox", order.amazon_order_id)
    assert stored is not None
    assert stored.status is OrderStatus.SHIPPED
    kinds = Counter(
        (e.type, e.order_item_id)
        for e in store.events(include_acked=True)
        if e.amazon_order_id == order.amazon_order_id
    )
    assert kinds == {
        (EventType.ORDER_SHIPPED, None): 1,
        (EventType.BUYER_CANCEL_REQUESTED, order.items[0].order_item_id): 1,
    }
    assert listener.stats.deleted == 2


def test_a_lost_message_is_caught_by_polling(store: Store, queue_url: str, sqs: Any) -> None:
    """Every message lost: nothing reaches the queue, and the reconciling sync still records the
    request (once)."""
    mp = market(queue_url, loss=1.0)
    order = open_order(mp)
    listener = listener_for(mp, store, SqsQueue(queue_url, wait_seconds=0))
    mp.request_cancel(order.amazon_order_id, order.items[0].order_item_id, REASON)
    deliver(mp, listener)
    assert listener.stats.received == 0
    assert requested(store, order.amazon_order_id) == []
    mp.advance(300)  # past Amazon's two-minute rule and the sync's safety margin
    sync = listener_for(mp, store, SqsQueue(queue_url, wait_seconds=0))._accounts[0].sync
    assert sync is not None
    with sync:
        sync.run_once()
    assert [e.reason for e in requested(store, order.amazon_order_id)] == [REASON]


def test_unreadable_message_is_logged_once_and_left_to_the_dead_letter_queue(
    store: Store, sqs: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """A message that is not a notification is never deleted: logged once however often it
    comes back, then moved to the dead-letter queue by the redrive policy."""
    dlq = sqs.create_queue(QueueName="amzcancel-poison-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    url = sqs.create_queue(
        QueueName="amzcancel-poison",
        Attributes={
            "VisibilityTimeout": "0",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"}),
        },
    )["QueueUrl"]
    try:
        sqs.send_message(QueueUrl=url, MessageBody="{not json")
        listener = listener_for(market(), store, SqsQueue(url, wait_seconds=0), confirm=False)
        with caplog.at_level(logging.WARNING, logger="amzcancel.push"):
            first = asyncio.run(listener.poll_once())
            second = asyncio.run(listener.poll_once())
        assert (first.left, second.left) == (1, 1)
        assert listener.stats.unreadable == 2
        assert listener.stats.deleted == 0
        assert sum("cannot be read" in r.getMessage() for r in caplog.records) == 1
        assert asyncio.run(listener.poll_once()).received == 0  # now past maxReceiveCount
        moved = sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=0).get("Messages", [])
        assert [m["Body"] for m in moved] == ["{not json"]
    finally:
        sqs.delete_queue(QueueUrl=url)
        sqs.delete_queue(QueueUrl=dlq)


class _CrashOnDelete:
    """A queue that dies once between the store's commit and the delete."""

    def __init__(self, inner: SqsQueue) -> None:
        self.inner = inner
        self.crashed = False

    async def receive(self) -> list[QueueMessage]:
        return await self.inner.receive()

    async def delete(self, messages: Sequence[QueueMessage]) -> list[QueueMessage]:
        if not self.crashed:
            self.crashed = True
            raise RuntimeError("killed between commit and delete")
        return await self.inner.delete(messages)

    async def extend(self, messages: Sequence[QueueMessage], seconds: int) -> None:
        await self.inner.extend(messages, seconds)


def test_a_crash_between_commit_and_delete_duplicates_nothing(store: Store, sqs: Any) -> None:
    """The store committed, the delete never happened: the message comes back, its
    NotificationId makes it a no-op, and it is deleted then."""
    url = sqs.create_queue(QueueName="amzcancel-crash", Attributes={"VisibilityTimeout": "0"})[
        "QueueUrl"
    ]
    try:
        mp = market(url, delay_seconds=1.0)
        order = open_order(mp)
        mp.request_cancel(order.amazon_order_id, order.items[0].order_item_id, REASON)
        mp.advance(3)
        mp.push_due()
        crashing = listener_for(mp, store, _CrashOnDelete(SqsQueue(url, wait_seconds=0)))
        with pytest.raises(RuntimeError, match="killed"):
            asyncio.run(crashing.poll_once())
        assert len(requested(store, order.amazon_order_id)) == 1  # committed before the crash
        restarted = listener_for(mp, store, SqsQueue(url, wait_seconds=0), confirm=False)
        outcome = asyncio.run(restarted.poll_once())
        assert (outcome.applied, outcome.events, outcome.deleted) == (1, [], 1)
        assert len(requested(store, order.amazon_order_id)) == 1
        assert in_queue(sqs, url) == 0
    finally:
        sqs.delete_queue(QueueUrl=url)


def test_messages_of_an_unknown_seller_stay_in_the_queue(
    store: Store, queue_url: str, sqs: Any
) -> None:
    """One queue may serve many sellers: a seller no account claims is left for another
    consumer (or the dead-letter queue), never applied to the wrong account."""
    mp = market(queue_url, delay_seconds=1.0)
    order = open_order(mp)
    listener = Listener(
        queue=SqsQueue(queue_url, wait_seconds=0),
        store=store,
        accounts=[PushAccount("other", seller_id="A3OTHERSELLER")],
        reconcile_seconds=None,
    )
    mp.request_cancel(order.amazon_order_id, order.items[0].order_item_id, REASON)
    deliver(mp, listener)
    assert listener.stats.unknown_seller == 1
    assert store.events(include_acked=True) == []
    assert in_queue(sqs, queue_url) == 1


def test_one_queue_serves_several_sellers(store: Store, queue_url: str, sqs: Any) -> None:
    """Each notification is applied to the account of its SellerId."""
    mp = market()
    first, second = open_order(mp, 0), open_order(mp, 1)
    mp.request_cancel(first.amazon_order_id, first.items[0].order_item_id, REASON)
    mp.request_cancel(second.amazon_order_id, second.items[0].order_item_id, REASON)
    for notification, seller in zip(mp.notifications(), ("SELLER1", "SELLER2"), strict=True):
        notification["Payload"]["OrderChangeNotification"]["SellerId"] = seller
        sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(notification))
    listener = Listener(
        queue=SqsQueue(queue_url, wait_seconds=0),
        store=store,
        accounts=[PushAccount("one", seller_id="SELLER1"), PushAccount("two", seller_id="SELLER2")],
        reconcile_seconds=None,
    )
    asyncio.run(listener.poll_once())
    owners = {e.amazon_order_id: e.account for e in store.events(include_acked=True)}
    assert owners == {first.amazon_order_id: "one", second.amazon_order_id: "two"}


def test_sns_envelope_is_read(store: Store, queue_url: str) -> None:
    """A queue fed through an SNS topic carries the notification inside SNS's envelope."""
    mp = market(queue_url, delay_seconds=1.0, envelope="sns")
    order = open_order(mp)
    listener = listener_for(mp, store, SqsQueue(queue_url, wait_seconds=0), confirm=False)
    mp.request_cancel(order.amazon_order_id, order.items[0].order_item_id, REASON)
    deliver(mp, listener)
    assert len(requested(store, order.amazon_order_id)) == 1


class _Extending:
    """A queue that says when a visibility extension went through."""

    def __init__(self, inner: SqsQueue) -> None:
        self.inner = inner
        self.extended = threading.Event()

    async def receive(self) -> list[QueueMessage]:
        return await self.inner.receive()

    async def delete(self, messages: Sequence[QueueMessage]) -> list[QueueMessage]:
        return await self.inner.delete(messages)

    async def extend(self, messages: Sequence[QueueMessage], seconds: int) -> None:
        await self.inner.extend(messages, seconds)
        self.extended.set()


class _SlowStore:
    """A store whose writes wait until the batch's messages were kept invisible."""

    def __init__(self, inner: Store, gate: threading.Event) -> None:
        self._inner = inner
        self._gate = gate

    def apply(self, *args: Any, **kwargs: Any) -> Any:
        assert self._gate.wait(timeout=60), "the listener never extended the visibility"
        return self._inner.apply(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def test_a_slow_batch_keeps_its_messages_invisible(store: Store, queue_url: str, sqs: Any) -> None:
    """While a batch is still being applied, its messages' visibility is extended on SQS."""
    mp = market(queue_url, delay_seconds=1.0)
    order = open_order(mp)
    queue = _Extending(SqsQueue(queue_url, wait_seconds=0))
    listener = Listener(
        queue=queue,
        store=_SlowStore(store, queue.extended),  # type: ignore[arg-type]
        accounts=[PushAccount("sandbox")],
        reconcile_seconds=None,
        extend_after_seconds=0.01,
    )
    mp.request_cancel(order.amazon_order_id, order.items[0].order_item_id, REASON)
    deliver(mp, listener)
    assert listener.stats.extended >= 1
    assert listener.stats.deleted == 1
    assert in_queue(sqs, queue_url) == 0


def test_run_consumes_until_stopped(store: Store, queue_url: str) -> None:
    """``run(stop)`` receives, applies and confirms as a task, and returns once stopped."""
    mp = market(queue_url, delay_seconds=0.0)
    order = open_order(mp)
    mp.request_cancel(order.amazon_order_id, order.items[0].order_item_id, REASON)
    mp.push_due()
    listener = listener_for(mp, store, SqsQueue(queue_url, wait_seconds=1))

    async def main() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(listener.run(stop))
        for _ in range(400):  # bounded: the message is already in the queue
            if listener.confirmer.confirmed:
                break
            await asyncio.sleep(0.05)
        stop.set()
        await task

    asyncio.run(main())
    stored = store.get_order("sandbox", order.amazon_order_id)
    assert stored is not None
    assert stored.items[0].buyer_cancel.reason == REASON
