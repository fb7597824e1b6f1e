"""The Worker against both stores: claims, runs, renewals, lost leases, a clean stop.

Syncs run against an in-process :class:`SellerFleet` on a fake clock; the worker is driven step
by step (register, claim, wait for its runs, renew) so nothing depends on timing.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from amzcancel.clock import FakeClock
from amzcancel.sandbox import SANDBOX_ENDPOINT, SellerFleet
from amzcancel.sync import OrderSync
from amzcancel.sync._sqlstore import SqlStore
from amzcancel.workers import AccountConfig, Worker, load_accounts


def fleet_accounts(
    fleet: SellerFleet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, interval: str = "5m"
) -> tuple[AccountConfig, ...]:
    for name, value in fleet.environment().items():
        monkeypatch.setenv(name, value)
    path = tmp_path / "accounts.toml"
    path.write_text(fleet.accounts_file(SANDBOX_ENDPOINT, api="v0", interval=interval))
    return load_accounts(path).accounts


def make_worker(
    store: SqlStore, accounts: Any, fleet: SellerFleet, clock: FakeClock, **options: Any
) -> Worker:
    options.setdefault("lease_seconds", 3600.0)
    options.setdefault("renew_seconds", 600.0)
    return Worker(
        store,
        accounts,
        clock=clock,
        sync_factory=lambda a: a.order_sync(store, clock=clock, transport=fleet.transport()),
        **options,
    )


class BlockedSync:
    """An OrderSync stand-in whose run waits until told (to hold a lease mid-run)."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.cancelled = False
        self.closed = False

    async def arun_once(self, *, lease: Any = None) -> Any:
        self.started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise

    async def aclose(self) -> None:
        self.closed = True


def test_a_worker_brings_every_seller_in_step(
    store: SqlStore, clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each account is synced once with its own client, recorded, and given back one interval
    later; the store then holds each seller's truth."""
    fleet = SellerFleet(3, orders=25, clock=clock)
    accounts = fleet_accounts(fleet, tmp_path, monkeypatch)
    worker = make_worker(store, accounts, fleet, clock, name="w1")

    async def scenario() -> list[str]:
        await worker.register()
        started = await worker.claim()
        await worker.wait_idle()
        assert await worker.claim() == []  # nothing is due again before its interval
        await worker.shutdown()
        return started

    assert sorted(asyncio.run(scenario())) == fleet.sellers
    assert (worker.runs_ok, worker.runs_failed, worker.leases_lost) == (3, 0, 0)
    for seller in fleet.sellers:
        found = {
            (p.amazon_order_id, p.order_item_id) for p in store.pending_requests(account=seller)
        }
        assert found == set(fleet.truth(seller).buyer_cancel_requests)
        assert fleet.access_tokens_used(seller) == 1
    for status in store.account_status():
        assert status.holder is None
        assert status.last_success_at is not None
        assert status.next_due is not None
        assert status.next_due >= clock.now() + timedelta(seconds=299)
    assert fleet.overlaps == []


def test_a_second_worker_gets_only_what_the_first_does_not_hold(
    make_store: Any, clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two workers (two store connections) never hold one account together."""
    fleet = SellerFleet(4, orders=5, clock=clock)
    accounts = fleet_accounts(fleet, tmp_path, monkeypatch)
    first, second = make_store(), make_store()
    blocked: dict[str, BlockedSync] = {}

    def factory(account: AccountConfig) -> Any:
        return blocked.setdefault(account.name, BlockedSync())

    a = Worker(first, accounts, name="a", clock=clock, max_concurrent=3, sync_factory=factory)
    b = Worker(second, accounts, name="b", clock=clock, max_concurrent=3, sync_factory=factory)

    async def scenario() -> tuple[list[str], list[str]]:
        await a.register()
        got_a = await a.claim()
        got_b = await b.claim()
        assert set(a.held) | set(b.held) == set(fleet.sellers)
        await a.shutdown()
        await b.shutdown()
        return got_a, got_b

    got_a, got_b = asyncio.run(scenario())
    assert len(got_a) == 3
    assert len(got_b) == 1
    assert not set(got_a) & set(got_b)
    assert all(sync.cancelled and sync.closed for sync in blocked.values())
    # Stopped workers gave their accounts back, due at once.
    for status in first.account_status():
        assert status.holder is None
        assert status.next_due is not None
        assert status.next_due <= clock.now()
        assert status.last_run_at is None  # an interrupted run is not a failed one


def test_a_run_is_cancelled_when_its_lease_cannot_be_renewed_in_time(
    store: SqlStore, clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past lease - renew seconds without a renewal, the worker stops calling for the seller."""
    fleet = SellerFleet(1, orders=1, clock=clock)
    accounts = fleet_accounts(fleet, tmp_path, monkeypatch)
    sync = BlockedSync()
    worker = Worker(store, accounts, name="w", clock=clock, lease_seconds=60, renew_seconds=20,
                    sync_factory=lambda _a: sync)  # type: ignore[arg-type,return-value]  # fmt: skip

    async def scenario() -> None:
        await worker.register()
        await worker.claim()
        await sync.started.wait()
        clock.advance(39)
        worker.check_fences()
        assert not sync.cancelled
        clock.advance(1)
        worker.check_fences()
        await worker.wait_idle()
        await worker.shutdown()

    asyncio.run(scenario())
    assert sync.cancelled
    assert worker.leases_lost == 1
    assert worker.runs_failed == 0


def test_renewal_keeps_a_long_run_going(
    store: SqlStore, clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Renewed every renew_seconds, a run outlives its first lease."""
    fleet = SellerFleet(1, orders=1, clock=clock)
    accounts = fleet_accounts(fleet, tmp_path, monkeypatch)
    sync = BlockedSync()
    worker = Worker(store, accounts, name="w", clock=clock, lease_seconds=60, renew_seconds=20,
                    sync_factory=lambda _a: sync)  # type: ignore[arg-type,return-value]  # fmt: skip

    async def scenario() -> None:
        await worker.register()
        (name,) = await worker.claim()
        await sync.started.wait()
        for _ in range(5):
            clock.advance(20)
            await worker.renew()
        assert not sync.cancelled
        assert name in worker.held
        await worker.shutdown()

    asyncio.run(scenario())
    assert worker.leases_lost == 0


def test_an_expired_lease_taken_over_cancels_the_old_run(
    make_store: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backend: str
) -> None:
    """When another worker claimed the expired lease, the old holder's renewal finds out and
    cancels its run at once, and does not give back what it no longer holds (SQLite: leases on
    the store's fake clock)."""
    if backend != "sqlite":
        pytest.skip("PostgreSQL measures leases on the server's clock: see the kill test")
    clock = FakeClock()
    fleet = SellerFleet(1, orders=1, clock=clock)
    accounts = fleet_accounts(fleet, tmp_path, monkeypatch)
    store = make_store(clock=clock)
    old, new = BlockedSync(), BlockedSync()
    a = Worker(store, accounts, name="a", clock=clock, lease_seconds=60, renew_seconds=20,
               sync_factory=lambda _a: old)  # type: ignore[arg-type,return-value]  # fmt: skip
    b = Worker(store, accounts, name="b", clock=FakeClock(), lease_seconds=60, renew_seconds=20,
               sync_factory=lambda _a: new)  # type: ignore[arg-type,return-value]  # fmt: skip

    async def scenario() -> None:
        await a.register()
        await a.claim()
        await old.started.wait()
        clock.advance(61)  # a's machine stalled: its lease ran out in the store
        assert await b.claim() == [fleet.sellers[0]]
        await a.renew(force=True)
        await a.wait_idle()
        await a.shutdown()
        (status,) = store.account_status()
        assert status.holder == "b"  # a did not release b's lease
        await b.shutdown()

    asyncio.run(scenario())
    assert old.cancelled
    assert a.leases_lost == 1
    assert new.cancelled  # by b's own stop, not by a


def test_a_failed_run_is_recorded_and_tried_next_interval(
    store: SqlStore, clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A seller whose token variable is unset gets its error in the status, not the others'."""
    fleet = SellerFleet(2, orders=3, clock=clock)
    accounts = fleet_accounts(fleet, tmp_path, monkeypatch, interval="2m")
    monkeypatch.delenv(SellerFleet.token_variable(fleet.sellers[1]))
    worker = make_worker(store, accounts, fleet, clock)

    async def scenario() -> None:
        await worker.register()
        await worker.claim()
        await worker.wait_idle()
        await worker.shutdown()

    asyncio.run(scenario())
    good, bad = store.account_status()
    assert good.last_error is None
    assert good.last_success_at is not None
    assert bad.last_success_at is None
    assert bad.last_error is not None
    assert "SANDBOX_SELLER_001_REFRESH_TOKEN" in bad.last_error
    assert bad.next_due is not None
    assert bad.next_due >= clock.now() + timedelta(seconds=119)
    assert (worker.runs_ok, worker.runs_failed) == (1, 1)


def test_run_serves_until_stopped_with_extra_tasks(
    store: SqlStore, clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """run() registers, claims and syncs; extra tasks run beside and are cancelled at stop."""
    fleet = SellerFleet(2, orders=5, clock=clock)
    accounts = fleet_accounts(fleet, tmp_path, monkeypatch)
    stop = asyncio.Event()
    seen: list[str] = []

    async def listener(worker: Worker) -> None:
        seen.append(worker.name)
        try:
            while worker.runs_ok < len(fleet.sellers):
                await asyncio.sleep(0.01)
            stop.set()
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise

    worker = make_worker(store, accounts, fleet, clock, name="w", tasks=[listener],
                         poll_seconds=0.05)  # fmt: skip
    asyncio.run(worker.run(stop))
    assert seen == ["w", "cancelled"]
    assert worker.runs_ok == 2
    assert worker.held == {}
    assert worker.sync_of(fleet.sellers[0]) is None  # closed and dropped at stop


def test_a_failing_extra_task_stops_the_worker(
    store: SqlStore, clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An extra task's error ends run() with that error, after a clean stop."""
    fleet = SellerFleet(1, orders=1, clock=clock)
    accounts = fleet_accounts(fleet, tmp_path, monkeypatch)

    async def broken(_worker: Worker) -> None:
        raise RuntimeError("listener broke")

    worker = make_worker(store, accounts, fleet, clock, tasks=[broken], poll_seconds=0.05)
    with pytest.raises(RuntimeError, match="listener broke"):
        asyncio.run(worker.run())
    assert all(s.holder is None for s in store.account_status())


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        ({"lease_seconds": 10, "renew_seconds": 6}, "at most half"),
        ({"lease_seconds": 0}, "more than zero"),
        ({"max_concurrent": 0}, "at least 1"),
    ],
)
def test_bad_worker_settings_are_refused(
    store: SqlStore, options: dict[str, Any], needle: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """Settings that would let a lease lapse mid-run are refused up front."""
    from amzcancel.errors import ConfigError

    fleet = SellerFleet(1, orders=1)
    accounts = fleet_accounts(fleet, tmp_path, monkeypatch)
    with pytest.raises(ConfigError, match=needle):
        Worker(store, accounts, **options)


def test_order_sync_of_an_account_uses_its_settings(
    store: SqlStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """AccountConfig.order_sync stores under the account's name."""
    fleet = SellerFleet(1, orders=1)
    (account,) = fleet_accounts(fleet, tmp_path, monkeypatch)
    sync = account.order_sync(store)
    assert isinstance(sync, OrderSync)
    assert sync.account == account.name
    sync.close()


def test_workers_started_together_share_the_due_accounts(
    store: SqlStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two workers started at once each take a share of 40 due accounts, claimed in batches:
    the first to look no longer takes every account (and leaves the other idle)."""
    clock = FakeClock()
    fleet = SellerFleet(40, orders=1, clock=clock)
    accounts = fleet_accounts(fleet, tmp_path, monkeypatch)

    def blocked(_: AccountConfig) -> Any:
        return BlockedSync()

    workers = [
        Worker(
            store,
            accounts,
            clock=clock,
            sync_factory=blocked,
            name=f"w{i}",
            lease_seconds=3600.0,
            renew_seconds=600.0,
            claim_batch=5,
            claim_pause_seconds=0.05,
        )
        for i in range(2)
    ]

    async def scenario() -> list[int]:
        stop = asyncio.Event()
        await workers[0].register()  # the accounts exist before either looks (as after a deploy)
        runs = [asyncio.create_task(w.run(stop)) for w in workers]
        for _ in range(2000):  # bounded: until every account is held
            if sum(len(w._held) for w in workers) == 40:
                break
            await asyncio.sleep(0.005)
        held = [len(w._held) for w in workers]
        stop.set()
        await asyncio.gather(*runs)
        return held

    held = asyncio.run(scenario())
    assert sum(held) == 40
    assert min(held) >= 10, held
