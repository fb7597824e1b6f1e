"""The sync engine against a scripted orders API and a real SQLite store."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from amzcancel.clock import FakeClock
from amzcancel.errors import AuthError, NotFoundError, ServerError
from amzcancel.models import (
    BuyerCancel,
    FulfillmentChannel,
    Order,
    OrderItem,
    OrdersPage,
    OrderStatus,
    Source,
)
from amzcancel.sync import CursorKey, SqliteStore
from amzcancel.sync._result import SyncProgress
from amzcancel.sync._window import DEFAULT_OVERLAP, Window
from amzcancel.sync.engine import SyncEngine

START = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
MP = "ATVPDKIKX0DER"


def make_order(n: int, updated: datetime, *, requested: bool = False) -> Order:
    """An unshipped MFN order with one item, optionally with a buyer-cancel request."""
    item = OrderItem(
        order_item_id=f"item-{n}",
        quantity_ordered=1,
        buyer_cancel=BuyerCancel(requested=requested, reason="Changed mind" if requested else None),
    )
    return Order(
        amazon_order_id=f"111-0000000-{n:07d}",
        marketplace_id=MP,
        status=OrderStatus.UNSHIPPED,
        fulfillment_channel=FulfillmentChannel.MFN,
        purchase_date=updated - timedelta(hours=1),
        last_update_date=updated,
        source=Source.SPAPI_V0,
        items=[item],
    )


def _updated(order: Order) -> datetime:
    assert order.last_update_date is not None
    return order.last_update_date


class FakeApi:
    """An orders API in memory: pages of ``page_size``, echoes the upper bound, counts calls."""

    items_inline = False
    token_lifetime: timedelta | None = None

    def __init__(self, orders: Sequence[Order], *, api: str = "spapi-v0", page_size: int = 3):
        self.api = api
        self.orders = {o.amazon_order_id: o for o in orders}
        self.page_size = page_size
        self.list_calls: list[tuple[Window, tuple[str, ...], str | None]] = []
        self.item_calls: list[str] = []
        self.list_errors: dict[int, Exception] = {}
        self.item_errors: dict[str, Exception] = {}
        self.echo: datetime | None = None
        self.in_flight = 0
        self.max_in_flight = 0
        self.between_pages: list[object] = []

    async def list_orders(
        self, window: Window, marketplace_ids: Sequence[str], token: str | None
    ) -> OrdersPage:
        call = len(self.list_calls)
        self.list_calls.append((window, tuple(marketplace_ids), token))
        if call in self.list_errors:
            raise self.list_errors.pop(call)
        matching = sorted(
            (o for o in self.orders.values() if window.after <= _updated(o) <= window.before),
            key=lambda o: (_updated(o), o.amazon_order_id),
        )
        start = int(token) if token else 0
        page = matching[start : start + self.page_size]
        nxt = start + self.page_size
        listed = [o.with_items([]) for o in page] if not self.items_inline else page
        return OrdersPage(
            orders=listed,
            next_token=str(nxt) if nxt < len(matching) else None,
            last_updated_before=self.echo or window.before,
        )

    async def order_items(self, order_id: str) -> list[OrderItem]:
        self.item_calls.append(order_id)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0)
            if order_id in self.item_errors:
                raise self.item_errors[order_id]
            return list(self.orders[order_id].items)
        finally:
            self.in_flight -= 1


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    """A fresh SQLite store."""
    with SqliteStore(tmp_path / "s.db") as s:
        yield s


def orders_over_last_day(count: int, *, clock: FakeClock, requested: set[int]) -> list[Order]:
    """``count`` orders updated over the past day, well before the two-minute lag."""
    now = clock.now()
    return [
        make_order(
            n, now - timedelta(hours=20) + timedelta(minutes=10 * n), requested=n in requested
        )
        for n in range(count)
    ]


def engine_for(store: SqliteStore, *sources: FakeApi, clock: FakeClock, **kw: Any) -> SyncEngine:
    """An engine over the fake APIs, starting two days back."""
    return SyncEngine(
        store=store,
        sources=sources,
        account="acct",
        marketplace_ids=kw.pop("marketplace_ids", [MP]),
        clock=clock,
        since=clock.now() - timedelta(days=2),
        **kw,
    )


def test_stores_every_order_with_items_and_the_echoed_cursor(store: SqliteStore) -> None:
    """All listed orders are stored with items; the cursor is Amazon's echo, not the clock."""
    clock = FakeClock(START)
    api = FakeApi(orders_over_last_day(10, clock=clock, requested={2, 7}), page_size=4)
    echo = clock.now() - timedelta(minutes=7)
    api.echo = echo
    result = asyncio.run(engine_for(store, api, clock=clock).run())
    assert result.orders_seen == 10
    assert result.item_fetches == 10
    # Three pages, then one more listing from the lowered bound, which brings nothing new.
    assert result.pages == 4
    assert api.list_calls[-1][0].after == echo
    assert {(p.amazon_order_id, p.order_item_id) for p in store.pending_requests()} == {
        ("111-0000000-0000002", "item-2"),
        ("111-0000000-0000007", "item-7"),
    }
    assert result.buyer_cancel_requests == 2
    assert result.events_by_type["buyer_cancel_requested"] == 2
    assert store.get_cursor(CursorKey("acct", "spapi-v0", (MP,))) == echo


def test_second_run_fetches_no_items_for_unchanged_orders(store: SqliteStore) -> None:
    """Orders whose LastUpdateDate is unchanged are skipped: zero item calls, zero events."""
    clock = FakeClock(START)
    api = FakeApi(orders_over_last_day(8, clock=clock, requested={1}))
    engine = engine_for(store, api, clock=clock, overlap=timedelta(days=1))
    asyncio.run(engine.run())
    api.item_calls.clear()
    clock.advance(600)
    second = asyncio.run(engine.run())
    assert second.orders_seen == 8  # the day-long overlap lists them all again
    assert api.item_calls == []
    assert second.item_fetches == 0
    assert second.events == 0


def test_changed_orders_alone_are_fetched_again(store: SqliteStore) -> None:
    """An order whose LastUpdateDate moved is refetched, and its new request becomes an event."""
    clock = FakeClock(START)
    api = FakeApi(orders_over_last_day(5, clock=clock, requested=set()))
    engine = engine_for(store, api, clock=clock)
    asyncio.run(engine.run())
    clock.advance(3600)
    changed = make_order(3, clock.now() - timedelta(minutes=30), requested=True)
    api.orders[changed.amazon_order_id] = changed
    api.item_calls.clear()
    result = asyncio.run(engine.run())
    assert api.item_calls == [changed.amazon_order_id]
    assert result.events_by_type == {"buyer_cancel_requested": 1}


def test_expired_next_token_restarts_the_window_without_loss(store: SqliteStore) -> None:
    """A 400 on a NextToken call reads the window again; every order still ends up stored."""
    from amzcancel.errors import InvalidInputError

    clock = FakeClock(START)
    api = FakeApi(orders_over_last_day(9, clock=clock, requested={8}), page_size=3)
    api.list_errors[2] = InvalidInputError("Invalid Input", status_code=400, code="InvalidInput")
    result = asyncio.run(engine_for(store, api, clock=clock).run())
    assert result.restarts == 1
    assert len(set(api.item_calls)) == 9
    assert len(api.item_calls) == 9
    assert [p.order_item_id for p in store.pending_requests()] == ["item-8"]
    assert store.get_cursor(CursorKey("acct", "spapi-v0", (MP,))) is not None


def test_pagination_token_older_than_its_lifetime_is_not_sent(store: SqliteStore) -> None:
    """A 2026 paginationToken near 24 h old restarts the window instead of being used."""
    clock = FakeClock(START)
    api = FakeApi(orders_over_last_day(6, clock=clock, requested=set()), api="spapi-2026")
    api.items_inline = True
    api.token_lifetime = timedelta(hours=24)

    def age_the_token(progress: SyncProgress) -> None:
        if progress.pages == 1 and progress.restarts == 0:
            clock.advance(24 * 3600)  # the next token is a day old by the time it would be used

    engine = engine_for(store, api, clock=clock, on_progress=age_the_token)
    result = asyncio.run(engine.run())
    assert result.restarts == 1
    assert all(token is None for _, _, token in api.list_calls[:2])
    assert result.orders_changed == 6
    assert api.item_calls == []


def test_auto_falls_back_to_v0_when_2026_is_not_enabled(store: SqliteStore) -> None:
    """A 403 on the first searchOrders call switches to v0 and stays there."""
    clock = FakeClock(START)
    orders = orders_over_last_day(4, clock=clock, requested={0})
    new_api = FakeApi(orders, api="spapi-2026")
    new_api.list_errors[0] = AuthError("Unauthorized", status_code=403, code="Unauthorized")
    old_api = FakeApi(orders)
    engine = engine_for(store, new_api, old_api, clock=clock)
    result = asyncio.run(engine.run())
    assert result.api == "spapi-v0"
    assert engine.api == "spapi-v0"
    assert len(store.pending_requests()) == 1


def test_auth_error_after_the_first_page_is_not_a_fallback(store: SqliteStore) -> None:
    """Once an API has answered, a later 403 is an error, not a reason to switch."""
    clock = FakeClock(START)
    orders = orders_over_last_day(6, clock=clock, requested=set())
    new_api = FakeApi(orders, api="spapi-2026")
    new_api.items_inline = True
    new_api.list_errors[1] = AuthError("Unauthorized", status_code=403)
    with pytest.raises(AuthError):
        asyncio.run(engine_for(store, new_api, FakeApi(orders), clock=clock).run())


def test_failed_item_fetch_raises_plainly_and_keeps_the_cursor(store: SqliteStore) -> None:
    """An item call failing after retries surfaces as our error; the cursor does not move."""
    clock = FakeClock(START)
    api = FakeApi(orders_over_last_day(6, clock=clock, requested=set()))
    api.item_errors["111-0000000-0000004"] = ServerError("boom", status_code=503)
    with pytest.raises(ServerError):
        asyncio.run(engine_for(store, api, clock=clock).run())
    # The cursor stays at the first run's start: it did not move past what failed.
    assert store.get_cursor(CursorKey("acct", "spapi-v0", (MP,))) == clock.now() - timedelta(days=2)
    del api.item_errors["111-0000000-0000004"]
    api.item_calls.clear()
    asyncio.run(engine_for(store, api, clock=clock).run())
    assert "111-0000000-0000004" in api.item_calls
    assert store.get_cursor(CursorKey("acct", "spapi-v0", (MP,))) is not None


def test_item_fetches_run_concurrently_within_the_bound(store: SqliteStore) -> None:
    """Item calls overlap, but never more than ``concurrency`` at once."""
    clock = FakeClock(START)
    api = FakeApi(orders_over_last_day(40, clock=clock, requested=set()), page_size=20)
    asyncio.run(engine_for(store, api, clock=clock, concurrency=5).run())
    assert 1 < api.max_in_flight <= 5
    assert len(api.item_calls) == 40


def test_many_marketplaces_are_read_in_groups_of_fifty(store: SqliteStore) -> None:
    """Sixty marketplaces make two listings (50 + 10), each with its own cursor."""
    clock = FakeClock(START)
    api = FakeApi([])
    mids = [f"M{n:02d}" for n in range(60)]
    asyncio.run(engine_for(store, api, clock=clock, marketplace_ids=mids).run())
    assert [len(m) for _, m, _ in api.list_calls] == [50, 10]
    assert store.get_cursor(CursorKey("acct", "spapi-v0", tuple(mids[50:]))) is not None


def test_cursor_carries_over_when_the_api_changes(store: SqliteStore) -> None:
    """After a switch from v0 to 2026 the window starts at v0's cursor, not seven days back."""
    clock = FakeClock(START)
    cursor = clock.now() - timedelta(hours=1)
    store.set_cursor(CursorKey("acct", "spapi-v0", (MP,)), cursor)
    api = FakeApi([], api="spapi-2026")
    asyncio.run(engine_for(store, api, clock=clock, overlap=timedelta(0)).run())
    assert api.list_calls[0][0].after == cursor


def test_not_found_without_fallback_is_raised(store: SqliteStore) -> None:
    """With --api 2026 alone, a 404 is reported instead of silently switching."""
    clock = FakeClock(START)
    api = FakeApi([], api="spapi-2026")
    api.list_errors[0] = NotFoundError("not found", status_code=404)
    with pytest.raises(NotFoundError):
        asyncio.run(engine_for(store, api, clock=clock).run())


# -- hostile answers (reliability issue) ----------------------------------------------------


def test_an_echo_before_the_window_never_moves_the_cursor_back(store: SqliteStore) -> None:
    """A server echoing LastUpdatedBefore 2001-01-01 is not believed: the cursor moves on."""
    clock = FakeClock(START)
    api = FakeApi(orders_over_last_day(4, clock=clock, requested=set()))
    engine = engine_for(store, api, clock=clock)
    asyncio.run(engine.run())
    key = CursorKey("acct", "spapi-v0", (MP,))
    first = store.get_cursor(key)
    assert first is not None
    clock.advance(600)
    api.echo = datetime(2001, 1, 1, tzinfo=UTC)
    result = asyncio.run(engine.run())
    second = store.get_cursor(key)
    assert second is not None
    assert second > first  # went forward to the bound asked for
    assert result.windows[-1].cursor == second


class EndlessApi(FakeApi):
    """Answers every page with a page token it gave before (``same``) or two in turn."""

    def __init__(self, orders: Sequence[Order], *, mode: str, **kw: Any) -> None:
        super().__init__(orders, **kw)
        self.mode = mode

    async def list_orders(
        self, window: Window, marketplace_ids: Sequence[str], token: str | None
    ) -> OrdersPage:
        page = await super().list_orders(window, marketplace_ids, token)
        if token is None:
            return page
        if self.mode == "same":
            return page.model_copy(update={"next_token": token})
        # alternate: page 2 -> token "3", page 3 -> token "3" - 3 = "0"... two tokens in turn
        other = "0" if token == str(self.page_size) else str(self.page_size)
        return page.model_copy(update={"next_token": other})


@pytest.mark.parametrize("mode", ["same", "alternate"])
def test_a_listing_that_repeats_its_page_token_is_stopped(store: SqliteStore, mode: str) -> None:
    """A token seen before in one listing ends the run with an error, not 997 requests."""
    from amzcancel.errors import APIError

    clock = FakeClock(START)
    api = EndlessApi(orders_over_last_day(9, clock=clock, requested={1}), mode=mode)
    with pytest.raises(APIError) as caught:
        asyncio.run(engine_for(store, api, clock=clock).run())
    assert caught.value.code == "RepeatedNextToken"
    assert len(api.list_calls) <= 4
    # What was fetched before stays stored: the first page's request is not lost.
    assert {p.order_item_id for p in store.pending_requests()} == {"item-1"}


def test_pages_that_bring_nothing_new_are_stopped(store: SqliteStore) -> None:
    """Ever new tokens over the same orders end the run too (no listing runs for ever)."""
    from amzcancel.errors import APIError

    class Treadmill(FakeApi):
        async def list_orders(
            self, window: Window, marketplace_ids: Sequence[str], token: str | None
        ) -> OrdersPage:
            page = await super().list_orders(window, marketplace_ids, None)
            return page.model_copy(update={"next_token": f"t{len(self.list_calls)}"})

    clock = FakeClock(START)
    api = Treadmill(orders_over_last_day(3, clock=clock, requested=set()))
    with pytest.raises(APIError) as caught:
        asyncio.run(engine_for(store, api, clock=clock).run())
    assert caught.value.code == "EndlessListing"
    assert len(api.list_calls) < 30


def test_a_failed_run_keeps_what_it_fetched_and_says_so(store: SqliteStore) -> None:
    """Page 1 carried a request, page 2 fails every time: page 1's request reaches pending."""
    clock = FakeClock(START)
    api = FakeApi(orders_over_last_day(6, clock=clock, requested={0}), page_size=3)
    api.items_inline = True
    api.api = "spapi-2026"
    api.list_errors = {1: ServerError("boom", status_code=500)}
    engine = engine_for(store, api, clock=clock)
    with pytest.raises(ServerError):
        asyncio.run(engine.run())
    assert {p.order_item_id for p in store.pending_requests()} == {"item-0"}
    assert engine.last_result is not None
    assert engine.last_result.error is not None
    assert "boom" in engine.last_result.error
    assert engine.last_result.orders_changed == 3
    assert engine.last_result.buyer_cancel_requests == 1


def test_a_failed_first_run_does_not_move_the_next_runs_start(store: SqliteStore) -> None:
    """The default start (7 days back) is kept from the first attempt, not recomputed later."""
    clock = FakeClock(START)
    early = make_order(1, START - timedelta(days=6, hours=23), requested=True)
    api = FakeApi([early])
    api.list_errors = {0: ServerError("down", status_code=503)}
    engine = SyncEngine(
        store=store, sources=[api], account="acct", marketplace_ids=[MP], clock=clock
    )
    with pytest.raises(ServerError):
        asyncio.run(engine.run())
    clock.advance(timedelta(hours=2))  # the next attempt, two hours later
    asyncio.run(engine.run())
    # The rerun starts where the first attempt did (minus the overlap), not 2 hours later.
    assert api.list_calls[-1][0].after == START - timedelta(days=7) - DEFAULT_OVERLAP
    assert {p.order_item_id for p in store.pending_requests()} == {"item-1"}


def test_the_same_order_twice_at_one_time_keeps_the_request_of_either_copy(
    store: SqliteStore,
) -> None:
    """Two copies of one order at the same update time: the second copy's request is kept."""

    class TwiceApi(FakeApi):
        async def list_orders(
            self, window: Window, marketplace_ids: Sequence[str], token: str | None
        ) -> OrdersPage:
            self.list_calls.append((window, tuple(marketplace_ids), token))
            when = START - timedelta(hours=3)
            plain, asked = make_order(1, when), make_order(1, when, requested=True)
            if token is None:
                return OrdersPage(orders=[plain, make_order(2, when)], next_token="2")
            return OrdersPage(orders=[asked])

    clock = FakeClock(START)
    api = TwiceApi([])
    api.items_inline = True
    api.api = "spapi-2026"
    asyncio.run(engine_for(store, api, clock=clock).run())
    assert {p.order_item_id for p in store.pending_requests()} == {"item-1"}
