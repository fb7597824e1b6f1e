"""Cancelling through the guard and the feed, end to end against the sandbox marketplace."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from amzcancel.cli import main
from amzcancel.clock import FakeClock
from amzcancel.errors import PolicyViolation
from amzcancel.feeds import (
    asubmit_cancellation_feed,
    build_cancellation_feed,
    submit_cancellation_feed,
)
from amzcancel.models import FulfillmentChannel, Order, OrderStatus
from amzcancel.policy import approve_cancellation
from amzcancel.sandbox import (
    SANDBOX_LWA_CLIENT_ID,
    SANDBOX_LWA_CLIENT_SECRET,
    SANDBOX_LWA_CREDENTIALS,
    SANDBOX_LWA_REFRESH_TOKEN,
    Marketplace,
)
from amzcancel.transport import AsyncSpApiClient, SpApiClient

BASE = "https://sandbox.local"
FULL = ("CANCELLATION", "FULFILLMENT")
MERCHANT = "A1SANDBOXSELLER"


@pytest.fixture
def anyio_backend() -> str:
    """Run async tests on asyncio."""
    return "asyncio"


@pytest.fixture
def market() -> Marketplace:
    """A small marketplace on simulated time."""
    return Marketplace(seed=11, orders=80, clock=FakeClock())


@pytest.fixture
def client(market: Marketplace) -> Iterator[SpApiClient]:
    """An SP-API client talking to the marketplace in-process, on its clock."""
    with SpApiClient(
        credentials=SANDBOX_LWA_CREDENTIALS,
        endpoint=BASE,
        lwa_endpoint=f"{BASE}/auth/o2/token",
        transport=market.transport(),
        clock=market.clock,
    ) as spapi:
        yield spapi


def _requested_order(market: Marketplace) -> tuple[str, str]:
    """An open formal buyer request: (order id, item id)."""
    return next(iter(sorted(market.truth().buyer_cancel_requests)))


def _quiet_orders(market: Marketplace, *, min_items: int = 1) -> list[Order]:
    """Unshipped seller-fulfilled orders nobody asked to cancel."""
    return [
        order
        for order in market.truth().orders
        if order.status is OrderStatus.UNSHIPPED
        and order.fulfillment_channel is FulfillmentChannel.MFN
        and len(order.items) >= min_items
        and not order.buyer_cancel_items
    ]


def test_buyer_request_is_cancelled_with_buyer_canceled(
    market: Marketplace, client: SpApiClient
) -> None:
    """Fetch, guard, feed, submit: the sandbox shows the order Canceled with BuyerCanceled."""
    truth = market.truth()
    order_id, item_id = next(
        key for key in sorted(truth.buyer_cancel_requests) if len(truth.order(key[0]).items) == 1
    )
    order = client.orders_2026.get_order(order_id, included_data=FULL)
    decision = approve_cancellation(order, "BuyerCanceled", item=item_id)
    feed = build_cancellation_feed([decision], merchant_id=MERCHANT)

    result = submit_cancellation_feed(client, feed, marketplace_ids=["ATVPDKIKX0DER"])

    assert result.processing_status == "DONE"
    assert result.report is not None
    assert (result.report.messages_processed, result.report.messages_with_error) == (1, 0)
    truth = market.truth()
    assert truth.seller_cancellations[(order_id, item_id)] == "BuyerCanceled"
    assert (order_id, item_id) not in truth.buyer_cancel_requests
    assert client.orders_v0.get_order(order_id).status is OrderStatus.CANCELED
    assert isinstance(market.clock, FakeClock)
    assert market.clock.slept  # polling waited on the simulated clock, not in real time


def test_whole_order_no_inventory_cancels_every_item(
    market: Marketplace, client: SpApiClient
) -> None:
    """A whole-order NoInventory cancel cancels each item with that reason."""
    order = _quiet_orders(market, min_items=2)[0]
    fetched = client.orders_2026.get_order(order.amazon_order_id, included_data=FULL)
    decision = approve_cancellation(fetched, "NoInventory", out_of_stock=True)
    feed = build_cancellation_feed([decision], merchant_id=MERCHANT)
    submit_cancellation_feed(client, feed, marketplace_ids=["ATVPDKIKX0DER"])
    truth = market.truth()
    assert {
        item.order_item_id: truth.seller_cancellations[(order.amazon_order_id, item.order_item_id)]
        for item in order.items
    } == {item.order_item_id: "NoInventory" for item in order.items}
    after = client.orders_2026.get_order(order.amazon_order_id, included_data=FULL)
    assert after.status is OrderStatus.CANCELED


def test_guard_blocks_before_anything_is_sent(market: Marketplace, client: SpApiClient) -> None:
    """BuyerCanceled on an order nobody asked to cancel never reaches the marketplace."""
    order = _quiet_orders(market)[0]
    fetched = client.orders_2026.get_order(order.amazon_order_id, included_data=FULL)
    before = market.truth().requests_by_operation.get("createFeedDocument", 0)
    with pytest.raises(PolicyViolation, match="No formal buyer cancellation request"):
        approve_cancellation(fetched, "BuyerCanceled")
    assert market.truth().requests_by_operation.get("createFeedDocument", 0) == before


def test_order_shipped_since_the_decision_is_not_submitted(
    market: Marketplace, client: SpApiClient
) -> None:
    """The submission reads the order again: shipped since the decision, nothing is sent."""
    order_id, item_id = _requested_order(market)
    order = client.orders_2026.get_order(order_id, included_data=FULL)
    decision = approve_cancellation(order, "BuyerCanceled", item=item_id)
    market.ship(order_id)
    feed = build_cancellation_feed([decision], merchant_id=MERCHANT)
    with pytest.raises(PolicyViolation, match="shipped"):
        submit_cancellation_feed(client, feed, marketplace_ids=["ATVPDKIKX0DER"])
    assert "createFeed" not in market.truth().requests_by_operation


def test_order_shipped_while_the_feed_is_processed_is_reported(
    market: Marketplace, client: SpApiClient
) -> None:
    """If the order ships after the check, the processing report carries Amazon's error."""
    order_id, item_id = _requested_order(market)
    order = client.orders_2026.get_order(order_id, included_data=FULL)
    decision = approve_cancellation(order, "BuyerCanceled", item=item_id)
    market.ship(order_id)
    feed = build_cancellation_feed([decision], merchant_id=MERCHANT)
    # The facts given are the ones read before the shipment (the check passes on them).
    result = submit_cancellation_feed(
        client, feed, marketplace_ids=["ATVPDKIKX0DER"], orders=[order]
    )
    assert result.report is not None
    (error,) = result.report.errors
    assert error.amazon_order_id == order_id
    assert (order_id, item_id) not in market.truth().seller_cancellations


@pytest.mark.anyio
async def test_async_submission(market: Marketplace) -> None:
    """The async twin cancels through AsyncSpApiClient just the same."""
    order_id, item_id = _requested_order(market)
    async with AsyncSpApiClient(
        credentials=SANDBOX_LWA_CREDENTIALS,
        endpoint=BASE,
        lwa_endpoint=f"{BASE}/auth/o2/token",
        transport=market.transport(),
        clock=market.clock,
    ) as spapi:
        order = await spapi.orders_2026.get_order(order_id, included_data=FULL)
        decision = approve_cancellation(order, "BuyerCanceled", item=item_id)
        feed = build_cancellation_feed([decision], merchant_id=MERCHANT)
        result = await asubmit_cancellation_feed(spapi, feed, marketplace_ids=["ATVPDKIKX0DER"])
    assert result.processing_status == "DONE"
    assert market.truth().seller_cancellations[(order_id, item_id)] == "BuyerCanceled"


# ---- the CLI over loopback HTTP, with credentials from the environment ---------------------


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Marketplace, str]]:
    """A marketplace served on 127.0.0.1 that finishes feeds at once, and env credentials."""
    market = Marketplace(seed=5, orders=40, rate_limits=False, feed_processing_seconds=0)
    monkeypatch.setenv("LWA_APP_ID", SANDBOX_LWA_CLIENT_ID)
    monkeypatch.setenv("LWA_CLIENT_SECRET", SANDBOX_LWA_CLIENT_SECRET)
    monkeypatch.setenv("SP_API_REFRESH_TOKEN", SANDBOX_LWA_REFRESH_TOKEN)
    with market.serve(port=0) as base_url:
        yield market, base_url


def _cli(base_url: str, *args: str) -> list[str]:
    return ["cancel", *args, "--endpoint", base_url, "--lwa-endpoint", f"{base_url}/auth/o2/token"]


def test_cli_dry_run_submits_nothing(
    served: tuple[Marketplace, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """--dry-run prints the feed (merchant id from SP_API_SELLER_ID) and sends no feed."""
    market, base_url = served
    monkeypatch.setenv("SP_API_SELLER_ID", "A2MERCHANT")
    order_id, item_id = _requested_order(market)
    code = main(
        _cli(base_url, order_id, "--item", item_id, "--reason", "BuyerCanceled", "--dry-run")
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "<MerchantIdentifier>A2MERCHANT</MerchantIdentifier>" in out
    assert f"<AmazonOrderItemCode>{item_id}</AmazonOrderItemCode>" in out
    assert "createFeedDocument" not in market.truth().requests_by_operation
    assert not market.truth().seller_cancellations


def test_cli_submits_and_prints_the_summary(
    served: tuple[Marketplace, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --dry-run the feed is submitted and the summary and new status are printed."""
    market, base_url = served
    order_id, item_id = _requested_order(market)
    code = main(
        _cli(
            base_url,
            order_id,
            "--item",
            item_id,
            "--reason",
            "BuyerCanceled",
            "--merchant-id",
            MERCHANT,
            "--json",
        )
    )
    assert code == 0
    body = json.loads(capsys.readouterr().out)
    assert body["processing_status"] == "DONE"
    assert body["report"]["messages_successful"] == 1
    assert body["decisions"][0]["reason"] == "BuyerCanceled"
    assert market.truth().seller_cancellations[(order_id, item_id)] == "BuyerCanceled"


def test_cli_refuses_a_forbidden_reason(
    served: tuple[Marketplace, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """A reason the policy forbids is a one-line error naming the why, exit 2, nothing sent."""
    market, base_url = served
    order = _quiet_orders(market)[0]
    code = main(
        _cli(base_url, order.amazon_order_id, "--reason", "BuyerCanceled", "--merchant-id", "M1")
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1
    assert "No formal buyer cancellation request is on record" in err[0]
    assert not market.truth().seller_cancellations


def test_cli_override_is_recorded(
    served: tuple[Marketplace, str],
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """--override-policy pushes the cancel through and records the justification."""
    market, base_url = served
    order = _quiet_orders(market)[0]
    code = main(
        _cli(
            base_url,
            order.amazon_order_id,
            "--reason",
            "BuyerCanceled",
            "--merchant-id",
            "M1",
            "--override-policy",
            "buyer phoned support",
            "--json",
        )
    )
    captured = capsys.readouterr()
    assert code == 0
    body = json.loads(captured.out)
    assert body["decisions"][0]["override_justification"] == "buyer phoned support"
    assert body["order_status"] == "Canceled"
    assert "policy override" in caplog.text
    assert "buyer phoned support" in caplog.text


def test_cli_needs_a_merchant_id(
    served: tuple[Marketplace, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --merchant-id or SP_API_SELLER_ID the command stops with a one-line error."""
    market, base_url = served
    order_id, _ = _requested_order(market)
    assert main(_cli(base_url, order_id, "--reason", "BuyerCanceled", "--dry-run")) == 2
    assert "SP_API_SELLER_ID" in capsys.readouterr().err


def test_cli_unknown_reason(capsys: pytest.CaptureFixture[str]) -> None:
    """A reason that is not a code fails at once, before any credentials are needed."""
    assert main(["cancel", "111-1111111-1111111", "--reason", "Whatever"]) == 2
    err = capsys.readouterr().err
    assert "not an Amazon cancel reason code" in err
    assert len(err.strip().splitlines()) == 1


def test_cli_builtin_sandbox(capsys: pytest.CaptureFixture[str]) -> None:
    """--sandbox cancels in the built-in marketplace without credentials."""
    market = Marketplace.demo()
    order_id, item_id = _requested_order(market)
    code = main(["cancel", order_id, "--item", item_id, "--reason", "BuyerCanceled", "--sandbox"])
    out = capsys.readouterr().out
    assert code == 0
    assert "processed 1, successful 1, errors 0" in out


def test_cli_reads_the_order_with_v0(
    served: tuple[Marketplace, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """--api v0 reads the order and its items through getOrder/getOrderItems for the guard."""
    market, base_url = served
    order_id, item_id = _requested_order(market)
    args = [order_id, "--item", item_id, "--reason", "BuyerCanceled", "--merchant-id", "M1"]
    assert main(_cli(base_url, *args, "--api", "v0", "--dry-run")) == 0
    assert f"<AmazonOrderItemCode>{item_id}</AmazonOrderItemCode>" in capsys.readouterr().out
    requests = market.truth().requests_by_operation
    assert requests.get("getOrderItems", 0) >= 1


@pytest.mark.parametrize(("api", "falls_back"), [("auto", True), ("2026", False)])
def test_cancel_reads_v0_when_the_app_lacks_orders_2026(
    market: Marketplace, api: str, falls_back: bool
) -> None:
    """As `sync --api auto`: a 403 from Orders 2026-01-01 reads the order with v0 instead."""
    from amzcancel._commands.cancel import _fetch
    from amzcancel.errors import AuthError

    inner = market.transport()

    def refusing_2026(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/orders/2026-01-01/"):
            body = {"errors": [{"code": "Unauthorized", "message": "Access is denied."}]}
            return httpx.Response(403, json=body)
        return inner.handle_request(request)

    order_id, item_id = _requested_order(market)
    with SpApiClient(
        credentials=SANDBOX_LWA_CREDENTIALS,
        endpoint=BASE,
        lwa_endpoint=f"{BASE}/auth/o2/token",
        transport=httpx.MockTransport(refusing_2026),
        clock=market.clock,
    ) as spapi:
        if not falls_back:
            with pytest.raises(AuthError):
                _fetch(spapi, order_id, api)
            return
        order = _fetch(spapi, order_id, api)
    assert order.amazon_order_id == order_id
    assert item_id in {item.order_item_id for item in order.buyer_cancel_items}
    assert market.truth().requests_by_operation.get("getOrderItems", 0) >= 1


def test_an_item_cancelled_alone_leaves_pending_after_the_next_sync(
    market: Marketplace, client: SpApiClient, tmp_path: Path
) -> None:
    """One item of a multi-item order cancelled: the order stays open, the request does not."""

    since = market.clock.now() - timedelta(days=8)
    with market.order_sync(store=tmp_path / "s.db", since=since) as sync:
        sync.run_once()
        request = next(
            p
            for p in sync.pending()
            if len(p.order.items) > 1 and p.order.status is OrderStatus.UNSHIPPED
        )
        decision = approve_cancellation(request.order, "BuyerCanceled", item=request.item)
        feed = build_cancellation_feed([decision], merchant_id=MERCHANT)
        submit_cancellation_feed(client, feed, marketplace_ids=["ATVPDKIKX0DER"])
        assert isinstance(market.clock, FakeClock)
        market.clock.advance(600)
        sync.run_once()
        key = (request.amazon_order_id, request.order_item_id)
        assert key not in {(p.amazon_order_id, p.order_item_id) for p in sync.pending()}
        stored = sync.store.get_order(sync.account, request.amazon_order_id)
        assert stored is not None
        assert stored.status is not OrderStatus.CANCELED  # the other items are still open
        assert [i.cancelled for i in stored.items if i.order_item_id == request.order_item_id] == [
            True
        ]
