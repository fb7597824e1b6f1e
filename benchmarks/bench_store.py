"""Benchmark: the store's write paths, CPU seconds per 1,000 orders, on each backend.

Run with ``python benchmarks/bench_store.py`` (``--help`` for sizes). For each backend (SQLite
in a temporary file; PostgreSQL too when ``--postgres DSN`` or ``AMZCANCEL_TEST_POSTGRES``
names a server, in a schema of its own that is dropped afterwards) it applies a generated
backlog in batches of 50 orders (the engine's batch size), four times:

- ``insert``: every order is new;
- ``update-changed``: every order again, newer, with a new status, and a buyer request on
  the half that had none (the steady-state path of a sync that finds changes; as many events
  as the insert);
- ``update-unchanged``: the same orders once more (a rerun, an overlapping window);
- ``update-every-column``: newer again, every column of every item changed and every request
  withdrawn (the worst case; one event per order).

It prints the client's CPU seconds per 1,000 orders for each (``time.process_time``: the
Python work the store does, which is what the update path used to waste; PostgreSQL's own
CPU is not counted), wall seconds, and the ratio of each update path to the insert.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from amzcancel.clock import FakeClock
from amzcancel.models import (
    BuyerCancel,
    FulfillmentChannel,
    Money,
    Order,
    OrderItem,
    OrderStatus,
    Source,
)
from amzcancel.sync import SqliteStore, Store

BATCH = 50
BASE = datetime(2026, 11, 1, tzinfo=UTC)


def make_orders(first: int, count: int, *, round_: int) -> list[Order]:
    """Orders ``first`` .. ``first + count - 1``, three items each, as round ``round_`` sees them.

    Round 0 is the backlog: every other order arrives with a buyer request on its first item.
    Round 1 is each order's next state as a sync sees it: a newer LastUpdateDate, a new
    status, and the other half of the orders now requested too (as many events as round 0,
    so the two compare the write paths, not the event counts). Round 2 changes every column of
    every item and withdraws every request (the worst case: one event per order).
    """
    status = OrderStatus.UNSHIPPED if round_ == 0 else OrderStatus.PARTIALLY_SHIPPED
    orders = []
    for n in range(first, first + count):
        requested = {0: n % 2 == 0, 1: True, 2: False}[round_]
        items = [
            OrderItem(
                order_item_id=f"{n:07d}{k}",
                asin=f"B{n:09d}",
                seller_sku=f"SKU-{n}-{k}",
                title=f"Widget {n} model {k}" + (" (v2)" if round_ == 2 else ""),
                quantity_ordered=1 + k,
                quantity_shipped=1 if round_ == 2 else 0,
                buyer_cancel=BuyerCancel(
                    requested=k == 0 and requested,
                    reason="Found cheaper" if k == 0 and requested else None,
                ),
                item_price=Money(currency_code="USD", amount=Decimal("9.99") + k + round_ // 2),
            )
            for k in range(3)
        ]
        orders.append(
            Order(
                amazon_order_id=f"902-{n:07d}-0000000",
                marketplace_id="ATVPDKIKX0DER",
                status=status,
                fulfillment_channel=FulfillmentChannel.MFN,
                purchase_date=BASE,
                last_update_date=BASE + timedelta(minutes=n % 500, hours=round_),
                source=Source.SPAPI_2026,
                items=items,
                order_total=Money(currency_code="USD", amount=Decimal("32.97")),
            )
        )
    return orders


def timed(store: Store, count: int, round_: int) -> tuple[float, float, int]:
    """Apply ``count`` orders of ``round_`` in batches; (CPU s, wall s, events appended).

    Each batch is built just before it is applied and only the apply is timed, as in a sync:
    the engine holds one batch at a time (holding the whole backlog would make Python's
    garbage collector, not the store, the thing measured).
    """
    events, cpu, wall = 0, 0.0, 0.0
    for start in range(0, count, BATCH):
        batch = make_orders(start, min(BATCH, count - start), round_=round_)
        cpu_start, wall_start = time.process_time(), time.perf_counter()
        events += len(store.apply("bench", batch))
        cpu += time.process_time() - cpu_start
        wall += time.perf_counter() - wall_start
    return cpu, wall, events


def measure(
    backend: str, opener: Callable[[], Store], count: int, repeat: int
) -> list[dict[str, Any]]:
    """The four write paths, each on a fresh store ``repeat`` times; the fastest run counts
    (the least disturbed by whatever else the machine runs)."""
    paths = (
        ("insert", 0),
        ("update-changed", 1),
        ("update-unchanged", 1),
        ("update-every-column", 2),
    )
    best: dict[str, tuple[float, float, int]] = {}
    for _ in range(repeat):
        with opener() as store:
            for path, round_ in paths:
                cpu, wall, events = timed(store, count, round_)
                if path not in best or cpu < best[path][0]:
                    best[path] = (cpu, wall, events)
    insert = best["insert"][0]
    return [
        {
            "backend": backend,
            "path": path,
            "orders": count,
            "cpu_seconds_per_1000": round(best[path][0] / count * 1000, 4),
            "wall_seconds_per_1000": round(best[path][1] / count * 1000, 4),
            "cpu_vs_insert": round(best[path][0] / insert, 2),
            "events": best[path][2],
        }
        for path, _ in paths
    ]


@contextmanager
def sqlite_opener() -> Iterator[Callable[[], Store]]:
    with tempfile.TemporaryDirectory() as folder:
        runs = itertools.count()
        yield lambda: SqliteStore(Path(folder) / f"bench{next(runs)}.db", clock=FakeClock())


@contextmanager
def postgres_opener(dsn: str) -> Iterator[Callable[[], Store]]:
    import psycopg

    from amzcancel.sync import PostgresStore

    runs = itertools.count()
    schemas: list[str] = []

    def opener() -> Store:
        schemas.append(f"bench_{os.getpid()}_{next(runs)}")
        return PostgresStore(dsn, schema=schemas[-1], clock=FakeClock())

    try:
        yield opener
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            for schema in schemas:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print a table (or JSON lines)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=5000, help="orders per path (3 items each)")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("AMZCANCEL_TEST_POSTGRES", ""),
        metavar="DSN",
        help="also measure PostgreSQL at this DSN (default: $AMZCANCEL_TEST_POSTGRES)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per backend (fastest counts)")
    parser.add_argument("--json", action="store_true", help="print JSON lines")
    args = parser.parse_args(argv)
    with sqlite_opener() as opener:
        rows = measure("sqlite", opener, args.orders, args.repeat)
    if args.postgres:
        with postgres_opener(args.postgres) as opener:
            rows += measure("postgresql", opener, args.orders, args.repeat)
    if args.json:
        for row in rows:
            print(json.dumps(row))
        return 0
    print(
        f"{'backend':<10} {'path':<19} {'orders':>6} {'cpu s/1000':>10} {'wall s/1000':>11} "
        f"{'vs insert':>9} {'events':>6}"
    )
    for r in rows:
        print(
            f"{r['backend']:<10} {r['path']:<19} {r['orders']:>6} "
            f"{r['cpu_seconds_per_1000']:>10.3f} {r['wall_seconds_per_1000']:>11.3f} "
            f"{r['cpu_vs_insert']:>9.2f} {r['events']:>6}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
