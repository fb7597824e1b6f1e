"""Faults, expiring tokens and orders changing mid-sync: the store still ends right."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from amzcancel.clock import FakeClock
from amzcancel.sandbox import SANDBOX_LWA_CREDENTIALS, Marketplace
from amzcancel.sync import CursorKey
from amzcancel.sync.facade import OrderSync


def pending_map(sync: OrderSync) -> dict[tuple[str, str], str | None]:
    """The store's open requests as ``{(order id, item id): reason}``."""
    return {(p.amazon_order_id, p.order_item_id): p.reason for p in sync.pending()}


@pytest.mark.parametrize("api", ["2026", "v0", "mws"])
def test_ten_percent_faults_and_expiring_tokens_lose_nothing(tmp_path: Path, api: str) -> None:
    """With 10% faults, access tokens and NextTokens expiring mid-sync, every request is found."""
    mp = Marketplace(
        seed=31,
        orders=260,
        clock=FakeClock(),
        faults=0.10,
        token_ttl_seconds=120.0,  # the sync runs for many simulated minutes
        next_token_ttl_seconds=60.0,
        slow_seconds=2.0,
    )
    since = mp.clock.now() - timedelta(days=8)
    with mp.order_sync(store=tmp_path / "s.db", api=api, since=since) as sync:  # type: ignore[arg-type]
        result = sync.run_once()
        truth = mp.truth()
        assert pending_map(sync) == truth.buyer_cancel_requests
    # Faults really happened (2026-01-01 makes only a handful of calls, so fewer of them).
    assert sum(truth.faults.values()) >= (1 if api == "2026" else 10)
    assert result.orders_seen >= 260
    if api != "2026":
        # Item calls took long enough for access tokens to expire and be replaced mid-sync.
        assert truth.tokens_issued >= 2 or api == "mws"
    if api == "v0":
        # 100 item calls between two pages outlast a 60 s NextToken: the window restarted.
        assert result.restarts >= 1


@pytest.mark.slow
def test_faults_over_real_http_with_real_pacing(tmp_path: Path) -> None:
    """On loopback, in real time, 10% faults and a short-lived access token lose nothing."""
    mp = Marketplace(
        seed=32, orders=150, speed=400.0, faults=0.10, token_ttl_seconds=0.3, slow_seconds=0.05
    )
    with mp.serve(port=0) as base_url:
        sync = OrderSync(
            store=tmp_path / "s.db",
            credentials=SANDBOX_LWA_CREDENTIALS,
            api="v0",
            account="t",
            endpoint=base_url,
            lwa_endpoint=f"{base_url}/auth/o2/token",
            since=mp.clock.now() - timedelta(days=8),
        )
        with sync:
            result = sync.run_once()
            truth = mp.truth()
            assert pending_map(sync) == truth.buyer_cancel_requests
    assert truth.tokens_issued >= 2  # the access token expired during the sync
    assert sum(truth.faults.values()) > 5
    assert result.item_fetches == 150


def test_live_changes_during_sync_converge(tmp_path: Path) -> None:
    """Orders changing while the sync reads them end up stored as they are, up to the cursor."""
    mp = Marketplace(
        seed=41, orders=150, speed=2.0, clock=FakeClock(), live=True, live_interval_seconds=4.0
    )
    since = mp.clock.now() - timedelta(days=8)
    with mp.order_sync(store=tmp_path / "s.db", api="v0", since=since) as sync:
        results = []
        for _ in range(4):
            results.append(sync.run_once())
            mp.advance(45)
        cursor = sync.store.get_cursor(CursorKey("sandbox", "spapi-v0", ("ATVPDKIKX0DER",)))
        truth = mp.truth()
        assert cursor is not None
        settled = {
            o.amazon_order_id: o
            for o in truth.orders
            if o.last_update_date is not None and o.last_update_date <= cursor
        }
        # Changes really happened during the syncs: new orders and updated ones.
        assert len(truth.orders) > 150
        assert sum(r.orders_changed for r in results[1:]) > 0
        for order_id, order in settled.items():
            stored = sync.store.get_order("sandbox", order_id)
            assert stored is not None, order_id
            assert stored.status == order.status, order_id
            assert {i.order_item_id: i.buyer_cancel for i in stored.items} == {
                i.order_item_id: i.buyer_cancel for i in order.items
            }, order_id
        expected = {k: v for k, v in truth.buyer_cancel_requests.items() if k[0] in settled}
        got = {k: v for k, v in pending_map(sync).items() if k[0] in settled}
        assert got == expected
        assert expected


def test_live_2026_converges_too(tmp_path: Path) -> None:
    """With items inline, live changes are picked up by the next window as well."""
    mp = Marketplace(
        seed=42, orders=150, speed=5.0, clock=FakeClock(), live=True, live_interval_seconds=4.0
    )
    since = mp.clock.now() - timedelta(days=8)
    with mp.order_sync(store=tmp_path / "s.db", since=since) as sync:
        for _ in range(3):
            sync.run_once()
            mp.advance(400)  # searchOrders refills one call per 36 simulated seconds at speed 5
        cursor = sync.store.get_cursor(CursorKey("sandbox", "spapi-2026", ("ATVPDKIKX0DER",)))
        truth = mp.truth()
        assert cursor is not None
        settled = {
            o.amazon_order_id
            for o in truth.orders
            if o.last_update_date is not None and o.last_update_date <= cursor
        }
        expected = {k: v for k, v in truth.buyer_cancel_requests.items() if k[0] in settled}
        got = {k: v for k, v in pending_map(sync).items() if k[0] in settled}
        assert got == expected
        assert expected
        assert len(truth.orders) > 150
