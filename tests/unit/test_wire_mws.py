"""MWS Orders 2013-09-01 XML parsing (wire.mws and wire._xml) on recorded and hand fixtures."""

from __future__ import annotations

import contextlib
import logging
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from amzcancel.errors import (
    AmzCancelError,
    APIError,
    AuthError,
    InvalidInputError,
    ParseError,
    ServerError,
    ThrottledError,
    UnsafeXMLError,
)
from amzcancel.models import FulfillmentChannel, Money, OrderStatus, Source
from amzcancel.wire import mws
from amzcancel.wire._xml import child_text, descendant, local_name, parse_xml

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mws"


def load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


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
        "ListOrders.model.200.1.xml",
        OrdersExpect(
            ("902-3159896-1390916", "483-3488972-0896720", "058-1233752-8214740"),
            (OrderStatus.UNSHIPPED,) * 3,
            "2YgYW55IGNhcm5hbCBwbGVhc3VyZS4=",
            datetime(2017, 2, 25, 18, 10, 21, 687000, tzinfo=UTC),
        ),
        id="doc-example-multi-page-quirks",
    ),
    pytest.param(
        "ListOrdersByNextToken.model.200.1.xml",
        OrdersExpect(("902-3159896-1390916",), (OrderStatus.PENDING,), None, None),
        id="doc-example-by-next-token-last-page",
    ),
    pytest.param(
        "ListOrders.hand.200.1.xml",
        OrdersExpect(
            ("902-1845936-5435065", "902-8745147-1934268", "902-0000001-0000001"),
            (OrderStatus.UNSHIPPED, OrderStatus.SHIPPED, None),
            None,
            utc(2026, 11, 21, 9, 58),
        ),
        id="last-page-with-unknown-status",
    ),
    pytest.param(
        "ListOrders.hand.200.2.xml",
        OrdersExpect((), (), None, utc(2026, 11, 21, 9, 58)),
        id="empty-page",
    ),
    pytest.param(
        "ListOrders.hand.200.3.xml",
        OrdersExpect(
            ("171-0000002-0000002",), (None,), "bWlzc2luZy1vcHRpb25hbA==", utc(2026, 11, 21, 9, 58)
        ),
        id="missing-optional-fields",
    ),
    pytest.param(
        "ListOrders.hand.200.4.xml",
        OrdersExpect(
            ("305-0000003-0000003",),
            (OrderStatus.PARTIALLY_SHIPPED,),
            "Z2F0ZXdheS10b2tlbg==",
            utc(2026, 11, 21, 9, 58),
        ),
        id="other-namespace-prefix-and-unknown-elements",
    ),
    pytest.param(
        "ListOrders.hand.200.5.xml",
        OrdersExpect(
            ("902-0000005-0000005",), (OrderStatus.PENDING,), None, None, utc(2026, 11, 21, 9, 58)
        ),
        id="created-before-echo",
    ),
]


@pytest.mark.parametrize(("name", "expect"), ORDER_PAGES)
def test_list_orders_pages(name: str, expect: OrdersExpect) -> None:
    """Each ListOrders page yields its orders, statuses, NextToken and echoed window bounds."""
    page = mws.parse_list_orders(load(name))
    assert tuple(order.amazon_order_id for order in page.orders) == expect.ids
    assert tuple(order.status for order in page.orders) == expect.statuses
    assert page.next_token == expect.next_token
    assert page.last_updated_before == expect.last_updated_before
    assert page.created_before == expect.created_before
    assert all(order.source is Source.MWS and order.items == [] for order in page.orders)


def test_doc_example_quirks_keep_every_order(caplog: pytest.LogCaptureFixture) -> None:
    """Amazon's broken doc dates (year 20178, URL-encoded) never cost an order."""
    caplog.set_level(logging.WARNING, logger="amzcancel")
    page = mws.parse_list_orders(load("ListOrders.model.200.1.xml"))
    first, broken, encoded = page.orders
    assert first.purchase_date == utc(2017, 2, 20, 19, 49, 35)
    assert first.order_total == Money(currency_code="USD", amount=Decimal("25.00"))
    assert first.unit_count == 1  # NumberOfItemsShipped 0 + NumberOfItemsUnshipped 1
    assert broken.purchase_date is None
    assert broken.last_update_date == utc(2017, 2, 20, 19, 49, 35)
    assert encoded.purchase_date == utc(2017, 2, 5, 0, 6, 7)
    assert encoded.last_update_date == utc(2017, 2, 7, 12, 43, 16)
    assert encoded.marketplace_id == "A1VC38T7YXB528"
    assert "20178-02-20T19:49:35Z" in caplog.text


def test_dates_are_normalised_to_utc() -> None:
    """Offsets and fractions in MWS dates become aware UTC datetimes."""
    page = mws.parse_list_orders(load("ListOrders.hand.200.1.xml"))
    first, afn, _ = page.orders
    assert first.last_update_date == utc(2026, 11, 21, 9, 30)
    assert first.last_update_date is not None
    assert first.last_update_date.tzinfo is UTC
    assert afn.purchase_date == datetime(2026, 11, 20, 7, 15, 0, 250000, tzinfo=UTC)
    assert afn.fulfillment_channel is FulfillmentChannel.AFN
    assert first.fulfillment_channel is FulfillmentChannel.MFN
    assert '"purchase_date":"2026-11-20T08:00:00Z"' in first.to_json()


def test_unknown_status_is_logged_not_fatal(caplog: pytest.LogCaptureFixture) -> None:
    """An OrderStatus Amazon adds later keeps the order, with status None and a warning."""
    caplog.set_level(logging.WARNING, logger="amzcancel")
    page = mws.parse_list_orders(load("ListOrders.hand.200.1.xml"))
    assert page.orders[2].status is None
    assert "AwaitingSomethingNew" in caplog.text


def test_missing_optional_fields_are_none() -> None:
    """An order with only its id reads with every optional field None."""
    (order,) = mws.parse_list_orders(load("ListOrders.hand.200.3.xml")).orders
    assert order.marketplace_id is None
    assert order.fulfillment_channel is None
    assert order.purchase_date is None
    assert order.last_update_date is None
    assert order.order_total is None


def test_text_and_bytes_read_the_same() -> None:
    """A document given as text parses exactly like the same bytes."""
    raw = load("ListOrders.hand.200.1.xml")
    assert mws.parse_list_orders(raw.decode("utf-8")) == mws.parse_list_orders(raw)


@dataclass(frozen=True)
class ItemsExpect:
    order_id: str
    items: tuple[tuple[str, bool, str | None], ...]
    next_token: str | None = None


ITEM_PAGES = [
    pytest.param(
        "ListOrderItems.model.200.1.xml",
        ItemsExpect(
            "058-1233752-8214740",
            (("68828574383266", False, None), ("79039765272157", False, None)),
            "MRgZW55IGNhcm5hbCBwbGVhc3VyZS6=",
        ),
        id="doc-example-no-flag-multi-page",
    ),
    pytest.param(
        "ListOrderItems.hand.200.1.xml",
        ItemsExpect(
            "902-1845936-5435065",
            (("05015851154158", True, "Found cheaper somewhere else."),),
            "aXRlbXMtcGFnZS0y",
        ),
        id="flag-true",
    ),
    pytest.param(
        "ListOrderItems.hand.200.2.xml",
        ItemsExpect("902-1845936-5435065", (("05015851154158", False, None),)),
        id="flag-false-empty-reason",
    ),
    pytest.param(
        "ListOrderItems.hand.200.3.xml",
        ItemsExpect(
            "902-1845936-5435065", (("05015851154158", True, "Changed mind about purchase"),)
        ),
        id="flag-True",
    ),
    pytest.param(
        "ListOrderItems.hand.200.4.xml",
        ItemsExpect("902-1845936-5435065", (("05015851154158", True, "Delivery time too long"),)),
        id="flag-TRUE",
    ),
    pytest.param(
        "ListOrderItems.hand.200.5.xml",
        ItemsExpect(
            "902-1845936-5435065",
            (("05015851154158", True, "Ordered by mistake"), ("05015851154159", False, None)),
        ),
        id="flag-1-and-0",
    ),
    pytest.param(
        "ListOrderItems.hand.200.6.xml",
        ItemsExpect("902-1845936-5435065", (("05015851154158", False, None),)),
        id="flag-object-missing",
    ),
    pytest.param(
        "ListOrderItems.hand.200.7.xml",
        ItemsExpect("902-1845936-5435065", ()),
        id="empty-items",
    ),
    pytest.param(
        "ListOrderItems.hand.200.8.xml",
        ItemsExpect(
            "902-1845936-5435065",
            (("05015851154158", True, "Gateway put the pair directly on the item"),),
        ),
        id="flag-flat-on-item",
    ),
    pytest.param(
        "ListOrderItemsByNextToken.hand.200.1.xml",
        ItemsExpect("902-1845936-5435065", (("05015851154160", False, None),)),
        id="by-next-token-last-page",
    ),
]


@pytest.mark.parametrize(("name", "expect"), ITEM_PAGES)
def test_list_order_items_pages(name: str, expect: ItemsExpect) -> None:
    """Each ListOrderItems page yields its items with the buyer-cancel flag as a real bool."""
    page = mws.parse_list_order_items(load(name))
    assert page.amazon_order_id == expect.order_id
    got = tuple(
        (item.order_item_id, item.buyer_cancel.requested, item.buyer_cancel.reason)
        for item in page.items
    )
    assert got == expect.items
    assert all(type(item.buyer_cancel.requested) is bool for item in page.items)
    assert page.next_token == expect.next_token


def test_a_half_nested_pair_keeps_each_field() -> None:
    """Flag flat on the item, reason nested: each field is read where it is."""
    doc = load("ListOrderItems.hand.200.8.xml").decode()
    flat = "<BuyerCancelReason>Gateway put the pair directly on the item</BuyerCancelReason>"
    nested = (
        "<BuyerRequestedCancel><BuyerCancelReason>nested</BuyerCancelReason></BuyerRequestedCancel>"
    )
    assert flat in doc
    [item] = mws.parse_list_order_items(doc.replace(flat, nested).encode()).items
    assert item.buyer_cancel.requested is True
    assert item.buyer_cancel.reason == "nested"


def test_item_fields_are_mapped() -> None:
    """ASIN, SKU, title, quantities and ItemPrice land in the domain item."""
    first, second = mws.parse_list_order_items(load("ListOrderItems.model.200.1.xml")).items
    assert (first.asin, first.seller_sku, first.title) == (
        "BT0093TELA",
        "CBA_OTF_1",
        "Example item name",
    )
    assert (first.quantity_ordered, first.quantity_shipped) == (1, 1)
    assert first.item_price == Money(currency_code="JPY", amount=Decimal("25.99"))
    assert (second.quantity_ordered, second.quantity_shipped) == (2, None)


@dataclass(frozen=True)
class ErrorExpect:
    cls: type[APIError]
    status: int
    code: str | None
    message: str
    request_id: str | None
    details: str | None = None


ERRORS = [
    pytest.param(
        "ListOrders.model.403.1.xml",
        ErrorExpect(
            AuthError,
            403,
            "InvalidClientTokenId",
            "The AWS Access Key Id you provided does not exist in our records.",
            "b7afc6c3-6f75-4707-bcf4-0475ad23162c",
            "com.amazonservices.mws.model.Error$Detail@17b6643",
        ),
        id="doc-example-RequestID",
    ),
    pytest.param(
        "ListOrders.hand.400.1.xml",
        ErrorExpect(
            InvalidInputError,
            400,
            "InvalidParameterValue",
            "CreatedAfter or LastUpdatedAfter must be specified",
            "e71f72f6-9a1e-4f5b-8a5b-3f3a6c1e0b11",
        ),
        id="invalid-parameter-RequestId",
    ),
    pytest.param(
        "ListOrders.hand.503.1.xml",
        ErrorExpect(
            ThrottledError,
            503,
            "RequestThrottled",
            "Request is throttled",
            "9d2a1f3b-5c4e-4b7a-9e8d-7c6b5a4f3e2d",
        ),
        id="request-throttled-503",
    ),
    pytest.param(
        "ListOrderItems.hand.503.1.xml",
        ErrorExpect(
            ThrottledError,
            503,
            "QuotaExceeded",
            "You exceeded your quota of 30 requests per 1 minute for operation "
            "Orders/2013-09-01/ListOrderItems.",
            "1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9",
        ),
        id="quota-exceeded-two-errors-metadata-request-id",
    ),
]


@pytest.mark.parametrize(("name", "expect"), ERRORS)
def test_error_responses(name: str, expect: ErrorExpect) -> None:
    """An ErrorResponse becomes the right APIError subclass with code, message and request id."""
    assert mws.is_error_response(load(name))
    error = mws.parse_error_response(load(name), status_code=expect.status)
    assert type(error) is expect.cls
    assert error.status_code == expect.status
    assert error.code == expect.code
    assert error.message == expect.message
    assert error.request_id == expect.request_id
    assert error.details == expect.details


@pytest.mark.parametrize(("name", "expect"), ERRORS)
def test_parsers_raise_error_responses(name: str, expect: ErrorExpect) -> None:
    """Given an ErrorResponse, both page parsers raise it (class chosen by the MWS code)."""
    with pytest.raises(expect.cls) as orders_error:
        mws.parse_list_orders(load(name))
    assert orders_error.value.code == expect.code
    with pytest.raises(expect.cls):
        mws.parse_list_order_items(load(name))


def test_all_errors_are_kept() -> None:
    """Every Error element of a multi-error response is kept on the exception."""
    error = mws.parse_error_response(load("ListOrderItems.hand.503.1.xml"), status_code=503)
    assert [entry["code"] for entry in error.errors] == ["QuotaExceeded", "RequestThrottled"]


def test_html_503_still_yields_a_server_error() -> None:
    """A proxy's HTML 503 page is not an ErrorResponse but still gives an error for its status."""
    html = load("ListOrders.hand.503.2.html")
    assert not mws.is_error_response(html)
    error = mws.parse_error_response(html, status_code=503)
    assert type(error) is ServerError
    assert error.status_code == 503
    assert error.code is None


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("ListOrders.hand.200.1.xml", id="orders-page"),
        pytest.param("ListOrderItems.hand.200.1.xml", id="items-page"),
    ],
)
def test_success_is_not_an_error_response(name: str) -> None:
    """Ordinary pages and garbage are not ErrorResponses."""
    assert not mws.is_error_response(load(name))
    assert not mws.is_error_response("not xml at all")


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("ListOrders.hand.200.6.xml", id="billion-laughs"),
        pytest.param("ListOrders.hand.200.7.xml", id="external-entity"),
    ],
)
def test_unsafe_xml_is_refused(name: str) -> None:
    """DTDs with entity bombs or external entities are refused before anything expands."""
    with pytest.raises(UnsafeXMLError) as error:
        mws.parse_list_orders(load(name))
    assert error.value.source == "mws"
    assert "passwd" not in str(error.value)
    assert "lol" not in str(error.value)
    assert not mws.is_error_response(load(name))


def test_malformed_xml_names_source_and_location() -> None:
    """A mismatched tag is a ParseError naming mws, the line and column, and the bad line."""
    with pytest.raises(ParseError) as error:
        mws.parse_list_orders(load("ListOrders.hand.200.8.xml"))
    assert type(error.value) is ParseError
    assert error.value.source == "mws"
    assert error.value.location is not None
    assert error.value.location.startswith("line 7, column")
    assert error.value.fragment == "<OrderStatus>Unshipped</OrderStat>"
    assert str(error.value).startswith("mws: at line 7, column")


def test_missing_order_id_sets_the_order_aside() -> None:
    """An order with a blank AmazonOrderId is set aside, naming the element path; others stay."""
    page = mws.parse_list_orders(load("ListOrders.hand.200.9.xml"))
    assert [order.amazon_order_id for order in page.orders] == ["902-0000009-0000009"]
    assert [(u.amazon_order_id, u.error) for u in page.unreadable] == [
        (
            None,
            (
                "at /ListOrdersResponse/ListOrdersResult/Orders/Order[2]/AmazonOrderId: "
                "required value is missing"
            ),
        )
    ]
    with pytest.raises(ParseError) as error:
        mws.parse_list_orders(load("ListOrders.hand.200.9.xml"), strict=True)
    assert error.value.location == (
        "/ListOrdersResponse/ListOrdersResult/Orders/Order[2]/AmazonOrderId"
    )


def test_unreadable_flag_is_an_error() -> None:
    """A flag that is not an xs:boolean is never guessed: ParseError at the flag."""
    with pytest.raises(ParseError) as error:
        mws.parse_list_order_items(load("ListOrderItems.hand.200.9.xml"))
    assert error.value.location == (
        "/ListOrderItemsResponse/ListOrderItemsResult/OrderItems/OrderItem[1]"
        "/BuyerRequestedCancel/IsBuyerRequestedCancel"
    )
    assert error.value.fragment == "maybe"


def test_missing_item_id_is_an_error() -> None:
    """An item without OrderItemId fails the page."""
    with pytest.raises(ParseError) as error:
        mws.parse_list_order_items(load("ListOrderItems.hand.200.10.xml"))
    assert error.value.location is not None
    assert error.value.location.endswith("OrderItem[1]/OrderItemId")


def test_wrong_document_kind_is_an_error() -> None:
    """An items response given to the orders parser (and vice versa) is a ParseError."""
    with pytest.raises(ParseError, match="ListOrdersResponse"):
        mws.parse_list_orders(load("ListOrderItems.hand.200.1.xml"))
    with pytest.raises(ParseError, match="ListOrderItemsResponse"):
        mws.parse_list_order_items(load("ListOrders.hand.200.1.xml"))


def test_xml_helpers_ignore_namespaces_and_whitespace() -> None:
    """Lookups match local names in any namespace and strip padded text."""
    root = parse_xml(
        '<a:Root xmlns:a="urn:x"><a:Inner><b:Leaf xmlns:b="urn:y">\n  v \n</b:Leaf>'
        "</a:Inner></a:Root>",
        source="mws",
    )
    assert local_name(root.tag) == "Root"
    inner = descendant(root, "Inner")
    assert inner is not None
    assert child_text(inner, "Leaf") == "v"
    assert descendant(root, "Inner", "Missing", "Deeper") is None


def test_every_fixture_is_exercised() -> None:
    """Every MWS fixture on disk appears in one of the tests above."""
    used = {
        "ListOrders.hand.200.6.xml",
        "ListOrders.hand.200.7.xml",
        "ListOrders.hand.200.8.xml",
        "ListOrders.hand.200.9.xml",
        "ListOrderItems.hand.200.9.xml",
        "ListOrderItems.hand.200.10.xml",
        "ListOrders.hand.503.2.html",
    }
    for params in (ORDER_PAGES, ITEM_PAGES, ERRORS):
        used.update(str(param.values[0]) for param in params)
    assert {path.name for path in FIXTURES.iterdir()} == used


# --- property tests: whatever comes in, only AmzCancelError comes out ------------------------

_PARSERS = (mws.parse_list_orders, mws.parse_list_order_items)
_ALL_XML = sorted(path.name for path in FIXTURES.glob("*.xml"))
# The unsafe and malformed documents cannot go through the stdlib parser the mutator uses.
_WELL_FORMED = [
    name
    for name in _ALL_XML
    if name
    not in {"ListOrders.hand.200.6.xml", "ListOrders.hand.200.7.xml", "ListOrders.hand.200.8.xml"}
]


def _run_all(doc: bytes | str) -> None:
    for parse in _PARSERS:
        with contextlib.suppress(AmzCancelError):
            parse(doc)
    assert isinstance(mws.is_error_response(doc), bool)
    assert isinstance(mws.parse_error_response(doc, status_code=500), APIError)


@given(st.one_of(st.binary(max_size=400), st.text(max_size=400)))
def test_random_input_raises_only_our_errors(doc: bytes | str) -> None:
    """Arbitrary bytes or text never escape as anything but AmzCancelError."""
    _run_all(doc)


@given(st.sampled_from(_ALL_XML), st.data())
def test_mutated_documents_raise_only_our_errors(name: str, data: st.DataObject) -> None:
    """Fixtures with a slice cut out or replaced never escape as anything but AmzCancelError."""
    text = load(name).decode("utf-8")
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, min(len(text), start + 40)))
    _run_all(text[:start] + data.draw(st.text(max_size=20)) + text[end:])


@given(st.sampled_from(_WELL_FORMED), st.data())
def test_mutated_values_raise_only_our_errors(name: str, data: st.DataObject) -> None:
    """Well-formed fixtures with random element text never escape as anything but ours."""
    root = ET.fromstring(load(name))
    elements = list(root.iter())
    for _ in range(data.draw(st.integers(1, 6))):
        target = data.draw(st.sampled_from(elements))
        target.text = data.draw(
            st.one_of(
                st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=30),
                st.sampled_from(["", " ", "true", "TRUE", "2026-13-45T00:00:00Z", "1e999", "-1"]),
            )
        )
    _run_all(ET.tostring(root))
