"""Benchmark: peak memory and time of ``amzcancel pending`` over many open requests.

Run with ``python benchmarks/bench_pending.py`` (``--requests N`` for the size, 30,000 by
default). It writes a SQLite store in a temporary directory holding N unshipped orders, each
with one buyer cancel request and two other items, then runs the command in a child process
(``python -m amzcancel pending --store ...``) for each output form, stdout to /dev/null, and
reads the child's peak resident set size (``ru_maxrss`` from ``os.wait4``) and wall time.
The same command over an empty store is the baseline: what the interpreter and the imports
take before a single request is read.

``--json`` streams rows from ``Store.iter_pending_requests`` (constant memory); the table
keeps one short row of text per request, since a table's column widths depend on every row.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from amzcancel.models import (
    BuyerCancel,
    FulfillmentChannel,
    Money,
    Order,
    OrderItem,
    OrderStatus,
    Source,
)
from amzcancel.sync import SqliteStore

BATCH = 500
BASE = datetime(2026, 11, 1, tzinfo=UTC)
FORMS = {"json": ("--json",), "table": ()}


def make_order(n: int) -> Order:
    """Order ``n``: unshipped, three items, the buyer asked to cancel the first."""
    items = [
        OrderItem(
            order_item_id=f"{n:010d}{k:04d}",
            asin=f"B{n:09d}",
            seller_sku=f"SKU-{n}-{k}",
            title=f"Widget {n} model {k}, a title of a usual length for a listing",
            quantity_ordered=1,
            quantity_shipped=0,
            buyer_cancel=BuyerCancel(
                requested=k == 0, reason="Found cheaper somewhere else." if k == 0 else None
            ),
            item_price=Money(currency_code="USD", amount=Decimal("19.99")),
        )
        for k in range(3)
    ]
    return Order(
        amazon_order_id=f"{111 + n % 3}-{n // 10_000_000:07d}-{n % 10_000_000:07d}",
        marketplace_id="ATVPDKIKX0DER",
        status=OrderStatus.UNSHIPPED,
        fulfillment_channel=FulfillmentChannel.MFN,
        purchase_date=BASE + timedelta(seconds=n),
        last_update_date=BASE + timedelta(seconds=n, hours=1),
        source=Source.SPAPI_2026,
        items=items,
    )


def build_store(path: Path, requests: int) -> None:
    """A store with ``requests`` open buyer cancel requests (one per order)."""
    with SqliteStore(path) as store:
        for first in range(0, requests, BATCH):
            batch = [make_order(n) for n in range(first, min(first + BATCH, requests))]
            store.apply("bench", batch)


@dataclass(frozen=True)
class Run:
    """One child run of the command."""

    form: str
    requests: int
    peak_mib: float
    seconds: float


def run_command(store: Path, form: str, requests: int) -> Run:
    """``amzcancel pending`` in a child process; its peak RSS and wall time."""
    argv = [sys.executable, "-m", "amzcancel", "pending", "--store", str(store), *FORMS[form]]
    started = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        child = subprocess.Popen(argv, stdout=sink, stderr=subprocess.PIPE)
        assert child.stderr is not None
        _, status, usage = os.wait4(child.pid, 0)
        errors = child.stderr.read().decode()
        child.stderr.close()
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({child.returncode}): {errors}")
    # Linux reports ru_maxrss in KiB.
    return Run(form, requests, usage.ru_maxrss / 1024, seconds)


def main() -> None:
    """Build the stores, run each form on each, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=30_000, help="open requests (30000)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-pending-") as scratch:
        empty, full = Path(scratch, "empty.db"), Path(scratch, "full.db")
        build_store(empty, 0)
        started = time.perf_counter()
        build_store(full, args.requests)
        built = time.perf_counter() - started
        runs = [
            run_command(store, form, count)
            for form in FORMS
            for store, count in ((empty, 0), (full, args.requests))
        ]
    if args.json:
        for run in runs:
            print(json.dumps(run.__dict__))
        return
    print(f"store with {args.requests:,} open requests written in {built:.1f} s")
    print(f"{'output':<8} {'requests':>9} {'peak RSS (MiB)':>15} {'wall (s)':>9}")
    for run in runs:
        print(f"{run.form:<8} {run.requests:>9,} {run.peak_mib:>15.1f} {run.seconds:>9.2f}")


if __name__ == "__main__":
    main()
