"""The SQLite store: idempotent upserts, events exactly once, cursors, migrations, crashes."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from amzcancel.clock import FakeClock
from amzcancel.errors import StoreError
from amzcancel.models import (
    BuyerCancel,
    FulfillmentChannel,
    Money,
    Order,
    OrderItem,
    OrderStatus,
    Source,
)
from amzcancel.sync import CursorKey, Event, EventType, SqliteStore, Store
from amzcancel.sync._schema import MIGRATIONS, SCHEMA_VERSION, migrate

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
T1 = T0 + timedelta(hours=1)
T2 = T0 + timedelta(hours=2)
OID = "902-1845936-5435065"
KEY = CursorKey("sandbox", "spapi-v0", ("ATVPDKIKX0DER",))


def item(
    item_id: str = "05015851154158",
    *,
    requested: bool = False,
    reason: str | None = None,
    title: str | None = "Widget",
    ordered: int | None = 1,
    shipped: int | None = 0,
    price: Money | None = None,
) -> OrderItem:
    return OrderItem(
        order_item_id=item_id,
        asin="B00551Q3CS",
        seller_sku=f"SKU-{item_id[-2:]}",
        title=title,
        quantity_ordered=ordered,
        quantity_shipped=shipped,
        buyer_cancel=BuyerCancel(requested=requested, reason=reason),
        item_price=price,
    )


def order(
    order_id: str = OID,
    *,
    status: OrderStatus | None = OrderStatus.UNSHIPPED,
    updated: datetime | None = T0,
    items: list[OrderItem] | None = None,
    channel: FulfillmentChannel = FulfillmentChannel.MFN,
    source: Source = Source.SPAPI_V0,
    total: Money | None = None,
) -> Order:
    return Order(
        amazon_order_id=order_id,
        marketplace_id="ATVPDKIKX0DER",
        status=status,
        fulfillment_channel=channel,
        purchase_date=T0 - timedelta(days=1),
        last_update_date=updated,
        source=source,
        items=[item()] if items is None else items,
        order_total=total,
    )


def kinds(events: list[Event]) -> list[tuple[EventType, str | None]]:
    return [(e.type, e.order_item_id) for e in events]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 26, 12, 0, tzinfo=UTC))


@pytest.fixture
def store(clock: FakeClock) -> SqliteStore:
    return SqliteStore(":memory:", clock=clock)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "amzcancel.db"


# -- upserts and events ----------------------------------------------------------------------


def test_store_satisfies_the_protocol(store: SqliteStore) -> None:
    """SqliteStore is a Store, so the engine can be handed it (or any other implementation)."""
    assert isinstance(store, Store)


def test_order_round_trips_with_items_and_money(store: SqliteStore) -> None:
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


def test_applying_the_same_orders_twice_changes_nothing(store: SqliteStore) -> None:
    """A page applied again (a rerun after a crash) emits no events and stores the same rows."""
    page = [order(items=[item(requested=True, reason="x")]), order("902-0000000-0000002")]
    first = store.apply("sandbox", page)
    assert kinds(first) == [(EventType.BUYER_CANCEL_REQUESTED, "05015851154158")]
    assert store.apply("sandbox", page) == []
    assert len(store.events()) == 1
    assert store.get_order("sandbox", OID) == page[0]


def test_new_request_fires_once_with_reason_and_times(store: SqliteStore, clock: FakeClock) -> None:
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


def test_withdrawal_fires_when_the_flag_goes_back(store: SqliteStore) -> None:
    """A flag going back from true to false fires buyer_cancel_withdrawn, then nothing more."""
    store.apply("sandbox", [order(items=[item(requested=True)])])
    events = store.apply("sandbox", [order(updated=T1, items=[item(requested=False)])])
    assert kinds(events) == [(EventType.BUYER_CANCEL_WITHDRAWN, "05015851154158")]
    assert store.apply("sandbox", [order(updated=T1, items=[item(requested=False)])]) == []
    assert store.pending_requests() == []


def test_a_cancelled_item_is_stored_and_stays_cancelled(store: SqliteStore) -> None:
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
def test_a_later_source_without_the_flag_does_not_withdraw(
    store: SqliteStore, source: Source
) -> None:
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
    store: SqliteStore, status: OrderStatus, expected: EventType
) -> None:
    """An order becoming Canceled or Shipped fires its event once, however often it is seen."""
    store.apply("sandbox", [order()])
    assert kinds(store.apply("sandbox", [order(status=status, updated=T1)])) == [(expected, None)]
    assert store.apply("sandbox", [order(status=status, updated=T1)]) == []
    assert store.apply("sandbox", [order(status=status, updated=T2)]) == []


def test_new_order_already_requested_and_canceled_fires_each_once(store: SqliteStore) -> None:
    """An order first seen requested and canceled fires both events, items first, once."""
    page = [order(status=OrderStatus.CANCELED, items=[item("01", requested=True), item("02")])]
    assert kinds(store.apply("sandbox", page)) == [
        (EventType.BUYER_CANCEL_REQUESTED, "01"),
        (EventType.ORDER_CANCELED, None),
    ]
    assert store.apply("sandbox", page) == []


def test_unchanged_statuses_fire_nothing(store: SqliteStore) -> None:
    """A new open order without a request, and later non-final statuses, fire no events."""
    assert store.apply("sandbox", [order(status=OrderStatus.PENDING)]) == []
    assert store.apply("sandbox", [order(status=OrderStatus.UNSHIPPED, updated=T1)]) == []
    assert store.apply("sandbox", [order(status=OrderStatus.PARTIALLY_SHIPPED, updated=T2)]) == []


def test_older_data_never_overwrites_newer(store: SqliteStore) -> None:
    """An order dated earlier than the stored one is ignored whole: no rows, no events."""
    newer = order(status=OrderStatus.CANCELED, updated=T1, items=[item(requested=True)])
    store.apply("sandbox", [newer])
    stale = order(status=OrderStatus.UNSHIPPED, updated=T0, items=[item(requested=False)])
    assert store.apply("sandbox", [stale]) == []
    assert store.get_order("sandbox", OID) == newer


def test_later_duplicate_in_one_page_wins(store: SqliteStore) -> None:
    """An order listed twice in one apply is merged in turn, so the later copy's change fires."""
    events = store.apply("sandbox", [order(), order(updated=T1, items=[item(requested=True)])])
    assert kinds(events) == [(EventType.BUYER_CANCEL_REQUESTED, "05015851154158")]


def test_missing_values_never_wipe_known_ones(store: SqliteStore) -> None:
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


def test_items_not_listed_again_are_kept(store: SqliteStore) -> None:
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
    store: SqliteStore, clock: FakeClock
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
    store: SqliteStore, clock: FakeClock
) -> None:
    """An event of an order without last_update_date is dated when it was recorded."""
    (event,) = store.apply("sandbox", [order(updated=None, items=[item(requested=True)])])
    assert event.occurred_at == clock.now()


# -- cursors and atomicity -------------------------------------------------------------------


def test_cursor_key_normalises_marketplaces(store: SqliteStore) -> None:
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


def test_cursor_keeps_microseconds_and_refuses_naive(store: SqliteStore) -> None:
    """Cursors round-trip to the microsecond; a naive datetime is refused, not guessed."""
    value = datetime(2026, 11, 20, 8, 0, 1, 250_000, tzinfo=UTC)
    store.set_cursor(KEY, value)
    assert store.get_cursor(KEY) == value
    with pytest.raises(StoreError, match="timezone-aware"):
        store.set_cursor(KEY, datetime(2026, 11, 20, 8, 0))
    assert store.get_cursor(KEY) == value


def test_cursor_commits_with_its_rows(store: SqliteStore) -> None:
    """apply() with a cursor stores the rows and the cursor together."""
    store.apply("sandbox", [order()], cursor=(KEY, T1))
    assert store.get_cursor(KEY) == T1
    assert store.get_order("sandbox", OID) is not None


def test_failure_mid_apply_persists_nothing(
    store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure after the first order is written rolls back rows, events and the cursor."""
    real_write = SqliteStore._write_order
    calls = []

    def failing_write(self: SqliteStore, *args: object) -> None:
        calls.append(args)
        if len(calls) == 2:
            raise sqlite3.OperationalError("disk I/O error")
        real_write(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(SqliteStore, "_write_order", failing_write)
    page = [order(items=[item(requested=True)]), order("902-0000000-0000002")]
    with pytest.raises(StoreError, match=r":memory:: apply failed: disk I/O error"):
        store.apply("sandbox", page, cursor=(KEY, T1))
    assert store.get_order("sandbox", OID) is None
    assert store.get_cursor(KEY) is None
    assert store.events(include_acked=True) == []

    monkeypatch.setattr(SqliteStore, "_write_order", real_write)
    assert len(store.apply("sandbox", page, cursor=(KEY, T1))) == 1
    assert store.get_cursor(KEY) == T1


def test_stored_update_dates_lists_only_orders_stored_with_items(store: SqliteStore) -> None:
    """Only orders stored with items count as known, so the engine refetches the others."""
    ids = [f"902-0000000-{n:07d}" for n in range(1200)]
    store.apply("sandbox", [order(i, updated=T1) for i in ids[:700]])
    store.apply("sandbox", [order("902-9999999-0000000", items=[], updated=None)])
    store.apply("other", [order(ids[800])])
    dates = store.stored_update_dates("sandbox", [*ids, "902-9999999-0000000", ids[0]])
    assert dates == dict.fromkeys(ids[:700], T1)


# -- the outbox ------------------------------------------------------------------------------


def test_event_ids_strictly_increase_across_reopen(db_path: Path) -> None:
    """Event ids only grow, across applies and after the file is reopened."""
    with SqliteStore(db_path) as store:
        assert store.apply("sandbox", [order(f"902-0000000-000000{n}") for n in range(3)]) == []
        first = store.apply(
            "sandbox", [order(items=[item(requested=True)], status=OrderStatus.CANCELED)]
        )
    with SqliteStore(db_path) as store:
        second = store.apply("sandbox", [order("902-0000000-0000009", status=OrderStatus.SHIPPED)])
        ids = [e.id for e in store.events(include_acked=True)]
    assert ids == sorted(set(ids))
    assert [e.id for e in first] == ids[:2]
    assert second[0].id > first[-1].id


def test_ack_and_ack_through(store: SqliteStore) -> None:
    """ack() and ack_through() hide events from the default listing and count only changes."""
    page = [order(f"902-0000000-000000{n}", items=[item(requested=True)]) for n in range(5)]
    ids = [e.id for e in store.apply("sandbox", page)]
    assert store.ack([ids[1], ids[1], 10_000]) == 1
    assert store.ack([ids[1]]) == 0
    assert [e.id for e in store.events()] == [ids[0], *ids[2:]]
    assert store.ack_through(ids[2]) == 2
    assert [e.id for e in store.events()] == ids[3:]
    listed = store.events(include_acked=True)
    assert [(e.id, e.acked) for e in listed] == [(i, i <= ids[2]) for i in ids]
    assert store.ack_through(ids[2]) == 0


def test_events_after_id_and_limit(store: SqliteStore) -> None:
    """events() pages by after_id and limit, oldest first."""
    page = [order(f"902-0000000-000000{n}", items=[item(requested=True)]) for n in range(5)]
    ids = [e.id for e in store.apply("sandbox", page)]
    assert [e.id for e in store.events(limit=2)] == ids[:2]
    assert [e.id for e in store.events(after_id=ids[1], limit=2)] == ids[2:4]
    assert store.events(limit=0) == []
    with pytest.raises(StoreError):
        store.events(limit=-1)


# -- pending requests ------------------------------------------------------------------------


def test_pending_lists_only_open_seller_cancellable_requests(store: SqliteStore) -> None:
    """Pending lists requested items of open MFN orders; shipped, canceled and AFN are out."""
    store.apply(
        "sandbox",
        [
            order(
                "902-0000000-0000001", updated=T1, items=[item("11", requested=True, reason="r")]
            ),
            order("902-0000000-0000002", items=[item("21"), item("22", requested=True)]),
            order("902-0000000-0000003", status=OrderStatus.SHIPPED, items=[item(requested=True)]),
            order("902-0000000-0000004", status=OrderStatus.CANCELED, items=[item(requested=True)]),
            order(
                "902-0000000-0000005", channel=FulfillmentChannel.AFN, items=[item(requested=True)]
            ),
            order(
                "902-0000000-0000006",
                status=OrderStatus.PARTIALLY_SHIPPED,
                items=[
                    item("61", requested=True, ordered=2, shipped=2),
                    item("62", requested=True),
                ],
            ),
        ],
    )
    pending = store.pending_requests()
    assert [(p.amazon_order_id, p.order_item_id) for p in pending] == [
        ("902-0000000-0000002", "22"),
        ("902-0000000-0000006", "62"),
        ("902-0000000-0000001", "11"),
    ]
    first = pending[2]
    assert (first.reason, first.status, first.last_update_date) == ("r", OrderStatus.UNSHIPPED, T1)
    assert first.item.order_item_id == "11"
    assert first.order == store.get_order("sandbox", "902-0000000-0000001")
    with_afn = store.pending_requests(include_afn=True)
    assert "902-0000000-0000005" in {p.amazon_order_id for p in with_afn}


def test_accounts_never_mix(store: SqliteStore) -> None:
    """The same order id under two accounts is two orders, with separate events and cursors."""
    store.apply("sandbox", [order(items=[item(requested=True)])], cursor=(KEY, T1))
    other_key = CursorKey("spapi:abc123", KEY.api, KEY.marketplace_ids)
    events = store.apply("spapi:abc123", [order(items=[item(requested=False)])])
    assert events == []
    assert store.get_cursor(other_key) is None
    real = store.get_order("spapi:abc123", OID)
    assert real is not None
    assert real.items[0].buyer_cancel.requested is False
    assert [p.account for p in store.pending_requests()] == ["sandbox"]
    assert store.pending_requests(account="spapi:abc123") == []
    assert {e.account for e in store.events()} == {"sandbox"}


# -- files, migrations and errors ------------------------------------------------------------


def test_new_file_gets_the_schema_in_wal_mode(db_path: Path) -> None:
    """A new file is created at the current schema version, in WAL mode."""
    SqliteStore(db_path).close()
    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()


def test_empty_existing_file_is_migrated(db_path: Path) -> None:
    """A zero-byte file (touched by a deploy script) is taken as a new store and migrated."""
    db_path.touch()
    with SqliteStore(db_path, create=False) as store:
        store.apply("sandbox", [order()])
        assert store.get_order("sandbox", OID) == order()


def test_reopening_keeps_data(db_path: Path) -> None:
    """Reopening a store runs no migration again and finds everything stored."""
    with SqliteStore(db_path) as store:
        store.apply("sandbox", [order()], cursor=(KEY, T1))
    with SqliteStore(db_path) as store:
        assert store.get_order("sandbox", OID) == order()
        assert store.get_cursor(KEY) == T1


def test_migrations_run_in_order_and_roll_back_on_failure(tmp_path: Path) -> None:
    """Each migration commits with its version; a failing one leaves the previous version."""
    conn = sqlite3.connect(tmp_path / "m.db", isolation_level=None)
    steps = [*MIGRATIONS, ("CREATE TABLE extra (x)",), ("CREATE TABLE extra (y)",)]
    with pytest.raises(sqlite3.OperationalError):
        migrate(conn, path="m.db", migrations=steps)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
    assert migrate(conn, path="m.db", migrations=steps[:-1]) == SCHEMA_VERSION + 1
    conn.close()


def test_newer_schema_version_is_refused(db_path: Path) -> None:
    """A file written by a newer amzcancel raises StoreError naming the file, untouched."""
    SqliteStore(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match=r"amzcancel\.db: store schema version \d+ is newer"):
        SqliteStore(db_path)


def test_not_a_database_is_a_store_error(db_path: Path) -> None:
    """A file that is not SQLite raises StoreError with the path, not sqlite3's exception."""
    db_path.write_bytes(b"this is not a database, just some text" * 100)
    with pytest.raises(StoreError, match=r"amzcancel\.db: open failed") as info:
        SqliteStore(db_path)
    assert isinstance(info.value.__cause__, sqlite3.DatabaseError)


def test_directory_path_is_a_store_error(tmp_path: Path) -> None:
    """A path that cannot hold a database raises StoreError."""
    with pytest.raises(StoreError, match="open failed"):
        SqliteStore(tmp_path)


def test_create_false_never_creates_a_file(db_path: Path) -> None:
    """Opening a missing store with create=False fails without leaving an empty file behind."""
    with pytest.raises(StoreError, match="no such store"):
        SqliteStore(db_path, create=False)
    assert not db_path.exists()


def test_closed_store_raises_store_error(store: SqliteStore) -> None:
    """Using a closed store raises StoreError; closing twice is harmless."""
    store.close()
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.events()
    with pytest.raises(StoreError, match="closed"):
        store.apply("sandbox", [order()])


def test_second_connection_sees_committed_state(db_path: Path, clock: FakeClock) -> None:
    """Two stores on one file (a sync and a reader): the reader sees each commit at once."""
    with SqliteStore(db_path, clock=clock) as writer, SqliteStore(db_path) as reader:
        writer.apply("sandbox", [order(items=[item(requested=True)])])
        assert [p.amazon_order_id for p in reader.pending_requests()] == [OID]
        assert reader.ack_through(10) == 1
        assert writer.events() == []


# -- crash safety ----------------------------------------------------------------------------

_CHILD = r"""
import sys
from datetime import UTC, datetime, timedelta
from amzcancel.models import BuyerCancel, Order, OrderItem, OrderStatus, Source
from amzcancel.sync import CursorKey, SqliteStore

BASE = datetime(2026, 1, 1, tzinfo=UTC)
KEY = CursorKey("crash", "spapi-v0", ("ATVPDKIKX0DER",))

def build(page, n, status):
    return Order(
        amazon_order_id=f"{page:03d}-{n:07d}-0000000",
        status=status,
        last_update_date=BASE + timedelta(minutes=page if status is OrderStatus.UNSHIPPED
                                          else page + 1),
        source=Source.SPAPI_V0,
        items=[OrderItem(order_item_id=f"{page}-{n}-{k}",
                         buyer_cancel=BuyerCancel(requested=(n % 2 == 0 and k == 0)))
               for k in range(1 + n % 3)],
    )

# Report from inside the write of each page's 11th new order, so the parent's SIGKILL lands
# while that page's transaction is open (the test's point), not between pages.
_write_order = SqliteStore._write_order

def traced_write_order(self, conn, account, order, now):
    if order.amazon_order_id.split("-")[1] == "0000010" and order.status is OrderStatus.UNSHIPPED:
        print("writing", flush=True)
    _write_order(self, conn, account, order, now)

SqliteStore._write_order = traced_write_order

def page_orders(page):
    orders = [build(page, n, OrderStatus.UNSHIPPED) for n in range(20)]
    if page > 1:
        orders += [build(page - 1, n, OrderStatus.SHIPPED) for n in range(20)]
    return orders

with SqliteStore(sys.argv[1]) as store:
    cursor = store.get_cursor(KEY)
    page = 0 if cursor is None else int((cursor - BASE) / timedelta(minutes=1))
    while True:
        page += 1
        store.apply("crash", page_orders(page), cursor=(KEY, BASE + timedelta(minutes=page)))
        print(page, flush=True)
"""


def _run_and_kill(path: Path, pages: int) -> int:
    """Run the child past ``pages`` commits, SIGKILL it mid-write; return its last commit."""
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    last, commits = 0, 0
    try:
        for line in child.stdout:
            if line.strip() == "writing":
                if commits >= pages:
                    break  # the child is inside apply(): kill it there
            else:
                last, commits = int(line), commits + 1
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    return last


def _assert_consistent(path: Path, at_least: int) -> None:
    with SqliteStore(path) as store:
        assert store._conn is not None
        assert store._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        cursor = store.get_cursor(CursorKey("crash", "spapi-v0", ("ATVPDKIKX0DER",)))
        assert cursor is not None
        last = int((cursor - datetime(2026, 1, 1, tzinfo=UTC)) / timedelta(minutes=1))
        assert last >= at_least
        expected: Counter[tuple[str, str, str | None]] = Counter()
        for page in range(1, last + 1):
            for n in range(20):
                stored = store.get_order("crash", f"{page:03d}-{n:07d}-0000000")
                assert stored is not None, (page, n)
                assert len(stored.items) == 1 + n % 3
                shipped = page < last
                assert stored.status is (OrderStatus.SHIPPED if shipped else OrderStatus.UNSHIPPED)
                oid = stored.amazon_order_id
                if n % 2 == 0:
                    expected[("buyer_cancel_requested", oid, f"{page}-{n}-0")] += 1
                if shipped:
                    expected[("order_shipped", oid, None)] += 1
        for n in range(20):
            assert store.get_order("crash", f"{last + 1:03d}-{n:07d}-0000000") is None
        events = store.events(include_acked=True)
        actual = Counter((e.type.value, e.amazon_order_id, e.order_item_id) for e in events)
        assert actual == expected


@pytest.mark.slow
def test_sigkill_mid_apply_leaves_a_consistent_store(db_path: Path) -> None:
    """A syncing process killed with SIGKILL, three times, leaves whole pages and exact events."""
    done = 0
    for pages in (3, 7, 5):
        done = max(done, _run_and_kill(db_path, pages))
        _assert_consistent(db_path, done)
