"""The sandbox's Feeds API: an order acknowledgement feed cancels orders, with a report."""

from __future__ import annotations

import json
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

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

MODEL = Path(__file__).resolve().parents[1] / "amazon_models" / "feeds_2021-06-30.json"
CONTENT_TYPE = "text/xml; charset=UTF-8"


@cache
def _definitions() -> dict[str, Any]:
    definitions: dict[str, Any] = json.loads(MODEL.read_text(encoding="utf-8"))["definitions"]
    return definitions


def validate(definition: str, body: Any) -> None:
    """Validate against a definition of the official feeds model."""
    schema = {"$ref": f"#/definitions/{definition}", "definitions": _definitions()}
    jsonschema.Draft4Validator(schema).validate(body)


def feed_xml(messages: list[tuple[str, list[tuple[str, str]]]]) -> str:
    """An OrderAcknowledgement feed: (order id, [(item id, reason)]) per message."""
    parts = []
    for n, (order_id, items) in enumerate(messages, start=1):
        item_xml = "".join(
            f"<Item><AmazonOrderItemCode>{i}</AmazonOrderItemCode>"
            f"<CancelReason>{r}</CancelReason></Item>"
            for i, r in items
        )
        parts.append(
            f"<Message><MessageID>{n}</MessageID><OrderAcknowledgement>"
            f"<AmazonOrderID>{order_id}</AmazonOrderID><StatusCode>Failure</StatusCode>"
            f"{item_xml}</OrderAcknowledgement></Message>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><AmazonEnvelope><Header>'
        "<DocumentVersion>1.01</DocumentVersion><MerchantIdentifier>M</MerchantIdentifier>"
        "</Header><MessageType>OrderAcknowledgement</MessageType>"
        + "".join(parts)
        + "</AmazonEnvelope>"
    )


@pytest.fixture
def clock() -> FakeClock:
    """The marketplace's fake clock."""
    return FakeClock()


@pytest.fixture
def mp(clock: FakeClock) -> Marketplace:
    """A marketplace of 80 orders, rate limits on."""
    return Marketplace(seed=3, orders=80, clock=clock)


@pytest.fixture
def client(mp: Marketplace) -> httpx.Client:
    """An authorised client on the in-process transport."""
    c = httpx.Client(transport=mp.transport(), base_url="https://sandbox.test")
    answer = c.post(
        "/auth/o2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": SANDBOX_LWA_REFRESH_TOKEN,
            "client_id": SANDBOX_LWA_CLIENT_ID,
            "client_secret": SANDBOX_LWA_CLIENT_SECRET,
        },
    )
    c.headers["x-amz-access-token"] = answer.json()["access_token"]
    return c


def submit(client: httpx.Client, clock: FakeClock, xml: str) -> ET.Element:
    """Run the whole feed flow and return the processing report's root."""
    created = client.post("/feeds/2021-06-30/documents", json={"contentType": CONTENT_TYPE})
    assert created.status_code == 201
    validate("CreateFeedDocumentResponse", created.json())
    # The presigned URL is on the sandbox too; no access token is needed there.
    upload = client.put(
        created.json()["url"], content=xml.encode(), headers={"Content-Type": CONTENT_TYPE}
    )
    assert upload.status_code == 200
    feed = client.post(
        "/feeds/2021-06-30/feeds",
        json={
            "feedType": "POST_ORDER_ACKNOWLEDGEMENT_DATA",
            "marketplaceIds": ["ATVPDKIKX0DER"],
            "inputFeedDocumentId": created.json()["feedDocumentId"],
        },
    )
    assert feed.status_code == 202
    validate("CreateFeedResponse", feed.json())
    feed_id = feed.json()["feedId"]
    first = client.get(f"/feeds/2021-06-30/feeds/{feed_id}").json()
    validate("Feed", first)
    assert first["processingStatus"] == "IN_QUEUE"
    clock.advance(61)
    done = client.get(f"/feeds/2021-06-30/feeds/{feed_id}").json()
    validate("Feed", done)
    assert done["processingStatus"] == "DONE"
    clock.advance(60)  # getFeedDocument's bucket is small; be polite
    document = client.get(f"/feeds/2021-06-30/documents/{done['resultFeedDocumentId']}")
    assert document.status_code == 200
    validate("FeedDocument", document.json())
    report = client.get(document.json()["url"])
    return ET.fromstring(report.content)


def test_feed_cancels_requested_items_with_reason(
    client: httpx.Client, clock: FakeClock, mp: Marketplace
) -> None:
    """A Failure acknowledgement with BuyerCanceled cancels the item and closes the request."""
    (order_id, item_id), _ = next(iter(mp.truth().buyer_cancel_requests.items()))
    report = submit(client, clock, feed_xml([(order_id, [(item_id, "BuyerCanceled")])]))
    summary = report.find("Message/ProcessingReport/ProcessingSummary")
    assert summary is not None
    assert summary.findtext("MessagesProcessed") == "1"
    assert summary.findtext("MessagesWithError") == "0"
    truth = mp.truth()
    assert (order_id, item_id) not in truth.buyer_cancel_requests
    assert truth.seller_cancellations[(order_id, item_id)] == "BuyerCanceled"
    # Stamped when processing finished: createFeed time + 60 s (the clock moved 121 s since).
    assert truth.order(order_id).last_update_date == clock.now() - timedelta(seconds=61)


def test_feed_refuses_shipped_and_afn_orders(
    client: httpx.Client, clock: FakeClock, mp: Marketplace
) -> None:
    """Cancelling a shipped or Amazon-fulfilled order is an Error result; the order is unchanged."""
    orders = mp.truth().orders
    shipped = next(
        o
        for o in orders
        if o.status is OrderStatus.SHIPPED and o.fulfillment_channel is FulfillmentChannel.MFN
    )
    afn = next(
        o
        for o in orders
        if o.fulfillment_channel is FulfillmentChannel.AFN and o.status is OrderStatus.UNSHIPPED
    )
    report = submit(
        client, clock, feed_xml([(shipped.amazon_order_id, []), (afn.amazon_order_id, [])])
    )
    results = report.findall("Message/ProcessingReport/Result")
    assert [r.findtext("ResultCode") for r in results] == ["Error", "Error"]
    assert report.findtext("Message/ProcessingReport/ProcessingSummary/MessagesWithError") == "2"
    assert mp.truth().order(shipped.amazon_order_id).status is OrderStatus.SHIPPED
    assert mp.truth().order(afn.amazon_order_id).status is OrderStatus.UNSHIPPED


def test_whole_order_cancel(client: httpx.Client, clock: FakeClock, mp: Marketplace) -> None:
    """A Failure acknowledgement without items cancels the whole unshipped order."""
    order = next(
        o
        for o in mp.truth().orders
        if o.status is OrderStatus.UNSHIPPED and o.fulfillment_channel is FulfillmentChannel.MFN
    )
    submit(client, clock, feed_xml([(order.amazon_order_id, [])]))
    assert mp.truth().order(order.amazon_order_id).status is OrderStatus.CANCELED


def test_upload_needs_same_content_type(client: httpx.Client) -> None:
    """The presigned upload refuses a Content-Type other than createFeedDocument's."""
    created = client.post("/feeds/2021-06-30/documents", json={"contentType": CONTENT_TYPE})
    upload = client.put(
        created.json()["url"], content=b"<x/>", headers={"Content-Type": "application/json"}
    )
    assert upload.status_code == 403
