"""Benchmark: the client's CPU per request, against a bare ``httpx.AsyncClient``.

Run with ``python benchmarks/bench_client.py`` (``--help`` for sizes). A simulated marketplace
is served on 127.0.0.1 by a child process (so its work is not counted), with its rate limits
off. The same ``--calls`` v0 ``getOrderItems`` requests are then sent, one after the other,

- through ``AsyncSpApiClient.request(...)``: pacing (a bucket far above the calls' rate, so the
  pacing code runs but never waits), the cached LWA token, the retry controller, error
  classification, header building, the request deadline and the body-size bound;
- through a bare ``httpx.AsyncClient`` with the same headers;
- through ``client.orders_v0.get_order_items(...)``, which adds parsing into domain models (for
  information: parsing is the wire layer's cost, not the client's).

Each round sends every variant's ``--calls`` requests in slices of ``--slice``, the variants
taking turns slice by slice (in an order that rotates), so that a change in the machine's load
falls on all of them alike; ``time.process_time()`` is summed per variant. The figures are the
medians over ``--rounds`` rounds, in CPU microseconds per request; the ratio is the median of the
rounds' ratios (each round's variants ran under the same conditions). The target is a ratio of
at most 1.2.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
from _served import fetch_truth, served_elsewhere, warm_up

from amzcancel.sandbox import SANDBOX_LWA_CREDENTIALS
from amzcancel.transport import USER_AGENT, AsyncSpApiClient, RateLimit, RateLimiter

TARGET_RATIO = 1.2

Call = Callable[[str], Awaitable[object]]


def unthrottled_limiter() -> RateLimiter:
    """A limiter whose getOrderItems bucket never runs dry: the pacing code runs, never waits."""
    plan = RateLimit(rate=1e9, burst=10**9, bucket="getOrderItems")
    return RateLimiter(limits={"getOrderItems": plan})


async def access_token(http: httpx.AsyncClient, base_url: str) -> str:
    """An access token from the sandbox's LWA endpoint."""
    creds = SANDBOX_LWA_CREDENTIALS
    answer = await http.post(
        f"{base_url}/auth/o2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": creds.refresh_token.get_secret_value(),
            "client_id": creds.client_id,
            "client_secret": creds.client_secret.get_secret_value(),
        },
    )
    answer.raise_for_status()
    return str(answer.json()["access_token"])


def paired_ratio(ours: list[float], bare: list[float]) -> float:
    """The median over rounds of ``ours / bare`` (each pair measured side by side)."""
    return round(statistics.median(a / b for a, b in zip(ours, bare, strict=True)), 3)


async def measure(call: Call, paths: list[str]) -> float:
    """CPU seconds spent sending every path once through ``call``."""
    started = time.process_time()
    for path in paths:
        await call(path)
    return time.process_time() - started


async def run(
    base_url: str, paths: list[str], *, rounds: int, slice_size: int = 20
) -> dict[str, Any]:
    """Every variant ``rounds`` times, interleaved; medians in CPU microseconds per request."""
    bare_http = httpx.AsyncClient(base_url=base_url)
    token = await access_token(bare_http, base_url)
    bare_http.headers.update(
        {
            "user-agent": USER_AGENT,
            "accept": "application/json",
            "x-amz-date": datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ"),
            "x-amz-access-token": token,
        }
    )
    client = AsyncSpApiClient(
        credentials=SANDBOX_LWA_CREDENTIALS,
        endpoint=base_url,
        lwa_endpoint=f"{base_url}/auth/o2/token",
        rate_limiter=unthrottled_limiter(),
    )

    async def bare(path: str) -> object:
        answer = await bare_http.get(path)
        if answer.status_code != 200:
            raise RuntimeError(f"bare client: {answer.status_code} for {path}")
        return answer.content

    async def ours(path: str) -> object:
        return (await client.request("GET", path, operation="getOrderItems")).content

    async def parsed(path: str) -> object:
        order_id = path.split("/")[4]
        return await client.orders_v0.get_order_items(order_id)

    variants: dict[str, Call] = {"bare httpx": bare, "AsyncSpApiClient": ours, "+ parsing": parsed}
    samples: dict[str, list[float]] = {name: [] for name in variants}
    names = list(variants)
    try:
        for name in names:  # warm-up: connections, the token, first-use costs
            await measure(variants[name], paths[:20])
        turn = 0
        for _ in range(rounds):
            spent = dict.fromkeys(names, 0.0)
            for start in range(0, len(paths), slice_size):
                part = paths[start : start + slice_size]
                turn += 1
                shift = turn % len(names)
                for name in names[shift:] + names[:shift]:
                    spent[name] += await measure(variants[name], part)
            for name in names:
                samples[name].append(spent[name] / len(paths) * 1e6)
    finally:
        await client.aclose()
        await bare_http.aclose()
    medians = {name: statistics.median(values) for name, values in samples.items()}
    return {
        "calls": len(paths),
        "rounds": rounds,
        "slice": slice_size,
        "cpu_us_per_request": {name: round(value, 1) for name, value in medians.items()},
        "spread_us": {
            name: [round(min(values), 1), round(max(values), 1)] for name, values in samples.items()
        },
        "ratio": paired_ratio(samples["AsyncSpApiClient"], samples["bare httpx"]),
        "ratio_with_parsing": paired_ratio(samples["+ parsing"], samples["bare httpx"]),
        "target_ratio": TARGET_RATIO,
        "stats": client.stats.as_dict(),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print a table (or JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300, help="requests per variant per round")
    parser.add_argument("--rounds", type=int, default=9, help="interleaved rounds (median)")
    parser.add_argument("--slice", type=int, default=20, help="requests per turn of a variant")
    parser.add_argument("--orders", type=int, default=50, help="orders in the marketplace")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    warm_up()
    with served_elsewhere(seed=args.seed, orders=args.orders, rate_limits=False) as (url, _now):
        ids = [order["amazon_order_id"] for order in fetch_truth(url)["orders"]]
        paths = [f"/orders/v0/orders/{ids[n % len(ids)]}/orderItems" for n in range(args.calls)]
        figures = asyncio.run(run(url, paths, rounds=args.rounds, slice_size=args.slice))
    if args.json:
        print(json.dumps(figures))
        return 0
    cpu, spread = figures["cpu_us_per_request"], figures["spread_us"]
    print(f"{'variant':<18} {'CPU us/request':>14} {'min..max':>16}")
    for name, value in cpu.items():
        low, high = spread[name]
        print(f"{name:<18} {value:>14.1f} {f'{low:.0f}..{high:.0f}':>16}")
    print(
        f"ratio AsyncSpApiClient / bare httpx: {figures['ratio']:.3f} "
        f"(target <= {TARGET_RATIO}); with parsing: {figures['ratio_with_parsing']:.3f}"
    )
    print(f"    {figures['calls']} calls x {figures['rounds']} rounds, {figures['stats']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
