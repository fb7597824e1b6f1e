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

Then *after v0* (``--after-v0``, on by default; simulated clock, in-process, v0 answered 403
as after its retirement): the same backlog read by Orders 2026-01-01 alone, once by
searchOrders alone and once with the ids ORDER_CHANGE notifications named (every order with an
open buyer request) fed to getOrder (``OrderSync(notified=...)``). It prints, for each, the
simulated seconds until every buyer request was in the store and until the window was covered.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from _served import served_sync, warm_up
from schedule_math import simulate_multipath, single_path_seconds

from amzcancel.clock import FakeClock
from amzcancel.sandbox import SANDBOX_ENDPOINT, SANDBOX_LWA_CREDENTIALS, Marketplace
from amzcancel.sync import NotifiedOrders, OrderSync, SqliteStore, SyncProgress
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


class _RefuseV0(httpx.AsyncBaseTransport):
    """Orders v0 answered 403, as after its retirement; the rest goes to the sandbox."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/orders/v0/"):
            body = {"errors": [{"code": "Unauthorized", "message": "Access is denied."}]}
            return httpx.Response(403, json=body)
        return await self.inner.handle_async_request(request)


def after_v0(*, orders: int, speed: float, seed: int, notified: bool) -> dict[str, Any]:
    """Orders 2026-01-01 alone on a simulated clock: searchOrders, plus notified getOrder."""
    mp = Marketplace(seed=seed, orders=orders, speed=speed, clock=FakeClock())
    requests = mp.truth().buyer_cancel_requests
    registry = NotifiedOrders() if notified else None
    if registry is not None:
        for order in mp.truth().orders:
            if any((order.amazon_order_id, i.order_item_id) in requests for i in order.items):
                registry.note("bench", order.amazon_order_id, order.last_update_date)
    start = mp.clock.monotonic()
    found_at: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteStore(Path(tmp) / "s.db", clock=mp.clock)

        def progress(_: SyncProgress) -> None:
            if not found_at and len(store.pending_requests(include_afn=True)) >= len(requests):
                found_at.append(mp.clock.monotonic() - start)

        with OrderSync(
            store=store,
            credentials=SANDBOX_LWA_CREDENTIALS,
            account="bench",
            endpoint=SANDBOX_ENDPOINT,
            lwa_endpoint=SANDBOX_ENDPOINT + "/auth/o2/token",
            transport=_RefuseV0(mp.transport()),
            clock=mp.clock,
            since=mp.clock.now() - timedelta(days=8),
            paths="searchOrders,getOrder",
            notified=registry,
            on_progress=progress,
        ) as sync:
            result = sync.run_once()
            found = {(p.amazon_order_id, p.order_item_id) for p in sync.pending()}
        store.close()
    covered = mp.clock.monotonic() - start
    return {
        "run": "searchOrders + notified getOrder" if notified else "searchOrders alone",
        "requests_stored_seconds": round(found_at[0] if found_at else covered, 1),
        "window_covered_seconds": round(covered, 1),
        "requests_by_operation": dict(result.requests_by_operation),
        "all_requests_found": found == set(requests),
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
    parser.add_argument(
        "--after-v0",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also compare searchOrders alone with notified ids fed to getOrder (v0 refused)",
    )
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
    if args.after_v0:
        later = [
            after_v0(orders=args.orders, speed=args.speed, seed=args.seed, notified=flag)
            for flag in (False, True)
        ]
        figures["after_v0"] = later
        print("\nafter v0 (simulated clock, v0 refused): seconds until every buyer request is")
        print("stored, and until the window is covered")
        for r in later:
            print(
                f"{r['run']:<34} requests {r['requests_stored_seconds']:>8.1f} s   "
                f"window {r['window_covered_seconds']:>8.1f} s   found {r['all_requests_found']}  "
                f"{json.dumps(r['requests_by_operation'])}"
            )
    if args.json:
        print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
