"""Soak: fresh first runs of the default ``amzcancel sync`` against a live served sandbox.

Run with ``python benchmarks/soak_sync.py`` (``--help`` for sizes). It serves
``amzcancel sandbox serve --live --speed 20 --orders 3000 --seed 11`` on 127.0.0.1 (the command
a reliability test once broke 4 runs in 5 with "lastUpdatedBefore must be at least two minutes
before the time of the request"), then, ``--runs`` times, syncs it into a fresh store with the
plain ``amzcancel sync --endpoint ... --lwa-endpoint ... --store ...`` a user would type, while
the marketplace keeps changing. After each run it compares the store with the marketplace's
ground truth (``GET /_sandbox/truth``) for every order whose last change falls in the window the
run committed: same status, and exactly the same open buyer cancel requests.

It prints one line per run (exit status, seconds, requests, orders compared, differences) and
exits 1 when any run failed or differed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Any

from amzcancel.sync import SqliteStore


def serve(port: int, *, orders: int, speed: float, seed: int) -> subprocess.Popen[str]:
    """The served sandbox, as a user starts it."""
    return subprocess.Popen(
        [
            sys.executable, "-m", "amzcancel.cli", "sandbox", "serve", "--port", str(port),
            "--live", "--speed", str(speed), "--orders", str(orders), "--seed", str(seed),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


def credentials(server: subprocess.Popen[str]) -> tuple[str, dict[str, str]]:
    """The base URL and the ``export`` lines the server printed."""
    assert server.stdout is not None
    base_url, env = "", dict(os.environ)
    while True:
        line = server.stdout.readline()
        if not line:
            raise SystemExit("the sandbox did not start")
        if line.startswith("amzcancel sandbox: serving"):
            base_url = line.rsplit(" at ", 1)[1].strip()
        elif line.startswith("export "):
            name, _, value = line[len("export ") :].strip().partition("=")
            env[name] = value.strip("'")
        elif line.startswith("# press Ctrl+C"):
            return base_url, env


def truth(base_url: str) -> dict[str, Any]:
    """The marketplace's ground truth now."""
    with urllib.request.urlopen(f"{base_url}/_sandbox/truth", timeout=60) as answer:
        result: dict[str, Any] = json.load(answer)
        return result


# Orders 2026-01-01 has no InvoiceUnconfirmed (shipped, invoice pending): it reads SHIPPED.
_SAME_STATUS = {"InvoiceUnconfirmed": "Shipped"}


def _status(value: str | None) -> str | None:
    return _SAME_STATUS.get(value, value) if value is not None else None


def compare(
    store_path: Path, summary: dict[str, Any], now: dict[str, Any]
) -> tuple[int, list[str]]:
    """Orders compared and the differences, over the window the run committed."""
    window = summary["window"][0]
    after = datetime.fromisoformat(window["after"])
    cursor = datetime.fromisoformat(window["cursor"])
    settled = {
        o["amazon_order_id"]: o
        for o in now["orders"]
        if after <= datetime.fromisoformat(o["last_update_date"]) <= cursor
    }
    expected = {
        (r["amazon_order_id"], r["order_item_id"], r["reason"])
        for r in now["buyer_cancel_requests"]
        if r["amazon_order_id"] in settled
    }
    differences: list[str] = []
    with SqliteStore(store_path, create=False) as store:
        account = summary["account"]
        found = {
            (p.amazon_order_id, p.order_item_id, p.reason)
            for p in store.pending_requests(account=account)
            if p.amazon_order_id in settled
        }
        for order_id, order in settled.items():
            stored = store.get_order(account, order_id)
            if stored is None:
                differences.append(f"{order_id} missing")
            elif _status(stored.status and stored.status.value) != _status(order["status"]):
                differences.append(f"{order_id} status {stored.status} != {order['status']}")
    differences += [f"request not stored: {r}" for r in sorted(expected - found)]
    differences += [f"false request: {r}" for r in sorted(found - expected)]
    return len(settled), differences


def main(argv: list[str] | None = None) -> int:
    """Serve, run, compare; returns 1 when any run failed or differed."""
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="fresh first runs (default 10)")
    parser.add_argument("--orders", type=int, default=3000)
    parser.add_argument("--speed", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--port", type=int, default=18081)
    args = parser.parse_args(argv)
    server = serve(args.port, orders=args.orders, speed=args.speed, seed=args.seed)
    failures = 0
    try:
        base_url, env = credentials(server)
        print(f"soak: {args.runs} fresh first runs against {base_url} "
              f"(live, {args.orders} orders, speed {args.speed:g}, seed {args.seed})")  # fmt: skip
        print("run  exit  seconds  requests  429s  compared  differences  error")
        for run in range(1, args.runs + 1):
            with tempfile.TemporaryDirectory() as tmp:
                store = Path(tmp) / "soak.db"
                command = [
                    sys.executable, "-m", "amzcancel.cli", "sync", "--json", "--store", str(store),
                    "--endpoint", base_url, "--lwa-endpoint", f"{base_url}/auth/o2/token",
                ]  # fmt: skip
                started = time.monotonic()
                done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
                seconds = time.monotonic() - started
                error = done.stderr.strip().splitlines()[-1] if done.returncode else ""
                compared, differences = 0, []
                summary: dict[str, Any] = {}
                if done.stdout.strip():
                    summary = json.loads(done.stdout.strip().splitlines()[-1])
                if done.returncode == 0:
                    compared, differences = compare(store, summary, truth(base_url))
                if done.returncode or differences:
                    failures += 1
                print(
                    f"{run:>3}  {done.returncode:>4}  {seconds:>7.1f}  "
                    f"{summary.get('requests', 0):>8}  {summary.get('throttled', 0):>4}  "
                    f"{compared:>8}  {len(differences):>11}  {error[:120]}",
                    flush=True,
                )
                for line in differences[:10]:
                    print(f"      {line}")
    finally:
        server.terminate()
        server.communicate(timeout=30)
    print(f"soak: {args.runs - failures} of {args.runs} runs clean")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
