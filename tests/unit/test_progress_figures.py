"""Progress that reads one way: feed steps while Amazon processes, and waits as clock time."""

from __future__ import annotations

import pytest

from amzcancel.clock import FakeClock
from amzcancel.feeds import FeedProgress, build_cancellation_feed, submit_cancellation_feed
from amzcancel.models import FulfillmentChannel, OrderStatus
from amzcancel.policy import approve_cancellation
from amzcancel.sandbox import Marketplace
from amzcancel.transport import TransportStats
from amzcancel.transport._stats import WaitUnion


def test_a_submission_reports_each_step_and_each_check() -> None:
    """on_progress hears checking, uploading, submitted, each IN_QUEUE/IN_PROGRESS poll with the
    time waited, then downloading and done."""
    market = Marketplace.demo(feed_processing_seconds=95)
    order = next(
        o
        for o in market.truth().orders
        if o.status is OrderStatus.UNSHIPPED and o.fulfillment_channel is FulfillmentChannel.MFN
    )
    feed = build_cancellation_feed(
        [approve_cancellation(order, "NoInventory", out_of_stock=True)], merchant_id="A1SELLER"
    )
    steps: list[FeedProgress] = []
    with market.client() as client:
        result = submit_cancellation_feed(
            client,
            feed,
            marketplace_ids=["ATVPDKIKX0DER"],
            poll_interval=30,
            on_progress=steps.append,
        )
    assert result.processing_status == "DONE"
    assert [s.stage for s in steps[:3]] == ["checking", "uploading", "submitted"]
    polls = [s for s in steps if s.stage == "processing"]
    assert [s.processing_status for s in polls] == [
        "IN_QUEUE",
        "IN_QUEUE",
        "IN_PROGRESS",
        "IN_PROGRESS",
    ]  # IN_PROGRESS from a third of the 95 s on
    assert [s.waited_seconds for s in polls] == pytest.approx([0, 30, 60, 90], abs=1)
    assert all(s.next_poll_seconds == 30 and s.feed_id == result.feed_id for s in polls)
    assert [s.stage for s in steps[-2:]] == ["downloading", "done"]
    assert steps[-1].processing_status == "DONE"
    assert steps[-1].polls == 5


def test_wait_union_counts_overlapping_waits_once() -> None:
    """Intervals that overlap or touch count once; far apart ones add up."""
    union = WaitUnion()
    for start, end in [(0, 10), (5, 6), (20, 30), (9, 21), (40, 41), (41, 42), (3, 3)]:
        union.add(start, end)
    assert union.seconds == 32  # [0, 30] and [40, 42]


def test_waits_of_concurrent_calls_are_clock_time_not_a_sum() -> None:
    """Sixteen calls that wait together for a minute each: 16 minutes summed, 1 minute of time."""
    stats = TransportStats()
    for _ in range(16):
        stats.record_wait("getOrderItems", 60.0, ended=160.0)
    stats.record_wait("getOrderItems", 5.0)  # no time given: counted in the sum only
    assert stats.rate_limit_wait_seconds == 16 * 60 + 5
    assert stats.rate_limited_seconds == 60
    assert stats.rate_limited_seconds_by_operation == {"getOrderItems": 60}


def test_a_sync_never_reports_more_waiting_than_it_ran() -> None:
    """v0 through the sandbox (item calls paced, run concurrently): the waits, as clock time,
    fit in the run's clock time, while their sum need not."""
    market = Marketplace.demo(orders=120)
    assert isinstance(market.clock, FakeClock)
    started = market.clock.monotonic()
    with market.order_sync(store=":memory:", api="v0", concurrency=8) as sync:
        result = sync.run_once()
    ran = market.clock.monotonic() - started
    assert result.rate_limited_seconds > 0
    assert result.rate_limited_seconds <= ran + 1e-6
    assert result.to_json()["rate_limited_seconds"] == round(result.rate_limited_seconds, 3)
