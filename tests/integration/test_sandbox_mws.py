"""The sandbox's MWS Orders 2013-09-01: Signature V2, XML shape, paging and throttling."""

from __future__ import annotations

from datetime import timedelta
from xml.etree import ElementTree as ET

import httpx
import pytest

from amzcancel.clock import FakeClock
from amzcancel.sandbox import (
    SANDBOX_MWS_ACCESS_KEY,
    SANDBOX_MWS_SECRET_KEY,
    SANDBOX_MWS_SELLER_ID,
    Marketplace,
)
from amzcancel.sandbox._core import format_time
from amzcancel.transport._sigv2 import sign_v2

HOST = "mws.sandbox.test"
NS = {"m": "https://mws.amazonservices.com/Orders/2013-09-01"}


def signed(clock: FakeClock, secret: str = SANDBOX_MWS_SECRET_KEY, **params: str) -> dict[str, str]:
    """MWS parameters with the required fields and a Signature V2."""
    full = {
        "AWSAccessKeyId": SANDBOX_MWS_ACCESS_KEY,
        "SellerId": SANDBOX_MWS_SELLER_ID,
        "SignatureMethod": "HmacSHA256",
        "SignatureVersion": "2",
        "Timestamp": format_time(clock.now()),
        "Version": "2013-09-01",
        **params,
    }
    full["Signature"] = sign_v2(secret, "POST", HOST, "/Orders/2013-09-01", full)
    return full


@pytest.fixture
def clock() -> FakeClock:
    """The marketplace's fake clock."""
    return FakeClock()


@pytest.fixture
def mp(clock: FakeClock) -> Marketplace:
    """A marketplace of 60 orders."""
    return Marketplace(seed=9, orders=60, clock=clock)


@pytest.fixture
def client(mp: Marketplace) -> httpx.Client:
    """An httpx client speaking to the sandbox as the MWS host."""
    return httpx.Client(transport=mp.transport(), base_url=f"https://{HOST}")


def list_orders(client: httpx.Client, clock: FakeClock, **extra: str) -> httpx.Response:
    after = format_time(clock.now() - timedelta(days=30))
    params = signed(
        clock,
        Action="ListOrders",
        LastUpdatedAfter=after,
        **{"MarketplaceId.Id.1": "ATVPDKIKX0DER"},
        **extra,
    )
    return client.post("/Orders/2013-09-01", data=params)


def test_list_orders_xml_pages_and_clamps_bound(
    client: httpx.Client, clock: FakeClock, mp: Marketplace
) -> None:
    """ListOrders answers namespaced XML, echoes now-2min as LastUpdatedBefore, and pages."""
    late = format_time(clock.now())
    answer = list_orders(client, clock, MaxResultsPerPage="25", LastUpdatedBefore=late)
    assert answer.status_code == 200
    root = ET.fromstring(answer.content)
    assert root.tag == "{{{}}}ListOrdersResponse".format(NS["m"])
    result = root.find("m:ListOrdersResult", NS)
    assert result is not None
    bound = result.findtext("m:LastUpdatedBefore", namespaces=NS)
    assert bound == format_time(clock.now() - timedelta(minutes=2))
    ids = [e.text or "" for e in result.iterfind("m:Orders/m:Order/m:AmazonOrderId", NS)]
    token = result.findtext("m:NextToken", namespaces=NS)
    while token:
        page = client.post(
            "/Orders/2013-09-01",
            data=signed(clock, Action="ListOrdersByNextToken", NextToken=token),
        )
        assert page.status_code == 200
        result = ET.fromstring(page.content).find("m:ListOrdersByNextTokenResult", NS)
        assert result is not None
        ids += [e.text or "" for e in result.iterfind("m:Orders/m:Order/m:AmazonOrderId", NS)]
        token = result.findtext("m:NextToken", namespaces=NS)
    assert sorted(ids) == sorted(o.amazon_order_id for o in mp.truth().orders)


def test_list_order_items_carries_buyer_requested_cancel(
    client: httpx.Client, clock: FakeClock, mp: Marketplace
) -> None:
    """ListOrderItems puts BuyerRequestedCancel (true + reason) inside the requested OrderItem."""
    (order_id, item_id), reason = next(iter(mp.truth().buyer_cancel_requests.items()))
    answer = client.post(
        "/Orders/2013-09-01", data=signed(clock, Action="ListOrderItems", AmazonOrderId=order_id)
    )
    assert answer.status_code == 200
    root = ET.fromstring(answer.content)
    items = root.findall("m:ListOrderItemsResult/m:OrderItems/m:OrderItem", NS)
    flagged = {
        i.findtext("m:OrderItemId", namespaces=NS): i.find("m:BuyerRequestedCancel", NS)
        for i in items
    }
    element = flagged[item_id]
    assert element is not None
    assert element.findtext("m:IsBuyerRequestedCancel", namespaces=NS) == "true"
    assert element.findtext("m:BuyerCancelReason", namespaces=NS) == reason


def test_bad_signature_is_403(client: httpx.Client, clock: FakeClock) -> None:
    """A request signed with the wrong secret gets 403 SignatureDoesNotMatch."""
    params = signed(
        clock, secret="not-the-secret", Action="ListOrderItems", AmazonOrderId="111-0000000-0000000"
    )
    answer = client.post("/Orders/2013-09-01", data=params)
    assert answer.status_code == 403
    root = ET.fromstring(answer.content)
    assert root.tag == "{{{}}}ErrorResponse".format(NS["m"])
    assert root.findtext("m:Error/m:Code", namespaces=NS) == "SignatureDoesNotMatch"


def test_get_query_signature_is_verified(client: httpx.Client, clock: FakeClock) -> None:
    """A signed GET query works too, and tampering with a parameter breaks the signature."""
    params = signed(clock, Action="ListOrderItems", AmazonOrderId="111-0000000-0000000")
    params["Signature"] = sign_v2(SANDBOX_MWS_SECRET_KEY, "GET", HOST, "/Orders/2013-09-01", params)
    ok = client.get("/Orders/2013-09-01", params=params)
    assert ok.status_code == 400  # signed fine; the order does not exist
    assert b"InvalidParameterValue" in ok.content
    params["AmazonOrderId"] = "111-0000000-0000001"
    assert client.get("/Orders/2013-09-01", params=params).status_code == 403


def test_throttled_with_503_request_throttled(client: httpx.Client, clock: FakeClock) -> None:
    """The seventh ListOrders in a burst gets 503 RequestThrottled; a minute later it passes."""
    statuses = [list_orders(client, clock).status_code for _ in range(7)]
    assert statuses == [200] * 6 + [503]
    refused = list_orders(client, clock)
    assert ET.fromstring(refused.content).findtext("m:Error/m:Code", namespaces=NS) == (
        "RequestThrottled"
    )
    clock.advance(60.1)
    assert list_orders(client, clock).status_code == 200


def test_created_and_updated_after_together_refused(client: httpx.Client, clock: FakeClock) -> None:
    """CreatedAfter with LastUpdatedAfter is an InvalidParameterValue error."""
    answer = list_orders(client, clock, CreatedAfter=format_time(clock.now() - timedelta(days=1)))
    assert answer.status_code == 400
    assert b"InvalidParameterValue" in answer.content
