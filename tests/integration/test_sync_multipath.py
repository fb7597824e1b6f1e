"""Multi-path sync against the in-process sandbox on a simulated clock.

A backlog is shared among searchOrders pages, getOrder and v0 getOrderItems. Each test checks
what a seller relies on: every buyer request found, each order fetched and stored once, and the
same guarantees as the single-path sync under faults, 429s, token expiry and a crash.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from schedule_math import simulate_multipath, single_path_seconds

from amzcancel.cli import main
from amzcancel.clock import FakeClock
from amzcancel.sandbox import SANDBOX_ENDPOINT, SANDBOX_LWA_CREDENTIALS, Marketplace
from amzcancel.sync import OrderSync, SqliteStore, Store
from amzcancel.sync._paths import ALL_PATHS, PATH_ORDER_ITEMS, PATH_SEARCH
from amzcancel.sync._result import SyncResult

ACCOUNT = "t"


def pending_map(sync: OrderSync) -> dict[tuple[str, str], str | None]:
    """The store's open requests as ``{(order id, item id): reason}``."""
    return {(p.amazon_order_id, p.order_item_id): p.reason for p in sync.pending()}


def make_sync(
    mp: Marketplace,
    store: Path | Store,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    **options: Any,
) -> OrderSync:
    """An OrderSync on the marketplace's clock, through ``transport`` (default: in-process)."""
    return OrderSync(
        store=store,
        credentials=SANDBOX_LWA_CREDENTIALS,
        account=ACCOUNT,
        endpoint=SANDBOX_ENDPOINT,
        lwa_endpoint=SANDBOX_ENDPOINT + "/auth/o2/token",
        transport=transport or mp.transport(),
        clock=mp.clock,
        since=mp.clock.now() - timedelta(days=8),
        **options,
    )


def spend_search_budget(sync: OrderSync) -> None:
    """Empty the client's searchOrders bucket, as an earlier sync the same hour would have.

    A window then outgrows searchOrders' burst at a few hundred orders instead of 2,000, which
    keeps these tests fast; the sandbox's own bucket stays full (the client is cautious).
    """
    limiter = sync._limiter
    bucket = limiter.bucket(SANDBOX_LWA_CREDENTIALS.partner_key, PATH_SEARCH)
    assert bucket is not None
    while bucket.try_take(limiter.clock.monotonic()):
        pass


def assert_each_order_once(sync: OrderSync, mp: Marketplace) -> None:
    """Every order came back from Amazon exactly once, and every buyer request is stored."""
    coverer = sync.multipath
    assert coverer is not None
    assert set(coverer.deliveries.values()) == {1}
    assert set(coverer.deliveries) == {o.amazon_order_id for o in mp.truth().orders}
    assert pending_map(sync) == mp.truth().buyer_cancel_requests


class Refusing(httpx.AsyncBaseTransport):
    """Answers 403 for one API (the app's role lacks it); passes the rest to the sandbox."""

    def __init__(self, inner: httpx.AsyncBaseTransport, prefix: str) -> None:
        self.inner = inner
        self.prefix = prefix

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith(self.prefix):
            body = {"errors": [{"code": "Unauthorized", "message": "Access is denied."}]}
            return httpx.Response(403, json=body, headers={"x-amzn-RequestId": "refused"})
        return await self.inner.handle_async_request(request)


@pytest.fixture(scope="module")
def backlog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Marketplace, OrderSync]]:
    """A 2,500-order first sync at speed 10 (the benchmark's size), run once for the module."""
    mp = Marketplace(seed=11, orders=2500, speed=10.0, clock=FakeClock())
    with make_sync(mp, tmp_path_factory.mktemp("mp") / "s.db") as sync:
        started = mp.clock.monotonic()
        result = sync.run_once()
        sync.elapsed = mp.clock.monotonic() - started  # type: ignore[attr-defined]
        sync.result = result  # type: ignore[attr-defined]
        yield mp, sync


def test_a_backlog_is_shared_by_every_path_and_each_order_fetched_once(
    backlog: tuple[Marketplace, OrderSync],
) -> None:
    """All three paths carry orders; every order is fetched once and every request found."""
    mp, sync = backlog
    result: SyncResult = sync.result  # type: ignore[attr-defined]
    assert_each_order_once(sync, mp)
    assert result.paths == ALL_PATHS
    assert set(result.orders_by_path) == set(ALL_PATHS)
    assert sum(result.orders_by_path.values()) == result.orders_changed == 2500
    assert {"getOrders", "searchOrders", "getOrder", "getOrderItems"} <= set(
        result.requests_by_operation
    )
    assert result.throttled == 0
    assert result.to_json()["orders_by_path"] == dict(result.orders_by_path)


def test_a_backlog_finishes_near_the_bucket_math_limit(
    backlog: tuple[Marketplace, OrderSync],
) -> None:
    """On simulated time the sync ends within 15% of the schedule's limit, 2.5x the best path."""
    _, sync = backlog
    elapsed: float = sync.elapsed  # type: ignore[attr-defined]
    limit = simulate_multipath(2500, speed=10.0).seconds
    best_single = single_path_seconds(2500, PATH_SEARCH, speed=10.0)
    assert elapsed <= 1.15 * limit
    assert best_single / elapsed >= 2.5


def test_orders_too_big_for_one_items_page_go_to_get_order(
    backlog: tuple[Marketplace, OrderSync],
) -> None:
    """Once a getOrderItems page size is seen, getOrderItems takes orders that fit one page."""
    _, sync = backlog
    result: SyncResult = sync.result  # type: ignore[attr-defined]
    coverer = sync.multipath
    assert coverer is not None
    assert coverer.v0.items_page_size == 10  # the sandbox's page
    extra_pages = (
        result.requests_by_operation["getOrderItems"] - result.orders_by_path[PATH_ORDER_ITEMS]
    )
    assert 0 <= extra_pages <= 3  # only orders fetched before a second page was first seen


def test_a_rerun_after_a_backlog_fetches_nothing_again(
    backlog: tuple[Marketplace, OrderSync],
) -> None:
    """The next run reads only the overlap and stores nothing (nothing changed)."""
    mp, sync = backlog
    assert isinstance(mp.clock, FakeClock)
    mp.clock.advance(60)
    result = sync.run_once()
    assert result.orders_changed == 0
    assert result.requests_by_operation == {"searchOrders": 1}


def test_a_window_within_the_burst_is_read_by_search_alone(tmp_path: Path) -> None:
    """A few hundred orders take a few searchOrders pages and nothing else."""
    mp = Marketplace(seed=12, orders=300, speed=10.0, clock=FakeClock())
    shown: list[tuple[int, int]] = []
    on_progress = lambda p: shown.append((p.orders_changed, p.items_seen))  # noqa: E731
    with make_sync(mp, tmp_path / "s.db", on_progress=on_progress) as sync:
        result = sync.run_once()
        assert pending_map(sync) == mp.truth().buyer_cancel_requests
    assert result.requests_by_operation == {"searchOrders": 3}
    assert result.orders_by_path == {"searchOrders": 300}
    # The progress line ends where the summary does (the stored pages are counted on it too).
    assert shown[-1] == (result.orders_changed, result.items_seen)


def test_a_spent_search_budget_hands_the_window_to_the_per_id_paths(tmp_path: Path) -> None:
    """With searchOrders' bucket empty, getOrder and getOrderItems take over from page 2."""
    mp = Marketplace(seed=13, orders=400, clock=FakeClock())
    with make_sync(mp, tmp_path / "s.db") as sync:
        spend_search_budget(sync)
        result = sync.run_once()
        assert_each_order_once(sync, mp)
    assert set(result.orders_by_path) == set(ALL_PATHS)
    assert result.requests_by_operation["getOrders"] <= 4  # only the rest of the window


def test_faults_429s_and_expiring_tokens_lose_nothing(tmp_path: Path) -> None:
    """With 10% faults and access tokens expiring mid-sync, every request is found once."""
    mp = Marketplace(
        seed=14,
        orders=400,
        clock=FakeClock(),
        faults=0.10,
        token_ttl_seconds=60.0,
        next_token_ttl_seconds=30.0,
    )
    with make_sync(mp, tmp_path / "s.db") as sync:
        spend_search_budget(sync)
        result = sync.run_once()
        truth = mp.truth()
        assert pending_map(sync) == truth.buyer_cancel_requests
        events = Counter(
            (e.amazon_order_id, e.order_item_id, e.type) for e in sync.events(include_acked=True)
        )
    assert sum(truth.faults.values()) >= 10
    assert truth.tokens_issued >= 2
    assert set(events.values()) == {1}
    assert result.orders_changed == 400


class CrashingStore:
    """A store whose process dies (an exception) at the ``crash_at``-th write."""

    def __init__(self, inner: SqliteStore, crash_at: int) -> None:
        self._inner = inner
        self._left = crash_at

    def apply(self, *args: Any, **kwargs: Any) -> Any:
        self._left -= 1
        if self._left == 0:
            raise KeyboardInterrupt("killed")
        return self._inner.apply(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@pytest.mark.parametrize("crash_at", [1, 3, 6])
def test_a_crash_mid_backlog_then_a_rerun_loses_and_duplicates_nothing(
    tmp_path: Path, crash_at: int
) -> None:
    """Killed at a write, the rerun stores exactly the truth and each event once."""
    mp = Marketplace(seed=15, orders=400, clock=FakeClock())
    inner = SqliteStore(tmp_path / "s.db")
    with make_sync(mp, CrashingStore(inner, crash_at)) as crashing:
        spend_search_budget(crashing)
        with pytest.raises(KeyboardInterrupt):
            crashing.run_once()
    with make_sync(mp, inner) as rerun:
        rerun.run_once()
        assert pending_map(rerun) == mp.truth().buyer_cancel_requests
        events = Counter(
            (e.amazon_order_id, e.order_item_id, e.type) for e in rerun.events(include_acked=True)
        )
    assert set(events.values()) == {1}
    inner.close()


def test_without_v0_the_window_is_read_by_search_alone(tmp_path: Path) -> None:
    """When v0 is refused (retired, or no role), searchOrders reads the rest on its own."""
    mp = Marketplace(seed=16, orders=400, speed=10.0, clock=FakeClock())
    refusing = Refusing(mp.transport(), "/orders/v0/")
    with make_sync(mp, tmp_path / "s.db", transport=refusing) as sync:
        spend_search_budget(sync)
        result = sync.run_once()
        assert pending_map(sync) == mp.truth().buyer_cancel_requests
        assert sync.multipath is not None
        assert set(sync.multipath.deliveries.values()) == {1}
    assert result.orders_by_path == {"searchOrders": 400}
    assert result.requests_by_operation["searchOrders"] == 4


def test_without_orders_2026_the_sync_falls_back_to_v0(tmp_path: Path) -> None:
    """When Orders 2026-01-01 is refused, the run reads v0 alone, as --api auto always did."""
    mp = Marketplace(seed=17, orders=200, speed=10.0, clock=FakeClock())
    refusing = Refusing(mp.transport(), "/orders/2026-01-01/")
    with make_sync(mp, tmp_path / "s.db", transport=refusing) as sync:
        result = sync.run_once()
        assert pending_map(sync) == mp.truth().buyer_cancel_requests
    assert result.api == "spapi-v0"
    assert result.item_fetches == 200


def test_pinned_paths_are_the_only_ones_used(tmp_path: Path) -> None:
    """paths= limits the sync to the named paths (here: no 2026 getOrder)."""
    mp = Marketplace(seed=18, orders=300, clock=FakeClock())
    with make_sync(mp, tmp_path / "s.db", paths="searchOrders,getOrderItems") as sync:
        spend_search_budget(sync)
        result = sync.run_once()
        assert_each_order_once(sync, mp)
    assert "getOrder" not in result.requests_by_operation
    assert set(result.orders_by_path) == {PATH_SEARCH, PATH_ORDER_ITEMS}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(["--paths", "bogus"], "unknown path 'bogus'", id="unknown"),
        pytest.param(["--api", "v0", "--paths", "getOrder"], "api 'auto'", id="pinned-api"),
    ],
)
def test_cli_bad_paths_are_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    """A bad --paths exits 2 with one line on stderr and leaves no store behind."""
    store = tmp_path / "s.db"
    status = main(["sync", "--sandbox", "--store", str(store), *argv])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2
    assert len(err) == 1
    assert message in err[0]
    assert not store.exists()


def test_cli_json_summary_names_the_paths(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--json reports the paths used, orders per path and requests per operation."""
    status = main(["sync", "--sandbox", "--store", str(tmp_path / "s.db"), "--json"])
    summary = json.loads(capsys.readouterr().out)
    assert status == 0
    assert summary["paths"] == list(ALL_PATHS)
    assert sum(summary["orders_by_path"].values()) == summary["orders_changed"]
    assert summary["requests_by_operation"]["searchOrders"] >= 1


def test_no_claim_asks_past_the_window_for_orders_shown_newer_than_listed(
    tmp_path: Path,
) -> None:
    """Orders listed in the window but shown with a newer time never stretch a claim.

    Listings return orders whose document is newer than the bound asked for (on Amazon the index
    and the document are not read at the same moment). The backlog splitter took a sub-window's
    end from the newest listed order, so searchOrders was asked past the window, and past
    Amazon's two-minute line: "400 lastUpdatedBefore must be at least two minutes before the
    time of the request", blamed on Amazon, ended 4 of 5 live backlog syncs.
    """
    mp = Marketplace(seed=9, orders=600, speed=10.0, clock=FakeClock())
    newest = sorted(mp.orders(), key=lambda o: o.last_update_date)[-40:]
    for order in newest:
        mp.misdate(order.amazon_order_id, mp.clock.now() + timedelta(minutes=1))
    asked: list[str] = []

    class Watch(httpx.AsyncBaseTransport):
        def __init__(self) -> None:
            self.inner = mp.transport()

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if request.url.path.endswith("/2026-01-01/orders"):
                asked.append(request.url.params.get("lastUpdatedBefore", ""))
            return await self.inner.handle_async_request(request)

    with make_sync(mp, tmp_path / "s.db", transport=Watch()) as sync:
        spend_search_budget(sync)
        result = sync.run_once()
        window_end = result.windows[-1].before
        assert result.orders_by_path.get(PATH_SEARCH, 0) > 100  # claims did happen
        assert pending_map(sync) == mp.truth().buyer_cancel_requests
    assert len(set(asked)) > 1
    assert max(asked) <= window_end.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_orders_shown_newer_on_the_first_pages_do_not_cut_the_rest_of_the_window(
    tmp_path: Path,
) -> None:
    """After phase 1, the rest of the window starts at the last order *listed in* it.

    An order on a searchOrders page shown with a time past the window (changed since it was
    listed) says nothing of where the listing stands; taking it as the last order seen would
    start the rest at the window's end and skip every order between.
    """
    mp = Marketplace(seed=9, orders=600, speed=10.0, clock=FakeClock())
    # The last order of the first searchOrders page (a spent budget reads one page first).
    last_of_page = sorted(mp.orders(), key=lambda o: (o.last_update_date, o.amazon_order_id))[99]
    mp.misdate(last_of_page.amazon_order_id, mp.clock.now() + timedelta(minutes=1))
    with make_sync(mp, tmp_path / "s.db") as sync:
        spend_search_budget(sync)
        sync.run_once()
        stored = {
            o.amazon_order_id
            for o in mp.truth().orders
            if sync.store.get_order(ACCOUNT, o.amazon_order_id) is not None
        }
        assert stored == {o.amazon_order_id for o in mp.truth().orders}
        assert pending_map(sync) == mp.truth().buyer_cancel_requests
