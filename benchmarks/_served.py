"""What the loopback benchmarks share: a fresh sandbox served on 127.0.0.1 and a sync of it.

Imported by the ``bench_*.py`` scripts (run as ``python benchmarks/bench_x.py``, so this folder
is on ``sys.path``).
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import tempfile
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx

from amzcancel.sandbox import SANDBOX_LWA_CREDENTIALS, Marketplace
from amzcancel.sync.facade import OrderSync

__all__ = ["SINCE", "fetch_truth", "order_sync", "served_elsewhere", "served_sync", "warm_up"]

SINCE = timedelta(days=8)
"""How far back the benchmarks' syncs read (the sandbox's orders span the last 7 days)."""


@contextmanager
def served_sync(
    api: str, *, orders: int, speed: float, seed: int
) -> Iterator[tuple[Marketplace, OrderSync]]:
    """A fresh marketplace served on loopback, and an ``OrderSync`` of it through ``api``.

    The sync reads everything (:func:`order_sync`) into a temporary store, over real HTTP.
    """
    mp = Marketplace(seed=seed, orders=orders, speed=speed)
    with (
        tempfile.TemporaryDirectory() as tmp,
        mp.serve(port=0) as base_url,
        order_sync(api, base_url, now=mp.clock.now(), store=Path(tmp) / "bench.db") as sync,
    ):
        yield mp, sync


def order_sync(api: str, base_url: str, *, now: datetime, store: Path) -> OrderSync:
    """An ``OrderSync`` through ``api`` of the marketplace at ``base_url``, reading everything
    (``since`` 8 days before the marketplace's ``now``) into the SQLite file ``store``."""
    return OrderSync(
        store=store,
        credentials=SANDBOX_LWA_CREDENTIALS,
        api=api,  # type: ignore[arg-type]
        account="bench",
        endpoint=base_url,
        lwa_endpoint=f"{base_url}/auth/o2/token",
        since=now - SINCE,
    )


def _serve_child(options: dict[str, Any], channel: Connection) -> None:
    marketplace = Marketplace(**options)
    with marketplace.serve(port=0) as base_url:
        channel.send((base_url, marketplace.clock.now()))
        with suppress(EOFError):  # the parent's end closing means: stop, too
            channel.recv()


@contextmanager
def in_child(
    target: Callable[[dict[str, Any], Connection], None],
    options: dict[str, Any],
    *,
    start_seconds: float = 60.0,
) -> Iterator[tuple[Any, int]]:
    """Run ``target(options, channel)`` in a spawned process: (its first message, its pid).

    ``target`` sends one message once it serves, then waits on the channel; leaving the block
    sends "stop" (the child ends when its end of the pipe closes too), and a child that does
    not end is terminated.
    """
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    child = context.Process(target=target, args=(options, theirs), daemon=True)
    child.start()
    try:
        if not ours.poll(start_seconds):
            raise RuntimeError(f"the sandbox process did not start within {start_seconds:g} s")
        assert child.pid is not None
        yield ours.recv(), child.pid
    finally:
        ours.send("stop")
        child.join(10)
        if child.is_alive():
            child.terminate()
            child.join(5)


@contextmanager
def served_elsewhere(**options: Any) -> Iterator[tuple[str, Any]]:
    """``Marketplace(**options)`` served on 127.0.0.1 by a child process: (base URL, its now).

    A benchmark that measures CPU with ``time.process_time()`` must not count the server's
    work, so the marketplace runs in a process of its own. Ground truth is at
    ``GET <base URL>/_sandbox/truth`` (:func:`fetch_truth`).
    """
    with in_child(_serve_child, options) as ((base_url, now), _):
        yield base_url, now


def fetch_truth(base_url: str) -> dict[str, Any]:
    """The served marketplace's ground truth (``GET /_sandbox/truth``)."""
    with urllib.request.urlopen(f"{base_url}/_sandbox/truth", timeout=60) as answer:
        return dict(json.load(answer))


def warm_up() -> None:
    """Pay the process's one-time import costs before any run is timed.

    httpx imports its connection pool (httpcore, and trio where it is installed) when the first
    client is built: about 0.3 s that would otherwise fall on whichever run comes first.
    """
    asyncio.run(httpx.AsyncClient().aclose())
