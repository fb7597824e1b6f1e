"""Pacing benchmark: N getOrderItems calls against a server that enforces Amazon's bucket.

The server refuses with 429 whenever its own token bucket (rate 0.5/s, burst 30, the
documented getOrderItems plan) is empty, exactly as Amazon meters. Both sides run on one fake
clock, so the figures are clock seconds, independent of the machine. Reported per run: calls,
expected clock time (N - burst) / rate, measured clock time and its deviation, 429s received.
A naive client (no pacing: fire until refused, then back off) is run for comparison.

    python benchmarks/bench_pacing.py [--calls 200] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import time
from typing import Any

import httpx

from amzcancel._bucket import TokenBucket
from amzcancel.clock import FakeClock
from amzcancel.transport import (
    SPAPI_RATE_LIMITS,
    AsyncSpApiClient,
    LwaCredentials,
    RateLimiter,
    SpApiClient,
)

BASE = "https://sellingpartnerapi-na.amazon.com"
OPERATION = "getOrderItems"


def enforcing_transport(clock: FakeClock, counts: dict[str, int]) -> httpx.MockTransport:
    """A fake SP-API that meters getOrderItems with Amazon's bucket and answers 429 when empty."""
    plan = SPAPI_RATE_LIMITS[OPERATION]
    bucket = TokenBucket(plan.rate, plan.burst, now=clock.monotonic())

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/auth/o2/token"):
            return httpx.Response(200, json={"access_token": "Atza|bench", "expires_in": 3600})
        counts["requests"] += 1
        if not bucket.try_take(clock.monotonic()):
            counts["throttled"] += 1
            return httpx.Response(429, json={"errors": [{"code": "QuotaExceeded", "message": "q"}]})
        order_id = request.url.path.split("/")[-2]
        body = {
            "payload": {
                "AmazonOrderId": order_id,
                "OrderItems": [{"ASIN": "B0", "OrderItemId": "1", "QuantityOrdered": 1}],
            }
        }
        return httpx.Response(200, json=body)

    return httpx.MockTransport(handle)


def _client_kwargs(clock: FakeClock, paced: bool) -> dict[str, Any]:
    return {
        "credentials": LwaCredentials("bench-app", "bench-secret", "Atzr|bench"),
        "endpoint": BASE,
        "lwa_endpoint": f"{BASE}/auth/o2/token",
        "clock": clock,
        # The naive client knows no usage plans: it sends until refused, then backs off.
        "rate_limiter": None if paced else RateLimiter(clock=clock, limits={}),
        "max_retries": 50,
        "max_retry_seconds": 1e9,
    }


def run_sync(calls: int, *, paced: bool = True) -> dict[str, Any]:
    """N sequential calls; returns the figures of the run."""
    clock = FakeClock()
    counts = {"requests": 0, "throttled": 0}
    start = time.perf_counter()
    with SpApiClient(
        transport=enforcing_transport(clock, counts), **_client_kwargs(clock, paced)
    ) as c:
        for n in range(calls):
            c.orders_v0.get_order_items(f"902-0000000-{n:07d}")
    return _figures("sync", calls, 1, clock, counts, time.perf_counter() - start, paced)


async def _run_async(calls: int, concurrency: int, paced: bool) -> dict[str, Any]:
    clock = FakeClock()
    counts = {"requests": 0, "throttled": 0}
    start = time.perf_counter()
    transport = enforcing_transport(clock, counts)
    async with AsyncSpApiClient(transport=transport, **_client_kwargs(clock, paced)) as c:
        queue = list(range(calls))

        async def worker() -> None:
            while queue:
                n = queue.pop()
                await c.orders_v0.get_order_items(f"902-0000000-{n:07d}")

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return _figures("async", calls, concurrency, clock, counts, time.perf_counter() - start, paced)


def run_async(calls: int, concurrency: int, *, paced: bool = True) -> dict[str, Any]:
    """N calls from ``concurrency`` tasks sharing one client; returns the figures."""
    return asyncio.run(_run_async(calls, concurrency, paced))


def _figures(
    mode: str,
    calls: int,
    concurrency: int,
    clock: FakeClock,
    counts: dict[str, int],
    wall: float,
    paced: bool,
) -> dict[str, Any]:
    plan = SPAPI_RATE_LIMITS[OPERATION]
    expected = max(calls - plan.burst, 0) / plan.rate
    measured = clock.monotonic()
    return {
        "client": "amzcancel" if paced else "naive (retry on 429)",
        "mode": mode,
        "calls": calls,
        "concurrency": concurrency,
        "expected_clock_seconds": round(expected, 3),
        "measured_clock_seconds": round(measured, 3),
        "deviation_percent": round(100 * (measured - expected) / expected, 3) if expected else 0.0,
        "requests_sent": counts["requests"],
        "throttled_429": counts["throttled"],
        "wall_seconds": round(wall, 3),
    }


def main() -> None:
    """Run the benchmark and print one JSON line per run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    # The naive client's thousands of "retry N of 50" warnings are the point, counted below as
    # throttled_429; printing each would bury the figures.
    logging.getLogger("amzcancel.transport.retry").setLevel(logging.ERROR)
    runs = [
        run_sync(args.calls),
        run_async(args.calls, args.concurrency),
        run_sync(args.calls, paced=False),
        run_async(args.calls, args.concurrency, paced=False),
    ]
    for figures in runs:
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
