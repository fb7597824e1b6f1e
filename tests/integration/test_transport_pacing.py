"""Done-criterion: paced calls take (N - burst) / rate clock seconds with zero 429s.

The server enforces the same token bucket Amazon documents (the shared ``TokenBucket``), on
the same fake clock as the client, and answers 429 whenever its bucket is empty.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from amzcancel._bucket import TokenBucket
from amzcancel.clock import FakeClock
from amzcancel.transport import SPAPI_RATE_LIMITS, AsyncSpApiClient, LwaCredentials, SpApiClient

BASE = "https://sellingpartnerapi-na.amazon.com"
CREDS = LwaCredentials("app", "secret", "Atzr|refresh")
AFTER = datetime(2026, 11, 1, tzinfo=UTC)


class EnforcingServer:
    """A fake SP-API metering each operation with Amazon's documented bucket."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.buckets = {
            op: TokenBucket(plan.rate, plan.burst, now=0.0)
            for op, plan in SPAPI_RATE_LIMITS.items()
        }
        self.throttled = 0
        self.served = 0

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/auth/o2/token":
            return httpx.Response(200, json={"access_token": "Atza|t", "expires_in": 3600})
        operation = "getOrderItems" if path.endswith("/orderItems") else "getOrders"
        if not self.buckets[operation].try_take(self.clock.monotonic()):
            self.throttled += 1
            return httpx.Response(429)
        self.served += 1
        if operation == "getOrders":
            return httpx.Response(200, json={"payload": {"Orders": []}})
        order_id = path.split("/")[-2]
        return httpx.Response(
            200,
            json={
                "payload": {
                    "AmazonOrderId": order_id,
                    "OrderItems": [{"ASIN": "B0", "OrderItemId": "1", "QuantityOrdered": 1}],
                }
            },
        )


def _kwargs(clock: FakeClock) -> dict[str, Any]:
    return {
        "credentials": CREDS,
        "endpoint": BASE,
        "lwa_endpoint": f"{BASE}/auth/o2/token",
        "clock": clock,
    }


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.parametrize("calls", [30, 31, 100, 250])
def test_get_order_items_pacing_sync(calls: int) -> None:
    """N sequential getOrderItems calls take (N - 30) / 0.5 s within 2%, with no 429."""
    clock = FakeClock()
    server = EnforcingServer(clock)
    with SpApiClient(transport=httpx.MockTransport(server.handle), **_kwargs(clock)) as client:
        for n in range(calls):
            client.orders_v0.get_order_items(f"902-0000000-{n:07d}")
        assert client.stats.throttled == 0
    expected = max(calls - 30, 0) / 0.5
    assert clock.monotonic() == pytest.approx(expected, rel=0.02, abs=1e-9)
    assert server.throttled == 0
    assert server.served == calls


@pytest.mark.anyio
async def test_get_order_items_pacing_concurrent_tasks() -> None:
    """Eight tasks sharing one client keep the same pace: (N - burst)/rate, zero 429s."""
    clock = FakeClock()
    server = EnforcingServer(clock)
    calls = 200
    transport = httpx.MockTransport(server.handle)
    async with AsyncSpApiClient(transport=transport, **_kwargs(clock)) as client:
        pending = list(range(calls))

        async def worker() -> None:
            while pending:
                n = pending.pop()
                await client.orders_v0.get_order_items(f"902-0000000-{n:07d}")

        await asyncio.gather(*(worker() for _ in range(8)))
        assert client.stats.rate_limit_wait_seconds_by_operation["getOrderItems"] > 0
    assert clock.monotonic() == pytest.approx((calls - 30) / 0.5, rel=0.02)
    assert server.throttled == 0
    assert server.served == calls


def test_get_orders_pacing_with_an_inexact_rate() -> None:
    """getOrders (0.0167/s, not a binary fraction) also runs at the limit without a 429."""
    clock = FakeClock()
    server = EnforcingServer(clock)
    calls = 60
    with SpApiClient(transport=httpx.MockTransport(server.handle), **_kwargs(clock)) as client:
        for _ in range(calls):
            client.orders_v0.get_orders(marketplace_ids=["ATVPDKIKX0DER"], last_updated_after=AFTER)
    assert server.throttled == 0
    assert clock.monotonic() == pytest.approx((calls - 20) / 0.0167, rel=0.02)


def test_header_correction_slows_the_client_before_amazon_refuses() -> None:
    """When Amazon's real plan is slower than documented, the header keeps 429s away."""
    clock = FakeClock()
    server = EnforcingServer(clock)
    slower = TokenBucket(0.25, 30, now=0.0)
    server.buckets["getOrderItems"] = slower

    def handle(request: httpx.Request) -> httpx.Response:
        response = server.handle(request)
        if response.status_code == 200 and request.url.path.endswith("/orderItems"):
            response.headers["x-amzn-RateLimit-Limit"] = "0.25"
        return response

    with SpApiClient(transport=httpx.MockTransport(handle), **_kwargs(clock)) as client:
        for n in range(60):
            client.orders_v0.get_order_items(f"902-0000000-{n:07d}")
    assert server.throttled == 0
    assert clock.monotonic() == pytest.approx((60 - 30) / 0.25, rel=0.02)
