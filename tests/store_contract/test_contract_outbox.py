"""Store contract, both backends: the outbox, pending requests, accounts kept apart."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from store_helpers import KEY, OID, T1, item, order

from amzcancel.errors import StoreError
from amzcancel.models import FulfillmentChannel, OrderStatus
from amzcancel.sync import CursorKey
from amzcancel.sync._sqlstore import SqlStore


def test_event_ids_strictly_increase_across_reopen(
    make_store: Callable[..., SqlStore],
) -> None:
    """Event ids only grow, across applies and after the store is reopened."""
    with make_store() as store:
        assert store.apply("sandbox", [order(f"902-0000000-000000{n}") for n in range(3)]) == []
        first = store.apply(
            "sandbox", [order(items=[item(requested=True)], status=OrderStatus.CANCELED)]
        )
    with make_store() as store:
        second = store.apply("sandbox", [order("902-0000000-0000009", status=OrderStatus.SHIPPED)])
        ids = [e.id for e in store.events(include_acked=True)]
    assert ids == sorted(set(ids))
    assert [e.id for e in first] == ids[:2]
    assert second[0].id > first[-1].id


def test_ack_and_ack_through(store: SqlStore) -> None:
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


def test_events_after_id_and_limit(store: SqlStore) -> None:
    """events() pages by after_id and limit, oldest first."""
    page = [order(f"902-0000000-000000{n}", items=[item(requested=True)]) for n in range(5)]
    ids = [e.id for e in store.apply("sandbox", page)]
    assert [e.id for e in store.events(limit=2)] == ids[:2]
    assert [e.id for e in store.events(after_id=ids[1], limit=2)] == ids[2:4]
    assert store.events(limit=0) == []
    with pytest.raises(StoreError):
        store.events(limit=-1)


# -- pending requests ------------------------------------------------------------------------


def test_pending_lists_only_open_seller_cancellable_requests(store: SqlStore) -> None:
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


def test_accounts_never_mix(store: SqlStore) -> None:
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
