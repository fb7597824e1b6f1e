"""Store contract, both backends: set-aside orders, dedupe keys, cancellations, streaming."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from store_helpers import KEY, T1, item, kinds, oid, order

from amzcancel.clock import FakeClock
from amzcancel.errors import StoreError
from amzcancel.models import OrderStatus
from amzcancel.sync import CancellationState, EventType, SetAside, _sql_pending, _sqlstore
from amzcancel.sync._sqlstore import SqlStore

# -- set-aside orders ------------------------------------------------------------------------


def test_set_aside_orders_are_kept_counted_and_cleared_by_apply(
    store: SqlStore, clock: FakeClock
) -> None:
    """A set-aside order keeps first_seen, moves last_seen, counts attempts, and leaves the
    list when it is applied; the cursor moves past it in the same transaction."""
    first = clock.now()
    store.apply("a", [], set_aside=[SetAside(oid(1), "timeout"), SetAside(oid(2), "500")])
    clock.advance(timedelta(minutes=5))
    store.apply("a", [], cursor=(KEY, T1), set_aside=[SetAside(oid(1), "429 again")])
    store.apply("b", [], set_aside=[SetAside(oid(1), "other account")])
    aside = store.set_aside_orders("a")
    assert [(s.amazon_order_id, s.attempts, s.error) for s in aside] == [
        (oid(1), 2, "429 again"),
        (oid(2), 1, "500"),
    ]
    assert (aside[0].first_seen, aside[0].last_seen) == (first, clock.now())
    assert store.get_cursor(KEY) == T1
    assert len(store.set_aside_orders()) == 3

    store.apply("a", [order(oid(1))])
    assert [s.amazon_order_id for s in store.set_aside_orders("a")] == [oid(2)]
    assert [s.account for s in store.set_aside_orders("b")] == ["b"]
    assert store.clear_set_aside("a", [oid(2), oid(3)]) == 1
    assert store.set_aside_orders("a") == []


def test_an_order_applied_and_set_aside_in_one_call_stays_set_aside(store: SqlStore) -> None:
    """Set-asides are recorded after the orders are applied: the later word wins."""
    store.apply("a", [order(oid(1))], set_aside=[SetAside(oid(1), "items failed")])
    assert [s.amazon_order_id for s in store.set_aside_orders()] == [oid(1)]


def test_set_aside_needs_an_order_id() -> None:
    """A set-aside entry without an order id is refused before it reaches the store."""
    with pytest.raises(StoreError, match="amazon_order_id"):
        SetAside("", "boom")


# -- dedupe keys -----------------------------------------------------------------------------


def test_a_dedupe_key_makes_a_repeat_a_no_op(store: SqlStore) -> None:
    """The same notification applied twice writes once; another account's same key is new."""
    first = store.apply("a", [order(items=[item(requested=True)])], dedupe_key="n-1")
    assert kinds(first) == [(EventType.BUYER_CANCEL_REQUESTED, "05015851154158")]
    shipped = order(updated=T1, status=OrderStatus.SHIPPED, items=[item(requested=True)])
    assert store.apply("a", [shipped], cursor=(KEY, T1), dedupe_key="n-1") == []
    loaded = store.get_order("a", shipped.amazon_order_id)
    assert loaded is not None
    assert loaded.status is OrderStatus.UNSHIPPED
    assert store.get_cursor(KEY) is None
    assert len(store.apply("b", [order(items=[item(requested=True)])], dedupe_key="n-1")) == 1


def test_dedupe_keys_are_forgotten_after_fourteen_days(store: SqlStore, clock: FakeClock) -> None:
    """Keys older than the retention are pruned by later applies, so the table stays bounded."""
    store.apply("a", [order()], dedupe_key="old")
    clock.advance(timedelta(days=15))
    store.apply("a", [order(oid(2))], dedupe_key="new")
    assert (
        len(store.apply("a", [order(oid(3), items=[item(requested=True)])], dedupe_key="old")) == 1
    )


# -- cancellations in flight -----------------------------------------------------------------


def test_cancellation_moves_through_its_states(store: SqlStore, clock: FakeClock) -> None:
    """prepared -> submitted (feed id) -> done; each step stamped; done is final."""
    record = store.begin_cancellation("a", oid(1), ["i1", "i2"], "BuyerCanceled")
    assert (record.state, record.order_item_ids, record.feed_id) == (
        CancellationState.PREPARED,
        ("i1", "i2"),
        None,
    )
    clock.advance(60)
    submitted = store.update_cancellation(
        record.id, state=CancellationState.SUBMITTED, feed_id="F1"
    )
    assert (submitted.feed_id, submitted.created_at, submitted.updated_at) == (
        "F1",
        record.created_at,
        clock.now(),
    )
    done = store.update_cancellation(record.id, state=CancellationState.DONE, detail="1 processed")
    assert (done.state, done.feed_id, done.detail) == (CancellationState.DONE, "F1", "1 processed")
    with pytest.raises(StoreError, match="is done; it cannot become failed"):
        store.update_cancellation(record.id, state=CancellationState.FAILED)
    assert store.cancellations(account="a") == [done]


def test_one_open_cancellation_per_order(store: SqlStore) -> None:
    """A second cancellation of an order in flight is refused until the first is finished,
    so a rerun after a kill finds the open one instead of submitting twice."""
    first = store.begin_cancellation("a", oid(1), [], "NoInventory")
    with pytest.raises(StoreError, match=f"already prepared \\(record {first.id}\\)"):
        store.begin_cancellation("a", oid(1), [], "NoInventory")
    other = store.begin_cancellation("b", oid(1), [], "NoInventory")
    assert [r.id for r in store.cancellations(amazon_order_id=oid(1), open_only=True)] == [
        first.id,
        other.id,
    ]
    store.update_cancellation(first.id, state=CancellationState.FAILED, detail="refused")
    again = store.begin_cancellation("a", oid(1), [], "NoInventory")
    assert [r.id for r in store.cancellations(account="a", open_only=True)] == [again.id]
    assert len(store.cancellations()) == 3


def test_cancellation_input_is_checked(store: SqlStore) -> None:
    """Unknown records, states and malformed arguments are StoreErrors."""
    with pytest.raises(StoreError, match="no cancellation record 99"):
        store.update_cancellation(99, state=CancellationState.DONE)
    record = store.begin_cancellation("a", oid(1), ["i1"], "NoInventory")
    with pytest.raises(StoreError, match="unknown cancellation state"):
        store.update_cancellation(record.id, state="shipped")  # type: ignore[arg-type]
    with pytest.raises(StoreError, match="not one string"):
        store.begin_cancellation("a", oid(2), "i1", "NoInventory")
    with pytest.raises(StoreError, match="reason"):
        store.begin_cancellation("a", oid(2), [], "")


# -- streaming and filters -------------------------------------------------------------------


def test_iter_events_reads_in_pages_and_filters_by_account(
    store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """iter_events yields every event in id order across pages; account filters everywhere."""
    monkeypatch.setattr(_sqlstore, "EVENT_PAGE", 3)
    for n in range(4):
        store.apply("a", [order(oid(n), items=[item(requested=True)])])
        store.apply("b", [order(oid(n), items=[item(requested=True)])])
    every = store.events()
    assert [e.id for e in store.iter_events()] == [e.id for e in every]
    assert len(every) == 8
    only_b = list(store.iter_events(account="b"))
    assert [e.account for e in only_b] == ["b"] * 4
    assert [e.id for e in store.events(account="b", after_id=only_b[0].id, limit=2)] == [
        e.id for e in only_b[1:3]
    ]
    assert store.ack_through(only_b[-1].id, account="b") == 4
    assert {e.account for e in store.events()} == {"a"}
    assert len(list(store.iter_events(include_acked=True))) == 8


def test_iter_pending_requests_pages_undated_then_dated_orders(
    store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Streamed pending requests equal the list, undated orders first, across pages."""
    monkeypatch.setattr(_sql_pending, "PAGE_ORDERS", 2)
    store.apply("a", [order(oid(n), updated=None, items=[item(requested=True)]) for n in range(3)])
    store.apply("a", [order(oid(n), updated=T1, items=[item(requested=True)]) for n in range(3, 8)])
    store.apply("b", [order(oid(9), updated=T1 - timedelta(hours=1), items=[item(requested=True)])])
    streamed = [(p.account, p.amazon_order_id) for p in store.iter_pending_requests()]
    assert streamed == [
        ("a", oid(0)),
        ("a", oid(1)),
        ("a", oid(2)),
        ("b", oid(9)),
        *[("a", oid(n)) for n in range(3, 8)],
    ]
    assert [(p.account, p.amazon_order_id) for p in store.pending_requests()] == streamed
    assert len(list(store.iter_pending_requests(account="b"))) == 1


def test_wait_for_events_answers_at_once_or_after_the_timeout(store: SqlStore) -> None:
    """True at once when a newer event exists; False when none comes within the timeout."""
    (event,) = store.apply("a", [order(items=[item(requested=True)])])
    assert store.wait_for_events(0, 5) is True
    assert store.wait_for_events(event.id, 0.2) is False


def test_wait_for_events_wakes_when_an_event_is_committed(
    make_store: type[SqlStore], backend: str
) -> None:
    """A waiter returns True once another connection commits an event (no timing assertion:
    the waiter's timeout is far longer than the writer needs)."""
    waiter, writer = make_store(), make_store()
    if backend == "sqlite":
        # The poller sleeps on the store's clock; write from inside the first sleep.
        waiter._clock = _WritingClock(
            lambda: writer.apply("a", [order(items=[item(requested=True)])])
        )
        assert waiter.wait_for_events(0, 600) is True
        return
    result: list[bool] = []
    thread = threading.Thread(target=lambda: result.append(waiter.wait_for_events(0, 120)))
    thread.start()
    writer.apply("a", [order(items=[item(requested=True)])])
    thread.join(timeout=120)
    assert result == [True]


class _WritingClock(FakeClock):
    """A fake clock whose first sleep runs a callback (another process writing meanwhile)."""

    def __init__(self, callback: object) -> None:
        super().__init__()
        self._callback = callback

    def sleep(self, seconds: float) -> None:
        callback, self._callback = self._callback, None
        if callable(callback):
            callback()
        super().sleep(seconds)
