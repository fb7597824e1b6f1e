"""Crash safety: ``amzcancel sync`` killed with SIGKILL at random points, then rerun."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from amzcancel.sandbox import (
    SANDBOX_LWA_CLIENT_ID,
    SANDBOX_LWA_CLIENT_SECRET,
    SANDBOX_LWA_CREDENTIALS,
    SANDBOX_LWA_REFRESH_TOKEN,
    Marketplace,
)
from amzcancel.sync import SqliteStore
from amzcancel.sync.facade import _default_account

KILLS = 5
SEED = 1234


def sync_command(base_url: str, store: Path, since: str, api: str = "v0") -> list[str]:
    """The CLI, exactly as a user runs it against an SP-API endpoint."""
    return [
        sys.executable, "-m", "amzcancel.cli", "sync", "--api", api, "--json",
        "--store", str(store), "--since", since,
        "--endpoint", base_url, "--lwa-endpoint", f"{base_url}/auth/o2/token",
    ]  # fmt: skip


def sandbox_env() -> dict[str, str]:
    """The environment with the sandbox's LWA credentials, as a user would export them."""
    env = dict(os.environ)
    env.update(
        LWA_APP_ID=SANDBOX_LWA_CLIENT_ID,
        LWA_CLIENT_SECRET=SANDBOX_LWA_CLIENT_SECRET,
        SP_API_REFRESH_TOKEN=SANDBOX_LWA_REFRESH_TOKEN,
    )
    return env


@pytest.mark.slow
@pytest.mark.parametrize(
    ("api", "orders"),
    [
        pytest.param("v0", 160, id="v0"),
        # More orders than searchOrders' burst of 20 pages: each run shares the rest among
        # getOrder and getOrderItems (the multi-path backlog), and is killed anywhere in it.
        pytest.param("auto", 2300, id="multi-path"),
    ],
)
def test_sigkill_at_random_points_then_rerun_ends_with_the_truth(
    tmp_path: Path, api: str, orders: int
) -> None:
    """Killed mid-sync again and again, the rerun stores exactly the truth, each event once."""
    rng = random.Random(SEED)
    mp = Marketplace(seed=SEED, orders=orders, speed=300.0)
    store = tmp_path / "amzcancel.db"
    since = (mp.clock.now() - timedelta(days=8)).strftime("%Y-%m-%dT%H:%M:%SZ")
    killed_after: list[int] = []
    with mp.serve(port=0) as base_url:
        command, env = sync_command(base_url, store, since, api), sandbox_env()
        for _ in range(KILLS):
            # Kill once the marketplace has answered a random number of further requests.
            start = mp.requests_served
            target = start + rng.randint(3, 80)
            proc = subprocess.Popen(
                command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
            deadline = time.monotonic() + 60
            while proc.poll() is None and mp.requests_served < target:
                assert time.monotonic() < deadline, "the sync made no progress"
                time.sleep(0.002)  # polling a real subprocess; no simulated time here
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                killed_after.append(mp.requests_served - start)
            proc.communicate(timeout=30)
        final = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        truth = mp.truth()
    assert final.returncode == 0, final.stderr
    assert len(killed_after) >= 3  # most runs really were killed mid-sync
    summary = json.loads(final.stdout)
    account = summary["account"]
    assert account == _default_account(SANDBOX_LWA_CREDENTIALS)
    with SqliteStore(store) as db:
        pending = {
            (p.amazon_order_id, p.order_item_id): p.reason
            for p in db.pending_requests(account=account)
        }
        events = db.events(include_acked=True)
        stored = [db.get_order(account, o.amazon_order_id) for o in truth.orders]
    assert pending == truth.buyer_cancel_requests
    assert all(order is not None for order in stored)
    # Exactly-once: no change was recorded twice, whatever the kills interrupted.
    counts = Counter((e.type, e.amazon_order_id, e.order_item_id) for e in events)
    assert [key for key, n in counts.items() if n > 1] == []
    requested = {
        (e.amazon_order_id, e.order_item_id) for e in events if e.type == "buyer_cancel_requested"
    }
    assert set(truth.buyer_cancel_requests) <= requested
    assert [e.id for e in events] == sorted(e.id for e in events)
    if api == "auto":  # the runs really did share the backlog among the paths
        assert {"getOrder", "getOrderItems"} <= set(truth.requests_by_operation)
