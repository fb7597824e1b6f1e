"""Benchmark: many sellers kept in step by 1, 2 and 4 worker processes sharing PostgreSQL.

Run with ``python benchmarks/bench_workers.py`` (``--help`` for sizes). A fresh
:class:`~amzcancel.sandbox.SellerFleet` (200 sellers, each with a backlog of 50 changed
orders read through Orders v0: one ``getOrders`` page, then one ``getOrderItems`` call per
order) is served on 127.0.0.1 by a child process for each configuration, and N
``amzcancel worker`` processes share one fresh PostgreSQL database. Reported per configuration:

- seconds until every seller had a successful sync (from the workers' start), next to the
  bucket-math ideal for one seller (the sellers' budgets are independent, so the ideal for 200
  is the same as for one): ``getOrderItems``' burst of 30, then 0.5 calls a second;
- requests and 429s the fleet received;
- CPU seconds of the worker processes (``RUSAGE_CHILDREN``) per 1,000 orders.

A last row runs one seller with one worker on SQLite, as ``amzcancel sync`` users do.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from _served import in_child
from schedule_math import single_path_seconds

from amzcancel.sandbox import SellerFleet
from amzcancel.sync import open_store


def _serve_child(options: dict[str, Any], channel: Connection) -> None:
    fleet = SellerFleet(**options)
    with fleet.serve(port=0) as base_url:
        channel.send((base_url, fleet.accounts_file("{BASE}", api="v0", interval="1h"),
                      fleet.environment()))  # fmt: skip
        with suppress(EOFError):
            channel.recv()


@contextmanager
def served_fleet(**options: Any) -> Iterator[tuple[str, str, dict[str, str], int]]:
    """A fleet served by a child process (its CPU is not the workers'): URL, accounts, env,
    and the child's pid (for its CPU time)."""
    with in_child(_serve_child, options, start_seconds=120) as (first, pid):
        base_url, accounts, env = first
        yield base_url, accounts.replace("{BASE}", base_url), env, pid


def fresh_postgres(dsn: str, name: str = "amzcancel_bench_workers") -> str:
    """An empty database on the server ``dsn`` names; its URL."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return dsn.rsplit("/", 1)[0] + "/" + name


def _report(base_url: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{base_url}/_sandbox/fleet", timeout=120) as answer:
        return dict(json.load(answer))


def _in_step(store_target: str, sellers: int) -> bool:
    with suppress(Exception), open_store(store_target, create=False, read_only=True) as store:
        done = [s for s in store.account_status() if s.last_success_at is not None]
        return len(done) >= sellers
    return False


def run(
    *, workers: int, sellers: int, orders: int, speed: float, store: str, concurrency: int | None
) -> dict[str, Any]:
    """N workers bring a fresh fleet in step; the figures as a dict."""
    extra = ["--concurrency", str(concurrency)] if concurrency else []
    fleet = served_fleet(sellers=sellers, orders=orders, speed=speed, seed=11)
    with fleet as (url, toml, env, server_pid):
        with tempfile.TemporaryDirectory() as tmp:
            config = Path(tmp) / "accounts.toml"
            config.write_text(toml)
            child_env = {**os.environ, **env, "AMZCANCEL_CONFIG": str(config)}
            # The store's schema exists before the clock starts (as in production).
            open_store(store).close()
            cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
            server_before = process_cpu_seconds(server_pid)
            started = time.perf_counter()
            command = [sys.executable, "-m", "amzcancel.cli", "worker", "--store", store, *extra]
            log = (Path(tmp) / "workers.log").open("ab")  # a pipe nobody reads could fill up
            procs = [
                subprocess.Popen(
                    [*command, "--name", f"bench-{i}"],
                    env=child_env,
                    stdout=subprocess.DEVNULL,
                    stderr=log,
                )
                for i in range(workers)
            ]
            log.close()  # each worker keeps its own copy
            try:
                while not _in_step(store, sellers):
                    if any(p.poll() is not None for p in procs):
                        raise RuntimeError("a worker ended early")
                    time.sleep(0.1)
                seconds = time.perf_counter() - started
            finally:
                for proc in procs:
                    proc.send_signal(signal.SIGTERM)
                for proc in procs:
                    proc.communicate(timeout=120)
            cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
            logged = (Path(tmp) / "workers.log").read_text(errors="replace")
            leases_lost = logged.count("lease lost")
            server_cpu = process_cpu_seconds(server_pid) - server_before
        report = _report(url)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    ideal = single_path_seconds(orders, "getOrderItems", speed=speed)
    return {
        "store": "postgresql" if store.startswith("postgres") else "sqlite",
        "workers": workers,
        "sellers": sellers,
        "orders": sellers * orders,
        "seconds": round(seconds, 2),
        "ideal_seconds": round(ideal, 2),
        "ratio": round(seconds / ideal, 3) if ideal else None,
        "requests": sum(report["requests_by_operation"].values()),
        "throttled": report["throttled"],
        "overlaps": len(report["overlaps"]),
        "cpu_seconds": round(cpu, 2),
        "cpu_per_1000_orders": round(cpu / (sellers * orders) * 1000, 3),
        "server_cpu_seconds": round(server_cpu, 2),
        "leases_lost": leases_lost,
        "cpus": os.cpu_count(),
    }


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a running process (Linux /proc; 0.0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main(argv: list[str] | None = None) -> int:
    """Run every configuration and print a table (or JSON lines)."""
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--sellers", type=int, default=200)
    parser.add_argument("--orders", type=int, default=50, help="backlog per seller")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--speed", type=float, default=1.0, help="multiplies every rate")
    parser.add_argument("--concurrency", type=int, help="accounts per worker (default: its own)")
    parser.add_argument("--postgres", default=os.environ.get("AMZCANCEL_TEST_POSTGRES", ""),
                        help="a server DSN allowed to create databases")  # fmt: skip
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    args = parser.parse_args(argv)
    rows = []
    if args.postgres:
        for workers in args.workers:
            store = fresh_postgres(args.postgres)
            row = run(
                workers=workers,
                sellers=args.sellers,
                orders=args.orders,
                speed=args.speed,
                store=store,
                concurrency=args.concurrency,
            )
            rows.append(row)
            _show(rows[-1], args.json)
    else:
        print("no PostgreSQL (--postgres or AMZCANCEL_TEST_POSTGRES): SQLite row only",
              file=sys.stderr)  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        rows.append(run(workers=1, sellers=1, orders=args.orders, speed=args.speed,
                        store=str(Path(tmp) / "one.db"), concurrency=None))  # fmt: skip
        _show(rows[-1], args.json)
    bad = [r for r in rows if r["throttled"] or r["overlaps"]]
    return 1 if bad else 0


def _show(row: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(row), flush=True)
        return
    print(
        f"{row['store']:<10} workers {row['workers']}  sellers {row['sellers']:>4}  "
        f"orders {row['orders']:>6}  {row['seconds']:>7.1f} s (ideal {row['ideal_seconds']:.1f} s, "
        f"x{row['ratio']})  requests {row['requests']:>6}  429s {row['throttled']}  "
        f"overlaps {row['overlaps']}  CPU {row['cpu_seconds']:.1f} s "
        f"({row['cpu_per_1000_orders']:.2f} s per 1,000 orders)  "
        f"sandbox CPU {row['server_cpu_seconds']:.1f} s  leases lost {row['leases_lost']}  "
        f"({row['cpus']} CPUs)",
        flush=True,
    )


if __name__ == "__main__":
    raise SystemExit(main())
