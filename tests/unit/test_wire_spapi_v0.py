"""SP-API Orders v0 JSON parsing (wire.spapi_v0) on official model examples and hand fixtures."""

from __future__ import annotations

import contextlib
import copy
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from amzcancel.errors import (
    AmzCancelError,
    APIError,
    AuthError,
    InvalidInputError,
    NotFoundError,
    ParseError,
    ServerError,
    ThrottledError,
)
from amzcancel.models import FulfillmentChannel, Money, OrderStatus, Source
from amzcancel.wire import spapi_v0

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "spapi_v0"
# A copy of the official model (tests/amazon_models) keeps this check running everywhere.
MODEL = Path(__file__).resolve().parents[1] / "amazon_models" / "ordersV0.json"


def load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def load_json(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(load(name))
    return data


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


@dataclass(frozen=True)
class OrdersExpect:
    ids: tuple[str, ...]
    statuses: tuple[OrderStatus | None, ...]
    next_token: str | None
    last_updated_before: datetime | None
    created_before: datetime | None = None


ORDER_PAGES = [
    pytest.param(
        "getOrders.model.200.1.json",
        OrdersExpect(
            ("902-1845936-5435065", "902-8745147-1934268"),
            (OrderStatus.UNSHIPPED, OrderStatus.UNSHIPPED),
            None,
            None,
            None,
        ),
        id="sandbox-TEST_CASE_200-bad-CreatedBefore",
    ),
    pytest.param(
        "getOrders.model.200.2.json",
        OrdersExpect(
            ("902-3159896-1390916",), (OrderStatus.PENDING,), "2YgYW55IGNhcm5hbCBwbGVhc3VyZS4", None
        ),
        id="sandbox-next-token-page-1",
    ),
    pytest.param(
        "getOrders.model.200.3.json",
        OrdersExpect(("902-3159896-1390916",), (OrderStatus.PENDING,), None, None),
        id="sandbox-next-token-page-2",
    ),
    pytest.param(
        "getOrders.model.200.4.json",
        OrdersExpect(
            ("902-3159896-1390916",), (OrderStatus.PENDING,), "2YgYW55IGNhcm5hbCBwbGVhc3VyZS4", None
        ),
        id="model-example",
    ),
    pytest.param(
        "getOrders.hand.200.1.json",
        OrdersExpect(
            (
                "902-1845936-5435065",
                "902-8745147-1934268",
                "902-0000001-0000001",
                "902-0000002-0000002",
            ),
            (
                OrderStatus.UNSHIPPED,
                OrderStatus.SHIPPED,
                None,
                OrderStatus.INVOICE_UNCONFIRMED,
            ),
            None,
            utc(2026, 11, 21, 9, 58),
        ),
        id="last-page-with-unknown-status",
    ),
    pytest.param(
        "getOrders.hand.200.2.json",
        OrdersExpect((), (), None, utc(2026, 11, 21, 9, 58)),
        id="empty-page",
    ),
    pytest.param(
        "getOrders.hand.200.3.json",
        OrdersExpect(("171-0000002-0000002",), (OrderStatus.PENDING,), None, None),
        id="missing-optional-fields-empty-next-token",
    ),
    pytest.param(
        "getOrders.hand.200.4.json",
        OrdersExpect(
            ("902-1845936-5435065",), (OrderStatus.UNSHIPPED,), None, utc(2026, 11, 21, 9, 58)
        ),
        id="every-model-field",
    ),
    pytest.param(
        "getOrders.hand.200.5.json",
        OrdersExpect(
            ("305-0000003-0000003", "305-0000004-0000004"),
            (OrderStatus.PARTIALLY_SHIPPED, OrderStatus.UNSHIPPED),
            "Zm9vL2JhcitiYXo9",
            utc(2026, 11, 21, 9, 58),
        ),
        id="unknown-extra-fields-and-bad-optional-values",
    ),
    pytest.param(
        "getOrders.hand.200.9.json",
        OrdersExpect(("171-0000009-0000009",), (None,), None, None),
        id="only-the-order-id",
    ),
]


@pytest.mark.parametrize(("name", "expect"), ORDER_PAGES)
def test_get_orders_pages(name: str, expect: OrdersExpect) -> None:
    """Each getOrders page yields its orders, statuses, NextToken and echoed window bounds."""
    page = spapi_v0.parse_get_orders(load(name))
    assert tuple(order.amazon_order_id for order in page.orders) == expect.ids
    assert tuple(order.status for order in page.orders) == expect.statuses
    assert page.next_token == expect.next_token
    assert page.last_updated_before == expect.last_updated_before
    assert page.created_before == expect.created_before
    assert all(order.source is Source.SPAPI_V0 and order.items == [] for order in page.orders)


def test_sandbox_created_before_costs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    """The sandbox's non-ISO CreatedBefore is dropped with a warning; the orders stay intact."""
    caplog.set_level(logging.WARNING, logger="amzcancel")
    page = spapi_v0.parse_get_orders(load("getOrders.model.200.1.json"))
    assert page.created_before is None
    assert "1.569521782042E9" in caplog.text
    first = page.orders[0]
    assert first.purchase_date == utc(1970, 1, 19, 3, 58, 30)
    assert first.last_update_date == utc(1970, 1, 19, 3, 58, 32)
    assert first.fulfillment_channel is FulfillmentChannel.MFN
    assert first.marketplace_id == "ATVPDKIKX0DER"
    assert first.order_total == Money(currency_code="USD", amount=Decimal("11.01"))
    assert first.unit_count == 1  # NumberOfItemsShipped 0 + NumberOfItemsUnshipped 1
    assert "unit_count" not in first.to_json()


def test_unit_count_adds_shipped_and_unshipped_and_is_none_without_them() -> None:
    """The listing's unit count (what a multi-path sync routes by) is shipped + unshipped."""
    body = {
        "payload": {
            "Orders": [
                {"AmazonOrderId": "1", "NumberOfItemsShipped": 2, "NumberOfItemsUnshipped": 3},
                {"AmazonOrderId": "2", "NumberOfItemsUnshipped": 4},
                {"AmazonOrderId": "3"},
            ]
        }
    }
    orders = spapi_v0.parse_get_orders(json.dumps(body)).orders
    assert [o.unit_count for o in orders] == [5, 4, None]


def test_dates_are_normalised_to_utc() -> None:
    """Offsets and fractions in v0 dates become aware UTC datetimes written with Z."""
    first, afn, *_ = spapi_v0.parse_get_orders(load("getOrders.hand.200.1.json")).orders
    assert first.last_update_date == utc(2026, 11, 21, 9, 30)
    assert first.last_update_date is not None
    assert first.last_update_date.tzinfo is UTC
    assert afn.purchase_date == datetime(2026, 11, 20, 7, 15, 0, 250000, tzinfo=UTC)
    assert afn.fulfillment_channel is FulfillmentChannel.AFN
    assert '"last_update_date":"2026-11-21T09:30:00Z"' in first.to_json()


def test_bad_optional_values_are_dropped(caplog: pytest.LogCaptureFixture) -> None:
    """Malformed dates and amounts the job does not need become None, each with a warning."""
    caplog.set_level(logging.WARNING, logger="amzcancel")
    bad_total, bad_dates = spapi_v0.parse_get_orders(load("getOrders.hand.200.5.json")).orders
    assert bad_total.order_total is None
    assert bad_total.purchase_date == utc(2026, 11, 20, 8)
    assert bad_dates.purchase_date is None
    assert bad_dates.last_update_date is None
    assert "2013-09-071T02:00:00.000-06:00" in caplog.text
    assert "20178-02-20T19:49:35Z" in caplog.text


def test_unknown_status_is_logged_not_fatal(caplog: pytest.LogCaptureFixture) -> None:
    """An OrderStatus Amazon adds later keeps the order, with status None and a warning."""
    caplog.set_level(logging.WARNING, logger="amzcancel")
    page = spapi_v0.parse_get_orders(load("getOrders.hand.200.1.json"))
    assert page.orders[2].status is None
    assert "AwaitingSomethingNew" in caplog.text


@pytest.mark.parametrize(
    ("name", "order_id", "status", "channel"),
    [
        pytest.param(
            "getOrder.model.200.1.json",
            "902-1845936-5435065",
            OrderStatus.UNSHIPPED,
            FulfillmentChannel.MFN,
            id="sandbox-TEST_CASE_200",
        ),
        pytest.param(
            "getOrder.model.200.2.json",
            "921-3175655-0452641",
            OrderStatus.SHIPPED,
            FulfillmentChannel.AFN,
            id="sandbox-TEST_CASE_IBA_200",
        ),
        pytest.param(
            "getOrder.model.200.3.json",
            "902-3159896-1390916",
            OrderStatus.PENDING,
            FulfillmentChannel.MFN,
            id="model-example",
        ),
        pytest.param(
            "getOrder.hand.200.1.json",
            "902-1845936-5435065",
            OrderStatus.UNSHIPPED,
            FulfillmentChannel.MFN,
            id="every-model-field",
        ),
    ],
)
def test_get_order(
    name: str, order_id: str, status: OrderStatus, channel: FulfillmentChannel
) -> None:
    """getOrder yields one order without items."""
    order = spapi_v0.parse_get_order(load(name))
    assert (order.amazon_order_id, order.status, order.fulfillment_channel) == (
        order_id,
        status,
        channel,
    )
    assert order.items == []
    assert order.source is Source.SPAPI_V0


def test_get_order_keeps_fractional_seconds() -> None:
    """The IBA sandbox order's fractional PurchaseDate survives as UTC microseconds."""
    order = spapi_v0.parse_get_order(load("getOrder.model.200.2.json"))
    assert order.purchase_date == datetime(2019, 5, 7, 15, 42, 57, 58000, tzinfo=UTC)
    assert order.order_total == Money(currency_code="EUR", amount=Decimal("100.00"))


@dataclass(frozen=True)
class ItemsExpect:
    order_id: str
    items: tuple[tuple[str, bool, str | None], ...]
    next_token: str | None = None


ITEM_PAGES = [
    pytest.param(
        "getOrderItems.model.200.1.json",
        ItemsExpect(
            "902-1845936-5435065", (("05015851154158", True, "Found cheaper somewhere else."),)
        ),
        id="sandbox-flag-true",
    ),
    pytest.param(
        "getOrderItems.model.200.2.json",
        ItemsExpect(
            "903-1671087-0812628",
            (
                ("68828574383266", True, "Found cheaper somewhere else."),
                ("79039765272157", True, "Found cheaper somewhere else."),
            ),
            "2YgYW55IGNhcm5hbCBwbGVhc3VyZS4",
        ),
        id="model-example-multi-page",
    ),
    pytest.param(
        "getOrderItems.hand.200.1.json",
        ItemsExpect("902-1845936-5435065", (("05015851154158", False, None),)),
        id="flag-false-empty-reason",
    ),
    pytest.param(
        "getOrderItems.hand.200.2.json",
        ItemsExpect(
            "902-1845936-5435065", (("05015851154158", True, "Changed mind about purchase"),)
        ),
        id="flag-True",
    ),
    pytest.param(
        "getOrderItems.hand.200.3.json",
        ItemsExpect(
            "902-1845936-5435065",
            (("05015851154158", True, "Delivery time too long"),),
            "aXRlbXMvcGFnZSsy",
        ),
        id="flag-TRUE",
    ),
    pytest.param(
        "getOrderItems.hand.200.4.json",
        ItemsExpect("902-1845936-5435065", (("05015851154158", False, None),)),
        id="flag-object-missing",
    ),
    pytest.param(
        "getOrderItems.hand.200.5.json",
        ItemsExpect("902-1845936-5435065", ()),
        id="empty-items",
    ),
    pytest.param(
        "getOrderItems.hand.200.6.json",
        ItemsExpect(
            "902-1845936-5435065", (("05015851154158", True, "Found cheaper somewhere else."),)
        ),
        id="every-model-field",
    ),
    pytest.param(
        "getOrderItems.hand.200.7.json",
        ItemsExpect(
            "902-1845936-5435065", (("05015851154158", False, None), ("05015851154159", True, None))
        ),
        id="flag-object-null-and-json-boolean",
    ),
]


@pytest.mark.parametrize(("name", "expect"), ITEM_PAGES)
def test_get_order_items_pages(name: str, expect: ItemsExpect) -> None:
    """Each getOrderItems page yields its items with the string flag read as a real bool."""
    page = spapi_v0.parse_get_order_items(load(name))
    assert page.amazon_order_id == expect.order_id
    got = tuple(
        (item.order_item_id, item.buyer_cancel.requested, item.buyer_cancel.reason)
        for item in page.items
    )
    assert got == expect.items
    assert all(type(item.buyer_cancel.requested) is bool for item in page.items)
    assert page.next_token == expect.next_token


def test_false_string_is_false() -> None:
    """The string "false" (truthy in Python) is read as not requested."""
    (item,) = spapi_v0.parse_get_order_items(load("getOrderItems.hand.200.1.json")).items
    assert item.buyer_cancel.requested is False
    assert item.buyer_cancel.reason is None


def test_item_fields_are_mapped() -> None:
    """ASIN, SKU, title, quantities and ItemPrice land in the domain item."""
    (item,) = spapi_v0.parse_get_order_items(load("getOrderItems.model.200.1.json")).items
    assert (item.asin, item.seller_sku, item.title) == (
        "B00551Q3CS",
        "NABetaASINB00551Q3CS",
        "B00551Q3CS [Card Book]",
    )
    assert (item.quantity_ordered, item.quantity_shipped) == (1, 0)
    assert item.item_price == Money(currency_code="USD", amount=Decimal("10.00"))


def test_mapping_bytes_and_text_read_the_same() -> None:
    """A decoded mapping, text and bytes of one document give equal pages."""
    raw = load("getOrderItems.model.200.2.json")
    expected = spapi_v0.parse_get_order_items(raw)
    assert spapi_v0.parse_get_order_items(raw.decode("utf-8")) == expected
    assert spapi_v0.parse_get_order_items(json.loads(raw)) == expected


@dataclass(frozen=True)
class ErrorExpect:
    cls: type[APIError]
    status: int
    code: str | None
    message: str
    details: str | None = None


ERRORS = [
    pytest.param(
        "getOrders.model.400.1.json",
        ErrorExpect(InvalidInputError, 400, "InvalidInput", "Invalid Input"),
        id="sandbox-getOrders-400",
    ),
    pytest.param(
        "getOrder.model.400.1.json",
        ErrorExpect(InvalidInputError, 400, "InvalidInput", "Invalid Input"),
        id="sandbox-getOrder-400",
    ),
    pytest.param(
        "getOrderItems.model.400.1.json",
        ErrorExpect(InvalidInputError, 400, "InvalidInput", "Invalid Input"),
        id="sandbox-getOrderItems-400",
    ),
    pytest.param(
        "getOrders.hand.400.1.json",
        ErrorExpect(InvalidInputError, 400, "InvalidInput", "InvalidInput"),
        id="null-message",
    ),
    pytest.param(
        "getOrders.hand.403.1.json",
        ErrorExpect(AuthError, 403, "Unauthorized", "Access to requested resource is denied."),
        id="unauthorized-403",
    ),
    pytest.param(
        "getOrders.hand.403.2.json",
        ErrorExpect(AuthError, 403, None, "Access to requested resource is denied."),
        id="gateway-bare-message-403",
    ),
    pytest.param(
        "getOrders.hand.429.1.json",
        ErrorExpect(
            ThrottledError,
            429,
            "QuotaExceeded",
            "You exceeded your quota for the requested resource.",
        ),
        id="quota-exceeded-429",
    ),
    pytest.param(
        "getOrder.hand.404.1.json",
        ErrorExpect(
            NotFoundError,
            404,
            "NotFound",
            "Order 902-0000404-0000404 not found.",
            "Check the order id.",
        ),
        id="not-found-404",
    ),
    pytest.param(
        "getOrders.hand.503.1.html",
        ErrorExpect(ServerError, 503, None, "HTTP 503 response without a JSON error body"),
        id="html-503-page",
    ),
]


@pytest.mark.parametrize(("name", "expect"), ERRORS)
def test_error_bodies(name: str, expect: ErrorExpect) -> None:
    """Each error body becomes the right APIError subclass with code, message and details."""
    error = spapi_v0.parse_error_body(load(name), status_code=expect.status, request_id="rid-1")
    assert type(error) is expect.cls
    assert error.status_code == expect.status
    assert error.code == expect.code
    assert error.message == expect.message
    assert error.details == expect.details
    assert error.request_id == "rid-1"


def test_error_body_keeps_every_error() -> None:
    """All entries of the errors array are kept, the first one decides the class."""
    body = {
        "errors": [
            {"code": "QuotaExceeded", "message": "slow down"},
            {"code": "InvalidInput", "message": "also bad", "details": "x"},
        ]
    }
    error = spapi_v0.parse_error_body(body)
    assert isinstance(error, ThrottledError)
    assert [entry["code"] for entry in error.errors] == ["QuotaExceeded", "InvalidInput"]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(None, id="no-body"),
        pytest.param(b"", id="empty"),
        pytest.param("[]", id="array"),
    ],
)
def test_error_without_usable_body_keeps_status(body: bytes | str | None) -> None:
    """No body, an empty body or a non-object body still gives an error classed by status."""
    error = spapi_v0.parse_error_body(body, status_code=429, request_id="rid-2")
    assert isinstance(error, ThrottledError)
    assert error.request_id == "rid-2"


PARSERS: list[Callable[[Any], object]] = [
    spapi_v0.parse_get_orders,
    spapi_v0.parse_get_order,
    spapi_v0.parse_get_order_items,
]


@pytest.mark.parametrize("parse", PARSERS)
def test_200_with_errors_and_no_payload_raises(parse: Callable[[Any], object]) -> None:
    """A 200 document carrying only an errors array raises that error from every parser."""
    with pytest.raises(InvalidInputError) as error:
        parse(load("getOrders.hand.200.6.json"))
    assert error.value.code == "InvalidInput"
    assert error.value.details == "MarketplaceIds is required"


def test_missing_order_id_sets_the_order_aside() -> None:
    """An order without AmazonOrderId is set aside naming its JSON path; strict raises there."""
    page = spapi_v0.parse_get_orders(load("getOrders.hand.200.7.json"))
    assert [order.amazon_order_id for order in page.orders] == ["902-0000009-0000009"]
    assert [(u.amazon_order_id, u.error) for u in page.unreadable] == [
        (None, "at $.payload.Orders[1].AmazonOrderId: required value is missing")
    ]
    with pytest.raises(ParseError) as error:
        spapi_v0.parse_get_orders(load("getOrders.hand.200.7.json"), strict=True)
    assert error.value.source == "spapi-v0"
    assert error.value.location == "$.payload.Orders[1].AmazonOrderId"
    assert str(error.value).startswith("spapi-v0: at $.payload.Orders[1].AmazonOrderId:")


def test_orders_must_be_a_list() -> None:
    """payload.Orders that is not a list is a ParseError at that path."""
    with pytest.raises(ParseError) as error:
        spapi_v0.parse_get_orders(load("getOrders.hand.200.8.json"))
    assert error.value.location == "$.payload.Orders"


@pytest.mark.parametrize(
    ("name", "location", "fragment"),
    [
        pytest.param(
            "getOrderItems.hand.200.8.json",
            "$.payload.OrderItems[0].BuyerRequestedCancel.IsBuyerRequestedCancel",
            "maybe",
            id="flag-maybe",
        ),
        pytest.param(
            "getOrderItems.hand.200.9.json",
            "$.payload.OrderItems[0].OrderItemId",
            None,
            id="missing-item-id",
        ),
        pytest.param(
            "getOrderItems.hand.200.10.json",
            "$.payload.OrderItems[0].BuyerRequestedCancel",
            "'true'",
            id="flag-object-is-a-string",
        ),
    ],
)
def test_what_the_job_needs_is_strict(name: str, location: str, fragment: str | None) -> None:
    """An unreadable flag or a missing item id is never guessed: ParseError at its path."""
    with pytest.raises(ParseError) as error:
        spapi_v0.parse_get_order_items(load(name))
    assert error.value.location == location
    assert error.value.fragment == fragment


@pytest.mark.parametrize(
    "doc",
    [
        pytest.param(b"<html>503</html>", id="html"),
        pytest.param(b"\xff\xfe\x00", id="not-utf8"),
        pytest.param("[1, 2]", id="array"),
        pytest.param("{}", id="no-payload"),
        pytest.param('{"payload": "x"}', id="payload-not-object"),
    ],
)
def test_documents_that_are_not_responses(doc: bytes | str) -> None:
    """Non-JSON, non-object and payload-less documents are ParseErrors naming spapi-v0."""
    with pytest.raises(ParseError) as error:
        spapi_v0.parse_get_orders(doc)
    assert error.value.source == "spapi-v0"
    assert error.value.location is not None


# Fixtures that deliberately step outside the official model, and why.
OFF_MODEL = {
    "getOrders.hand.200.1.json": "unknown OrderStatus value",
    "getOrders.hand.200.7.json": "order without AmazonOrderId",
    "getOrders.hand.200.8.json": "Orders is an object",
    "getOrders.hand.200.9.json": "order without the model's required dates and status",
    "getOrders.hand.400.1.json": "message is null, as seen in the wild",
    "getOrderItems.hand.200.7.json": "BuyerRequestedCancel null; flag as a JSON boolean",
    "getOrderItems.hand.200.9.json": "item without OrderItemId",
    "getOrderItems.hand.200.10.json": "BuyerRequestedCancel is a string",
}
_RESPONSES = {
    "getOrders": "GetOrdersResponse",
    "getOrder": "GetOrderResponse",
    "getOrderItems": "GetOrderItemsResponse",
}


@pytest.mark.parametrize("name", sorted(path.name for path in FIXTURES.glob("*.json")))
def test_fixtures_follow_the_official_model(name: str) -> None:
    """JSON fixtures validate against ordersV0.json, except the listed deliberate deviations."""
    definitions = json.loads(MODEL.read_text(encoding="utf-8"))["definitions"]
    schema = {"$ref": f"#/definitions/{_RESPONSES[name.split('.')[0]]}", "definitions": definitions}
    errors = list(jsonschema.Draft4Validator(schema).iter_errors(load_json(name)))
    assert (not errors) == (name not in OFF_MODEL), [error.message for error in errors]


def test_every_fixture_is_exercised() -> None:
    """Every v0 fixture on disk appears in one of the tests above."""
    used = {
        "getOrder.model.200.1.json",
        "getOrder.model.200.2.json",
        "getOrder.model.200.3.json",
        "getOrder.hand.200.1.json",
        "getOrders.hand.200.6.json",
        "getOrders.hand.200.7.json",
        "getOrders.hand.200.8.json",
        "getOrderItems.hand.200.8.json",
        "getOrderItems.hand.200.9.json",
        "getOrderItems.hand.200.10.json",
    }
    for params in (ORDER_PAGES, ITEM_PAGES, ERRORS):
        used.update(str(param.values[0]) for param in params)
    assert {path.name for path in FIXTURES.iterdir()} == used


# --- property tests: whatever comes in, only AmzCancelError comes out ------------------------

_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(["true", "false", "", "2026-11-20T08:00:00Z", "1e999", "NaN", "-1"]),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
_JSON_FIXTURES = sorted(path.name for path in FIXTURES.glob("*.json"))


def _run_all(doc: Any) -> None:
    for parse in PARSERS:
        with contextlib.suppress(AmzCancelError):
            parse(doc)
    assert isinstance(spapi_v0.parse_error_body(doc, status_code=500), APIError)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, inner in value.items():
            found.extend(_paths(inner, (*prefix, key)))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found.extend(_paths(inner, (*prefix, index)))
    return found


@given(st.one_of(st.binary(max_size=300), st.text(max_size=300)))
def test_random_input_raises_only_our_errors(doc: bytes | str) -> None:
    """Arbitrary bytes or text never escape as anything but AmzCancelError."""
    _run_all(doc)


@given(st.dictionaries(st.sampled_from(["payload", "errors", "x"]), _JSON, max_size=3))
def test_random_json_raises_only_our_errors(doc: dict[str, Any]) -> None:
    """Arbitrary JSON objects, as mappings and as text, never escape as anything but ours."""
    _run_all(doc)
    _run_all(json.dumps(doc))


@given(st.sampled_from(_JSON_FIXTURES), st.data())
def test_mutated_fixtures_raise_only_our_errors(name: str, data: st.DataObject) -> None:
    """Fixtures with random values swapped in anywhere never escape as anything but ours."""
    doc = copy.deepcopy(load_json(name))
    for _ in range(data.draw(st.integers(1, 5))):
        path = data.draw(st.sampled_from(_paths(doc)))
        if not path:
            continue
        parent: Any = doc
        for step in path[:-1]:
            parent = parent[step]
        parent[path[-1]] = data.draw(_JSON)
    _run_all(doc)
