"""Benchmark: a full sync against the sandbox on loopback, compared with the rate-limit ideal.

Run with ``python benchmarks/bench_sync.py`` (``--help`` for sizes). For each API it serves a
fresh simulated marketplace on 127.0.0.1 at a high speed factor (every Amazon rate multiplied,
bursts unchanged), runs one ``OrderSync.run_once()`` over real HTTP in real time, and reports:

- wall time, and the ideal time the rate limits allow for the calls actually made: for each
  operation, ``max(0, calls - burst) / (rate * speed)``; the ideal of the run is the largest of
  these, since the operations' buckets refill in parallel. The ratio says how close the engine
  runs to the limit (1.0 = exactly at it);
- calls per order (every HTTP request to the orders API, retries included, over orders listed);
- 429s received, and whether every ground-truth buyer request was found.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from _served import served_sync

from amzcancel.transport import SPAPI_RATE_LIMITS

# The operations the sync makes (each metered by its own bucket at Amazon's usage plan).
BUCKETS = ("getOrders", "getOrderItems", "searchOrders", "getOrder")


def ideal_seconds(calls: dict[str, int], speed: float) -> dict[str, float]:
    """Per operation, the least time its token bucket allows for ``calls`` requests."""
    ideal = {}
    for operation, count in calls.items():
        limit = SPAPI_RATE_LIMITS[operation]
        ideal[operation] = max(0, count - limit.burst) / (limit.rate * speed)
    return ideal


def run(api: str, *, orders: int, speed: float, seed: int) -> dict[str, Any]:
    """One full sync of a fresh marketplace through ``api``; the figures as a dict."""
    with served_sync(api, orders=orders, speed=speed, seed=seed) as (mp, sync):
        started = time.perf_counter()
        result = sync.run_once()
        wall = time.perf_counter() - started
        found = {(p.amazon_order_id, p.order_item_id) for p in sync.pending()}
    truth = mp.truth()
    calls = {op: n for op, n in result.requests_by_operation.items() if op in BUCKETS}
    ideal = ideal_seconds(calls, speed)
    ideal_total = max(ideal.values(), default=0.0)
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
        "throttled_seen_by_marketplace": truth.throttled,
        "retries_and_faults": result.requests - sum(calls.values()),
        "rate_limit_wait_seconds": round(result.rate_limit_wait_seconds, 3),
        "buyer_requests_found": len(found),
        "all_requests_found": found == set(truth.buyer_cancel_requests),
    }


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
        f"{'calls':>6} {'calls/order':>11} {'429s':>5} {'all found':>9}"
    )
    print(header)
    for r in rows:
        # Within the bursts there is no rate-limit floor to compare with: say so, not "nan".
        ratio = f"{r['ratio_to_ideal']:>6.2f}" if r["ratio_to_ideal"] else f"{'burst':>6}"
        print(
            f"{r['api']:<11} {r['orders']:>6} {r['speed']:>6g} "
            f"{r['wall_seconds']:>7.2f} {r['ideal_seconds']:>7.2f} "
            f"{ratio} {r['requests']:>6} "
            f"{r['calls_per_order']:>11.4f} {r['throttled_429']:>5} {r['all_requests_found']!s:>9}"
        )
        print(f"    {json.dumps(r['requests_by_operation'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
