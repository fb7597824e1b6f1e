"""The many-seller sandbox: LWA by refresh token, SP-API by access token, truth per seller, and
the record of two clients calling for one seller at once."""

from __future__ import annotations

import argparse
import io
import threading
import tomllib
from contextlib import redirect_stdout
from typing import Any

import httpx

from amzcancel.sandbox import SANDBOX_ENDPOINT, SellerFleet


def token(client: httpx.Client, fleet: SellerFleet, seller: str) -> httpx.Response:
    env = fleet.environment()
    return client.post(
        "/auth/o2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": fleet.refresh_token(seller),
            "client_id": env["LWA_APP_ID"],
            "client_secret": env["LWA_CLIENT_SECRET"],
        },
    )


def orders(client: httpx.Client, access: str) -> httpx.Response:
    return client.get(
        "/orders/v0/orders",
        params={"MarketplaceIds": "ATVPDKIKX0DER", "LastUpdatedAfter": "2020-01-01T00:00:00Z"},
        headers={"x-amz-access-token": access},
    )


def test_each_seller_is_served_its_own_orders_by_its_token() -> None:
    """A seller's access token reads that seller's orders only; different seeds, own buckets."""
    fleet = SellerFleet(2, orders=5)
    with httpx.Client(transport=fleet.transport(), base_url=SANDBOX_ENDPOINT) as client:
        ids = {}
        for seller in fleet.sellers:
            answer = token(client, fleet, seller)
            assert answer.status_code == 200
            page = orders(client, answer.json()["access_token"]).json()["payload"]["Orders"]
            ids[seller] = {o["AmazonOrderId"] for o in page}
        truth = {s: {o.amazon_order_id for o in fleet.truth(s).orders} for s in fleet.sellers}
        assert ids == truth
        assert not ids["seller-000"] & ids["seller-001"]
        assert fleet.truth("seller-001").requests_by_operation == {"getOrders": 1}
        assert orders(client, "Atza|forged").status_code == 403
        refused = client.post("/auth/o2/token", data={"refresh_token": "Atzr|nobody"})
        assert refused.status_code == 400
        assert refused.json()["error"] == "invalid_grant"
        truth_answer = client.get("/_sandbox/truth", params={"seller": "seller-001"})
        assert {o["amazon_order_id"] for o in truth_answer.json()["orders"]} == truth["seller-001"]
        assert client.get("/_sandbox/truth", params={"seller": "x"}).status_code == 404
        report = client.get("/_sandbox/fleet").json()
        assert report["access_tokens"] == {"seller-000": 1, "seller-001": 1}
    assert fleet.overlaps == []


def test_two_clients_calling_for_one_seller_at_once_are_recorded() -> None:
    """A call that starts while another client's call for the seller is in flight is an overlap;
    the same client's concurrent calls are not."""
    fleet = SellerFleet(1, orders=2)
    seller = fleet.sellers[0]
    market = fleet.marketplace(seller)
    answer_inner = market.handle
    entered, release = threading.Event(), threading.Event()

    def slow(request: Any) -> Any:
        if request.headers.get("x-slow"):
            entered.set()
            release.wait(10)
        return answer_inner(request)

    market.handle = slow  # type: ignore[method-assign]
    with httpx.Client(transport=fleet.transport(), base_url=SANDBOX_ENDPOINT) as client:
        first = token(client, fleet, seller).json()["access_token"]
        second = token(client, fleet, seller).json()["access_token"]

        def slow_call() -> None:
            client.get("/orders/v0/orders/1", headers={"x-amz-access-token": first, "x-slow": "1"})

        thread = threading.Thread(target=slow_call)
        thread.start()
        assert entered.wait(10)
        client.get("/orders/v0/orders/1", headers={"x-amz-access-token": first})
        assert fleet.overlaps == []  # the same client twice at once is fine
        client.get("/orders/v0/orders/1", headers={"x-amz-access-token": second})
        release.set()
        thread.join(10)
    (overlap,) = fleet.overlaps
    assert overlap.seller == seller
    assert overlap.tokens == 1
    assert fleet.access_tokens_used(seller) == 2


def test_serve_sellers_prints_a_ready_shell_setup(tmp_path: Any) -> None:
    """`sandbox serve --sellers N` prints export lines and an accounts file that loads."""
    from amzcancel._commands.sandbox import _serve
    from amzcancel.cli import build_parser
    from amzcancel.workers import load_accounts

    args: argparse.Namespace = build_parser().parse_args(
        ["sandbox", "serve", "--sellers", "3", "--port", "0", "--orders", "2"]
    )
    stop = threading.Event()
    stop.set()
    out = io.StringIO()
    with redirect_stdout(out):
        assert _serve(args, stop=stop) == 0
    text = out.getvalue()
    exports = dict(
        line.removeprefix("export ").split("=", 1)
        for line in text.splitlines()
        if line.startswith("export ")
    )
    assert exports["AMZCANCEL_CONFIG"] == "sandbox-accounts.toml"
    assert {"LWA_APP_ID", "SANDBOX_SELLER_002_REFRESH_TOKEN"} <= set(exports)
    toml = text.split("<<'TOML'\n", 1)[1].split("\nTOML\n", 1)[0]
    assert len(tomllib.loads(toml)["accounts"]) == 3
    path = tmp_path / "a.toml"
    path.write_text(toml)
    assert [a.name for a in load_accounts(path).accounts] == [
        "seller-000", "seller-001", "seller-002"
    ]  # fmt: skip
