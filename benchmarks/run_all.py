"""Run every benchmark: small sizes for a smoke check, or ``--full`` for the docs' figures.

    python benchmarks/run_all.py            # every benchmark at its smallest, about 15 s
    python benchmarks/run_all.py --full     # the published figures, about 13 minutes
    python benchmarks/run_all.py --only pacing sync

Each benchmark runs in its own process, one after the other (they measure time, so they must not
share the two CPUs). A benchmark whose script is missing is skipped with a note. The exit status
is that of the first benchmark that failed, or 0. See ``benchmarks/README.md`` for what each one
measures and where its figures are published.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Benchmark:
    """One benchmark script and its arguments for a smoke run and for the published figures."""

    name: str
    script: str
    smoke: tuple[str, ...]
    full: tuple[tuple[str, ...], ...]


BENCHMARKS = (
    Benchmark(
        "parse",
        "bench_parse.py",
        smoke=(
            "--json",
            "--rounds",
            "1",
            "--items",
            "200",
            "--rows",
            "2000",
            "--compare-rows",
            "1000",
        ),
        full=((),),
    ),
    Benchmark(
        "pacing",
        "bench_pacing.py",
        smoke=("--calls", "40", "--concurrency", "2"),
        full=((), ("--calls", "1000", "--concurrency", "16")),
    ),
    Benchmark(
        "client",
        "bench_client.py",
        smoke=("--calls", "20", "--rounds", "1", "--orders", "5"),
        full=((),),
    ),
    Benchmark(
        "sync",
        "bench_sync.py",
        smoke=(
            *("--orders-v0", "5", "--orders-2026", "20"),
            *("--speed-v0", "5000", "--speed-2026", "5000"),
        ),
        full=((),),
    ),
    Benchmark(
        "store",
        "bench_store.py",
        smoke=("--orders", "200", "--repeat", "1"),
        full=((),),
    ),
    Benchmark(
        "workers",
        "bench_workers.py",
        smoke=("--sellers", "3", "--orders", "10", "--speed", "20", "--workers", "1", "2"),
        full=((),),
    ),
    Benchmark(
        "multipath",
        "bench_multipath.py",
        smoke=("--orders", "20", "--speed", "5000", "--single", ""),
        full=((),),
    ),
    Benchmark(
        "latency",
        "bench_latency.py",
        smoke=("--requests", "10", "--spread", "30", "--orders", "300", "--json"),
        full=((),),
    ),
    Benchmark(
        "pending",
        "bench_pending.py",
        smoke=("--requests", "300", "--json"),
        full=((),),
    ),
)
"""Every benchmark, in the order they run."""


def commands(bench: Benchmark, *, full: bool) -> list[list[str]]:
    """The command lines that run ``bench`` in the chosen mode."""
    script = str(HERE / bench.script)
    runs = bench.full if full else (bench.smoke,)
    return [[sys.executable, script, *args] for args in runs]


def main(argv: list[str] | None = None) -> int:
    """Run the chosen benchmarks one after the other; returns the first failure's status."""
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--full", action="store_true", help="the sizes the docs' figures use")
    parser.add_argument(
        "--only",
        nargs="+",
        choices=[bench.name for bench in BENCHMARKS],
        metavar="NAME",
        help="run only these (parse, pacing, client, sync, store, workers, multipath, latency, "
        "pending)",
    )
    args = parser.parse_args(argv)
    status = 0
    for bench in BENCHMARKS:
        if args.only and bench.name not in args.only:
            continue
        if not (HERE / bench.script).exists():
            print(f"== {bench.name}: skipped ({bench.script} not found)", flush=True)
            continue
        for command in commands(bench, full=args.full):
            shown = " ".join(repr(a) if a == "" else a for a in command[2:])
            print(f"== {bench.name}: python benchmarks/{bench.script} {shown}", flush=True)
            started = time.perf_counter()
            code = subprocess.call(command)
            took = time.perf_counter() - started
            print(f"== {bench.name}: exit {code} after {took:.1f} s", flush=True)
            status = status or code
    return status


if __name__ == "__main__":
    raise SystemExit(main())
