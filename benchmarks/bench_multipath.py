"""Benchmark: a backlog synced through every path at once, against each path alone.

Run with ``python benchmarks/bench_multipath.py`` (``--help`` for sizes; the defaults take
about nine minutes, nearly all of it the v0-only run). Each run serves a fresh simulated
marketplace on 127.0.0.1 with ``--orders`` updated orders at speed factor ``--speed`` (every
Amazon rate multiplied, bursts unchanged) and runs one ``OrderSync.run_once()`` over real HTTP
in real time:

- ``multi``: ``--api auto`` (searchOrders pages, getOrder and v0 getOrderItems at once), alone
  on the machine;
- ``2026``: searchOrders alone, and ``v0``: getOrders + getOrderItems alone, run side by side
  after it (they spend their time waiting for tokens, so they barely share the CPU).

It prints each run's wall time, requests per operation and 429s; the bucket-math limit of the
multi-path schedule (:func:`benchmarks/schedule_math.py simulate_multipath`: zero latency,
every call the moment its bucket allows); the speed-up over the best single path; and a text
timeline of each bucket's use in the multi-path run and in the simulation.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from _served import served_sync, warm_up
from schedule_math import simulate_multipath, single_path_seconds

from amzcancel.sync._paths import PATH_ORDER_ITEMS, PATH_SEARCH

OPERATIONS = ("searchOrders", "getOrders", "getOrder", "getOrderItems")
SHADES = " .:-=+*#%@"


def run(api: str, *, orders: int, speed: float, seed: int) -> dict[str, Any]:
    """One full sync of a fresh served marketplace through ``api``; the figures as a dict."""
    with served_sync(api, orders=orders, speed=speed, seed=seed) as (mp, sync):
        started = time.perf_counter()
        mono_start = time.monotonic()
        result = sync.run_once()
        wall = time.perf_counter() - started
        found = {(p.amazon_order_id, p.order_item_id): p.reason for p in sync.pending()}
        coverer = sync.multipath
        calls = [(t - mono_start, op) for t, op in coverer.calls] if coverer else []
    truth = mp.truth()
    return {
        "api": api,
        "orders": result.orders_changed,
        "speed": speed,
        "wall_seconds": round(wall, 2),
        "requests": result.requests,
        "requests_by_operation": dict(result.requests_by_operation),
        "orders_by_path": dict(result.orders_by_path),
        "throttled_429": result.throttled,
        "throttled_percent": round(100 * result.throttled / max(result.requests, 1), 3),
        "rate_limit_wait_seconds_by_operation": {
            op: round(s, 1) for op, s in result.rate_limit_wait_seconds_by_operation.items()
        },
        "all_requests_found": found == truth.buyer_cancel_requests,
        "calls": calls,
    }


def chart(calls: list[tuple[float, str]], *, seconds: float, width: int = 60) -> str:
    """A text timeline: one row per operation, one column per time slice, shade = calls."""
    span = max(seconds, 1e-9)
    rows = []
    for op in OPERATIONS:
        counts = [0] * width
        for at, name in calls:
            if name == op:
                counts[min(int(at / span * width), width - 1)] += 1
        top = max(counts) or 1
        cells = "".join(
            SHADES[0] if c == 0 else SHADES[max(1, round(c / top * (len(SHADES) - 1)))]
            for c in counts
        )
        rows.append(f"{op:>14} |{cells}| {sum(counts)}")
    rows.append(f"{'':>14}  0s{'':>{width - 8}}{seconds:>6.1f}s")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the figures (and JSON with ``--json``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=2500, help="updated orders in the window")
    parser.add_argument("--speed", type=float, default=10.0, help="sandbox speed factor")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--single", default="2026,v0", help="single-path runs to compare (2026, v0; '' for none)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object at the end")
    args = parser.parse_args(argv)

    warm_up()
    multi = run("auto", orders=args.orders, speed=args.speed, seed=args.seed)
    singles_wanted = [s for s in args.single.split(",") if s]
    with ThreadPoolExecutor(max_workers=max(len(singles_wanted), 1)) as pool:
        futures = [
            pool.submit(run, api, orders=args.orders, speed=args.speed, seed=args.seed)
            for api in singles_wanted
        ]
        singles = [f.result() for f in futures]

    estimate = simulate_multipath(args.orders, speed=args.speed)
    limit = estimate.seconds
    ideal_single = {
        "2026": single_path_seconds(args.orders, PATH_SEARCH, speed=args.speed),
        "v0": single_path_seconds(args.orders, PATH_ORDER_ITEMS, speed=args.speed),
    }
    best = min(singles, key=lambda r: r["wall_seconds"]) if singles else None
    figures = {
        "orders": args.orders,
        "speed": args.speed,
        "multi_wall_seconds": multi["wall_seconds"],
        "multi_limit_seconds": round(limit, 2),
        "multi_to_limit": round(multi["wall_seconds"] / limit, 3) if limit else None,
        "single_wall_seconds": {r["api"]: r["wall_seconds"] for r in singles},
        "single_limit_seconds": {k: round(v, 2) for k, v in ideal_single.items()},
        "speedup_over_best_single": (
            round(best["wall_seconds"] / multi["wall_seconds"], 2) if best else None
        ),
        "multi_throttled_percent": multi["throttled_percent"],
        "all_requests_found": all(r["all_requests_found"] for r in [multi, *singles]),
    }
    print(f"backlog {args.orders} orders, speed {args.speed:g}, loopback sandbox\n")
    print(f"{'run':<7} {'wall s':>8} {'requests':>9} {'429s':>5} {'found':>6}  by operation")
    for r in [multi, *singles]:
        print(
            f"{r['api']:<7} {r['wall_seconds']:>8.2f} {r['requests']:>9} "
            f"{r['throttled_429']:>5} {r['all_requests_found']!s:>6}  "
            f"{json.dumps(r['requests_by_operation'])}"
        )
    print(f"\nmulti-path orders by path: {json.dumps(multi['orders_by_path'])}")
    print(f"multi-path waits by bucket (s): {multi['rate_limit_wait_seconds_by_operation']}")
    print(f"bucket-math limit of the multi-path schedule: {limit:.2f} s")
    print(f"single-path limits: {figures['single_limit_seconds']}")
    print(f"multi / limit: {figures['multi_to_limit']}  (target <= 1.15)")
    print(f"speed-up over the best single path: {figures['speedup_over_best_single']}  (>= 2.5)")
    print(f"429s: {multi['throttled_percent']}% of multi-path requests  (target < 1%)\n")
    print("multi-path run, calls per bucket over time (darker = more calls):")
    print(chart(multi["calls"], seconds=multi["wall_seconds"]))
    print("\nthe simulated schedule (bucket-math limit):")
    print(chart(estimate.timeline, seconds=max(limit, 1e-9)))
    if args.json:
        print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
