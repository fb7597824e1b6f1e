"""End to end: OrderSync against the simulated marketplace, in-process and over loopback HTTP."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from amzcancel.clock import FakeClock
from amzcancel.sandbox import SANDBOX_LWA_CREDENTIALS, SANDBOX_MWS_CREDENTIALS, Marketplace
from amzcancel.sync import SqliteStore
from amzcancel.sync._result import SyncResult
from amzcancel.sync.facade import OrderSync

ACCOUNT = "test"


def pending_map(sync: OrderSync) -> dict[tuple[str, str], str | None]:
    """The store's open requests as ``{(order id, item id): reason}``."""
    return {(p.amazon_order_id, p.order_item_id): p.reason for p in sync.pending()}


def http_sync(mp: Marketplace, base_url: str, store: Path, api: str) -> OrderSync:
    """An OrderSync talking real HTTP to a served marketplace, as a seller's ERP would."""
    credentials = SANDBOX_MWS_CREDENTIALS if api == "mws" else SANDBOX_LWA_CREDENTIALS
    return OrderSync(
        store=store,
        credentials=credentials,
        api=api,  # type: ignore[arg-type]
        account=ACCOUNT,
        endpoint=base_url,
        lwa_endpoint=f"{base_url}/auth/o2/token",
        since=mp.clock.now() - timedelta(days=8),
        clock=mp.clock,
    )


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Marketplace, str]]:
    """One marketplace on 127.0.0.1 for the HTTP tests of this module.

    Server and client share a FakeClock, so MWS's slow documented rates (which no response
    header corrects) cost simulated time, not test time.
    """
    mp = Marketplace(seed=21, orders=160, clock=FakeClock())
    with mp.serve(port=0) as base_url:
        assert base_url.startswith("http://127.0.0.1:")
        yield mp, base_url


@pytest.mark.parametrize("api", ["2026", "v0", "mws"])
def test_every_request_is_found_over_http_and_no_false_one(
    served: tuple[Marketplace, str], tmp_path: Path, api: str
) -> None:
    """Over loopback HTTP each API finds exactly the marketplace's open buyer requests."""
    mp, base_url = served
    with http_sync(mp, base_url, tmp_path / "s.db", api) as sync:
        result = sync.run_once()
        truth = mp.truth()
        assert pending_map(sync) == truth.buyer_cancel_requests
    assert truth.buyer_cancel_requests  # the scenario has requests to find
    assert result.orders_seen == len(truth.orders)
    assert result.buyer_cancel_requests == len(truth.buyer_cancel_requests)


def test_2026_reads_a_hundred_orders_per_call_with_items_inline(tmp_path: Path) -> None:
    """Orders 2026-01-01 needs one searchOrders call per 100 orders and no item calls."""
    mp = Marketplace(seed=4, orders=250, speed=100.0, clock=FakeClock())
    with mp.order_sync(store=tmp_path / "s.db", since=_since(mp)) as sync:
        result = sync.run_once()
        assert pending_map(sync) == mp.truth().buyer_cancel_requests
    assert result.api == "spapi-2026"
    assert result.requests_by_operation == {"searchOrders": math.ceil(250 / 100)}
    assert result.item_fetches == 0
    assert result.items_seen > 250


def test_second_sync_makes_no_item_calls_for_unchanged_orders(tmp_path: Path) -> None:
    """A rerun with nothing changed lists again but sends no getOrderItems at all."""
    mp = Marketplace(seed=8, orders=120, speed=50.0, clock=FakeClock())
    with mp.order_sync(store=tmp_path / "s.db", api="v0", since=_since(mp)) as sync:
        first = sync.run_once()
        calls_after_first = mp.truth().requests_by_operation["getOrderItems"]
        mp.advance(600)
        second = sync.run_once()
        assert mp.truth().requests_by_operation["getOrderItems"] == calls_after_first
    assert first.item_fetches == 120
    assert second.item_fetches == 0
    assert second.events == 0
    assert "getOrderItems" not in second.requests_by_operation


def test_a_changed_order_is_fetched_again_and_its_request_recorded(tmp_path: Path) -> None:
    """A buyer request made between syncs reaches the store and the outbox, alone."""
    mp = Marketplace(seed=8, orders=60, speed=50.0, clock=FakeClock())
    with mp.order_sync(store=tmp_path / "s.db", api="v0", since=_since(mp)) as sync:
        sync.run_once()
        target = next(
            (o, i)
            for o in mp.orders()
            if o.is_open and o.channel.value == "MFN"
            for i in o.items
            if i.quantity_unshipped and not i.buyer_requested
        )
        mp.request_cancel(target[0].amazon_order_id, target[1].order_item_id, "Changed mind")
        mp.advance(600)
        result = sync.run_once()
        events = sync.events()
    assert result.item_fetches == 1
    assert events[-1].type == "buyer_cancel_requested"
    assert (events[-1].amazon_order_id, events[-1].order_item_id) == (
        target[0].amazon_order_id,
        target[1].order_item_id,
    )
    assert events[-1].reason == "Changed mind"


def test_several_marketplaces_in_one_run(tmp_path: Path) -> None:
    """Orders spread over two marketplaces are all read with one listing per page."""
    mids = ("ATVPDKIKX0DER", "A2EUQ1WTGCTBG2")
    mp = Marketplace(seed=12, orders=90, speed=50.0, clock=FakeClock(), marketplace_ids=mids)
    with mp.order_sync(
        store=tmp_path / "s.db", marketplaces=mids, api="v0", since=_since(mp)
    ) as sync:
        result = sync.run_once()
        assert pending_map(sync) == mp.truth().buyer_cancel_requests
    assert {o.marketplace_id for o in mp.truth().orders} == set(mids)
    assert result.marketplace_ids == mids
    assert result.orders_seen == 90


def test_auto_falls_back_to_v0_and_remembers(tmp_path: Path) -> None:
    """When 2026-01-01 answers 403 for the role, auto reads v0 and does not ask 2026 again."""
    mp = Marketplace(seed=3, orders=40, speed=50.0, clock=FakeClock())
    inner = mp.transport()
    refused: list[str] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/orders/2026-01-01"):
            refused.append(request.url.path)
            body = {
                "errors": [
                    {"code": "Unauthorized", "message": "Access to requested resource is denied."}
                ]
            }
            return httpx.Response(403, json=body)
        return await inner.handle_async_request(request)

    sync = OrderSync(
        store=tmp_path / "s.db",
        credentials=SANDBOX_LWA_CREDENTIALS,
        account=ACCOUNT,
        endpoint="https://sandbox.invalid",
        lwa_endpoint="https://sandbox.invalid/auth/o2/token",
        clock=mp.clock,
        transport=httpx.MockTransport(handler),
        since=_since(mp),
    )
    with sync:
        first = sync.run_once()
        assert pending_map(sync) == mp.truth().buyer_cancel_requests
        mp.advance(600)
        second = sync.run_once()
    assert first.api == second.api == "spapi-v0"
    assert len(refused) == 1


def test_run_forever_runs_on_the_interval(tmp_path: Path) -> None:
    """run_forever repeats on the sync's clock and hands each summary over."""
    mp = Marketplace(seed=3, orders=30, speed=50.0, clock=FakeClock())
    results: list[SyncResult] = []
    with mp.order_sync(store=tmp_path / "s.db", since=_since(mp)) as sync:
        start = mp.clock.monotonic()
        runs = sync.run_forever(interval=timedelta(minutes=3), max_runs=3, on_result=results.append)
    assert runs == 3
    assert len(results) == 3
    assert mp.clock.monotonic() - start >= 2 * 180
    assert results[0].events > 0
    assert results[2].events == 0


def test_events_are_acknowledged_once(tmp_path: Path) -> None:
    """Acknowledged events leave the unacknowledged list; the requests stay pending."""
    mp = Marketplace(seed=3, orders=50, speed=50.0, clock=FakeClock())
    with mp.order_sync(store=tmp_path / "s.db", since=_since(mp)) as sync:
        sync.run_once()
        events = sync.events()
        assert events
        assert sync.ack(events[:3]) == 3
        assert sync.ack([e.id for e in events[:3]]) == 0
        assert [e.id for e in sync.events()] == [e.id for e in events[3:]]
        assert len(sync.pending()) == len(mp.truth().buyer_cancel_requests)


def test_store_can_be_passed_in(tmp_path: Path) -> None:
    """An OrderSync given a store object writes there and leaves it open."""
    mp = Marketplace(seed=3, orders=20, speed=50.0, clock=FakeClock())
    store = SqliteStore(tmp_path / "s.db")
    with mp.order_sync(store=store, since=_since(mp)) as sync:
        sync.run_once()
    assert store.get_cursor is not None
    assert store.events(include_acked=True)
    store.close()


def _since(mp: Marketplace) -> datetime:
    """A first-run start before every generated order."""
    return mp.clock.now() - timedelta(days=8)


def test_cli_over_http_keeps_secrets_out_of_output(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """`amzcancel -vv sync` with real-style credentials never prints or logs a secret."""
    from amzcancel.cli import main
    from amzcancel.sandbox import (
        SANDBOX_LWA_CLIENT_ID,
        SANDBOX_LWA_CLIENT_SECRET,
        SANDBOX_LWA_REFRESH_TOKEN,
    )

    monkeypatch.setenv("LWA_APP_ID", SANDBOX_LWA_CLIENT_ID)
    monkeypatch.setenv("LWA_CLIENT_SECRET", SANDBOX_LWA_CLIENT_SECRET)
    monkeypatch.setenv("SP_API_REFRESH_TOKEN", SANDBOX_LWA_REFRESH_TOKEN)
    mp = Marketplace(seed=5, orders=40, speed=1000.0)
    caplog.set_level("DEBUG")
    with mp.serve(port=0) as base_url:
        status = main(
            ["-vvv", "sync", "--api", "2026", "--json", "--store", str(tmp_path / "s.db"),
             "--since", (mp.clock.now() - timedelta(days=8)).isoformat(),
             "--endpoint", base_url, "--lwa-endpoint", f"{base_url}/auth/o2/token"]
        )  # fmt: skip
    captured = capsys.readouterr()
    text = captured.out + captured.err + caplog.text
    assert status == 0
    assert mp.truth().tokens_issued == 1  # an access token really was fetched and used
    for secret in (SANDBOX_LWA_CLIENT_SECRET, SANDBOX_LWA_REFRESH_TOKEN):
        assert secret not in text
    assert "Atza|" not in text  # no access token either


@pytest.mark.parametrize("api", ["auto", "v0"])
def test_one_order_sync_fetches_its_token_once_over_many_runs(tmp_path: Path, api: str) -> None:
    """Five ``run_once()`` calls of one OrderSync over HTTP ask LWA for one access token.

    The sync keeps its client (token, connection pool, buckets) for its life; each run used to
    build and close its own, fetching a token per run (about 20 an hour in ``run_forever``).
    """
    mp = Marketplace(seed=5, orders=40, clock=FakeClock())
    with mp.serve(port=0) as base_url, http_sync(mp, base_url, tmp_path / "s.db", api) as sync:
        for _ in range(5):
            sync.run_once()
            mp.advance(timedelta(minutes=3))
        assert pending_map(sync) == mp.truth().buyer_cancel_requests
    assert mp.truth().tokens_issued == 1


def test_a_closed_order_sync_refuses_to_run(tmp_path: Path) -> None:
    """After close() a run is a ConfigError, not a half-built client."""
    from amzcancel.errors import ConfigError

    sync = Marketplace(seed=5, orders=5, clock=FakeClock()).order_sync(store=tmp_path / "s.db")
    sync.run_once()
    sync.close()
    sync.close()  # twice is fine
    with pytest.raises(ConfigError, match="closed"):
        sync.run_once()


def test_arun_once_in_one_event_loop_keeps_one_client(tmp_path: Path) -> None:
    """From asyncio, runs in one loop share one client; ``async with`` closes it."""
    import asyncio

    mp = Marketplace(seed=5, orders=20, clock=FakeClock())
    sync = mp.order_sync(store=tmp_path / "s.db")

    async def main() -> None:
        async with sync:
            for _ in range(3):
                await sync.arun_once()
                mp.advance(timedelta(minutes=3))

    asyncio.run(main())
    assert mp.truth().tokens_issued == 1
