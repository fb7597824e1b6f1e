"""SpApiClient / AsyncSpApiClient against respx: requests, pacing, retries, errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import respx

from amzcancel.clock import FakeClock
from amzcancel.errors import (
    AuthError,
    ConnectionFailed,
    InvalidInputError,
    NotFoundError,
    RequestTimeout,
    ServerError,
    ThrottledError,
)
from amzcancel.models import OrderStatus
from amzcancel.transport import AsyncSpApiClient, LwaCredentials, SpApiClient

BASE = "https://sellingpartnerapi-na.amazon.com"
LWA = "https://api.amazon.com/auth/o2/token"
AFTER = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
BEFORE = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
TOKEN_WITH_SLASHES = "2YgYW55/IGNh+cm5hbCBw=="


def _order(order_id: str = "902-1845936-5435065") -> dict[str, Any]:
    return {
        "AmazonOrderId": order_id,
        "PurchaseDate": "2026-11-20T08:00:00Z",
        "LastUpdateDate": "2026-11-21T09:30:00Z",
        "OrderStatus": "Unshipped",
        "FulfillmentChannel": "MFN",
        "MarketplaceId": "ATVPDKIKX0DER",
    }


def _orders_body(next_token: str | None = None, order_id: str = "902-1845936-5435065") -> Any:
    payload: dict[str, Any] = {
        "Orders": [_order(order_id)],
        "LastUpdatedBefore": "2026-11-21T09:30:00Z",
    }
    if next_token:
        payload["NextToken"] = next_token
    return {"payload": payload}


def _items_body(next_token: str | None = None, item_id: str = "05015851154158") -> Any:
    payload: dict[str, Any] = {
        "AmazonOrderId": "902-1845936-5435065",
        "OrderItems": [
            {
                "ASIN": "B00551Q3CS",
                "OrderItemId": item_id,
                "QuantityOrdered": 1,
                "BuyerRequestedCancel": {
                    "IsBuyerRequestedCancel": "true",
                    "BuyerCancelReason": "Found cheaper somewhere else.",
                },
            }
        ],
    }
    if next_token:
        payload["NextToken"] = next_token
    return {"payload": payload}


def _search_body(next_token: str | None = None) -> Any:
    body: dict[str, Any] = {
        "orders": [
            {
                "orderId": "902-1845936-5435065",
                "createdTime": "2026-11-20T08:00:00Z",
                "lastUpdatedTime": "2026-11-21T09:30:00Z",
                "salesChannel": {"channelName": "AMAZON", "marketplaceId": "ATVPDKIKX0DER"},
                "fulfillment": {"fulfillmentStatus": "UNSHIPPED", "fulfilledBy": "MERCHANT"},
                "orderItems": [
                    {
                        "orderItemId": "05015851154158",
                        "quantityOrdered": 1,
                        "product": {"asin": "B00551Q3CS"},
                        "cancellation": {
                            "cancellationRequest": {
                                "requester": "BUYER",
                                "cancelReason": "Changed mind about purchase",
                            }
                        },
                    }
                ],
            }
        ],
        "lastUpdatedBefore": "2026-11-21T09:30:00Z",
    }
    if next_token:
        body["pagination"] = {"nextToken": next_token}
    return body


def _token_response(value: str = "Atza|access-1") -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "access_token": value,
            "token_type": "bearer",
            "expires_in": 3600,
            "refresh_token": "Atzr|x",
        },
    )


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as mock:
        mock.post(LWA).mock(return_value=_token_response())
        yield mock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def client(clock: FakeClock) -> Iterator[SpApiClient]:
    creds = LwaCredentials("amzn1.application-oa2-client.x", "client-secret", "Atzr|refresh")
    with SpApiClient(credentials=creds, clock=clock) as c:
        yield c


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_get_orders_sends_every_filter_in_amazon_form(
    router: respx.MockRouter, client: SpApiClient
) -> None:
    """Filters are sent with the model's names, lists comma-separated, dates in UTC with Z."""
    route = router.get(f"{BASE}/orders/v0/orders").mock(
        return_value=httpx.Response(200, json=_orders_body())
    )
    page = client.orders_v0.get_orders(
        marketplace_ids=["ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"],
        last_updated_after=AFTER,
        last_updated_before=BEFORE.astimezone(),
        order_statuses=[OrderStatus.UNSHIPPED, OrderStatus.PARTIALLY_SHIPPED],
        fulfillment_channels=["MFN"],
        max_results_per_page=50,
        is_ispu=False,
    )
    params = route.calls.last.request.url.params
    assert params["MarketplaceIds"] == "ATVPDKIKX0DER,A2EUQ1WTGCTBG2"
    assert params["LastUpdatedAfter"] == "2026-11-20T08:00:00Z"
    assert params["LastUpdatedBefore"] == "2026-11-21T09:30:00Z"
    assert params["OrderStatuses"] == "Unshipped,PartiallyShipped"
    assert params["FulfillmentChannels"] == "MFN"
    assert params["MaxResultsPerPage"] == "50"
    assert params["IsISPU"] == "false"
    assert page.orders[0].amazon_order_id == "902-1845936-5435065"
    assert page.last_updated_before == BEFORE


def test_request_headers(router: respx.MockRouter, client: SpApiClient) -> None:
    """Requests carry the access token, a user-agent naming us, and the real Host."""
    route = router.get(f"{BASE}/orders/v0/orders/902-1845936-5435065").mock(
        return_value=httpx.Response(200, json={"payload": _order()})
    )
    order = client.orders_v0.get_order("902-1845936-5435065")
    headers = route.calls.last.request.headers
    assert headers["x-amz-access-token"] == "Atza|access-1"
    assert headers["user-agent"].startswith("amzcancel/")
    assert "(Language=Python/3." in headers["user-agent"]
    assert headers["host"] == "sellingpartnerapi-na.amazon.com"
    assert order.status is OrderStatus.UNSHIPPED


def test_next_token_is_url_encoded(router: respx.MockRouter, client: SpApiClient) -> None:
    """A NextToken with / + = arrives intact (percent-encoded on the wire)."""
    route = router.get(f"{BASE}/orders/v0/orders/902-1845936-5435065/orderItems").mock(
        return_value=httpx.Response(200, json=_items_body())
    )
    client.orders_v0.get_order_items("902-1845936-5435065", next_token=TOKEN_WITH_SLASHES)
    request = route.calls.last.request
    assert b"NextToken=2YgYW55%2FIGNh%2Bcm5hbCBw%3D%3D" in request.url.raw_path
    assert request.url.params["NextToken"] == TOKEN_WITH_SLASHES


def test_iter_orders_and_list_order_items_follow_tokens(
    router: respx.MockRouter, client: SpApiClient
) -> None:
    """Page iterators follow NextToken to the last page and yield domain models."""
    orders = router.get(f"{BASE}/orders/v0/orders").mock(
        side_effect=[
            httpx.Response(200, json=_orders_body(TOKEN_WITH_SLASHES, "111-0000000-0000001")),
            httpx.Response(200, json=_orders_body(None, "111-0000000-0000002")),
        ]
    )
    items = router.get(f"{BASE}/orders/v0/orders/902-1845936-5435065/orderItems").mock(
        side_effect=[
            httpx.Response(200, json=_items_body("next/items+1", "1")),
            httpx.Response(200, json=_items_body(None, "2")),
        ]
    )
    ids = [
        o.amazon_order_id
        for o in client.orders_v0.iter_orders(
            marketplace_ids=["ATVPDKIKX0DER"], last_updated_after=AFTER
        )
    ]
    assert ids == ["111-0000000-0000001", "111-0000000-0000002"]
    assert orders.calls[1].request.url.params["NextToken"] == TOKEN_WITH_SLASHES
    assert orders.calls[1].request.url.params["LastUpdatedAfter"] == "2026-11-20T08:00:00Z"
    listed = client.orders_v0.list_order_items("902-1845936-5435065")
    assert [i.order_item_id for i in listed] == ["1", "2"]
    assert listed[0].buyer_cancel.requested is True
    assert items.calls[1].request.url.params["NextToken"] == "next/items+1"
    assert client.stats.requests_by_operation == {"getOrders": 2, "getOrderItems": 2}


def test_search_orders_2026(router: respx.MockRouter, client: SpApiClient) -> None:
    """searchOrders sends camelCase filters, CANCELLATION,FULFILLMENT and paginationToken."""
    route = router.get(f"{BASE}/orders/2026-01-01/orders").mock(
        side_effect=[
            httpx.Response(200, json=_search_body("tok/1+")),
            httpx.Response(200, json=_search_body()),
        ]
    )
    pages = list(
        client.orders_2026.iter_search_orders(
            last_updated_after=AFTER,
            marketplace_ids=["ATVPDKIKX0DER"],
            fulfilled_by=["MERCHANT"],
            fulfillment_statuses=["UNSHIPPED", "PARTIALLY_SHIPPED"],
        ).iter_pages()
    )
    assert len(pages) == 2
    first, second = (call.request.url.params for call in route.calls)
    assert first["includedData"] == "CANCELLATION,FULFILLMENT"
    assert first["lastUpdatedAfter"] == "2026-11-20T08:00:00Z"
    assert first["fulfillmentStatuses"] == "UNSHIPPED,PARTIALLY_SHIPPED"
    assert "paginationToken" not in first
    assert second["paginationToken"] == "tok/1+"
    assert second["fulfilledBy"] == "MERCHANT"
    item = pages[0].orders[0].items[0]
    assert item.buyer_cancel.requested is True


def test_get_order_2026(router: respx.MockRouter, client: SpApiClient) -> None:
    """getOrder 2026-01-01 returns the order with its items."""
    route = router.get(f"{BASE}/orders/2026-01-01/orders/902-1845936-5435065").mock(
        return_value=httpx.Response(200, json={"order": _search_body()["orders"][0]})
    )
    order = client.orders_2026.get_order(
        "902-1845936-5435065", included_data=("CANCELLATION", "BUYER")
    )
    assert route.calls.last.request.url.params["includedData"] == "CANCELLATION,BUYER"
    assert order.items[0].buyer_cancel.reason == "Changed mind about purchase"


def test_429_is_followed_by_a_paced_retry(
    router: respx.MockRouter, client: SpApiClient, clock: FakeClock
) -> None:
    """After a 429 the retry waits for a fresh token of the operation's bucket (1/rate)."""
    route = router.get(f"{BASE}/orders/v0/orders").mock(
        side_effect=[
            httpx.Response(
                429,
                json={"errors": [{"code": "QuotaExceeded", "message": "You exceeded your quota"}]},
            ),
            httpx.Response(200, json=_orders_body()),
        ]
    )
    sent: list[float] = []
    route.side_effect = _record_times(route.side_effect, sent, clock)
    client.orders_v0.get_orders(marketplace_ids=["ATVPDKIKX0DER"], last_updated_after=AFTER)
    assert len(sent) == 2
    assert sent[1] - sent[0] >= 1 / 0.0167 - 1e-6
    assert client.stats.throttled == 1
    assert client.stats.retries == 1
    assert client.stats.rate_limit_wait_seconds > 0.9 / 0.0167


def _record_times(responses: Any, sent: list[float], clock: FakeClock) -> Any:
    queue: list[httpx.Response] = list(responses)

    def respond(request: httpx.Request) -> httpx.Response:
        sent.append(clock.monotonic())
        return queue.pop(0)

    return respond


def test_429_without_body_is_a_throttle_not_an_empty_page(
    router: respx.MockRouter, client: SpApiClient
) -> None:
    """A bare 429 raises ThrottledError once retries are spent; it never parses as a page."""
    router.get(f"{BASE}/orders/v0/orders").mock(
        return_value=httpx.Response(429, headers={"x-amzn-RequestId": "req-429"})
    )
    no_retry = client.with_options(max_retries=0)
    with pytest.raises(ThrottledError) as info:
        no_retry.orders_v0.get_orders(marketplace_ids=["ATVPDKIKX0DER"], last_updated_after=AFTER)
    assert info.value.status_code == 429
    assert info.value.request_id == "req-429"
    no_retry.close()


def test_rate_limit_header_corrects_the_bucket(
    router: respx.MockRouter, client: SpApiClient
) -> None:
    """x-amzn-RateLimit-Limit on a success replaces the documented rate for the operation."""
    router.get(f"{BASE}/orders/v0/orders/902-1845936-5435065/orderItems").mock(
        return_value=httpx.Response(
            200, json=_items_body(), headers={"x-amzn-RateLimit-Limit": "5.0"}
        )
    )
    client.orders_v0.get_order_items("902-1845936-5435065")
    bucket = client.rate_limiter.bucket(client.credentials.partner_key, "getOrderItems")
    assert bucket is not None
    assert bucket.rate == 5.0


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_is_retried(router: respx.MockRouter, client: SpApiClient, status: int) -> None:
    """Server errors are retried and the caller only sees the success."""
    route = router.get(f"{BASE}/orders/v0/orders/902-1845936-5435065").mock(
        side_effect=[
            httpx.Response(status, text="<html>oops</html>"),
            httpx.Response(200, json={"payload": _order()}),
        ]
    )
    assert client.orders_v0.get_order("902-1845936-5435065").amazon_order_id
    assert route.call_count == 2
    assert client.stats.retries == 1


@pytest.mark.parametrize(
    ("failure", "error"),
    [
        pytest.param(httpx.ReadTimeout("slow"), RequestTimeout, id="timeout"),
        pytest.param(httpx.RemoteProtocolError("dropped"), ConnectionFailed, id="dropped"),
    ],
)
def test_transport_faults_are_retried_then_typed(
    router: respx.MockRouter,
    client: SpApiClient,
    failure: Exception,
    error: type[Exception],
) -> None:
    """Timeouts and dropped connections are retried; when they persist they raise our type."""
    route = router.get(f"{BASE}/orders/v0/orders/902-1845936-5435065").mock(
        side_effect=[failure, httpx.Response(200, json={"payload": _order()})]
    )
    client.orders_v0.get_order("902-1845936-5435065")
    assert route.call_count == 2
    route.side_effect = failure
    with pytest.raises(error):
        client.with_options(max_retries=2).orders_v0.get_order("902-1845936-5435065")


def test_400_is_not_retried_and_carries_amazons_details(
    router: respx.MockRouter, client: SpApiClient
) -> None:
    """A 400 raises InvalidInputError at once with code, message, details and request id."""
    route = router.get(f"{BASE}/orders/v0/orders").mock(
        return_value=httpx.Response(
            400,
            json={
                "errors": [
                    {"code": "InvalidInput", "message": "Invalid Input", "details": "bad date"}
                ]
            },
            headers={"x-amzn-RequestId": "req-400"},
        )
    )
    with pytest.raises(InvalidInputError) as info:
        client.orders_v0.get_orders(marketplace_ids=["ATVPDKIKX0DER"], last_updated_after=AFTER)
    assert route.call_count == 1
    err = info.value
    assert (err.code, err.message, err.details, err.request_id) == (
        "InvalidInput",
        "Invalid Input",
        "bad date",
        "req-400",
    )
    assert err.url == f"{BASE}/orders/v0/orders"


def test_404_is_not_found(router: respx.MockRouter, client: SpApiClient) -> None:
    """A 404 raises NotFoundError without retrying."""
    router.get(f"{BASE}/orders/v0/orders/000-0000000-0000000").mock(
        return_value=httpx.Response(404, json={"errors": [{"code": "NotFound", "message": "no"}]})
    )
    with pytest.raises(NotFoundError):
        client.orders_v0.get_order("000-0000000-0000000")
    assert client.stats.retries == 0


def test_bad_arguments_fail_before_sending(router: respx.MockRouter, client: SpApiClient) -> None:
    """Arguments Amazon would refuse raise InvalidInputError without a request."""
    with pytest.raises(InvalidInputError, match="timezone-aware"):
        client.orders_v0.get_orders(
            marketplace_ids=["ATVPDKIKX0DER"], last_updated_after=datetime(2026, 1, 1)
        )
    with pytest.raises(InvalidInputError, match="cannot be combined"):
        client.orders_2026.search_orders(created_after=AFTER, last_updated_after=AFTER)
    with pytest.raises(InvalidInputError):
        client.orders_v0.get_orders(marketplace_ids=[], last_updated_after=AFTER)
    assert client.stats.requests == 0


def test_low_level_request_for_feeds(router: respx.MockRouter, client: SpApiClient) -> None:
    """request() paces by operation, and sends presigned absolute URLs without the token."""
    created = router.post(f"{BASE}/feeds/2021-06-30/documents").mock(
        return_value=httpx.Response(
            201, json={"feedDocumentId": "doc-1", "url": f"{BASE}/_upload/doc-1?sig=abc"}
        )
    )
    upload = router.put(f"{BASE}/_upload/doc-1").mock(return_value=httpx.Response(200))
    response = client.request(
        "POST",
        "/feeds/2021-06-30/documents",
        operation="createFeedDocument",
        json={"contentType": "text/xml; charset=UTF-8"},
    )
    url = response.json()["url"]
    client.request(
        "PUT",
        url,
        operation=None,
        authenticate=False,
        content=b"<AmazonEnvelope/>",
        headers={"content-type": "text/xml; charset=UTF-8"},
    )
    assert json.loads(created.calls.last.request.content) == {
        "contentType": "text/xml; charset=UTF-8"
    }
    put = upload.calls.last.request
    assert "x-amz-access-token" not in put.headers
    assert put.headers["content-type"] == "text/xml; charset=UTF-8"
    assert put.content == b"<AmazonEnvelope/>"
    assert client.stats.requests_by_operation == {"createFeedDocument": 1}


def test_absolute_url_errors_are_mapped_and_retried(
    router: respx.MockRouter, client: SpApiClient
) -> None:
    """Presigned-URL calls still retry 503s and raise typed errors for 403s."""
    route = router.put(f"{BASE}/_upload/doc-2").mock(
        side_effect=[httpx.Response(503), httpx.Response(200)]
    )
    client.request("PUT", f"{BASE}/_upload/doc-2", operation=None, authenticate=False, content=b"x")
    assert route.call_count == 2
    router.get(f"{BASE}/_download/doc-3").mock(return_value=httpx.Response(403, text="<Error/>"))
    with pytest.raises(AuthError):
        client.request("GET", f"{BASE}/_download/doc-3", operation=None, authenticate=False)


def test_requests_carry_a_timeout(router: respx.MockRouter, client: SpApiClient) -> None:
    """Every request (token and API) is sent with the client's finite timeout."""
    route = router.get(f"{BASE}/orders/v0/orders/902-1845936-5435065").mock(
        return_value=httpx.Response(200, json={"payload": _order()})
    )
    quick = client.with_options(timeout=2.5)
    quick.orders_v0.get_order("902-1845936-5435065")
    timeout = route.calls.last.request.extensions["timeout"]
    assert timeout == {"connect": 2.5, "read": 2.5, "write": 2.5, "pool": 2.5}
    quick.close()


@pytest.mark.anyio
async def test_async_client_same_names(router: respx.MockRouter, clock: FakeClock) -> None:
    """The async client has the same namespaces, awaitable, with async page iterators."""
    router.get(f"{BASE}/orders/v0/orders").mock(
        side_effect=[
            httpx.Response(200, json=_orders_body("t/2", "111-0000000-0000001")),
            httpx.Response(200, json=_orders_body(None, "111-0000000-0000002")),
        ]
    )
    router.get(f"{BASE}/orders/v0/orders/902-1845936-5435065/orderItems").mock(
        side_effect=[
            httpx.Response(429),
            httpx.Response(200, json=_items_body()),
        ]
    )
    router.get(f"{BASE}/orders/2026-01-01/orders").mock(
        return_value=httpx.Response(200, json=_search_body())
    )
    creds = LwaCredentials("app", "secret", "Atzr|r")
    async with AsyncSpApiClient(credentials=creds, clock=clock) as client:
        ids = [
            o.amazon_order_id
            async for o in client.orders_v0.iter_orders(
                marketplace_ids=["ATVPDKIKX0DER"], last_updated_after=AFTER
            )
        ]
        items = await client.orders_v0.list_order_items("902-1845936-5435065")
        page = await client.orders_2026.search_orders(last_updated_after=AFTER)
    assert ids == ["111-0000000-0000001", "111-0000000-0000002"]
    assert items[0].buyer_cancel.requested is True
    assert page.orders[0].items
    assert client.stats.throttled == 1
    assert client.stats.requests == 5


@pytest.mark.anyio
async def test_async_400_not_retried(router: respx.MockRouter, clock: FakeClock) -> None:
    """The async client maps a 400 to InvalidInputError after one attempt."""
    route = router.get(f"{BASE}/orders/v0/orders/x").mock(
        return_value=httpx.Response(
            400, json={"errors": [{"code": "InvalidInput", "message": "m"}]}
        )
    )
    async with AsyncSpApiClient(credentials=LwaCredentials("a", "b", "c"), clock=clock) as client:
        with pytest.raises(InvalidInputError):
            await client.orders_v0.get_order("x")
    assert route.call_count == 1


def test_server_error_after_retries_is_server_error(
    router: respx.MockRouter, client: SpApiClient
) -> None:
    """When 5xx persists past the retry budget the caller gets ServerError."""
    router.get(f"{BASE}/orders/v0/orders/x").mock(return_value=httpx.Response(500))
    with pytest.raises(ServerError):
        client.with_options(max_retries=1).orders_v0.get_order("x")
