"""MwsClient / AsyncMwsClient against respx: signed form posts, throttling, paging."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
import respx

from amzcancel.clock import FakeClock
from amzcancel.errors import AuthError, InvalidInputError, ThrottledError
from amzcancel.transport import AsyncMwsClient, MwsClient, MwsCredentials
from amzcancel.transport._sigv2 import sign_v2

URL = "https://mws.amazonservices.com/Orders/2013-09-01"
NS = "https://mws.amazonservices.com/Orders/2013-09-01"
AFTER = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
SECRET = "mws-secret-key-canary"


def _orders_xml(action: str, order_id: str, next_token: str | None = None) -> str:
    token = f"<NextToken>{next_token}</NextToken>" if next_token else ""
    return (
        f'<?xml version="1.0"?><{action}Response xmlns="{NS}"><{action}Result>{token}'
        "<LastUpdatedBefore>2026-11-21T09:30:00Z</LastUpdatedBefore><Orders><Order>"
        f"<AmazonOrderId>{order_id}</AmazonOrderId>"
        "<PurchaseDate>2026-11-20T08:00:00Z</PurchaseDate>"
        "<LastUpdateDate>2026-11-21T09:30:00Z</LastUpdateDate>"
        "<OrderStatus>Unshipped</OrderStatus><FulfillmentChannel>MFN</FulfillmentChannel>"
        "<MarketplaceId>ATVPDKIKX0DER</MarketplaceId></Order></Orders>"
        f"</{action}Result><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata>"
        f"</{action}Response>"
    )


def _items_xml(action: str, item_id: str, next_token: str | None = None) -> str:
    token = f"<NextToken>{next_token}</NextToken>" if next_token else ""
    return (
        f'<{action}Response xmlns="{NS}"><{action}Result>{token}'
        "<AmazonOrderId>902-1845936-5435065</AmazonOrderId><OrderItems><OrderItem>"
        f"<ASIN>B00551Q3CS</ASIN><OrderItemId>{item_id}</OrderItemId>"
        "<BuyerRequestedCancel><IsBuyerRequestedCancel>true</IsBuyerRequestedCancel>"
        "<BuyerCancelReason>Found cheaper somewhere else.</BuyerCancelReason>"
        "</BuyerRequestedCancel><QuantityOrdered>1</QuantityOrdered></OrderItem></OrderItems>"
        f"</{action}Result></{action}Response>"
    )


THROTTLED = (
    f'<ErrorResponse xmlns="{NS}"><Error><Type>Sender</Type><Code>RequestThrottled</Code>'
    "<Message>Request is throttled</Message></Error><RequestID>r-503</RequestID></ErrorResponse>"
)
BAD_SIGNATURE = (
    f'<ErrorResponse xmlns="{NS}"><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code>'
    "<Message>The request signature we calculated does not match</Message></Error>"
    "<RequestID>r-403</RequestID></ErrorResponse>"
)


def _form(request: httpx.Request) -> dict[str, str]:
    return dict(httpx.QueryParams(request.content.decode()))


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def creds() -> MwsCredentials:
    return MwsCredentials("AKIDEXAMPLE", SECRET, "A1SELLER")


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as mock:
        yield mock


def test_list_orders_form_and_signature(
    router: respx.MockRouter, creds: MwsCredentials, clock: FakeClock
) -> None:
    """ListOrders posts numbered list parameters, the common ones, and a valid signature."""
    route = router.post(URL).mock(
        return_value=httpx.Response(200, text=_orders_xml("ListOrders", "902-1845936-5435065"))
    )
    with MwsClient(credentials=creds, clock=clock) as client:
        page = client.list_orders(
            marketplace_ids=["ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"],
            last_updated_after=AFTER,
            order_statuses=["Unshipped", "PartiallyShipped"],
            fulfillment_channels=["MFN"],
        )
    request = route.calls.last.request
    form = _form(request)
    assert request.headers["content-type"].startswith("application/x-www-form-urlencoded")
    assert request.headers["user-agent"].startswith("amzcancel/")
    assert form["Action"] == "ListOrders"
    assert form["MarketplaceId.Id.1"] == "ATVPDKIKX0DER"
    assert form["MarketplaceId.Id.2"] == "A2EUQ1WTGCTBG2"
    assert form["OrderStatus.Status.2"] == "PartiallyShipped"
    assert form["FulfillmentChannel.Channel.1"] == "MFN"
    assert form["LastUpdatedAfter"] == "2026-11-20T08:00:00Z"
    assert form["SellerId"] == "A1SELLER"
    assert form["Version"] == "2013-09-01"
    assert form["Signature"] == sign_v2(
        SECRET, "POST", "mws.amazonservices.com", "/Orders/2013-09-01", form
    )
    assert page.orders[0].amazon_order_id == "902-1845936-5435065"
    assert SECRET not in request.content.decode()


def test_paging_with_next_token(
    router: respx.MockRouter, creds: MwsCredentials, clock: FakeClock
) -> None:
    """iter_orders follows ListOrdersByNextToken; a token with / and + arrives intact."""
    route = router.post(URL).mock(
        side_effect=[
            httpx.Response(200, text=_orders_xml("ListOrders", "111-0000000-0000001", "a/b+c==")),
            httpx.Response(200, text=_orders_xml("ListOrdersByNextToken", "111-0000000-0000002")),
        ]
    )
    with MwsClient(credentials=creds, clock=clock) as client:
        ids = [
            o.amazon_order_id
            for o in client.iter_orders(marketplace_ids=["ATVPDKIKX0DER"], last_updated_after=AFTER)
        ]
        assert client.stats.requests_by_operation == {"ListOrders": 1, "ListOrdersByNextToken": 1}
    assert ids == ["111-0000000-0000001", "111-0000000-0000002"]
    second = _form(route.calls[1].request)
    assert second["Action"] == "ListOrdersByNextToken"
    assert second["NextToken"] == "a/b+c=="
    assert b"NextToken=a%2Fb%2Bc%3D%3D" in route.calls[1].request.content


def test_list_order_items_and_by_next_token(
    router: respx.MockRouter, creds: MwsCredentials, clock: FakeClock
) -> None:
    """ListOrderItems returns items with the buyer-cancel flag; ByNextToken continues."""
    route = router.post(URL).mock(
        side_effect=[
            httpx.Response(200, text=_items_xml("ListOrderItems", "1", "tok")),
            httpx.Response(200, text=_items_xml("ListOrderItemsByNextToken", "2")),
        ]
    )
    with MwsClient(credentials=creds, clock=clock) as client:
        first = client.list_order_items("902-1845936-5435065")
        assert first.next_token == "tok"
        second = client.list_order_items_by_next_token(first.next_token)
    assert _form(route.calls[0].request)["AmazonOrderId"] == "902-1845936-5435065"
    assert first.items[0].buyer_cancel.requested is True
    assert second.items[0].order_item_id == "2"


def test_throttle_is_paced_and_retried(
    router: respx.MockRouter, creds: MwsCredentials, clock: FakeClock
) -> None:
    """HTTP 503 RequestThrottled waits for the next ListOrders token (60 s), then succeeds."""
    sent: list[float] = []
    answers = [
        httpx.Response(503, text=THROTTLED),
        httpx.Response(200, text=_orders_xml("ListOrders", "902-1845936-5435065")),
    ]

    def respond(request: httpx.Request) -> httpx.Response:
        sent.append(clock.monotonic())
        return answers.pop(0)

    router.post(URL).mock(side_effect=respond)
    with MwsClient(credentials=creds, clock=clock) as client:
        client.list_orders(marketplace_ids=["ATVPDKIKX0DER"], last_updated_after=AFTER)
        assert client.stats.throttled == 1
    assert sent[1] - sent[0] >= 60.0 - 1e-6


def test_throttle_after_retries_is_typed(
    router: respx.MockRouter, creds: MwsCredentials, clock: FakeClock
) -> None:
    """Persistent throttling raises ThrottledError with MWS's code and request id."""
    router.post(URL).mock(return_value=httpx.Response(503, text=THROTTLED))
    client = MwsClient(credentials=creds, clock=clock, max_retries=1)
    with client, pytest.raises(ThrottledError) as info:
        client.list_order_items("902-1845936-5435065")
    assert info.value.code == "RequestThrottled"
    assert info.value.request_id == "r-503"


def test_signature_refusal_is_not_retried(
    router: respx.MockRouter, creds: MwsCredentials, clock: FakeClock
) -> None:
    """SignatureDoesNotMatch is an AuthError raised after one attempt, without the secret."""
    route = router.post(URL).mock(return_value=httpx.Response(403, text=BAD_SIGNATURE))
    with MwsClient(credentials=creds, clock=clock) as client, pytest.raises(AuthError) as info:
        client.list_order_items("902-1845936-5435065")
    assert route.call_count == 1
    assert SECRET not in str(info.value)
    assert "Signature=" not in (info.value.url or "")


def test_mws_argument_rules(creds: MwsCredentials, clock: FakeClock) -> None:
    """Unshipped without PartiallyShipped, or no window, is refused before sending."""
    with MwsClient(credentials=creds, clock=clock) as client:
        with pytest.raises(InvalidInputError, match="together"):
            client.list_orders(
                marketplace_ids=["ATVPDKIKX0DER"],
                last_updated_after=AFTER,
                order_statuses=["Unshipped"],
            )
        with pytest.raises(InvalidInputError):
            client.list_orders(marketplace_ids=["ATVPDKIKX0DER"])
        assert client.stats.requests == 0


@pytest.mark.anyio
async def test_async_mws_client(
    router: respx.MockRouter, creds: MwsCredentials, clock: FakeClock
) -> None:
    """The async MWS client has the same names, awaitable, and an async pager."""
    router.post(URL).mock(
        side_effect=[
            httpx.Response(200, text=_items_xml("ListOrderItems", "1", "t/1")),
            httpx.Response(200, text=_items_xml("ListOrderItemsByNextToken", "2")),
        ]
    )
    async with AsyncMwsClient(credentials=creds, clock=clock) as client:
        items = [i.order_item_id async for i in client.iter_order_items("902-1845936-5435065")]
    assert items == ["1", "2"]


def test_mws_secrets_never_reach_logs(
    router: respx.MockRouter, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    """The secret key, MWSAuthToken and signatures stay out of logs and errors."""
    creds = MwsCredentials("AKIDEXAMPLE", SECRET, "A1SELLER", auth_token="amzn.mws.canary-token")
    caplog.set_level(logging.DEBUG)
    route = router.post(URL).mock(
        side_effect=[
            httpx.Response(503, text=THROTTLED),
            httpx.Response(500),
            httpx.Response(403, text=BAD_SIGNATURE),
        ]
    )
    client = MwsClient(credentials=creds, clock=clock)
    with client, pytest.raises(AuthError) as info:
        client.list_order_items("902-1845936-5435065")
    signatures = {_form(call.request)["Signature"] for call in route.calls}
    texts = [caplog.text, str(info.value), repr(info.value), repr(client), repr(creds)]
    assert caplog.records
    for text in texts:
        assert SECRET not in text
        assert "canary-token" not in text
        assert not any(signature in text for signature in signatures)
