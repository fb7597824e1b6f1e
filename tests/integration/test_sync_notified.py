"""After v0: notified order ids feed getOrder while searchOrders pages the backlog."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path

from test_sync_multipath import ACCOUNT, Refusing, make_sync, pending_map, spend_search_budget

from amzcancel.clock import FakeClock
from amzcancel.sandbox import Marketplace
from amzcancel.sync import NotifiedOrders, SqliteStore


def _newest(mp: Marketplace, count: int) -> list[tuple[str, datetime]]:
    orders = sorted(mp.truth().orders, key=lambda o: o.last_update_date or mp.clock.now())
    return [(o.amazon_order_id, o.last_update_date or mp.clock.now()) for o in orders[-count:]]


def test_notified_ids_keep_get_order_busy_without_v0(tmp_path: Path) -> None:
    """v0 refused: searchOrders pages the whole window, getOrder fetches the notified orders
    (newest first) meanwhile; every request is found and nothing is lost."""
    mp = Marketplace(seed=16, orders=400, speed=10.0, clock=FakeClock())
    notified = NotifiedOrders()
    newest = _newest(mp, 40)
    for order_id, changed in newest:
        notified.note(ACCOUNT, order_id, changed)
    refusing = Refusing(mp.transport(), "/orders/v0/")
    with make_sync(mp, tmp_path / "s.db", transport=refusing, notified=notified) as sync:
        spend_search_budget(sync)
        result = sync.run_once()
        assert pending_map(sync) == mp.truth().buyer_cancel_requests
        coverer = sync.multipath
        assert coverer is not None
        deliveries = Counter(coverer.deliveries)
        calls = coverer.calls
    assert result.orders_by_path["getOrder"] == 40
    assert result.requests_by_operation["searchOrders"] == 4  # the window is paged in full
    assert {deliveries[order_id] for order_id, _ in newest} == {2}  # getOrder, then a page
    last_get = max(at for at, op in calls if op == "getOrder")
    last_search = max(at for at, op in calls if op == "searchOrders")
    assert last_get < last_search  # the notified orders were in before the paging ended
    assert len(notified) == 0  # stored: forgotten


def test_notified_orders_already_stored_are_not_fetched_again(tmp_path: Path) -> None:
    """A notified order the store holds as fresh (the listener confirmed it) costs no call."""
    mp = Marketplace(seed=16, orders=400, speed=10.0, clock=FakeClock())
    refusing = Refusing(mp.transport(), "/orders/v0/")
    with make_sync(mp, tmp_path / "s.db", transport=refusing) as first:
        first.run_once()
    notified = NotifiedOrders()
    changed = [
        o
        for o in mp.orders()
        if o.is_open and not o.open_requests() and o.items[0].quantity_unshipped
    ][:10]
    with mp.client() as client, SqliteStore(tmp_path / "s.db") as store:
        for order in changed:
            mp.request_cancel(order.amazon_order_id, order.items[0].order_item_id, "Mistake")
            fetched = client.orders_2026.get_order(order.amazon_order_id)  # the confirmation
            store.apply(ACCOUNT, [fetched])
            notified.note(ACCOUNT, order.amazon_order_id, fetched.last_update_date)
    mp.advance(600)
    with make_sync(mp, tmp_path / "s.db", transport=refusing, notified=notified) as sync:
        spend_search_budget(sync)
        result = sync.run_once()
        assert pending_map(sync) == mp.truth().buyer_cancel_requests
    assert result.orders_seen >= 10  # the window held them
    assert "getOrder" not in result.requests_by_operation
    assert len(notified) == 0
