"""Crash safety: ``amzcancel sync`` killed with SIGKILL at random points, then rerun."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
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
    SandboxRequest,
    SandboxResponse,
)
from amzcancel.sync import SqliteStore, default_account

KILLS = 5
SEED = 1234


def sync_command(base_url: str, store: Path, since: str, api: str = "v0") -> list[str]:
    """The CLI, exactly as a user runs it against an SP-API endpoint."""
    return [
        sys.executable, "-m", "amzcancel.cli", "sync", "--api", api, "--json",
        "--store", str(store), "--since", since,
        "--endpoint", base_url, "--lwa-endpoint", f"{base_url}/auth/o2/token",
    ]  # fmt: skip


class KillSwitch:
    """Kills the sync process from inside the marketplace, at its N-th request.

    The kill point is counted in requests the marketplace receives, not in wall-clock time, so
    it lands at the same place on an idle machine and on a loaded one (a poller on the clock
    could miss a fast run entirely while the machine is busy).
    """

    def __init__(self, mp: Marketplace) -> None:
        self._answer = mp.handle
        self._lock = threading.Lock()
        self._seen = 0
        self._pid: int | None = None
        self._at = 0
        self.killed = threading.Event()

    def arm(self, pid: int, after: int) -> None:
        """Kill ``pid`` when ``after`` more requests have arrived."""
        with self._lock:
            self._pid, self._at = pid, self._seen + after
            self.killed.clear()

    def disarm(self) -> None:
        with self._lock:
            self._pid = None

    def __call__(self, request: SandboxRequest) -> SandboxResponse:
        with self._lock:
            self._seen += 1
            if self._pid is not None and self._seen >= self._at:
                os.kill(self._pid, signal.SIGKILL)  # before answering: the answer never arrives
                self._pid = None
                self.killed.set()
        return self._answer(request)


def finish(proc: subprocess.Popen[bytes], timeout: float = 120) -> tuple[bytes, bytes]:
    """Wait for a sync; one that hangs fails the test with what it last printed."""
    try:
        return proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
        pytest.fail(f"the sync did not end in {timeout:.0f} s; its stderr ended:\n{err[-3000:]!r}")


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
    ("api", "orders", "latest_kill"),
    [
        pytest.param("v0", 160, 80, id="v0"),
        # More orders than searchOrders' burst of 20 pages: a run shares the rest among getOrder
        # and getOrderItems (the multi-path backlog) when the search bucket runs dry; on a busy
        # machine the client is slower and searchOrders may keep up alone. Either way a run
        # makes at least 23 requests, so a kill within the first 20 always lands mid-sync.
        pytest.param("auto", 2300, 20, id="multi-path"),
    ],
)
def test_sigkill_at_random_points_then_rerun_ends_with_the_truth(
    tmp_path: Path, api: str, orders: int, latest_kill: int
) -> None:
    """Killed mid-sync again and again, the rerun stores exactly the truth, each event once."""
    rng = random.Random(SEED)
    mp = Marketplace(seed=SEED, orders=orders, speed=300.0)
    store = tmp_path / "amzcancel.db"
    since = (mp.clock.now() - timedelta(days=8)).strftime("%Y-%m-%dT%H:%M:%SZ")
    killed_after: list[int] = []
    switch = KillSwitch(mp)
    mp.handle = switch  # type: ignore[method-assign]
    with mp.serve(port=0) as base_url:
        command, env = sync_command(base_url, store, since, api), sandbox_env()
        for _ in range(KILLS):
            # Killed when the marketplace receives a random number of further requests.
            after = rng.randint(3, latest_kill)
            proc = subprocess.Popen(
                command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
            switch.arm(proc.pid, after)
            finish(proc)
            switch.disarm()
            if switch.killed.is_set():
                assert proc.returncode == -signal.SIGKILL
                killed_after.append(after)
        final = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        truth = mp.truth()
    assert final.returncode == 0, final.stderr
    assert len(killed_after) >= 3  # most runs really were killed mid-sync
    summary = json.loads(final.stdout)
    account = summary["account"]
    assert account == default_account(SANDBOX_LWA_CREDENTIALS)
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
