"""The clients end to end against the in-house sandbox (real wire formats, enforced buckets)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import pytest

from amzcancel.clock import FakeClock
from amzcancel.models import Order
from amzcancel.sandbox import SANDBOX_LWA_CREDENTIALS, SANDBOX_MWS_CREDENTIALS, Marketplace
from amzcancel.transport import AsyncSpApiClient, MwsClient, SpApiClient

BASE = "https://sandbox.local"
US = "ATVPDKIKX0DER"


def _in_window(order: Order, before: datetime) -> bool:
    return order.last_update_date is not None and order.last_update_date <= before


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _requested(orders: Iterable[Order]) -> set[tuple[str, str]]:
    return {
        (order.amazon_order_id, item.order_item_id)
        for order in orders
        for item in order.items
        if item.buyer_cancel.requested
    }


def test_every_api_finds_the_same_buyer_cancellations_without_a_429() -> None:
    """v0, 2026-01-01 and MWS read the sandbox's buyer requests exactly, never throttled."""
    clock = FakeClock()
    market = Marketplace(seed=7, orders=60, clock=clock)
    since = clock.now() - timedelta(days=30)
    before = clock.now() - timedelta(minutes=3)
    truth = market.truth()
    expected = _requested(o for o in truth.orders if _in_window(o, before))
    common: dict[str, Any] = {"endpoint": BASE, "transport": market.transport(), "clock": clock}
    with SpApiClient(
        credentials=SANDBOX_LWA_CREDENTIALS, lwa_endpoint=f"{BASE}/auth/o2/token", **common
    ) as client:
        listed = list(
            client.orders_v0.iter_orders(
                marketplace_ids=[US], last_updated_after=since, last_updated_before=before
            )
        )
        v0 = _requested(
            o.with_items(client.orders_v0.list_order_items(o.amazon_order_id)) for o in listed
        )
        v2026 = _requested(
            client.orders_2026.iter_search_orders(
                last_updated_after=since, last_updated_before=before, marketplace_ids=[US]
            )
        )
        assert client.stats.throttled == 0
    with MwsClient(credentials=SANDBOX_MWS_CREDENTIALS, **common) as mws:
        orders = list(
            mws.iter_orders(
                marketplace_ids=[US], last_updated_after=since, last_updated_before=before
            )
        )
        mws_found = _requested(
            o.with_items(list(mws.iter_order_items(o.amazon_order_id))) for o in orders[:5]
        )
    assert expected
    assert v0 == expected
    assert v2026 == expected
    assert mws_found == {
        key for key in expected if key[0] in {o.amazon_order_id for o in orders[:5]}
    }
    assert market.truth().throttled == 0


@pytest.mark.anyio
async def test_async_client_recovers_from_injected_faults() -> None:
    """With 20% injected faults (5xx, HTML errors, drops, slow answers) every call completes."""
    clock = FakeClock()
    market = Marketplace(seed=3, orders=80, clock=clock, faults=0.2)
    since = clock.now() - timedelta(days=30)
    before = clock.now() - timedelta(minutes=3)
    async with AsyncSpApiClient(
        credentials=SANDBOX_LWA_CREDENTIALS,
        endpoint=BASE,
        lwa_endpoint=f"{BASE}/auth/o2/token",
        transport=market.transport(),
        clock=clock,
        max_retries=10,
    ) as client:
        orders = [
            o
            async for o in client.orders_v0.iter_orders(
                marketplace_ids=[US], last_updated_after=since, last_updated_before=before
            )
        ]
        slots = asyncio.Semaphore(8)

        async def items(order_id: str) -> int:
            async with slots:
                return len(await client.orders_v0.list_order_items(order_id))

        counts = await asyncio.gather(*(items(o.amazon_order_id) for o in orders))
        retries = client.stats.retries
    truth = market.truth()
    assert len(orders) == len([o for o in truth.orders if _in_window(o, before)])
    assert sum(counts) == sum(len(truth.order(o.amazon_order_id).items) for o in orders)
    assert sum(truth.faults.values()) > 0
    assert retries >= sum(truth.faults.values()) - truth.faults.get("slow", 0)
    assert truth.throttled == 0
