"""amzcancel's own clients driven against the sandbox: every wire parses and matches the truth."""

from __future__ import annotations

from datetime import timedelta

import pytest

from amzcancel.clock import FakeClock
from amzcancel.sandbox import SANDBOX_LWA_CREDENTIALS, SANDBOX_MWS_CREDENTIALS, Marketplace

transport = pytest.importorskip("amzcancel.transport")

BASE = "https://sandbox.test"


def requests_found(orders: list) -> dict[tuple[str, str], str | None]:  # type: ignore[type-arg]
    return {
        (o.amazon_order_id, i.order_item_id): i.buyer_cancel.reason
        for o in orders
        for i in o.items
        if i.buyer_cancel.requested
    }


def open_only(found: dict[tuple[str, str], str | None], mp: Marketplace) -> dict:  # type: ignore[type-arg]
    truth = mp.truth()
    return {k: v for k, v in found.items() if k in truth.buyer_cancel_requests}


def test_spapi_2026_client_finds_every_request() -> None:
    """SpApiClient over 2026-01-01 finds exactly the open buyer cancel requests the truth holds."""
    clock = FakeClock()
    mp = Marketplace(seed=7, orders=150, clock=clock, speed=100)
    with transport.SpApiClient(
        credentials=SANDBOX_LWA_CREDENTIALS,
        endpoint=BASE,
        lwa_endpoint=f"{BASE}/auth/o2/token",
        transport=mp.transport(),
        clock=clock,
    ) as client:
        orders = []
        token = None
        while True:
            page = client.orders_2026.search_orders(
                last_updated_after=clock.now() - timedelta(days=30),
                included_data=("CANCELLATION", "FULFILLMENT"),
                pagination_token=token,
            )
            orders += page.orders
            token = page.next_token
            if not token:
                break
    assert len(orders) == 150
    assert open_only(requests_found(orders), mp) == mp.truth().buyer_cancel_requests


def test_spapi_v0_client_reads_items_flag() -> None:
    """SpApiClient over v0 reads the string flag on getOrderItems as the truth says."""
    clock = FakeClock()
    mp = Marketplace(seed=7, orders=40, clock=clock, speed=100)
    (order_id, item_id), reason = next(iter(mp.truth().buyer_cancel_requests.items()))
    with transport.SpApiClient(
        credentials=SANDBOX_LWA_CREDENTIALS,
        endpoint=BASE,
        lwa_endpoint=f"{BASE}/auth/o2/token",
        transport=mp.transport(),
        clock=clock,
    ) as client:
        page = client.orders_v0.get_order_items(order_id)
    flagged = {i.order_item_id: i.buyer_cancel for i in page.items}
    assert flagged[item_id].requested is True
    assert flagged[item_id].reason == reason


def test_mws_client_lists_orders_and_items() -> None:
    """MwsClient signs requests the sandbox accepts and reads ListOrderItems' flag."""
    clock = FakeClock()
    mp = Marketplace(seed=7, orders=40, clock=clock, speed=100)
    (order_id, item_id), reason = next(iter(mp.truth().buyer_cancel_requests.items()))
    with transport.MwsClient(
        credentials=SANDBOX_MWS_CREDENTIALS, endpoint=BASE, transport=mp.transport(), clock=clock
    ) as client:
        page = client.list_orders(
            marketplace_ids=["ATVPDKIKX0DER"],
            last_updated_after=clock.now() - timedelta(days=30),
        )
        items = client.list_order_items(order_id)
    assert page.orders
    assert page.last_updated_before == clock.now() - timedelta(minutes=2)
    flagged = {i.order_item_id: i.buyer_cancel for i in items.items}
    assert flagged[item_id].requested is True
    assert flagged[item_id].reason == reason
