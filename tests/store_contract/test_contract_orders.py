"""Store contract, both backends: upserts, merge rules, events exactly once, cursors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from store_helpers import KEY, OID, T0, T1, T2, item, kinds, order

from amzcancel.clock import FakeClock
from amzcancel.errors import StoreError
from amzcancel.models import BuyerCancel, Money, OrderStatus, Source
from amzcancel.sync import CursorKey, EventType, Store, _sql_orders
from amzcancel.sync._sqlstore import SqlStore

# -- upserts and events ----------------------------------------------------------------------


def test_store_satisfies_the_protocol(store: SqlStore) -> None:
    """Each backend is a Store, so the engine can be handed either."""
    assert isinstance(store, Store)


def test_order_round_trips_with_items_and_money(store: SqlStore) -> None:
    """A stored order reads back equal, including the money attributes left out of the JSON."""
    stored = order(
        total=Money(currency_code="USD", amount=Decimal("19.99")),
        items=[
            item("01", price=Money(currency_code="USD", amount=Decimal("9.995"))),
            item("02", requested=True, reason="Found cheaper"),
        ],
    )
    store.apply("sandbox", [stored])
    loaded = store.get_order("sandbox", OID)
    assert loaded == stored
    assert loaded is not None
    assert loaded.order_total == Money(currency_code="USD", amount=Decimal("19.99"))
    assert [i.order_item_id for i in loaded.items] == ["01", "02"]
    assert store.get_order("sandbox", "902-0000000-0000000") is None


def test_applying_the_same_orders_twice_changes_nothing(store: SqlStore) -> None:
    """A page applied again (a rerun after a crash) emits no events and stores the same rows."""
    page = [order(items=[item(requested=True, reason="x")]), order("902-0000000-0000002")]
    first = store.apply("sandbox", page)
    assert kinds(first) == [(EventType.BUYER_CANCEL_REQUESTED, "05015851154158")]
    assert store.apply("sandbox", page) == []
    assert len(store.events()) == 1
    assert store.get_order("sandbox", OID) == page[0]


def test_new_request_fires_once_with_reason_and_times(store: SqlStore, clock: FakeClock) -> None:
    """A request fires buyer_cancel_requested with the reason, the order's time and our time."""
    store.apply("sandbox", [order(items=[item()])])
    clock.advance(60)
    (event,) = store.apply(
        "sandbox", [order(updated=T1, items=[item(requested=True, reason="Changed my mind")])]
    )
    assert event.type is EventType.BUYER_CANCEL_REQUESTED
    assert (event.account, event.amazon_order_id) == ("sandbox", OID)
    assert event.reason == "Changed my mind"
    assert event.occurred_at == T1
    assert event.recorded_at == clock.now()
    assert event.acked is False
    assert store.events() == [event]


def test_withdrawal_fires_when_the_flag_goes_back(store: SqlStore) -> None:
    """A flag going back from true to false fires buyer_cancel_withdrawn, then nothing more."""
    store.apply("sandbox", [order(items=[item(requested=True)])])
    events = store.apply("sandbox", [order(updated=T1, items=[item(requested=False)])])
    assert kinds(events) == [(EventType.BUYER_CANCEL_WITHDRAWN, "05015851154158")]
    assert store.apply("sandbox", [order(updated=T1, items=[item(requested=False)])]) == []
    assert store.pending_requests() == []


def test_a_cancelled_item_is_stored_and_stays_cancelled(store: SqlStore) -> None:
    """Once Amazon says it executed an item's cancellation, a later source that cannot say so
    (a notification, v0) does not bring the item back into pending."""
    requested = item(requested=True)
    store.apply("sandbox", [order(items=[requested])])
    assert len(store.pending_requests()) == 1
    gone = requested.model_copy(update={"cancelled": True})
    store.apply("sandbox", [order(updated=T1, source=Source.SPAPI_2026, items=[gone])])
    assert store.pending_requests() == []
    stored = store.get_order("sandbox", OID)
    assert stored is not None
    assert stored.items[0].cancelled
    later = order(updated=T1 + timedelta(hours=1), source=Source.NOTIFICATION, items=[requested])
    store.apply("sandbox", [later])
    assert store.pending_requests() == []


@pytest.mark.parametrize("source", [Source.NOTIFICATION, Source.REPORT])
def test_a_later_source_without_the_flag_does_not_withdraw(store: SqlStore, source: Source) -> None:
    """A newer notification item without IsBuyerRequestedCancel (optional there), or a report
    without the buyer-cancel column, says nothing about the request: it stays open."""
    store.apply("sandbox", [order(items=[item(requested=True, reason="Changed my mind")])])
    silent = item().model_copy(update={"buyer_cancel": BuyerCancel(reported=False)})
    events = store.apply("sandbox", [order(updated=T1, source=source, items=[silent])])
    assert kinds(events) == []
    [still] = store.pending_requests()
    assert still.reason == "Changed my mind"


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        pytest.param(OrderStatus.CANCELED, EventType.ORDER_CANCELED, id="canceled"),
        pytest.param(OrderStatus.SHIPPED, EventType.ORDER_SHIPPED, id="shipped"),
    ],
)
def test_status_change_fires_once(
    store: SqlStore, status: OrderStatus, expected: EventType
) -> None:
    """An order becoming Canceled or Shipped fires its event once, however often it is seen."""
    store.apply("sandbox", [order()])
    assert kinds(store.apply("sandbox", [order(status=status, updated=T1)])) == [(expected, None)]
    assert store.apply("sandbox", [order(status=status, updated=T1)]) == []
    assert store.apply("sandbox", [order(status=status, updated=T2)]) == []


def test_new_order_already_requested_and_canceled_fires_each_once(store: SqlStore) -> None:
    """An order first seen requested and canceled fires both events, items first, once."""
    page = [order(status=OrderStatus.CANCELED, items=[item("01", requested=True), item("02")])]
    assert kinds(store.apply("sandbox", page)) == [
        (EventType.BUYER_CANCEL_REQUESTED, "01"),
        (EventType.ORDER_CANCELED, None),
    ]
    assert store.apply("sandbox", page) == []


def test_unchanged_statuses_fire_nothing(store: SqlStore) -> None:
    """A new open order without a request, and later non-final statuses, fire no events."""
    assert store.apply("sandbox", [order(status=OrderStatus.PENDING)]) == []
    assert store.apply("sandbox", [order(status=OrderStatus.UNSHIPPED, updated=T1)]) == []
    assert store.apply("sandbox", [order(status=OrderStatus.PARTIALLY_SHIPPED, updated=T2)]) == []


def test_older_data_never_overwrites_newer(store: SqlStore) -> None:
    """An order dated earlier than the stored one is ignored whole: no rows, no events."""
    newer = order(status=OrderStatus.CANCELED, updated=T1, items=[item(requested=True)])
    store.apply("sandbox", [newer])
    stale = order(status=OrderStatus.UNSHIPPED, updated=T0, items=[item(requested=False)])
    assert store.apply("sandbox", [stale]) == []
    assert store.get_order("sandbox", OID) == newer


def test_later_duplicate_in_one_page_wins(store: SqlStore) -> None:
    """An order listed twice in one apply is merged in turn, so the later copy's change fires."""
    events = store.apply("sandbox", [order(), order(updated=T1, items=[item(requested=True)])])
    assert kinds(events) == [(EventType.BUYER_CANCEL_REQUESTED, "05015851154158")]


def test_missing_values_never_wipe_known_ones(store: SqlStore) -> None:
    """A newer order without titles or a reason (a notification) keeps the stored values."""
    store.apply("sandbox", [order(items=[item(requested=True, reason="Found cheaper")])])
    notification = order(
        updated=T1,
        status=None,
        source=Source.NOTIFICATION,
        items=[item(requested=True, reason=None, title=None, ordered=None, shipped=None)],
    )
    assert store.apply("sandbox", [notification]) == []
    loaded = store.get_order("sandbox", OID)
    assert loaded is not None
    assert loaded.status is OrderStatus.UNSHIPPED
    assert loaded.last_update_date == T1
    assert loaded.source is Source.NOTIFICATION
    (stored_item,) = loaded.items
    assert stored_item.title == "Widget"
    assert stored_item.buyer_cancel == BuyerCancel(requested=True, reason="Found cheaper")


def test_items_not_listed_again_are_kept(store: SqlStore) -> None:
    """An update carrying only some items keeps the others (items never leave an order)."""
    store.apply("sandbox", [order(items=[item("01"), item("02")])])
    store.apply("sandbox", [order(updated=T1, items=[item("02", requested=True)])])
    loaded = store.get_order("sandbox", OID)
    assert loaded is not None
    assert [(i.order_item_id, i.buyer_cancel.requested) for i in loaded.items] == [
        ("01", False),
        ("02", True),
    ]


def test_undated_data_can_raise_a_request_but_never_withdraw(
    store: SqlStore, clock: FakeClock
) -> None:
    """Undated input (a report row) fills gaps and raises a request, but never lowers one."""
    store.apply("sandbox", [order(items=[item(title=None)])])
    report = order(updated=None, status=None, source=Source.REPORT, items=[item(requested=True)])
    (event,) = store.apply("sandbox", [report])
    assert event.type is EventType.BUYER_CANCEL_REQUESTED
    assert event.occurred_at == T0  # the stored order's date, kept
    loaded = store.get_order("sandbox", OID)
    assert loaded is not None
    assert loaded.source is Source.SPAPI_V0
    assert loaded.items[0].title == "Widget"

    lowered = order(updated=None, status=OrderStatus.SHIPPED, items=[item(requested=False)])
    assert store.apply("sandbox", [lowered]) == []
    loaded = store.get_order("sandbox", OID)
    assert loaded is not None
    assert loaded.status is OrderStatus.UNSHIPPED
    assert loaded.items[0].buyer_cancel.requested is True


def test_undated_new_order_uses_the_clock_for_occurred_at(
    store: SqlStore, clock: FakeClock
) -> None:
    """An event of an order without last_update_date is dated when it was recorded."""
    (event,) = store.apply("sandbox", [order(updated=None, items=[item(requested=True)])])
    assert event.occurred_at == clock.now()


# -- cursors and atomicity -------------------------------------------------------------------


def test_cursor_key_normalises_marketplaces(store: SqlStore) -> None:
    """Marketplace sets in any order (or repeated) name the same cursor; other sets do not."""
    key = CursorKey("a", "spapi-2026", ("A2EUQ1WTGCTBG2", "ATVPDKIKX0DER", "ATVPDKIKX0DER"))
    assert key.marketplace_ids == ("A2EUQ1WTGCTBG2", "ATVPDKIKX0DER")
    store.set_cursor(key, T1)
    assert store.get_cursor(CursorKey("a", "spapi-2026", ("ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"))) == T1
    assert store.get_cursor(CursorKey("a", "spapi-2026", ("ATVPDKIKX0DER",))) is None
    assert store.get_cursor(CursorKey("a", "spapi-v0", key.marketplace_ids)) is None
    store.set_cursor(key, T2)
    assert store.get_cursor(key) == T2


def test_cursor_key_needs_account_and_api() -> None:
    """A cursor key without an account or API is refused with StoreError."""
    with pytest.raises(StoreError):
        CursorKey("", "spapi-v0")
    with pytest.raises(StoreError):
        CursorKey("sandbox", "")


def test_cursor_keeps_microseconds_and_refuses_naive(store: SqlStore) -> None:
    """Cursors round-trip to the microsecond; a naive datetime is refused, not guessed."""
    value = datetime(2026, 11, 20, 8, 0, 1, 250_000, tzinfo=UTC)
    store.set_cursor(KEY, value)
    assert store.get_cursor(KEY) == value
    with pytest.raises(StoreError, match="timezone-aware"):
        store.set_cursor(KEY, datetime(2026, 11, 20, 8, 0))
    assert store.get_cursor(KEY) == value


def test_cursor_commits_with_its_rows(store: SqlStore) -> None:
    """apply() with a cursor stores the rows and the cursor together."""
    store.apply("sandbox", [order()], cursor=(KEY, T1))
    assert store.get_cursor(KEY) == T1
    assert store.get_order("sandbox", OID) is not None


def test_failure_mid_apply_persists_nothing(
    store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure after the orders are written rolls back rows, events and the cursor."""
    real_write = _sql_orders.write_items

    def failing_write(*args: Any) -> None:
        real_write(*args)
        raise RuntimeError("disk I/O error")

    monkeypatch.setattr("amzcancel.sync._sql_apply.write_items", failing_write)
    page = [order(items=[item(requested=True)]), order("902-0000000-0000002")]
    with pytest.raises(RuntimeError, match="disk I/O error"):
        store.apply("sandbox", page, cursor=(KEY, T1))
    assert store.get_order("sandbox", OID) is None
    assert store.get_cursor(KEY) is None
    assert store.events(include_acked=True) == []

    monkeypatch.setattr("amzcancel.sync._sql_apply.write_items", real_write)
    assert len(store.apply("sandbox", page, cursor=(KEY, T1))) == 1
    assert store.get_cursor(KEY) == T1


def test_stored_update_dates_lists_only_orders_stored_with_items(store: SqlStore) -> None:
    """Only orders stored with items count as known, so the engine refetches the others."""
    ids = [f"902-0000000-{n:07d}" for n in range(1200)]
    store.apply("sandbox", [order(i, updated=T1) for i in ids[:700]])
    store.apply("sandbox", [order("902-9999999-0000000", items=[], updated=None)])
    store.apply("other", [order(ids[800])])
    dates = store.stored_update_dates("sandbox", [*ids, "902-9999999-0000000", ids[0]])
    assert dates == dict.fromkeys(ids[:700], T1)


# -- the outbox ------------------------------------------------------------------------------


# -- freshness: a date in the future never freezes an order ---------------------------------


def test_order_dated_far_ahead_takes_its_next_real_state(
    store: SqlStore, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    """Stored with a LastUpdateDate 400 days ahead, the order still takes its next real state
    (SHIPPED, 20 minutes old): it leaves pending and fires order_shipped; one warning."""
    bogus = clock.now() + timedelta(days=400)
    store.apply("a", [order(updated=bogus, items=[item(requested=True)])])
    store.apply("a", [order(updated=bogus, items=[item(requested=True)])])
    warnings = [r for r in caplog.records if "later than now" in r.getMessage()]
    assert len(warnings) == 1
    assert [p.amazon_order_id for p in store.pending_requests()] == [OID]
    stored = store.stored_update_dates("a", [OID])
    assert stored == {OID: clock.now()}  # the freshness counts from when it was received
    clock.advance(timedelta(hours=1))
    shipped = order(
        status=OrderStatus.SHIPPED,
        updated=clock.now() - timedelta(minutes=20),
        items=[item(requested=True)],
    )
    assert kinds(store.apply("a", [shipped])) == [(EventType.ORDER_SHIPPED, None)]
    assert store.pending_requests() == []
    loaded = store.get_order("a", OID)
    assert loaded is not None
    assert loaded.last_update_date == shipped.last_update_date


def test_order_dated_minutes_ahead_takes_a_cancellation(store: SqlStore, clock: FakeClock) -> None:
    """Stored 10 minutes ahead of our clock, the order takes a cancellation dated 2 minutes
    later than when we stored it, though that is earlier than the date it claimed."""
    received = clock.now()
    store.apply(
        "a", [order(updated=received + timedelta(minutes=10), items=[item(requested=True)])]
    )
    clock.advance(timedelta(minutes=3))
    canceled = order(
        status=OrderStatus.CANCELED,
        updated=received + timedelta(minutes=2),
        items=[item(requested=True)],
    )
    assert kinds(store.apply("a", [canceled])) == [(EventType.ORDER_CANCELED, None)]
    assert store.pending_requests() == []


def test_an_order_older_than_its_freshness_is_still_stale(
    store: SqlStore, clock: FakeClock
) -> None:
    """The freshness rule only caps dates at when they arrived: an older order is still ignored."""
    received = clock.now()
    store.apply("a", [order(updated=received + timedelta(minutes=10))])
    stale = order(status=OrderStatus.SHIPPED, updated=received - timedelta(minutes=1))
    assert store.apply("a", [stale]) == []
    loaded = store.get_order("a", OID)
    assert loaded is not None
    assert loaded.status is OrderStatus.UNSHIPPED


def test_freshness_catches_up_once_the_date_has_passed(store: SqlStore, clock: FakeClock) -> None:
    """An order received ahead of our clock is refetched until our clock passes its date, then
    counts as known at that date (no refetch forever), with no new events."""
    ahead = clock.now() + timedelta(minutes=5)
    store.apply("a", [order(updated=ahead)])
    assert store.stored_update_dates("a", [OID])[OID] == clock.now()
    clock.advance(timedelta(minutes=10))
    assert store.apply("a", [order(updated=ahead)]) == []
    assert store.stored_update_dates("a", [OID]) == {OID: ahead}


# -- two copies at the same update time ------------------------------------------------------


def test_equal_dated_copy_never_withdraws_a_request(store: SqlStore) -> None:
    """Two copies of one order at the same LastUpdateDate: the one carrying the request keeps
    it, whichever comes first; the other copy's values still win."""
    store.apply("a", [order(items=[item(requested=True, reason="Changed my mind")])])
    copy = order(status=OrderStatus.PENDING, items=[item(requested=False, title="New title")])
    assert store.apply("a", [copy]) == []
    loaded = store.get_order("a", OID)
    assert loaded is not None
    assert loaded.items[0].buyer_cancel == BuyerCancel(requested=True, reason="Changed my mind")
    assert (loaded.status, loaded.items[0].title) == (OrderStatus.PENDING, "New title")
    assert [p.order_item_id for p in store.pending_requests()] == ["05015851154158"]


def test_equal_dated_copy_in_one_batch_raises_the_request(store: SqlStore) -> None:
    """In one apply, a second equal-dated copy carrying a request raises it once."""
    page = [order(items=[item()]), order(items=[item(requested=True, reason="r")])]
    assert kinds(store.apply("a", page)) == [(EventType.BUYER_CANCEL_REQUESTED, "05015851154158")]
    assert store.apply("a", list(reversed(page))) == []


def test_strictly_newer_copy_still_withdraws(store: SqlStore) -> None:
    """A withdrawal needs a strictly newer date, and then it happens."""
    store.apply("a", [order(items=[item(requested=True)])])
    later = order(updated=T0 + timedelta(seconds=1), items=[item(requested=False)])
    assert kinds(store.apply("a", [later])) == [
        (EventType.BUYER_CANCEL_WITHDRAWN, "05015851154158")
    ]


def test_values_round_trip_exactly(store: SqlStore) -> None:
    """Odd but valid values come back unchanged: big quantities, exact decimals, unicode."""
    big = item("x1", ordered=2**40, shipped=0, title="Ünïcødé ✓ '; --")
    priced = item("x2", price=Money(currency_code="EUR", amount=Decimal("0.000001")))
    stored = order(
        updated=datetime(2026, 1, 1, 0, 0, 0, 123456, tzinfo=UTC),
        total=Money(currency_code="JPY", amount=Decimal("123456789012.50")),
        items=[big, priced],
    )
    store.apply("a", [stored])
    assert store.get_order("a", OID) == stored
