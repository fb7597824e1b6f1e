"""Benchmark: a full sync against the sandbox on loopback, compared with the rate-limit ideal.

Run with ``python benchmarks/bench_sync.py`` (``--help`` for sizes). For each API it serves a
fresh simulated marketplace on 127.0.0.1 from a child process at a high speed factor (every
Amazon rate multiplied, bursts unchanged), runs one ``OrderSync.run_once()`` over real HTTP in
real time, and reports:

- wall time, and the ideal time the rate limits allow for the calls actually made: for each
  operation, ``max(0, calls - burst) / (rate * speed)``; the ideal of the run is the largest of
  these, since the operations' buckets refill in parallel. The ratio says how close the engine
  runs to the limit (1.0 = exactly at it);
- calls per order (every HTTP request to the orders API, retries included, over orders listed);
- 429s received, and whether every ground-truth buyer request was found;
- CPU seconds per 1,000 orders (``time.process_time()`` of this process; the marketplace's work
  is in its own process), beside a baseline measured in the same run: a bare
  ``httpx.AsyncClient`` fetching the same pages (the same listing, and for v0 every order's
  items) from a fresh copy of the marketplace without rate limits, reading them with
  ``json.loads`` only. The difference is what the sync adds: models, pacing, retries, store.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from _served import SINCE, fetch_truth, order_sync, served_elsewhere, warm_up

from amzcancel.models import format_utc
from amzcancel.sandbox import SANDBOX_LWA_CREDENTIALS
from amzcancel.transport import ORDERS_2026_INCLUDED_DATA, SPAPI_RATE_LIMITS, USER_AGENT

# The operations the sync makes (each metered by its own bucket at Amazon's usage plan).
BUCKETS = ("getOrders", "getOrderItems", "searchOrders", "getOrder")
MARKETPLACE = "ATVPDKIKX0DER"


def ideal_seconds(calls: dict[str, int], speed: float) -> dict[str, float]:
    """Per operation, the least time its token bucket allows for ``calls`` requests."""
    ideal = {}
    for operation, count in calls.items():
        limit = SPAPI_RATE_LIMITS[operation]
        ideal[operation] = max(0, count - limit.burst) / (limit.rate * speed)
    return ideal


def per_thousand(seconds: float, orders: int) -> float:
    """CPU seconds per 1,000 orders."""
    return round(seconds / max(orders, 1) * 1000, 3)


def run(api: str, *, orders: int, speed: float, seed: int) -> dict[str, Any]:
    """One full sync of a fresh marketplace through ``api``; the figures as a dict."""
    with (
        served_elsewhere(seed=seed, orders=orders, speed=speed) as (url, now),
        tempfile.TemporaryDirectory() as tmp,
    ):
        with order_sync(api, url, now=now, store=Path(tmp) / "bench.db") as sync:
            cpu_started, started = time.process_time(), time.perf_counter()
            result = sync.run_once()
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
            found = {(p.amazon_order_id, p.order_item_id) for p in sync.pending()}
        truth = fetch_truth(url)
    expected = {(r["amazon_order_id"], r["order_item_id"]) for r in truth["buyer_cancel_requests"]}
    baseline = bare_baseline(api, orders=orders, seed=seed)
    calls = {op: n for op, n in result.requests_by_operation.items() if op in BUCKETS}
    ideal = ideal_seconds(calls, speed)
    ideal_total = max(ideal.values(), default=0.0)
    cpu_per_1000 = per_thousand(cpu, result.orders_seen)
    return {
        "api": result.api,
        "orders": result.orders_seen,
        "speed": speed,
        "wall_seconds": round(wall, 3),
        "ideal_seconds": round(ideal_total, 3),
        "ratio_to_ideal": round(wall / ideal_total, 3) if ideal_total else None,
        "requests": result.requests,
        "requests_by_operation": calls,
        "calls_per_order": round(result.requests / max(result.orders_seen, 1), 4),
        "throttled_429": result.throttled,
        "throttled_seen_by_marketplace": truth["throttled"],
        "retries_and_faults": result.requests - sum(calls.values()),
        "rate_limit_wait_seconds": round(result.rate_limit_wait_seconds, 3),
        "buyer_requests_found": len(found),
        "all_requests_found": found == expected,
        "cpu_seconds": round(cpu, 3),
        "cpu_seconds_per_1000_orders": cpu_per_1000,
        "baseline_cpu_seconds_per_1000_orders": baseline["cpu_seconds_per_1000_orders"],
        "baseline_requests": baseline["requests"],
        "cpu_ratio_to_baseline": round(
            cpu_per_1000 / max(baseline["cpu_seconds_per_1000_orders"], 1e-9), 2
        ),
    }


def bare_baseline(api: str, *, orders: int, seed: int) -> dict[str, Any]:
    """The same pages fetched by a bare httpx client from a fresh, unthrottled marketplace."""
    with served_elsewhere(seed=seed, orders=orders, rate_limits=False) as (url, now):
        since = format_utc(now - SINCE)
        started = time.process_time()
        seen, requests = asyncio.run(_fetch_all(api, url, since))
        cpu = time.process_time() - started
    return {"requests": requests, "cpu_seconds_per_1000_orders": per_thousand(cpu, seen)}


async def _fetch_all(api: str, url: str, since: str) -> tuple[int, int]:
    """Every order (and for v0 every order's items) since ``since``: (orders, requests)."""
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        creds = SANDBOX_LWA_CREDENTIALS
        token = await http.post(
            "/auth/o2/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": creds.refresh_token.get_secret_value(),
                "client_id": creds.client_id,
                "client_secret": creds.client_secret.get_secret_value(),
            },
        )
        http.headers.update(
            {
                "user-agent": USER_AGENT,
                "accept": "application/json",
                "x-amz-access-token": token.json()["access_token"],
            }
        )
        requests = 0  # API requests, as the sync counts them (the token request is not one)
        if api == "2026":
            query: dict[str, str] = {
                "lastUpdatedAfter": since,
                "marketplaceIds": MARKETPLACE,
                "includedData": ",".join(ORDERS_2026_INCLUDED_DATA),
            }
            # 2026-01-01: the token goes with every other parameter, unchanged.
            pages = await _pages(http, "/orders/2026-01-01/orders", query, query)
            return sum(len(page["orders"]) for page in pages), requests + len(pages)
        query = {"MarketplaceIds": MARKETPLACE, "LastUpdatedAfter": since}
        pages = await _pages(http, "/orders/v0/orders", query, {"MarketplaceIds": MARKETPLACE})
        ids = [order["AmazonOrderId"] for page in pages for order in page["payload"]["Orders"]]
        requests += len(pages)
        for order_id in ids:
            items = await _pages(http, f"/orders/v0/orders/{order_id}/orderItems", {}, {})
            requests += len(items)
        return len(ids), requests


async def _pages(
    http: httpx.AsyncClient, path: str, query: dict[str, str], carry: dict[str, str]
) -> list[dict[str, Any]]:
    """Every page of a listing: ``query`` first, then its page token with ``carry``."""
    pages: list[dict[str, Any]] = []
    params = query
    while True:
        answer = await http.get(path, params=params)
        answer.raise_for_status()
        page = json.loads(answer.content)
        pages.append(page)
        if "payload" in page:
            name, token = "NextToken", page["payload"].get("NextToken")
        else:
            name, token = "paginationToken", page.get("pagination", {}).get("nextToken")
        if not token:
            return pages
        params = {**carry, name: token}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print a table (or JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders-v0", type=int, default=1000, help="orders for the v0 run")
    parser.add_argument("--orders-2026", type=int, default=3000, help="orders for the 2026 run")
    parser.add_argument("--speed-v0", type=float, default=200.0, help="speed factor, v0 run")
    parser.add_argument("--speed-2026", type=float, default=200.0, help="speed factor, 2026 run")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--json", action="store_true", help="print JSON lines")
    args = parser.parse_args(argv)
    warm_up()
    rows = [
        run("v0", orders=args.orders_v0, speed=args.speed_v0, seed=args.seed),
        run("2026", orders=args.orders_2026, speed=args.speed_2026, seed=args.seed),
    ]
    if args.json:
        for row in rows:
            print(json.dumps(row))
        return 0
    header = (
        f"{'api':<11} {'orders':>6} {'speed':>6} {'wall s':>7} {'ideal s':>7} {'ratio':>6} "
        f"{'calls':>6} {'calls/order':>11} {'429s':>5} {'CPU s/1k':>8} {'bare s/1k':>9} "
        f"{'all found':>9}"
    )
    print(header)
    for r in rows:
        # Within the bursts there is no rate-limit floor to compare with: say so, not "nan".
        ratio = f"{r['ratio_to_ideal']:>6.2f}" if r["ratio_to_ideal"] else f"{'burst':>6}"
        print(
            f"{r['api']:<11} {r['orders']:>6} {r['speed']:>6g} "
            f"{r['wall_seconds']:>7.2f} {r['ideal_seconds']:>7.2f} "
            f"{ratio} {r['requests']:>6} "
            f"{r['calls_per_order']:>11.4f} {r['throttled_429']:>5} "
            f"{r['cpu_seconds_per_1000_orders']:>8.2f} "
            f"{r['baseline_cpu_seconds_per_1000_orders']:>9.2f} {r['all_requests_found']!s:>9}"
        )
        print(f"    {json.dumps(r['requests_by_operation'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
