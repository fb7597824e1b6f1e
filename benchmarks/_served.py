"""What the loopback benchmarks share: a fresh sandbox served on 127.0.0.1 and a sync of it.

Imported by the ``bench_*.py`` scripts (run as ``python benchmarks/bench_x.py``, so this folder
is on ``sys.path``).
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import httpx

from amzcancel.sandbox import SANDBOX_LWA_CREDENTIALS, Marketplace
from amzcancel.sync.facade import OrderSync

__all__ = ["served_sync", "warm_up"]


@contextmanager
def served_sync(
    api: str, *, orders: int, speed: float, seed: int
) -> Iterator[tuple[Marketplace, OrderSync]]:
    """A fresh marketplace served on loopback, and an ``OrderSync`` of it through ``api``.

    The sync reads everything (``since`` 8 days back) into a temporary store, over real HTTP.
    """
    mp = Marketplace(seed=seed, orders=orders, speed=speed)
    with tempfile.TemporaryDirectory() as tmp, mp.serve(port=0) as base_url:
        sync = OrderSync(
            store=Path(tmp) / "bench.db",
            credentials=SANDBOX_LWA_CREDENTIALS,
            api=api,  # type: ignore[arg-type]
            account="bench",
            endpoint=base_url,
            lwa_endpoint=f"{base_url}/auth/o2/token",
            since=mp.clock.now() - timedelta(days=8),
        )
        with sync:
            yield mp, sync


def warm_up() -> None:
    """Pay the process's one-time import costs before any run is timed.

    httpx imports its connection pool (httpcore, and trio where it is installed) when the first
    client is built: about 0.3 s that would otherwise fall on whichever run comes first.
    """
    asyncio.run(httpx.AsyncClient().aclose())
