"""Three worker processes share the sellers of a served fleet while one is SIGKILLed again and
again (and restarted): at the end every seller's store equals its truth, no event is stored
twice, and the fleet never saw two clients calling for one seller at the same moment."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest
from store_helpers import PG_DSN, PG_SKIP

from amzcancel.sandbox import SandboxRequest, SandboxResponse, SellerFleet
from amzcancel.sync import open_store

SELLERS = 6
ORDERS = 40
KILL_AT = (40, 95, 150, 205)  # requests the fleet has received: deterministic on any machine
WORKERS = 3


class Killer:
    """Kills a worker from inside the fleet at its N-th request (before answering it)."""

    def __init__(self, fleet: SellerFleet) -> None:
        self._answer = fleet.handle
        self._lock = threading.Lock()
        self.seen = 0
        self.victims: list[subprocess.Popen[bytes]] = []
        self.kills = 0
        self.killed = threading.Event()

    def __call__(self, request: SandboxRequest) -> SandboxResponse:
        with self._lock:
            self.seen += 1
            if self.kills < len(KILL_AT) and self.seen >= KILL_AT[self.kills]:
                victim = self.victims[self.kills % len(self.victims)]
                if victim.poll() is None:
                    os.kill(victim.pid, signal.SIGKILL)
                self.kills += 1
                self.killed.set()
        return self._answer(request)


def _worker(store: str, name: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-m", "amzcancel.cli", "worker", "--store", store, "--name", name,
        "--lease", "3s", "--renew", "1s", "--concurrency", "2",
    ]  # fmt: skip
    with log.open("ab") as err:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=err)


def _until_serving(procs: list[subprocess.Popen[bytes]], log: Path) -> None:
    """Wait (bounded) until each live worker said it is serving: only then does SIGTERM stop it
    cleanly (before, the interpreter is still starting and the signal kills it outright)."""
    done = threading.Event()
    for _ in range(600):  # at most about a minute of 0.1 s waits
        text = log.read_text(errors="replace")
        if all(proc.poll() is not None or f"(pid {proc.pid})" in text for proc in procs):
            return
        done.wait(0.1)


def _in_step(store_target: str, fleet: SellerFleet) -> bool:
    with open_store(store_target, create=False, read_only=True) as store:
        status = {s.name: s for s in store.account_status()}
        return all(
            name in status and status[name].last_success_at is not None for name in fleet.sellers
        )


@pytest.fixture(params=["sqlite", "postgres"])
def store_target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh store shared by the worker processes."""
    if request.param == "sqlite":
        return str(tmp_path / "shared.db")
    if not PG_DSN:
        pytest.skip(PG_SKIP)
    dsn = request.getfixturevalue("pg_dsn")
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")
    return str(dsn)


@pytest.mark.slow
def test_three_workers_one_killed_again_and_again_end_with_the_truth(
    tmp_path: Path, store_target: str
) -> None:
    """SIGKILLs mid-sync lose nothing, duplicate nothing, and never let two workers call for
    one seller at once."""
    fleet = SellerFleet(SELLERS, seed=321, orders=ORDERS, speed=20.0)
    killer = Killer(fleet)
    fleet.handle = killer  # type: ignore[method-assign]
    log = tmp_path / "workers.log"
    with fleet.serve(port=0) as base_url:
        config = tmp_path / "accounts.toml"
        config.write_text(fleet.accounts_file(base_url, api="v0", interval="1h"))
        env = {**os.environ, **fleet.environment(), "AMZCANCEL_CONFIG": str(config)}
        procs = [_worker(store_target, f"w{i}", env, log) for i in range(WORKERS)]
        killer.victims = procs
        restarts = 0
        try:
            for _attempt in range(1200):  # bounded: about 2 minutes of 0.1 s waits
                for i, proc in enumerate(procs):
                    if proc.poll() == -signal.SIGKILL:
                        procs[i] = _worker(store_target, f"w{i}-{restarts}", env, log)
                        killer.victims[i] = procs[i]
                        restarts += 1
                if killer.kills == len(KILL_AT) and _in_step(store_target, fleet):
                    break
                killer.killed.wait(0.1)
                killer.killed.clear()
            else:
                pytest.fail("the workers did not bring every seller in step:\n"
                            + log.read_text()[-3000:])  # fmt: skip
        finally:
            _until_serving(procs, log)
            for proc in procs:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            codes = [proc.wait(timeout=60) for proc in procs]
    assert killer.kills == len(KILL_AT)
    assert restarts >= len(KILL_AT) - 1
    assert codes == [0] * WORKERS, log.read_text()[-3000:]
    assert fleet.overlaps == []
    with open_store(store_target, create=False, read_only=True) as store:
        for seller in fleet.sellers:
            truth = fleet.truth(seller)
            found = {
                (p.amazon_order_id, p.order_item_id)
                for p in store.pending_requests(account=seller, include_afn=True)
            }
            assert found == set(truth.buyer_cancel_requests), seller
            for order in truth.orders:
                stored = store.get_order(seller, order.amazon_order_id)
                assert stored is not None
                assert stored.status == order.status
            keys = Counter(
                (e.type, e.amazon_order_id, e.order_item_id)
                for e in store.iter_events(account=seller, include_acked=True)
            )
            assert [k for k, n in keys.items() if n > 1] == [], seller
        assert all(s.holder is None for s in store.account_status())
