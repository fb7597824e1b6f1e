"""The sandbox's SP-API Orders v0 and 2026-01-01 answers: official schemas and every rule."""

from __future__ import annotations

import json
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from amzcancel.clock import FakeClock
from amzcancel.models import FulfillmentChannel, OrderStatus
from amzcancel.sandbox import (
    SANDBOX_LWA_CLIENT_ID,
    SANDBOX_LWA_CLIENT_SECRET,
    SANDBOX_LWA_REFRESH_TOKEN,
    Marketplace,
)
from amzcancel.sandbox._core import format_time

# The copy of the official models kept with the tests (tests/amazon_models/README.md).
MODELS = Path(__file__).resolve().parents[1] / "amazon_models"
BASE = "https://sandbox.test"
US = "ATVPDKIKX0DER"


@cache
def _model(name: str) -> dict[str, Any]:
    model: dict[str, Any] = json.loads((MODELS / name).read_text(encoding="utf-8"))
    return model


def validate(model: str, definition: str, body: Any) -> None:
    """Validate ``body`` against ``definition`` of an official Swagger 2.0 model."""
    schema = {"$ref": f"#/definitions/{definition}", "definitions": _model(model)["definitions"]}
    jsonschema.Draft4Validator(schema).validate(body)


def token(client: httpx.Client) -> str:
    """An access token from the sandbox's LWA endpoint."""
    answer = client.post(
        "/auth/o2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": SANDBOX_LWA_REFRESH_TOKEN,
            "client_id": SANDBOX_LWA_CLIENT_ID,
            "client_secret": SANDBOX_LWA_CLIENT_SECRET,
        },
    )
    assert answer.status_code == 200
    return str(answer.json()["access_token"])


@pytest.fixture
def clock() -> FakeClock:
    """The marketplace's fake clock."""
    return FakeClock()


@pytest.fixture
def mp(clock: FakeClock) -> Marketplace:
    """A 120-order marketplace on a fake clock."""
    return Marketplace(seed=11, orders=120, clock=clock)


@pytest.fixture
def client(mp: Marketplace) -> httpx.Client:
    """An httpx client on the in-process transport, already holding an access token."""
    c = httpx.Client(transport=mp.transport(), base_url=BASE)
    c.headers["x-amz-access-token"] = token(c)
    return c


def since(clock: FakeClock, days: float = 30) -> str:
    return format_time(clock.now() - timedelta(days=days))


def get_all_v0(client: httpx.Client, params: dict[str, Any]) -> list[dict[str, Any]]:
    orders: list[dict[str, Any]] = []
    answer = client.get("/orders/v0/orders", params=params)
    while True:
        assert answer.status_code == 200, answer.text
        body = answer.json()
        validate("ordersV0.json", "GetOrdersResponse", body)
        orders += body["payload"]["Orders"]
        next_token = body["payload"].get("NextToken")
        if not next_token:
            return orders
        answer = client.get(
            "/orders/v0/orders", params={"MarketplaceIds": US, "NextToken": next_token}
        )


def test_v0_get_orders_matches_model_and_echoes_bound(
    client: httpx.Client, clock: FakeClock
) -> None:
    """getOrders answers per the model and echoes now minus two minutes as LastUpdatedBefore."""
    answer = client.get(
        "/orders/v0/orders", params={"MarketplaceIds": US, "LastUpdatedAfter": since(clock)}
    )
    assert answer.status_code == 200
    body = answer.json()
    validate("ordersV0.json", "GetOrdersResponse", body)
    assert body["payload"]["LastUpdatedBefore"] == format_time(clock.now() - timedelta(minutes=2))
    assert answer.headers["x-amzn-RateLimit-Limit"] == "0.0167"
    assert answer.headers["x-amzn-RequestId"]


def test_v0_paging_returns_every_order_once(
    client: httpx.Client, mp: Marketplace, clock: FakeClock
) -> None:
    """MaxResultsPerPage pages with NextToken until every order was returned exactly once."""
    mp_rl = Marketplace(seed=11, orders=120, clock=clock, rate_limits=False)
    c = httpx.Client(transport=mp_rl.transport(), base_url=BASE)
    c.headers["x-amz-access-token"] = token(c)
    orders = get_all_v0(
        c, {"MarketplaceIds": US, "LastUpdatedAfter": since(clock), "MaxResultsPerPage": 7}
    )
    ids = [o["AmazonOrderId"] for o in orders]
    assert len(ids) == len(set(ids)) == 120
    assert sorted(ids) == sorted(o.amazon_order_id for o in mp_rl.truth().orders)


def test_v0_order_items_flag_is_a_string_and_matches_truth(clock: FakeClock) -> None:
    """getOrderItems carries IsBuyerRequestedCancel as "true"/"false" with the buyer's reason."""
    mp = Marketplace(seed=3, orders=80, clock=clock, rate_limits=False)
    c = httpx.Client(transport=mp.transport(), base_url=BASE)
    c.headers["x-amz-access-token"] = token(c)
    truth = mp.truth()
    (order_id, item_id), reason = next(iter(truth.buyer_cancel_requests.items()))
    answer = c.get(f"/orders/v0/orders/{order_id}/orderItems")
    assert answer.status_code == 200
    validate("ordersV0.json", "GetOrderItemsResponse", answer.json())
    items = {i["OrderItemId"]: i for i in answer.json()["payload"]["OrderItems"]}
    assert items[item_id]["BuyerRequestedCancel"] == {
        "IsBuyerRequestedCancel": "true",
        "BuyerCancelReason": reason,
    }
    others = [i for k, i in items.items() if (order_id, k) not in truth.buyer_cancel_requests]
    assert all(i["BuyerRequestedCancel"]["IsBuyerRequestedCancel"] == "false" for i in others)
    order = c.get(f"/orders/v0/orders/{order_id}")
    validate("ordersV0.json", "GetOrderResponse", order.json())
    assert order.json()["payload"]["AmazonOrderId"] == order_id


def test_v0_order_items_page_for_many_items(clock: FakeClock) -> None:
    """An order with more items than a page needs NextToken on getOrderItems."""
    mp = Marketplace(seed=5, orders=150, clock=clock, rate_limits=False, items_page_size=4)
    c = httpx.Client(transport=mp.transport(), base_url=BASE)
    c.headers["x-amz-access-token"] = token(c)
    big = next(o for o in mp.truth().orders if len(o.items) > 8)
    seen: list[str] = []
    params: dict[str, str] = {}
    while True:
        answer = c.get(f"/orders/v0/orders/{big.amazon_order_id}/orderItems", params=params)
        body = answer.json()
        validate("ordersV0.json", "GetOrderItemsResponse", body)
        seen += [i["OrderItemId"] for i in body["payload"]["OrderItems"]]
        if "NextToken" not in body["payload"]:
            break
        params = {"NextToken": body["payload"]["NextToken"]}
    assert seen == [i.order_item_id for i in big.items]


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        pytest.param({"LastUpdatedBefore": "+1m"}, "two minutes", id="before-too-late"),
        pytest.param({"CreatedAfter": "-2d"}, "cannot both", id="created-and-updated"),
        pytest.param({"MaxResultsPerPage": "101"}, "between 1 and 100", id="page-size"),
        pytest.param({"MarketplaceIds": None}, "MarketplaceIds", id="no-marketplace"),
        pytest.param({"LastUpdatedAfter": None}, "must be specified", id="no-after"),
        pytest.param({"LastUpdatedAfter": "yesterday"}, "ISO 8601", id="bad-date"),
    ],
)
def test_v0_get_orders_refuses_bad_windows(
    client: httpx.Client, clock: FakeClock, params: dict[str, str | None], fragment: str
) -> None:
    """getOrders answers 400 InvalidInput (with the rate-limit header) to each broken rule."""
    query: dict[str, str] = {"MarketplaceIds": US, "LastUpdatedAfter": since(clock, 3)}
    for key, value in params.items():
        if value is None:
            query.pop(key, None)
        elif value == "+1m":
            query[key] = format_time(clock.now() - timedelta(minutes=1))
        elif value == "-2d":
            query[key] = since(clock, 2)
        else:
            query[key] = value
    answer = client.get("/orders/v0/orders", params=query)
    assert answer.status_code == 400
    validate("ordersV0.json", "GetOrdersResponse", answer.json())
    error = answer.json()["errors"][0]
    assert error["code"] == "InvalidInput"
    assert fragment in error["message"]
    assert answer.headers["x-amzn-RateLimit-Limit"] == "0.0167"


def test_v0_next_token_expires(clock: FakeClock) -> None:
    """A NextToken older than its lifetime is refused with 400 InvalidInput."""
    mp = Marketplace(seed=2, orders=30, clock=clock, rate_limits=False, next_token_ttl_seconds=60)
    c = httpx.Client(transport=mp.transport(), base_url=BASE)
    c.headers["x-amz-access-token"] = token(c)
    first = c.get(
        "/orders/v0/orders",
        params={"MarketplaceIds": US, "LastUpdatedAfter": since(clock), "MaxResultsPerPage": 5},
    ).json()
    next_token = first["payload"]["NextToken"]
    clock.advance(61)
    answer = c.get("/orders/v0/orders", params={"MarketplaceIds": US, "NextToken": next_token})
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["code"] == "InvalidInput"


def test_v0_unknown_order_is_404_with_rate_limit_header(client: httpx.Client) -> None:
    """getOrder of an unknown order answers 404 NotFound with x-amzn-RateLimit-Limit."""
    answer = client.get("/orders/v0/orders/111-0000000-0000000")
    assert answer.status_code == 404
    validate("ordersV0.json", "GetOrderResponse", answer.json())
    assert answer.headers["x-amzn-RateLimit-Limit"] == "0.5"


def test_rate_limit_429_then_ok_after_refill(client: httpx.Client, clock: FakeClock) -> None:
    """The 21st getOrders in a burst gets 429 QuotaExceeded; one refill interval later it passes."""
    params = {"MarketplaceIds": US, "LastUpdatedAfter": since(clock), "MaxResultsPerPage": "1"}
    statuses = [client.get("/orders/v0/orders", params=params).status_code for _ in range(21)]
    assert statuses[:20] == [200] * 20
    assert statuses[20] == 429
    refused = client.get("/orders/v0/orders", params=params)
    assert refused.status_code == 429
    assert refused.json() == {
        "errors": [
            {
                "code": "QuotaExceeded",
                "message": "You exceeded your quota for the requested resource.",
                "details": "",
            }
        ]
    }
    validate("ordersV0.json", "GetOrdersResponse", refused.json())
    assert "x-amzn-RateLimit-Limit" not in refused.headers
    assert refused.headers["x-amzn-RequestId"]
    clock.advance(1 / 0.0167 + 0.1)
    assert client.get("/orders/v0/orders", params=params).status_code == 200


def test_speed_multiplies_rate_not_burst(clock: FakeClock) -> None:
    """At speed 100 the header says rate*100 and the burst still ends after 20 calls."""
    mp = Marketplace(seed=1, orders=5, clock=clock, speed=100)
    c = httpx.Client(transport=mp.transport(), base_url=BASE)
    c.headers["x-amz-access-token"] = token(c)
    params = {"MarketplaceIds": US, "LastUpdatedAfter": since(clock)}
    answers = [c.get("/orders/v0/orders", params=params) for _ in range(21)]
    assert answers[0].headers["x-amzn-RateLimit-Limit"] == "1.67"
    assert answers[20].status_code == 429
    clock.advance(1 / 1.67 + 0.01)
    assert c.get("/orders/v0/orders", params=params).status_code == 200
    assert mp.truth().throttled == 1


def test_lwa_refuses_wrong_credentials(mp: Marketplace) -> None:
    """LWA answers 401 invalid_client for a wrong secret and 400 invalid_grant for a bad token."""
    c = httpx.Client(transport=mp.transport(), base_url=BASE)
    form = {
        "grant_type": "refresh_token",
        "refresh_token": SANDBOX_LWA_REFRESH_TOKEN,
        "client_id": SANDBOX_LWA_CLIENT_ID,
        "client_secret": "wrong",
    }
    wrong_client = c.post("/auth/o2/token", data=form)
    assert wrong_client.status_code == 401
    assert wrong_client.json() == {
        "error": "invalid_client",
        "error_description": "Client authentication failed",
    }
    form.update(client_secret=SANDBOX_LWA_CLIENT_SECRET, refresh_token="Atzr|nope")
    wrong_grant = c.post("/auth/o2/token", data=form)
    assert wrong_grant.status_code == 400
    assert wrong_grant.json() == {
        "error": "invalid_grant",
        "error_description": "The request has an invalid grant parameter : refresh_token",
    }


def test_access_token_missing_and_expired(clock: FakeClock) -> None:
    """No token gives 403 denied; a token past its lifetime gives 403 expired."""
    mp = Marketplace(seed=1, orders=5, clock=clock, token_ttl_seconds=3600)
    c = httpx.Client(transport=mp.transport(), base_url=BASE)
    denied = c.get("/orders/v0/orders/111-0000000-0000000")
    assert denied.status_code == 403
    assert denied.json() == {
        "errors": [
            {
                "code": "Unauthorized",
                "message": "Access to requested resource is denied.",
                "details": "",
            }
        ]
    }
    validate("ordersV0.json", "GetOrderResponse", denied.json())
    assert "x-amzn-RateLimit-Limit" not in denied.headers
    c.headers["x-amz-access-token"] = token(c)
    clock.advance(3599)
    assert c.get("/orders/v0/orders/111-0000000-0000000").status_code == 404
    clock.advance(1)
    expired = c.get("/orders/v0/orders/111-0000000-0000000")
    assert expired.status_code == 403
    assert expired.json()["errors"][0]["message"] == (
        "The security token included in the request is expired"
    )


def test_2026_search_orders_with_cancellation(clock: FakeClock) -> None:
    """searchOrders answers per the model; CANCELLATION adds the buyer's cancellationRequest."""
    mp = Marketplace(seed=3, orders=80, clock=clock, rate_limits=False)
    c = httpx.Client(transport=mp.transport(), base_url=BASE)
    c.headers["x-amz-access-token"] = token(c)
    truth = mp.truth()
    params: dict[str, str] = {
        "lastUpdatedAfter": since(clock),
        "includedData": "CANCELLATION,FULFILLMENT",
        "maxResultsPerPage": "100",
    }
    answer = c.get("/orders/2026-01-01/orders", params=params)
    assert answer.status_code == 200
    body = answer.json()
    validate("orders_2026-01-01.json", "SearchOrdersResponse", body)
    assert body["lastUpdatedBefore"] == format_time(clock.now() - timedelta(minutes=2))
    assert answer.headers["x-amzn-RateLimit-Limit"] == "0.0056"
    requested = {
        (o["orderId"], i["orderItemId"]): i["cancellation"]["cancellationRequest"]
        for o in body["orders"]
        for i in o["orderItems"]
        if "cancellationRequest" in i.get("cancellation", {})
    }
    for key, reason in truth.buyer_cancel_requests.items():
        assert requested[key] == {"requester": "BUYER", "cancelReason": reason}
    statuses = {o["fulfillment"]["fulfillmentStatus"] for o in body["orders"]}
    assert "UNSHIPPED" in statuses
    plain = c.get("/orders/2026-01-01/orders", params={"lastUpdatedAfter": since(clock)}).json()
    assert all("cancellation" not in i for o in plain["orders"] for i in o["orderItems"])
    assert all("fulfillment" not in o for o in plain["orders"])


def test_2026_pagination_token_rules(clock: FakeClock) -> None:
    """paginationToken pages, needs the same other parameters, and expires after 24 hours."""
    mp = Marketplace(seed=4, orders=40, clock=clock, rate_limits=False)
    c = httpx.Client(transport=mp.transport(), base_url=BASE)
    after = since(clock)
    c.headers["x-amz-access-token"] = token(c)
    first = c.get(
        "/orders/2026-01-01/orders", params={"lastUpdatedAfter": after, "maxResultsPerPage": 15}
    ).json()
    next_token = first["pagination"]["nextToken"]
    page2 = c.get(
        "/orders/2026-01-01/orders",
        params={"lastUpdatedAfter": after, "paginationToken": next_token, "maxResultsPerPage": 30},
    )
    assert page2.status_code == 200
    validate("orders_2026-01-01.json", "SearchOrdersResponse", page2.json())
    assert "pagination" not in page2.json()
    ids = [o["orderId"] for o in first["orders"] + page2.json()["orders"]]
    assert len(set(ids)) == 40
    changed = c.get(
        "/orders/2026-01-01/orders",
        params={"lastUpdatedAfter": since(clock, 5), "paginationToken": next_token},
    )
    assert changed.status_code == 400
    validate("orders_2026-01-01.json", "ErrorList", changed.json())
    clock.advance(24 * 3600)
    c.headers["x-amz-access-token"] = token(c)
    expired = c.get(
        "/orders/2026-01-01/orders",
        params={"lastUpdatedAfter": after, "paginationToken": next_token},
    )
    assert expired.status_code == 400


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"createdAfter": "A", "lastUpdatedAfter": "A"}, id="both-after"),
        pytest.param({"createdAfter": "A", "lastUpdatedBefore": "A"}, id="created-updated-before"),
        pytest.param({"lastUpdatedAfter": "A", "lastUpdatedBefore": "NOW"}, id="two-minutes"),
        pytest.param({"lastUpdatedAfter": "A", "includedData": "EVERYTHING"}, id="included"),
    ],
)
def test_2026_search_orders_refusals(
    client: httpx.Client, clock: FakeClock, params: dict[str, str]
) -> None:
    """searchOrders answers 400 InvalidInput to each broken rule."""
    values = {"A": since(clock, 2), "NOW": format_time(clock.now())}
    query = {k: values.get(v, v) for k, v in params.items()}
    answer = client.get("/orders/2026-01-01/orders", params=query)
    assert answer.status_code == 400
    validate("orders_2026-01-01.json", "ErrorList", answer.json())
    assert answer.json()["errors"][0]["code"] == "InvalidInput"


def test_2026_get_order(client: httpx.Client, mp: Marketplace) -> None:
    """getOrder answers {"order": ...} with items inline; unknown orders are 404."""
    order = mp.truth().orders[0]
    answer = client.get(
        f"/orders/2026-01-01/orders/{order.amazon_order_id}",
        params={"includedData": "CANCELLATION"},
    )
    assert answer.status_code == 200
    validate("orders_2026-01-01.json", "GetOrderResponse", answer.json())
    assert [i["orderItemId"] for i in answer.json()["order"]["orderItems"]] == [
        i.order_item_id for i in order.items
    ]
    missing = client.get("/orders/2026-01-01/orders/111-0000000-0000000")
    assert missing.status_code == 404
    validate("orders_2026-01-01.json", "ErrorList", missing.json())


def test_afn_orders_have_no_open_requests(mp: Marketplace) -> None:
    """Amazon-fulfilled orders never carry a buyer request the seller must act on."""
    afn = {
        o.amazon_order_id
        for o in mp.truth().orders
        if o.fulfillment_channel is FulfillmentChannel.AFN
    }
    assert afn
    assert not {order_id for order_id, _ in mp.truth().buyer_cancel_requests} & afn
    open_statuses = {
        mp.truth().order(order_id).status for order_id, _ in mp.truth().buyer_cancel_requests
    }
    assert open_statuses <= {OrderStatus.UNSHIPPED, OrderStatus.PARTIALLY_SHIPPED}


def test_async_client_uses_the_same_transport(mp: Marketplace) -> None:
    """The MockTransport also serves httpx.AsyncClient."""
    import anyio

    async def run() -> int:
        async with httpx.AsyncClient(transport=mp.transport(), base_url=BASE) as c:
            answer = await c.get("/orders/v0/orders/111-0000000-0000000")
            return answer.status_code

    assert anyio.run(run) == 403


def test_a_sandbox_bug_answers_500_not_a_traceback(
    client: httpx.Client, mp: Marketplace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unexpected error inside a handler becomes a 500 InternalFailure answer."""

    def broken(*_args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("amzcancel.sandbox._spapi_v0.render_order", broken)
    order_id = mp.truth().orders[0].amazon_order_id
    answer = client.get(f"/orders/v0/orders/{order_id}")
    assert answer.status_code == 500
    validate("ordersV0.json", "GetOrderResponse", answer.json())
    assert answer.json()["errors"][0]["code"] == "InternalFailure"


def test_unknown_path_is_404(client: httpx.Client) -> None:
    """A path the marketplace does not serve answers 404 in SP-API's error shape."""
    answer = client.get("/orders/v1/whatever")
    assert answer.status_code == 404
    validate("ordersV0.json", "GetOrderResponse", answer.json())
    assert answer.json()["errors"][0]["code"] == "NotFound"


def test_live_changes_are_caught_by_consecutive_windows(clock: FakeClock) -> None:
    """Polling from each echoed LastUpdatedBefore sees every live change up to the last bound."""
    mp = Marketplace(seed=21, orders=30, clock=clock, live=True, speed=20, rate_limits=False)
    c = httpx.Client(transport=mp.transport(), base_url=BASE)
    seen: dict[str, str] = {}
    cursor = since(clock)
    for _ in range(12):
        c.headers["x-amz-access-token"] = token(c)
        orders = get_all_v0(c, {"MarketplaceIds": US, "LastUpdatedAfter": cursor})
        seen.update({o["AmazonOrderId"]: o["LastUpdateDate"] for o in orders})
        cursor = format_time(clock.now() - timedelta(minutes=2))  # the echoed bound
        clock.advance(300)
    bound = cursor
    expected = {
        o.amazon_order_id: format_time(o.last_update_date)
        for o in mp.orders()
        if format_time(o.last_update_date) <= bound
    }
    assert len(expected) > 30  # new orders arrived while polling
    assert {k: v for k, v in seen.items() if k in expected} == expected
    assert set(seen) <= {o.amazon_order_id for o in mp.orders()}
