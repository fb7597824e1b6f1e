"""OrderSync: configuration errors, the run loop, and a store failing mid-run."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from amzcancel.clock import FakeClock
from amzcancel.errors import ConfigError, ServerError, StoreError
from amzcancel.models import Order
from amzcancel.sandbox import SANDBOX_LWA_CREDENTIALS, SANDBOX_MWS_CREDENTIALS, Marketplace
from amzcancel.sync import CursorKey, Event, OrderSync, SqliteStore, SyncResult
from amzcancel.testing.shapes import search_orders_body


class FailingStore(SqliteStore):
    """A SQLite store whose ``apply`` fails once, after ``fail_after`` successful writes."""

    def __init__(self, path: Path, fail_after: int) -> None:
        super().__init__(path)
        self.fail_after = fail_after
        self.writes = 0

    def apply(
        self,
        account: str,
        orders: Sequence[Order],
        *,
        cursor: tuple[CursorKey, datetime] | None = None,
        **options: Any,
    ) -> list[Event]:
        if orders and self.writes == self.fail_after:
            self.writes += 1
            raise StoreError("disk full")
        self.writes += int(bool(orders))
        return super().apply(account, orders, cursor=cursor, **options)


def sandbox_sync(mp: Marketplace, store: Any, **kw: Any) -> OrderSync:
    """An OrderSync on the marketplace, starting before all its orders."""
    return mp.order_sync(store=store, since=mp.clock.now() - timedelta(days=8), **kw)


def test_store_failure_mid_run_keeps_the_cursor_and_the_rerun_loses_nothing(
    tmp_path: Path,
) -> None:
    """A write failing halfway leaves the old cursor; the rerun completes, events once each."""
    mp = Marketplace(seed=6, orders=150, clock=FakeClock())
    store = FailingStore(tmp_path / "s.db", fail_after=1)
    start = mp.clock.now() - timedelta(days=8)
    sync = sandbox_sync(mp, store, api="v0")
    with pytest.raises(StoreError):
        sync.run_once()
    key = CursorKey("sandbox", "spapi-v0", ("ATVPDKIKX0DER",))
    assert store.get_cursor(key) == start  # where the first run started: it did not move
    stored_before = len(store.events(include_acked=True))
    assert stored_before > 0  # the first batch was written before the failure
    result = sync.run_once()
    cursor = store.get_cursor(key)
    assert cursor is not None
    assert cursor > start
    assert result.item_fetches < 150  # what was stored was not fetched again
    events = store.events(include_acked=True)
    keys = [(e.type, e.amazon_order_id, e.order_item_id) for e in events]
    assert len(keys) == len(set(keys))
    assert {(p.amazon_order_id, p.order_item_id): p.reason for p in sync.pending()} == (
        mp.truth().buyer_cancel_requests
    )
    store.close()


def test_run_forever_survives_a_failed_run_and_stops_when_asked(tmp_path: Path) -> None:
    """A run failing at Amazon is logged and retried next interval; should_stop ends the loop."""
    mp = Marketplace(seed=6, orders=20, clock=FakeClock())
    results: list[SyncResult] = []
    with sandbox_sync(mp, tmp_path / "s.db") as sync:
        calls = {"n": 0}
        original = sync.arun_once

        async def flaky() -> SyncResult:
            calls["n"] += 1
            if calls["n"] == 1:
                raise ServerError("Service is temporarily unavailable.", status_code=503)
            return await original()

        sync.arun_once = flaky  # type: ignore[method-assign]
        runs = sync.run_forever(
            interval=60, should_stop=lambda: len(results) >= 2, on_result=results.append
        )
    assert runs == 3
    assert len(results) == 2
    assert results[0].events > 0


def test_credentials_must_match_the_api(tmp_path: Path) -> None:
    """MWS keys with an SP-API choice (or the reverse) fail at construction, creating no store."""
    with pytest.raises(ConfigError):
        OrderSync(store=tmp_path / "a.db", credentials=SANDBOX_MWS_CREDENTIALS)
    with pytest.raises(ConfigError):
        OrderSync(store=tmp_path / "b.db", credentials=SANDBOX_LWA_CREDENTIALS, api="mws")
    assert not (tmp_path / "a.db").exists()
    assert not (tmp_path / "b.db").exists()


def test_missing_environment_credentials_create_no_store(tmp_path: Path) -> None:
    """Without LWA variables the constructor fails before any database file is made."""
    with pytest.raises(ConfigError):
        OrderSync(store=tmp_path / "c.db")
    assert not (tmp_path / "c.db").exists()


def test_unknown_api_and_empty_marketplaces_are_refused(tmp_path: Path) -> None:
    """Bad arguments fail at construction with our error, not later."""
    with pytest.raises(ConfigError):
        OrderSync(store=tmp_path / "a.db", api="v1")  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        OrderSync(store=tmp_path / "a.db", marketplaces=[])


@pytest.mark.parametrize(
    "options",
    [
        pytest.param({"marketplaces": [""]}, id="blank-marketplace"),
        pytest.param({"marketplaces": ["ATVPDKIKX0DER,A1PA6795UKMFR9"]}, id="joined-ids"),
        pytest.param({"marketplaces": ["ATVPDKIKX0DER "]}, id="trailing-space"),
        pytest.param({"since": datetime(2026, 11, 1)}, id="naive-since"),
        pytest.param({"since": datetime(2999, 1, 1, tzinfo=UTC)}, id="future-since"),
        pytest.param({"since": "2026-11-01T00:00:00Z"}, id="since-as-text"),
        pytest.param({"overlap": timedelta(minutes=-30)}, id="negative-overlap"),
        pytest.param({"overlap": 300}, id="overlap-not-a-duration"),
        pytest.param({"safety": timedelta(seconds=-1)}, id="negative-safety"),
        pytest.param({"concurrency": 0}, id="no-concurrency"),
    ],
)
def test_arguments_that_would_quietly_sync_something_else_are_refused(
    tmp_path: Path, options: dict[str, Any]
) -> None:
    """A blank or joined marketplace id, a naive or future ``since``, a negative overlap (a gap
    between windows, where requests are lost) or no concurrency: ConfigError, no store."""
    with pytest.raises(ConfigError):
        OrderSync(store=tmp_path / "a.db", credentials=SANDBOX_LWA_CREDENTIALS, **options)
    assert not (tmp_path / "a.db").exists()


@pytest.mark.parametrize(
    ("marketplaces", "region", "host"),
    [
        (["A1PA6795UKMFR9", "A13V1IB3VIYZZH"], None, "sellingpartnerapi-eu.amazon.com"),
        (["A1VC38T7YXB528"], None, "sellingpartnerapi-fe.amazon.com"),
        (["ATVPDKIKX0DER"], None, "sellingpartnerapi-na.amazon.com"),
        (["A9NEWMARKET9"], "eu", "sellingpartnerapi-eu.amazon.com"),
    ],
    ids=["de-fr", "jp", "us", "new-marketplace-with-region"],
)
def test_the_host_is_the_region_of_the_marketplaces(
    tmp_path: Path, marketplaces: list[str], region: str | None, host: str
) -> None:
    """A German seller's sync calls the EU host without being told (NA would refuse it)."""
    hosts: list[str] = []

    def amazon(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/auth/o2/token":
            return httpx.Response(200, json={"access_token": "Atza|t", "expires_in": 3600})
        hosts.append(request.url.host)
        return httpx.Response(200, json=search_orders_body([]))

    with OrderSync(
        store=tmp_path / "a.db",
        credentials=SANDBOX_LWA_CREDENTIALS,
        marketplaces=marketplaces,
        region=region,
        transport=httpx.MockTransport(amazon),
    ) as sync:
        sync.run_once()
    assert hosts
    assert set(hosts) == {host}


def test_marketplaces_of_two_regions_are_refused(tmp_path: Path) -> None:
    """One OrderSync reads one region: US with Germany fails at construction, creating no store."""
    with pytest.raises(ConfigError, match="different regions"):
        OrderSync(
            store=tmp_path / "a.db",
            credentials=SANDBOX_LWA_CREDENTIALS,
            marketplaces=["ATVPDKIKX0DER", "A1PA6795UKMFR9"],
        )
    assert not (tmp_path / "a.db").exists()


def test_one_marketplace_id_given_as_a_string_is_one_id(tmp_path: Path) -> None:
    """``marketplaces="A1PA6795UKMFR9"`` means that marketplace, not fourteen one-letter ids."""
    with OrderSync(
        store=tmp_path / "a.db",
        credentials=SANDBOX_LWA_CREDENTIALS,
        marketplaces="A1PA6795UKMFR9",
    ) as sync:
        assert sync._marketplaces == ("A1PA6795UKMFR9",)


def test_default_account_names_the_seller_without_the_secret(tmp_path: Path) -> None:
    """The default account is derived from the credentials and never contains a secret."""
    with OrderSync(store=tmp_path / "a.db", credentials=SANDBOX_LWA_CREDENTIALS) as sync:
        account = sync.account
    assert account.startswith("spapi:")
    assert SANDBOX_LWA_CREDENTIALS.refresh_token.get_secret_value() not in account
    with OrderSync(store=tmp_path / "b.db", credentials=SANDBOX_MWS_CREDENTIALS, api="mws") as sync:
        assert sync.account == f"mws:{SANDBOX_MWS_CREDENTIALS.seller_id}"


def test_run_once_inside_an_event_loop_points_to_arun_once(tmp_path: Path) -> None:
    """run_once() from async code is a ConfigError naming arun_once, not asyncio's RuntimeError."""
    import asyncio

    async def inside() -> None:
        with Marketplace.demo().order_sync(store=tmp_path / "s.db") as sync:
            with pytest.raises(ConfigError, match="arun_once"):
                sync.run_once()
            result = await sync.arun_once()
            assert result.orders_seen > 0

    asyncio.run(inside())


@pytest.mark.parametrize(
    "options",
    [{"interval": -5}, {"interval": float("nan")}, {"interval": "10"}, {"max_runs": -1}],
    ids=["negative", "nan", "text", "negative-runs"],
)
def test_run_forever_refuses_bad_timing_before_the_first_run(
    tmp_path: Path, options: dict[str, Any]
) -> None:
    """A loop with no pause (or a pause of text) fails before it syncs anything."""
    with Marketplace.demo().order_sync(store=tmp_path / "s.db") as sync:
        with pytest.raises(ConfigError):
            sync.run_forever(**options)
        assert sync.events() == []  # nothing ran


def test_ack_through_and_bad_acks(tmp_path: Path) -> None:
    """ack_through(event) acknowledges everything up to it; non-ids are a ConfigError."""
    with Marketplace.demo().order_sync(store=tmp_path / "s.db") as sync:
        sync.run_once()
        events = sync.events()
        assert len(events) > 3
        assert sync.ack_through(events[2]) == 3
        assert [e.id for e in sync.events()] == [e.id for e in events[3:]]
        assert sync.ack(events[3]) == 1  # one event, not a list of them
        for bad in (None, "5", ["1"], True):
            with pytest.raises(ConfigError):
                sync.ack(bad)  # type: ignore[arg-type]
        with pytest.raises(ConfigError):
            sync.ack_through("5")  # type: ignore[arg-type]


@pytest.mark.parametrize("api", ["auto", "2026"])
def test_wrong_lwa_credentials_are_not_mistaken_for_a_missing_api_role(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, api: str
) -> None:
    """LWA refusing the app's credentials fails the run; it does not fall back to v0 first."""
    from amzcancel.errors import AuthError
    from amzcancel.sandbox import SANDBOX_ENDPOINT
    from amzcancel.transport import LwaCredentials

    mp = Marketplace(seed=3, orders=10, clock=FakeClock())
    wrong = LwaCredentials("amzn1.application-oa2-client.wrong", "wrong-secret", "Atzr|wrong")
    with (
        OrderSync(
            store=tmp_path / "s.db",
            credentials=wrong,
            api=api,  # type: ignore[arg-type]
            endpoint=SANDBOX_ENDPOINT,
            lwa_endpoint=SANDBOX_ENDPOINT + "/auth/o2/token",
            transport=mp.transport(),
            clock=mp.clock,
        ) as sync,
        pytest.raises(AuthError),
    ):
        sync.run_once()
    assert "not available" not in caplog.text
    assert "getOrders" not in mp.truth().requests_by_operation  # no v0 attempt
