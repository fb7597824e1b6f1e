"""SP-API Orders 2026-01-01 parser on the model examples and hand-written variants."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from amzcancel.errors import (
    APIError,
    AuthError,
    InvalidInputError,
    ParseError,
    ServerError,
    ThrottledError,
)
from amzcancel.models import FulfillmentChannel, Money, Order, OrderStatus, Source
from amzcancel.wire.spapi_2026 import parse_error_body, parse_get_order, parse_search_orders

FIXTURES = Path(__file__).parent.parent / "fixtures" / "spapi_2026"

REQ = (True, "Found cheaper somewhere else.")
NO = (False, None)


def _load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def _summary(order: Order) -> tuple[object, ...]:
    """(id, status, channel, [(item id, requested, reason, ordered, shipped)]) of an order."""
    return (
        order.amazon_order_id,
        order.status,
        order.fulfillment_channel,
        [
            (
                item.order_item_id,
                (item.buyer_cancel.requested, item.buyer_cancel.reason),
                item.quantity_ordered,
                item.quantity_shipped,
            )
            for item in order.items
        ],
    )


U, S, C = OrderStatus.UNSHIPPED, OrderStatus.SHIPPED, OrderStatus.CANCELED
MFN, AFN = FulfillmentChannel.MFN, FulfillmentChannel.AFN

SEARCH_CASES = [
    pytest.param(
        "searchOrders.model.200.1.json",
        "2YgYW55IGNhcm5hbCBwbGVhc3VyZS4",
        [
            (
                "123-4567890-1234567",
                S,
                MFN,
                [
                    ("12345678901234", (True, "Changed mind about purchase"), 2, 2),
                    ("12345678901235", NO, 1, 1),
                ],
            )
        ],
        id="model-example-multi-page-executed-request",
    ),
    pytest.param(
        "searchOrders.model.200.2.json",
        "2YgYW55IGNhcm5hbCBwbGVhc3VyZS4",
        [
            (
                "250-1234567-8901234",
                S,
                AFN,
                [("25012345678901", NO, 1, 1), ("25012345678902", NO, 2, 2)],
            )
        ],
        id="model-sandbox-jp-afn",
    ),
    pytest.param(
        "searchOrders.model.200.3.json",
        None,
        [("202-7654321-1098765", S, MFN, [("20276543210987", NO, 1, 1)])],
        id="model-sandbox-last-page",
    ),
    pytest.param(
        "searchOrders.model.200.4.json",
        None,
        [("171-2345678-9012345", U, MFN, [("17123456789012", NO, 1, 0)])],
        id="model-sandbox-unshipped",
    ),
    pytest.param(
        "searchOrders.hand.200.1.json",
        "9ZhB4RmVyc2lvbiAxLjAgb2YgdGhl+/=",
        [
            (
                "902-1845936-5435065",
                U,
                MFN,
                [("05015851154158", REQ, 1, 0), ("05015851154159", NO, 1, 0)],
            ),
            ("902-1845936-5435066", OrderStatus.PENDING, MFN, [("05015851154160", NO, 2, 0)]),
        ],
        id="hand-first-page-open-request",
    ),
    pytest.param(
        "searchOrders.hand.200.2.json",
        None,
        [
            (
                "902-1845936-5435067",
                C,
                MFN,
                [("05015851154161", (True, "Changed mind about purchase"), 1, 0)],
            ),
            (
                "902-1845936-5435068",
                OrderStatus.PARTIALLY_SHIPPED,
                MFN,
                [("05015851154162", NO, 3, 1)],
            ),
        ],
        id="hand-last-page-executed-request",
    ),
    pytest.param("searchOrders.hand.200.3.json", None, [], id="hand-empty-page"),
    pytest.param(
        "searchOrders.hand.200.4.json",
        None,
        [("113-0000000-0000001", None, None, [("11300000000001", NO, 1, None)])],
        id="hand-required-fields-only",
    ),
    pytest.param(
        "searchOrders.hand.200.5.json",
        None,
        [
            (
                "902-1845936-5435069",
                None,
                None,
                [("05015851154163", (True, "Ordered by mistake"), None, 0)],
            )
        ],
        id="hand-unknown-fields-and-malformed-unneeded-values",
    ),
    pytest.param(
        "searchOrders.hand.200.6.json",
        None,
        [
            (
                "113-0000000-0000002",
                U,
                MFN,
                [
                    ("11300000000002", (True, None), 1, 0),
                    ("11300000000003", NO, 1, 0),
                    ("11300000000004", NO, 1, 0),
                ],
            ),
            ("113-0000000-0000003", U, AFN, [("11300000000005", REQ, 1, 0)]),
        ],
        id="hand-requester-variants",
    ),
]


@pytest.mark.parametrize(("name", "next_token", "expected"), SEARCH_CASES)
def test_search_orders_fixtures(name: str, next_token: str | None, expected: list[object]) -> None:
    """searchOrders pages map to orders with items, flags, reasons and the next token."""
    page = parse_search_orders(_load(name))
    assert page.next_token == next_token
    assert [_summary(order) for order in page.orders] == expected
    assert all(order.source is Source.SPAPI_2026 for order in page.orders)


def test_search_orders_echoes_window_bounds() -> None:
    """lastUpdatedBefore and createdBefore are echoed as aware UTC datetimes."""
    page = parse_search_orders(_load("searchOrders.hand.200.3.json"))
    assert page.last_updated_before == datetime(2026, 11, 21, 10, 0, 0, 250000, tzinfo=UTC)
    sandbox = parse_search_orders(_load("searchOrders.model.200.2.json"))
    assert sandbox.created_before == datetime(2024, 12, 25, 3, 0, tzinfo=UTC)
    assert sandbox.last_updated_before is None


def test_search_orders_maps_dates_money_and_marketplace() -> None:
    """createdTime/lastUpdatedTime, marketplace, proceeds and unit price are carried over."""
    order = parse_search_orders(_load("searchOrders.model.200.1.json")).orders[0]
    assert order.marketplace_id == "ATVPDKIKX0DER"
    assert order.purchase_date == datetime(2024, 12, 25, 10, 30, tzinfo=UTC)
    assert order.last_update_date == datetime(2024, 12, 25, 14, 45, tzinfo=UTC)
    assert order.order_total == Money(currency_code="USD", amount=Decimal("154.99"))
    item = order.items[0]
    assert (item.asin, item.seller_sku) == ("B08N5WRWNW", "ECHO-DOT-4-CHARCOAL")
    assert item.title == "Echo Dot (4th Gen) | Smart speaker with Alexa | Charcoal"
    assert item.item_price == Money(currency_code="USD", amount=Decimal("49.99"))


def test_malformed_unneeded_values_warn_and_keep_the_order(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Bad dates, amounts, quantities and enum values become None with a warning."""
    with caplog.at_level(logging.WARNING, logger="amzcancel"):
        page = parse_search_orders(_load("searchOrders.hand.200.5.json"))
    order = page.orders[0]
    assert order.purchase_date is None
    assert order.order_total is None
    assert order.items[0].item_price is None
    assert page.last_updated_before is None
    text = caplog.text
    for where in ("createdTime", "quantityOrdered", "fulfilledBy", "lastUpdatedBefore"):
        assert where in text


@pytest.mark.parametrize(
    ("name", "order_id", "status", "items"),
    [
        pytest.param("getOrder.model.200.1.json", "202-1234567-8901234", S, 1, id="model-example"),
        pytest.param("getOrder.model.200.2.json", "171-9876543-2109876", U, 1, id="sandbox-br"),
        pytest.param("getOrder.model.200.3.json", "028-1234567-8901234", S, 1, id="sandbox-tr"),
        pytest.param("getOrder.model.200.4.json", "114-9876543-1234567", U, 1, id="sandbox-us"),
    ],
)
def test_get_order_fixtures(name: str, order_id: str, status: OrderStatus, items: int) -> None:
    """getOrder's {"order": ...} body maps to one order with its items."""
    order = parse_get_order(_load(name))
    assert (order.amazon_order_id, order.status, len(order.items)) == (order_id, status, items)
    assert order.source is Source.SPAPI_2026


@pytest.mark.parametrize(
    ("name", "error", "code"),
    [
        pytest.param("searchOrders.model.400.1.json", InvalidInputError, "InvalidInput", id="400"),
        pytest.param("getOrder.model.400.1.json", InvalidInputError, "InvalidInput", id="get-400"),
        pytest.param("searchOrders.hand.403.1.json", AuthError, "Unauthorized", id="403"),
        pytest.param("getOrder.hand.404.1.json", APIError, "NotFound", id="404"),
        pytest.param("searchOrders.hand.429.1.json", ThrottledError, "QuotaExceeded", id="429"),
        pytest.param("searchOrders.hand.500.1.json", APIError, "InternalFailure", id="500"),
    ],
)
def test_error_bodies_raise_api_errors(name: str, error: type[APIError], code: str) -> None:
    """An error body raises the APIError subclass its code names, from both operations."""
    for parse in (parse_search_orders, parse_get_order):
        with pytest.raises(error) as info:
            parse(_load(name))
        assert info.value.code == code


def test_error_body_with_status_picks_class_and_keeps_request_id() -> None:
    """parse_error_body uses the HTTP status when the code does not decide the class."""
    error = parse_error_body(
        _load("searchOrders.hand.500.1.json"), status_code=500, request_id="req-1"
    )
    assert isinstance(error, ServerError)
    assert error.request_id == "req-1"
    assert error.errors == [json.loads(_load("searchOrders.hand.500.1.json"))["errors"][0]]


@pytest.mark.parametrize(
    ("name", "order_id", "location"),
    [
        pytest.param(
            "searchOrders.hand.invalid.1.json", None, "$.orders[0].orderId", id="no-order-id"
        ),
        pytest.param(
            "searchOrders.hand.invalid.2.json",
            "902-1845936-5435070",
            "$.orders[0].orderItems[0].orderItemId",
            id="no-item-id",
        ),
        pytest.param(
            "searchOrders.hand.invalid.3.json",
            "902-1845936-5435071",
            "$.orders[0].orderItems[0].cancellation.cancellationRequest.requester",
            id="requester-not-text",
        ),
    ],
)
def test_orders_lacking_what_the_job_needs_are_set_aside(
    name: str, order_id: str | None, location: str
) -> None:
    """Missing ids or an unreadable requester set the order aside; strict raises at its path."""
    page = parse_search_orders(_load(name))
    assert page.orders == []
    assert [u.amazon_order_id for u in page.unreadable] == [order_id]
    assert page.unreadable[0].error.startswith(f"at {location}: ")
    with pytest.raises(ParseError) as info:
        parse_search_orders(_load(name), strict=True)
    assert info.value.location == location
    assert info.value.source == "spapi-2026"


def test_a_page_without_an_orders_array_raises() -> None:
    """No orders array is a broken page, not an unreadable order: ParseError at $.orders."""
    with pytest.raises(ParseError) as info:
        parse_search_orders(_load("searchOrders.hand.invalid.4.json"))
    assert info.value.location == "$.orders"
    assert info.value.source == "spapi-2026"


def test_get_order_without_order_object_raises() -> None:
    """A getOrder body without "order" is a ParseError, not a crash."""
    with pytest.raises(ParseError) as info:
        parse_get_order(_load("getOrder.hand.invalid.1.json"))
    assert info.value.location == "$.order"


@pytest.mark.parametrize(
    "doc",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"[1, 2]", id="array"),
        pytest.param(b'{"orders": {}}', id="orders-not-array"),
    ],
)
def test_garbage_raises_parse_error(doc: bytes | str) -> None:
    """Non-JSON, non-objects and a page without its orders array raise ParseError."""
    with pytest.raises(ParseError):
        parse_search_orders(doc)


@pytest.mark.parametrize(
    ("doc", "order_id", "error"),
    [
        pytest.param(b'{"orders": [1]}', None, "at $.orders[0]: expected an object (got '1')"),
        pytest.param(
            '{"orders": [{"orderId": 7, "orderItems": null}]}',
            "7",
            "at $.orders[0].orderItems: required array is missing",
            id="items-null",
        ),
    ],
)
def test_wrongly_typed_orders_are_set_aside(
    doc: bytes | str, order_id: str | None, error: str
) -> None:
    """An order that is not an object, or whose items are not an array, is set aside."""
    page = parse_search_orders(doc)
    assert page.orders == []
    assert [(u.amazon_order_id, u.error) for u in page.unreadable] == [(order_id, error)]
    with pytest.raises(ParseError):
        parse_search_orders(doc, strict=True)


def test_accepts_decoded_mapping() -> None:
    """An already-decoded mapping parses the same as its bytes."""
    raw = _load("searchOrders.hand.200.1.json")
    assert parse_search_orders(json.loads(raw)) == parse_search_orders(raw)
