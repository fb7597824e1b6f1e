"""MWS Orders 2013-09-01 XML -> domain models.

Reads ListOrders / ListOrdersByNextToken (orders without items) and ListOrderItems /
ListOrderItemsByNextToken (one order's items, with the buyer-cancel flag), plus MWS
``ErrorResponse`` documents. MWS is switched off, but sellers hold years of its XML and some run
MWS-shaped gateways, so this reads Amazon's documented shape and its documented quirks.

What the job needs is read strictly: ``AmazonOrderId``, ``OrderItemId`` and the flag
``OrderItem/BuyerRequestedCancel/IsBuyerRequestedCancel`` (xs:boolean: ``true``, ``false``,
``1``, ``0``, read case-insensitively). Everything else is lenient: a malformed date, amount or
unknown status becomes ``None`` with a logged warning and the order is kept.

Added in 0.1.0.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET  # types only; parsing goes through _xml
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from amzcancel.errors import APIError, ParseError, make_api_error
from amzcancel.models import (
    BuyerCancel,
    FulfillmentChannel,
    ItemsPage,
    Money,
    OrdersPage,
    OrderStatus,
    Source,
)
from amzcancel.wire._clean import (
    NotClean,
    choices,
    clean_choice,
    clean_count,
    clean_datetime,
    clean_first,
    clean_flag,
    clean_id,
    clean_money,
)
from amzcancel.wire._coerce import (
    buyer_cancel,
    lenient_datetime,
    lenient_enum,
    lenient_money,
    lenient_quantity,
    parse_flag,
    strict_text,
    unit_count,
)
from amzcancel.wire._listing import read_listing
from amzcancel.wire._xml import (
    XmlInput,
    child,
    child_text,
    children,
    element_text,
    index_children,
    local_name,
    parse_xml,
)

__all__ = [
    "is_error_response",
    "parse_error_response",
    "parse_list_order_items",
    "parse_list_orders",
]

logger = logging.getLogger("amzcancel.wire.mws")

_SOURCE = Source.MWS.value
_ORDER_ROOTS = ("ListOrdersResponse", "ListOrdersByNextTokenResponse", "GetOrderResponse")
_ITEM_ROOTS = ("ListOrderItemsResponse", "ListOrderItemsByNextTokenResponse")


def parse_list_orders(doc: XmlInput, *, strict: bool = False) -> OrdersPage:
    """Read a ListOrders or ListOrdersByNextToken response (GetOrder is read too).

    Args:
        doc: the response body, bytes or text.
        strict: raise the :class:`ParseError` of the first order that cannot be read, instead
            of setting it aside in ``unreadable`` (added in 0.2.0).

    Returns:
        The page: orders without items, ``next_token`` (``None`` on the last page), the echoed
        ``LastUpdatedBefore``/``CreatedBefore`` (the next sync cursor), and in ``unreadable``
        each order without an ``AmazonOrderId``, logged as a warning; the page's other orders
        are returned all the same.

    Raises:
        APIError: the document is an MWS ``ErrorResponse`` (the matching subclass).
        UnsafeXMLError: the document has a DTD or entities.
        ParseError: not XML or not an orders response; with ``strict``, an order without
            ``AmazonOrderId``.

    Added in 0.1.0. Changed in 0.2.0: an unreadable order no longer fails the page.
    """
    root = parse_xml(doc, source=_SOURCE)
    result, where = _result(root, _ORDER_ROOTS)
    orders_element = child(result, "Orders")
    if orders_element is None:
        raise ParseError("the response has no Orders list", source=_SOURCE, location=where)
    return read_listing(
        children(orders_element, "Order"),
        # MWS paths count from 1, as XPath does.
        locate=lambda index: f"{where}/Orders/Order[{index + 1}]",
        clean=_clean_order,
        careful=_order,
        order_id=_order_id,
        page=lambda: {
            "next_token": child_text(result, "NextToken"),
            "last_updated_before": _date(result, "LastUpdatedBefore", where),
            "created_before": _date(result, "CreatedBefore", where),
        },
        source=_SOURCE,
        strict=strict,
    )


def parse_list_order_items(doc: XmlInput) -> ItemsPage:
    """Read a ListOrderItems or ListOrderItemsByNextToken response.

    Args:
        doc: the response body, bytes or text.

    Returns:
        The page: ``AmazonOrderId``, the items with their buyer-cancel flag and reason, and
        ``next_token`` (``None`` on the last page).

    Raises:
        APIError: the document is an MWS ``ErrorResponse`` (the matching subclass).
        UnsafeXMLError: the document has a DTD or entities.
        ParseError: not XML, not an items response, a missing ``AmazonOrderId`` or
            ``OrderItemId``, or a buyer-cancel flag that is not a boolean.

    Added in 0.1.0.
    """
    root = parse_xml(doc, source=_SOURCE)
    result, where = _result(root, _ITEM_ROOTS)
    order_id = strict_text(
        child_text(result, "AmazonOrderId"), source=_SOURCE, location=f"{where}/AmazonOrderId"
    )
    items_element = child(result, "OrderItems")
    if items_element is None:
        raise ParseError("the response has no OrderItems list", source=_SOURCE, location=where)
    items = [
        _read_item(element, f"{where}/OrderItems/OrderItem[{index}]")
        for index, element in enumerate(children(items_element, "OrderItem"), start=1)
    ]
    return ItemsPage.model_validate(
        {"amazon_order_id": order_id, "items": items, "next_token": child_text(result, "NextToken")}
    )


def is_error_response(doc: XmlInput) -> bool:
    """Whether ``doc`` is an MWS ``ErrorResponse`` (any namespace).

    Never raises: a body that is not XML at all (or is unsafe) is not an ErrorResponse.

    Added in 0.1.0.
    """
    if _plainly_not_an_error(doc):
        return False
    try:
        root = parse_xml(doc, source=_SOURCE)
    except ParseError:
        return False
    return local_name(root.tag) == "ErrorResponse"


def _plainly_not_an_error(doc: XmlInput) -> bool:
    # The client asks this of every successful page before the page parser reads it; a byte
    # search spares parsing each page twice. The root's name is spelled out in any
    # ASCII-compatible document; one in UTF-16/32 (NUL bytes) or EBCDIC (no leading "<") is
    # parsed to find out.
    if isinstance(doc, str):
        return "ErrorResponse" not in doc
    if b"ErrorResponse" in doc:
        return False
    head = bytes(doc[:64]).lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"<") and b"\x00" not in doc


def parse_error_response(doc: XmlInput, *, status_code: int | None = None) -> APIError:
    """Turn an MWS error body into the matching :class:`~amzcancel.errors.APIError`.

    Reads ``ErrorResponse/Error/{Type, Code, Message, Detail}`` and the request id, which MWS
    spells both ``RequestID`` and ``RequestId``. The code decides the class before the status
    does (``RequestThrottled`` on a 503 is a :class:`~amzcancel.errors.ThrottledError`). A body
    that is not an ErrorResponse (an HTML 503 page from a proxy, say) still yields an error for
    ``status_code``.

    Returns:
        The error, not raised: the caller decides.

    Added in 0.1.0.
    """
    try:
        root = parse_xml(doc, source=_SOURCE)
    except ParseError as exc:
        logger.warning("mws: error body is not readable XML (%s)", exc)
        return _bodyless_error(status_code)
    if local_name(root.tag) != "ErrorResponse":
        return _bodyless_error(status_code)
    return _error_from(root, status_code)


def _bodyless_error(status_code: int | None) -> APIError:
    head = f"HTTP {status_code}" if status_code is not None else "error"
    return make_api_error(
        f"{head} response without an MWS ErrorResponse body", status_code=status_code
    )


def _error_from(root: ET.Element, status_code: int | None) -> APIError:
    errors = [
        {
            "type": child_text(element, "Type"),
            "code": child_text(element, "Code"),
            "message": child_text(element, "Message"),
            "detail": child_text(element, "Detail"),
        }
        for element in children(root, "Error")
    ]
    first = errors[0] if errors else {}
    metadata = child(root, "ResponseMetadata")
    request_id = (
        child_text(root, "RequestID")
        or child_text(root, "RequestId")
        or (None if metadata is None else child_text(metadata, "RequestId"))
    )
    code = first.get("code")
    return make_api_error(
        first.get("message") or code or "MWS returned an ErrorResponse without a message",
        status_code=status_code,
        code=code,
        details=first.get("detail"),
        request_id=request_id,
        errors=[dict(error) for error in errors],
    )


def _result(root: ET.Element, expected: tuple[str, ...]) -> tuple[ET.Element, str]:
    name = local_name(root.tag)
    if name == "ErrorResponse":
        raise _error_from(root, None)
    if name not in expected:
        raise ParseError(
            f"expected one of {', '.join(expected)}, got <{name}>",
            source=_SOURCE,
            location=f"/{name}",
        )
    result_name = name.removesuffix("Response") + "Result"
    result = child(root, result_name)
    if result is None:
        raise ParseError(f"the response has no {result_name}", source=_SOURCE, location=f"/{name}")
    return result, f"/{name}/{result_name}"


def _date(element: ET.Element, name: str, where: str) -> datetime | None:
    return _date_text(child_text(element, name), name, where)


def _date_text(text: str | None, name: str, where: str) -> datetime | None:
    if text is not None and "%" in text:
        # The ListOrders example in Amazon's MWS docs carries URL-encoded timestamps
        # (2017-02-25T18%3A10%3A21.687Z); they are unambiguous once unquoted.
        text = unquote(text)
    return lenient_datetime(text, source=_SOURCE, location=f"{where}/{name}")


def _money(fields: dict[str, ET.Element], name: str, where: str) -> Money | None:
    money = fields.get(name)
    if money is None:
        return None
    parts = index_children(money)
    return lenient_money(
        element_text(parts.get("CurrencyCode")),
        element_text(parts.get("Amount")),
        source=_SOURCE,
        location=f"{where}/{name}",
        amount_location=f"{where}/{name}/Amount",
    )


def _quantity(fields: dict[str, ET.Element], name: str, where: str) -> int | None:
    return lenient_quantity(
        element_text(fields.get(name)), source=_SOURCE, location=f"{where}/{name}"
    )


def _order_id(element: ET.Element) -> str | None:
    return child_text(element, "AmazonOrderId")


def _order(element: ET.Element, where: str) -> dict[str, Any]:
    """The fields of an ``Order``, validated with the whole page (one pydantic call)."""
    fields = index_children(element)
    order_id = strict_text(
        element_text(fields.get("AmazonOrderId")),
        source=_SOURCE,
        location=f"{where}/AmazonOrderId",
    )
    return {
        "amazon_order_id": order_id,
        "marketplace_id": element_text(fields.get("MarketplaceId")),
        "status": lenient_enum(
            OrderStatus,
            element_text(fields.get("OrderStatus")),
            source=_SOURCE,
            location=f"{where}/OrderStatus",
        ),
        "fulfillment_channel": lenient_enum(
            FulfillmentChannel,
            element_text(fields.get("FulfillmentChannel")),
            source=_SOURCE,
            location=f"{where}/FulfillmentChannel",
        ),
        "purchase_date": _date_text(
            element_text(fields.get("PurchaseDate")), "PurchaseDate", where
        ),
        "last_update_date": _date_text(
            element_text(fields.get("LastUpdateDate")), "LastUpdateDate", where
        ),
        "source": Source.MWS,
        "order_total": _money(fields, "OrderTotal", where),
        "unit_count": unit_count(
            _quantity(fields, "NumberOfItemsShipped", where),
            _quantity(fields, "NumberOfItemsUnshipped", where),
        ),
    }


def _item(element: ET.Element, where: str) -> dict[str, Any]:
    """The fields of an ``OrderItem``, validated with the whole page (one pydantic call)."""
    fields = index_children(element)
    item_id = strict_text(
        element_text(fields.get("OrderItemId")), source=_SOURCE, location=f"{where}/OrderItemId"
    )
    return {
        "order_item_id": item_id,
        "asin": element_text(fields.get("ASIN")),
        "seller_sku": element_text(fields.get("SellerSKU")),
        "title": element_text(fields.get("Title")),
        "quantity_ordered": _quantity(fields, "QuantityOrdered", where),
        "quantity_shipped": _quantity(fields, "QuantityShipped", where),
        "buyer_cancel": _buyer_cancel(fields, where),
        "item_price": _money(fields, "ItemPrice", where),
    }


def _buyer_cancel(fields: dict[str, ET.Element], where: str) -> BuyerCancel:
    # Amazon's datatype nests the pair in <BuyerRequestedCancel>; its changelog calls them
    # "fields" of the OrderItem, and some gateways emit them flat. Read each field nested
    # first, then flat, so a half-nested item keeps what it says.
    nested = fields.get("BuyerRequestedCancel")
    flag, location = None, where
    if nested is not None:
        flag, location = child(nested, "IsBuyerRequestedCancel"), f"{where}/BuyerRequestedCancel"
    if flag is None:
        flag, location = fields.get("IsBuyerRequestedCancel"), where
    requested = parse_flag(
        None if flag is None else (flag.text or ""),
        source=_SOURCE,
        location=f"{location}/IsBuyerRequestedCancel",
    )
    reason = None if nested is None else child_text(nested, "BuyerCancelReason")
    if reason is None:
        reason = element_text(fields.get("BuyerCancelReason"))
    return buyer_cancel(requested, reason)


# --- the fast reader of clean orders and items (see amzcancel.wire._clean) ---------------------

_STATUSES = choices(OrderStatus)
_CHANNELS = choices(FulfillmentChannel)


def _clean_date(found: ET.Element | None) -> datetime | None:
    text = element_text(found)
    if text is not None and "%" in text:  # URL-encoded: the careful reader unquotes it
        raise NotClean
    return clean_datetime(text)


def _clean_money(found: ET.Element | None) -> Money | None:
    if found is None:
        return None
    parts = index_children(found)
    return clean_money(element_text(parts.get("CurrencyCode")), element_text(parts.get("Amount")))


def _clean_order(element: ET.Element) -> dict[str, Any]:
    fields = index_children(element)
    text = fields.get
    return {
        "amazon_order_id": clean_id(element_text(text("AmazonOrderId"))),
        "marketplace_id": element_text(text("MarketplaceId")),
        "status": clean_choice(_STATUSES, element_text(text("OrderStatus"))),
        "fulfillment_channel": clean_choice(_CHANNELS, element_text(text("FulfillmentChannel"))),
        "purchase_date": _clean_date(text("PurchaseDate")),
        "last_update_date": _clean_date(text("LastUpdateDate")),
        "source": Source.MWS,
        "order_total": _clean_money(text("OrderTotal")),
        "unit_count": unit_count(
            clean_count(element_text(text("NumberOfItemsShipped"))),
            clean_count(element_text(text("NumberOfItemsUnshipped"))),
        ),
    }


def _clean_item(element: ET.Element) -> dict[str, Any]:
    fields = index_children(element)
    text = fields.get
    # Nested first, then flat, field by field, as _buyer_cancel reads them.
    nested = text("BuyerRequestedCancel")
    cancel = {} if nested is None else index_children(nested)
    flag = cancel.get("IsBuyerRequestedCancel")
    if flag is None:
        flag = text("IsBuyerRequestedCancel")
    reason = element_text(cancel.get("BuyerCancelReason"))
    if reason is None:
        reason = element_text(text("BuyerCancelReason"))
    return {
        "order_item_id": clean_id(element_text(text("OrderItemId"))),
        "asin": element_text(text("ASIN")),
        "seller_sku": element_text(text("SellerSKU")),
        "title": element_text(text("Title")),
        "quantity_ordered": clean_count(element_text(text("QuantityOrdered"))),
        "quantity_shipped": clean_count(element_text(text("QuantityShipped"))),
        "buyer_cancel": buyer_cancel(
            clean_flag(None if flag is None else (flag.text or "")), reason
        ),
        "item_price": _clean_money(text("ItemPrice")),
    }


_read_item = clean_first(_clean_item, _item)
