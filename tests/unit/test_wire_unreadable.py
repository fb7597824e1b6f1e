"""One unreadable order of a listing page is set aside; the page's other orders come back.

Every listing parser (2026-01-01 searchOrders, v0 getOrders, MWS ListOrders and
ListOrdersByNextToken) reads order by order. The strict entry points (``strict=True``,
``parse_document``) still raise, now naming the order.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from amzcancel import UnreadableOrder
from amzcancel.errors import ParseError
from amzcancel.models import OrdersPage
from amzcancel.wire import mws, spapi_2026, spapi_v0
from amzcancel.wire.detect import parse_document

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
BAD_ID = "902-0000000-0000099"


def _fixture_json(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_bytes())
    return data


def _search_page_with(bad: Any) -> bytes:
    """searchOrders.hand.200.1 (two good orders) with ``bad`` put between them."""
    page = _fixture_json("spapi_2026/searchOrders.hand.200.1.json")
    page["orders"].insert(1, bad)
    return json.dumps(page).encode()


def _bad_2026_order(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    page = _fixture_json("spapi_2026/searchOrders.hand.200.1.json")
    order: dict[str, Any] = copy.deepcopy(page["orders"][0])
    order["orderId"] = BAD_ID
    change(order)
    return order


def _drop_item_id(order: dict[str, Any]) -> None:
    del order["orderItems"][1]["orderItemId"]


def _requester_not_text(order: dict[str, Any]) -> None:
    order["orderItems"][0]["cancellation"] = {"cancellationRequest": {"requester": True}}


def _drop_order_id(order: dict[str, Any]) -> None:
    del order["orderId"]


def _items_not_array(order: dict[str, Any]) -> None:
    order["orderItems"] = {"orderItemId": "1"}


SEARCH_CASES = [
    pytest.param(
        _bad_2026_order(_drop_item_id),
        BAD_ID,
        "at $.orders[1].orderItems[1].orderItemId: required value is missing",
        id="item-without-id",
    ),
    pytest.param(
        _bad_2026_order(_requester_not_text),
        BAD_ID,
        "at $.orders[1].orderItems[0].cancellation.cancellationRequest.requester: "
        "requester is not a string (got 'True')",
        id="unreadable-request",
    ),
    pytest.param(
        _bad_2026_order(_items_not_array),
        BAD_ID,
        "at $.orders[1].orderItems: expected an array (got \"{'orderItemId': '1'}\")",
        id="items-not-an-array",
    ),
    pytest.param(
        _bad_2026_order(_drop_order_id),
        None,
        "at $.orders[1].orderId: required value is missing",
        id="order-without-id",
    ),
    pytest.param(
        "not an order",
        None,
        "at $.orders[1]: expected an object (got \"'not an order'\")",
        id="text",
    ),
]


@pytest.mark.parametrize(("bad", "order_id", "error"), SEARCH_CASES)
def test_search_orders_sets_the_bad_order_aside(
    bad: Any, order_id: str | None, error: str, caplog: pytest.LogCaptureFixture
) -> None:
    """searchOrders: the good orders around the bad one come back; the bad one is described."""
    with caplog.at_level(logging.WARNING, logger="amzcancel.wire"):
        page = spapi_2026.parse_search_orders(_search_page_with(bad))
    assert [order.amazon_order_id for order in page.orders] == [
        "902-1845936-5435065",
        "902-1845936-5435066",
    ]
    assert (
        page.orders
        == spapi_2026.parse_search_orders(
            (FIXTURES / "spapi_2026/searchOrders.hand.200.1.json").read_bytes()
        ).orders
    )
    assert page.unreadable == [UnreadableOrder(amazon_order_id=order_id, error=error)]
    assert page.next_token == "9ZhB4RmVyc2lvbiAxLjAgb2YgdGhl+/="
    (warning,) = [r for r in caplog.records if "set aside" in r.getMessage()]
    assert warning.levelno == logging.WARNING
    assert (f"order {order_id}" if order_id else "without a readable id") in warning.getMessage()
    assert error in warning.getMessage()


def test_several_bad_orders_are_all_set_aside_in_page_order() -> None:
    """Every unreadable order of a page is listed, in the order of the page."""
    page = _fixture_json("spapi_2026/searchOrders.hand.200.1.json")
    page["orders"][1:1] = [_bad_2026_order(_drop_item_id), 7]
    page["orders"].append(_bad_2026_order(_requester_not_text))
    parsed = spapi_2026.parse_search_orders(json.dumps(page))
    assert len(parsed.orders) == 2
    assert [(u.amazon_order_id, u.error.split(":")[0]) for u in parsed.unreadable] == [
        (BAD_ID, "at $.orders[1].orderItems[1].orderItemId"),
        (None, "at $.orders[2]"),
        (BAD_ID, "at $.orders[4].orderItems[0].cancellation.cancellationRequest.requester"),
    ]


def _v0_page_with(bad: Any) -> bytes:
    page = _fixture_json("spapi_v0/getOrders.hand.200.1.json")
    page["payload"]["Orders"].insert(2, bad)
    return json.dumps(page).encode()


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        pytest.param(
            {"OrderStatus": "Unshipped", "PurchaseDate": "2026-11-20T08:00:00Z"},
            "at $.payload.Orders[2].AmazonOrderId: required value is missing",
            id="order-without-id",
        ),
        pytest.param(
            {"AmazonOrderId": "  "},
            "at $.payload.Orders[2].AmazonOrderId: required value is missing or empty (got '  ')",
            id="blank-id",
        ),
        pytest.param(
            ["x"], "at $.payload.Orders[2]: expected an object (got \"['x']\")", id="list"
        ),
    ],
)
def test_get_orders_sets_the_bad_order_aside(bad: Any, error: str) -> None:
    """getOrders: an order without its id is set aside with amazon_order_id None."""
    page = spapi_v0.parse_get_orders(_v0_page_with(bad))
    assert [order.amazon_order_id for order in page.orders] == [
        "902-1845936-5435065",
        "902-8745147-1934268",
        "902-0000001-0000001",
        "902-0000002-0000002",
    ]
    assert page.unreadable == [UnreadableOrder(amazon_order_id=None, error=error)]


_BAD_MWS_ORDER = "<Order><OrderStatus>Unshipped</OrderStatus></Order>"


def _mws_with_bad_order(name: str, position: int) -> bytes:
    """An MWS orders page with an order without AmazonOrderId put after its ``position``-th."""
    text = (FIXTURES / "mws" / name).read_text(encoding="utf-8")
    cut = text.index("<Orders>") + len("<Orders>")
    for _ in range(position):
        cut = text.index("</Order>", cut) + len("</Order>")
    return (text[:cut] + _BAD_MWS_ORDER + text[cut:]).encode()


@pytest.mark.parametrize(
    ("name", "position", "result", "ids"),
    [
        pytest.param(
            "ListOrders.hand.200.1.xml",
            1,
            "ListOrdersResult",
            ["902-1845936-5435065", "902-8745147-1934268", "902-0000001-0000001"],
            id="ListOrders",
        ),
        pytest.param(
            "ListOrdersByNextToken.model.200.1.xml",
            0,
            "ListOrdersByNextTokenResult",
            ["902-3159896-1390916"],
            id="ListOrdersByNextToken",
        ),
    ],
)
def test_mws_orders_pages_set_the_bad_order_aside(
    name: str, position: int, result: str, ids: list[str]
) -> None:
    """ListOrders(ByNextToken): an Order without AmazonOrderId is set aside, naming its path."""
    page = mws.parse_list_orders(_mws_with_bad_order(name, position))
    assert [order.amazon_order_id for order in page.orders] == ids
    root = result.removesuffix("Result") + "Response"
    assert page.unreadable == [
        UnreadableOrder(
            amazon_order_id=None,
            error=f"at /{root}/{result}/Orders/Order[{position + 1}]/AmazonOrderId: "
            "required value is missing",
        )
    ]


LISTINGS: list[Any] = [
    pytest.param(
        spapi_2026.parse_search_orders,
        _search_page_with(_bad_2026_order(_drop_item_id)),
        "spapi-2026: at $.orders[1].orderItems[1].orderItemId: "
        f"order {BAD_ID}: required value is missing",
        id="spapi-2026",
    ),
    pytest.param(
        spapi_v0.parse_get_orders,
        _v0_page_with({"OrderStatus": "Unshipped"}),
        "spapi-v0: at $.payload.Orders[2].AmazonOrderId: required value is missing",
        id="spapi-v0",
    ),
    pytest.param(
        mws.parse_list_orders,
        _mws_with_bad_order("ListOrders.hand.200.1.xml", 1),
        "mws: at /ListOrdersResponse/ListOrdersResult/Orders/Order[2]/AmazonOrderId: "
        "required value is missing",
        id="mws",
    ),
]


@pytest.mark.parametrize(("parse", "doc", "message"), LISTINGS)
def test_strict_reading_raises_naming_the_order(
    parse: Callable[..., OrdersPage], doc: bytes, message: str
) -> None:
    """strict=True and parse_document raise the first bad order's error, naming the order."""
    with pytest.raises(ParseError) as strict:
        parse(doc, strict=True)
    assert str(strict.value) == message
    with pytest.raises(ParseError) as whole:
        list(parse_document(doc))
    assert str(whole.value) == message


@pytest.mark.parametrize(("parse", "doc", "message"), LISTINGS)
def test_clean_pages_have_nothing_unreadable(
    parse: Callable[..., OrdersPage], doc: bytes, message: str
) -> None:
    """A page without a bad order has an empty ``unreadable``, strict or not."""
    del doc, message
    clean = {
        spapi_2026.parse_search_orders: "spapi_2026/searchOrders.hand.200.1.json",
        spapi_v0.parse_get_orders: "spapi_v0/getOrders.hand.200.1.json",
        mws.parse_list_orders: "mws/ListOrders.hand.200.1.xml",
    }[parse]
    data = (FIXTURES / clean).read_bytes()
    assert parse(data).unreadable == []
    assert parse(data, strict=True) == parse(data)


def test_unreadable_is_not_part_of_the_json() -> None:
    """``unreadable`` is a library attribute: the page's JSON leaves it out."""
    page = spapi_2026.parse_search_orders(_search_page_with(7))
    assert page.unreadable
    assert "unreadable" not in page.model_dump(mode="json")
