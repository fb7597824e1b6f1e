"""OrderSync against a marketplace that bends its answers (sandbox quirks), on simulated time.

Each quirk is a way a real marketplace misbehaves that once stopped or misled a sync: an index
that lags behind the documents, page tokens that come back, one order on two pages, dates in
the future, documents that cannot be read.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from amzcancel.clock import FakeClock
from amzcancel.errors import APIError
from amzcancel.sandbox import Marketplace, Quirks
from amzcancel.sync import OrderSync


def since(mp: Marketplace) -> object:
    """Before every order of the marketplace."""
    return mp.clock.now() - timedelta(days=8)


def requests_up_to_cursor(sync: OrderSync, mp: Marketplace) -> tuple[set[object], set[object]]:
    """(store, truth) open requests of orders last changed before the committed cursor.

    The marketplace keeps changing while a live sync runs: only what the cursor covers is
    comparable. Orders changed later may be in the store older or newer than the truth.
    """
    result = sync.last_result
    assert result is not None
    assert result.ok, result
    cursor = result.windows[-1].cursor
    assert cursor is not None
    truth = mp.truth()
    settled = {
        o.amazon_order_id
        for o in truth.orders
        if o.last_update_date is not None and o.last_update_date <= cursor
    }
    store = {
        (p.amazon_order_id, p.order_item_id, p.reason)
        for p in sync.pending()
        if p.amazon_order_id in settled
    }
    expected = {
        (oid, item, reason)
        for (oid, item), reason in truth.buyer_cancel_requests.items()
        if oid in settled
    }
    return store, expected


@pytest.mark.slow
def test_a_live_backlog_behind_a_lagging_index_is_read_without_asking_past_the_window(
    tmp_path: Path,
) -> None:
    """Listings carry orders newer than the bound asked for; no call asks past the window.

    Before, the backlog splitter took a searchOrders sub-window's end from the newest listed
    order, so a live backlog ended with "lastUpdatedBefore must be at least two minutes before
    the time of the request" (4 runs of 5).
    """
    mp = Marketplace(
        seed=11,
        orders=3000,
        speed=20.0,
        live=True,
        clock=FakeClock(),
        quirks=Quirks(index_lag_seconds=90),
    )
    with mp.order_sync(store=tmp_path / "s.db", since=since(mp)) as sync:
        result = sync.run_once()
        assert result.paths  # the backlog was shared among several paths
        store, expected = requests_up_to_cursor(sync, mp)
    assert store == expected
    assert expected


@pytest.mark.parametrize("mode", ["same", "alternate"])
@pytest.mark.parametrize("api", ["auto", "2026", "v0", "mws"])
def test_a_listing_whose_tokens_come_back_is_stopped(tmp_path: Path, api: str, mode: str) -> None:
    """Repeated page tokens end the run with an error after a few calls, on every API."""
    mp = Marketplace(seed=4, orders=450, clock=FakeClock(), quirks=Quirks(repeat_page_tokens=mode))
    with (
        mp.order_sync(store=tmp_path / "s.db", api=api, since=since(mp)) as sync,  # type: ignore[arg-type]
        pytest.raises(APIError) as caught,
    ):
        sync.run_once()
    assert caught.value.code in ("RepeatedNextToken", "EndlessListing")
    listings = sum(
        n
        for op, n in mp.truth().requests_by_operation.items()
        if op in ("searchOrders", "getOrders", "ListOrders", "ListOrdersByNextToken")
    )
    assert listings <= 10


@pytest.mark.parametrize("api", ["auto", "2026", "v0"])
def test_duplicated_orders_across_pages_change_nothing(tmp_path: Path, api: str) -> None:
    """An order on two pages is stored once, its request found once, no event twice."""
    mp = Marketplace(seed=8, orders=600, clock=FakeClock(), quirks=Quirks(duplicate_share=1.0))
    with mp.order_sync(store=tmp_path / "s.db", api=api, since=since(mp)) as sync:  # type: ignore[arg-type]
        sync.run_once()
        found = {(p.amazon_order_id, p.order_item_id): p.reason for p in sync.pending()}
        events = sync.events()
    assert found == mp.truth().buyer_cancel_requests
    keys = [(e.type, e.amazon_order_id, e.order_item_id) for e in events]
    assert len(keys) == len(set(keys))


@pytest.mark.slow
def test_answers_that_drip_one_byte_at_a_time_are_cut_off_and_retried(tmp_path: Path) -> None:
    """A server that answers and then stalls cannot hold a sync: each attempt ends at the
    request deadline and is retried, and the run completes with every request found.

    (A 200 that sent one byte every 2 s once kept one request alive for over 150 s.)
    """
    from amzcancel.sandbox import SANDBOX_LWA_CREDENTIALS

    mp = Marketplace(
        seed=3,
        orders=150,
        clock=FakeClock(),
        quirks=Quirks(drip_share=0.2, drip_seconds=0.05),
    )
    with mp.serve(port=0) as base_url:
        sync = OrderSync(
            store=tmp_path / "s.db",
            credentials=SANDBOX_LWA_CREDENTIALS,
            api="v0",
            endpoint=base_url,
            lwa_endpoint=f"{base_url}/auth/o2/token",
            clock=mp.clock,
            since=since(mp),  # type: ignore[arg-type]
            client_options={"request_deadline": 1.0, "max_retries": 10},
        )
        with sync:
            result = sync.run_once()
            found = {(p.amazon_order_id, p.order_item_id): p.reason for p in sync.pending()}
    assert found == mp.truth().buyer_cancel_requests
    assert result.requests > result.item_fetches + 2  # dripped attempts were retried


@pytest.mark.parametrize("api", ["auto", "2026", "v0", "mws"])
def test_an_order_that_cannot_be_read_is_set_aside_not_allowed_to_stop_the_others(
    tmp_path: Path, api: str
) -> None:
    """One unreadable order (an item without its id) costs nothing else: the other orders are
    stored, the run succeeds and names it; later runs read it again, and once it reads well it
    is stored and leaves the set-aside list.

    (It used to fail its whole page on every run, so no other order was ever stored again.)
    """
    mp = Marketplace(seed=12, orders=120, clock=FakeClock())
    broken = next(o for o in mp.orders() if o.open_requests())
    mp.garble(broken.amazon_order_id)
    with mp.order_sync(store=tmp_path / "s.db", api=api, since=since(mp)) as sync:  # type: ignore[arg-type]
        first = sync.run_once()
        assert [oid for oid, _ in first.set_aside] == [broken.amazon_order_id]
        assert "orderItemId" in first.set_aside[0][1] or "OrderItemId" in first.set_aside[0][1]
        found = {(p.amazon_order_id, p.order_item_id) for p in sync.pending()}
        others = {k for k in mp.truth().buyer_cancel_requests if k[0] != broken.amazon_order_id}
        assert found == others
        (aside,) = sync.store.set_aside_orders("sandbox")
        assert aside.amazon_order_id == broken.amazon_order_id
        mp.advance(timedelta(minutes=5))
        sync.run_once()  # still unreadable: tried again, still aside
        (aside,) = sync.store.set_aside_orders("sandbox")
        assert aside.attempts >= 2
        mp.request_cancel(  # a real change heals the document
            broken.amazon_order_id,
            next(
                i for i in broken.items if not i.buyer_requested and i.quantity_unshipped
            ).order_item_id
            if any(not i.buyer_requested and i.quantity_unshipped for i in broken.items)
            else broken.items[0].order_item_id,
            "Changed mind about purchase",
        )
        mp.advance(timedelta(minutes=5))
        last = sync.run_once()
        assert sync.store.set_aside_orders("sandbox") == []
        assert last.set_aside == ()
        found = {(p.amazon_order_id, p.order_item_id): p.reason for p in sync.pending()}
    assert found == mp.truth().buyer_cancel_requests


def test_a_set_aside_order_is_read_again_by_id_even_when_it_does_not_change(
    tmp_path: Path,
) -> None:
    """A listing glitch that a read by id does not have: the next run's retry stores it."""
    mp = Marketplace(seed=12, orders=60, clock=FakeClock())
    broken = next(o for o in mp.orders() if o.open_requests())
    mp.garble(broken.amazon_order_id)
    with mp.order_sync(store=tmp_path / "s.db", api="2026", since=since(mp)) as sync:
        sync.run_once()
        assert len(sync.store.set_aside_orders("sandbox")) == 1
        broken.garbled = False  # the glitch is gone; the order itself did not change
        mp.advance(timedelta(minutes=5))
        result = sync.run_once()
        assert result.set_aside_recovered == 1
        assert sync.store.set_aside_orders("sandbox") == []
        found = {(p.amazon_order_id, p.order_item_id): p.reason for p in sync.pending()}
    assert found == mp.truth().buyer_cancel_requests


@pytest.mark.parametrize("ahead", [timedelta(days=400), timedelta(minutes=10)])
def test_a_date_in_the_future_does_not_freeze_an_order(tmp_path: Path, ahead: timedelta) -> None:
    """An order once shown with a LastUpdateDate ahead of time still takes its next real state.

    (Stored with a date 400 days ahead, its next state, SHIPPED 20 minutes old, was ignored as
    older and ``pending`` kept listing it; 10 minutes ahead then a cancellation did the same.)
    """
    mp = Marketplace(seed=12, orders=80, clock=FakeClock())
    order = next(o for o in mp.orders() if o.open_requests())
    mp.misdate(order.amazon_order_id, mp.clock.now() + ahead)
    with mp.order_sync(store=tmp_path / "s.db", api="2026", since=since(mp)) as sync:
        sync.run_once()
        assert order.amazon_order_id in {p.amazon_order_id for p in sync.pending()}
        mp.advance(timedelta(minutes=20))
        mp.ship(order.amazon_order_id)
        mp.advance(timedelta(minutes=20))
        sync.run_once()
        assert order.amazon_order_id not in {p.amazon_order_id for p in sync.pending()}
        stored = sync.store.get_order("sandbox", order.amazon_order_id)
    assert stored is not None
    assert stored.status is not None
    assert stored.status.value == "Shipped"


def test_a_first_sync_from_the_year_one_is_sent_and_stored_as_such(tmp_path: Path) -> None:
    """``--since 0001-01-01`` was sent as ``1-01-01T00:00:00Z`` (refused by Amazon)."""
    from datetime import UTC, datetime

    mp = Marketplace(seed=2, orders=10, clock=FakeClock())
    asked: list[str] = []
    inner = mp.transport()

    class Watch(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            asked.extend(v for k, v in request.url.params.multi_items() if k == "lastUpdatedAfter")
            return await inner.handle_async_request(request)

    from amzcancel.sandbox import SANDBOX_ENDPOINT, SANDBOX_LWA_CREDENTIALS, SANDBOX_LWA_ENDPOINT

    sync = OrderSync(
        store=tmp_path / "s.db",
        credentials=SANDBOX_LWA_CREDENTIALS,
        api="2026",
        endpoint=SANDBOX_ENDPOINT,
        lwa_endpoint=SANDBOX_LWA_ENDPOINT,
        clock=mp.clock,
        transport=Watch(),
        since=datetime(1, 1, 1, tzinfo=UTC),
    )
    with sync:
        result = sync.run_once()
    assert asked == ["0001-01-01T00:00:00Z"]
    assert result.orders_seen == 10
