"""SP-API Orders 2026-01-01 (JSON) -> domain models.

``searchOrders`` returns up to 100 orders *with their items*; ``getOrder`` returns one order
(``{"order": {...}}``, no ``payload`` wrapper, unlike v0). Names and shapes follow the official
model ``orders_2026-01-01.json``.

There is no buyer-cancel flag on this wire. A buyer's formal request is an item's
``cancellation.cancellationRequest`` whose ``requester`` is ``BUYER`` (the only documented
value), and its ``cancelReason`` is the buyer's reason. ``cancellationExecution`` (who executed
a cancellation, and why) does not change that fact: a request that has since been executed is
still reported as requested, and the order's status (``Canceled``) says it is no longer open.
That keeps the flag a plain statement of what the buyer did, the same on every wire, and leaves
"is it still open" to the one place that decides it from the status (``pending``, the policy).

Ids and the request are read strictly; everything else leniently (a warning and ``None``).

Added in 0.1.0.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from amzcancel.errors import APIError, ParseError, make_api_error
from amzcancel.models import (
    BuyerCancel,
    FulfillmentChannel,
    Money,
    Order,
    OrderItem,
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
    clean_id,
    clean_money,
    clean_object,
    clean_text,
)
from amzcancel.wire._coerce import (
    lenient_datetime,
    lenient_enum,
    lenient_money,
    lenient_quantity,
    optional_text,
    strict_text,
)
from amzcancel.wire._json import JsonInput, load_json_object, require_array, require_object
from amzcancel.wire._listing import read_listing

__all__ = ["parse_error_body", "parse_get_order", "parse_search_orders"]

logger = logging.getLogger("amzcancel.wire.spapi_2026")

_SOURCE = Source.SPAPI_2026.value

# FulfillmentStatus enum of the 2026-01-01 model -> the v0/MWS vocabulary of the domain model.
_STATUSES: dict[str, OrderStatus] = {
    "PENDING_AVAILABILITY": OrderStatus.PENDING_AVAILABILITY,
    "PENDING": OrderStatus.PENDING,
    "UNSHIPPED": OrderStatus.UNSHIPPED,
    "PARTIALLY_SHIPPED": OrderStatus.PARTIALLY_SHIPPED,
    "SHIPPED": OrderStatus.SHIPPED,
    "CANCELLED": OrderStatus.CANCELED,
    "UNFULFILLABLE": OrderStatus.UNFULFILLABLE,
}

_FULFILLED_BY: dict[str, FulfillmentChannel] = {
    "MERCHANT": FulfillmentChannel.MFN,
    "AMAZON": FulfillmentChannel.AFN,
}

BUYER_REQUESTER = "BUYER"
"""The ``requester`` value that makes a cancellation request the buyer's formal request."""


def parse_search_orders(doc: JsonInput, *, strict: bool = False) -> OrdersPage:
    """Read a searchOrders response (``SearchOrdersResponse``).

    Args:
        doc: the body as bytes or text, or an already-decoded mapping.
        strict: raise the :class:`ParseError` of the first order that cannot be read, instead
            of setting it aside in ``unreadable`` (added in 0.2.0).

    Returns:
        The page: orders *with* items, ``next_token`` from ``pagination.nextToken`` (``None``
        when ``pagination`` is absent, i.e. on the last page), the echoed
        ``lastUpdatedBefore``/``createdBefore``, and in ``unreadable`` each order that could not
        be read strictly (an order or item without its id, an unreadable cancellation request),
        logged as a warning; the page's other orders are returned all the same.

    Raises:
        APIError: the document is an error body (``{"errors": [...]}`` without ``orders``).
        ParseError: not JSON or no ``orders`` list; with ``strict``, an order that cannot be
            read (the message names the order when its id could be read).

    Added in 0.1.0. Changed in 0.2.0: an unreadable order no longer fails the page.
    """
    data = load_json_object(doc, source=_SOURCE)
    _raise_if_error_body(data, "orders")
    raw_orders = require_array(data.get("orders"), source=_SOURCE, location="$.orders")
    pagination = _optional_object(data.get("pagination"), "$.pagination")
    next_token = None if pagination is None else optional_text(pagination.get("nextToken"))
    return read_listing(
        raw_orders,
        locate=lambda index: f"$.orders[{index}]",
        clean=_clean_order,
        careful=_order,
        order_id=_order_id,
        page=lambda: {
            "next_token": next_token,
            "last_updated_before": _date(data, "lastUpdatedBefore", "$"),
            "created_before": _date(data, "createdBefore", "$"),
        },
        source=_SOURCE,
        strict=strict,
    )


def parse_get_order(doc: JsonInput) -> Order:
    """Read a getOrder response (``GetOrderResponse``, ``{"order": {...}}``): one order with items.

    Raises:
        APIError: the document is an error body.
        ParseError: not JSON, no ``order`` object, or an order or item without its id.

    Added in 0.1.0.
    """
    data = load_json_object(doc, source=_SOURCE)
    _raise_if_error_body(data, "order")
    return Order.model_validate(_read_order(data.get("order"), "$.order"))


def parse_error_body(
    doc: JsonInput, *, status_code: int | None = None, request_id: str | None = None
) -> APIError:
    """Turn a 2026-01-01 error body (``ErrorList``) into the matching ``APIError``, not raised.

    The first entry of ``errors`` names the class (``QuotaExceeded`` is a
    :class:`~amzcancel.errors.ThrottledError`, ``InvalidInput`` an
    :class:`~amzcancel.errors.InvalidInputError`); all entries are kept in ``errors``.

    Raises:
        ParseError: ``doc`` is not a JSON object.

    Added in 0.1.0.
    """
    data = load_json_object(doc, source=_SOURCE)
    raw = data.get("errors")
    entries = [dict(e) for e in raw if isinstance(e, Mapping)] if isinstance(raw, list) else []
    if raw is None and ("code" in data or "message" in data):
        # API Gateway answers some auth failures with a bare {"message": "..."}.
        entries = [{key: data.get(key) for key in ("code", "message", "details")}]
    first = entries[0] if entries else {}
    code = optional_text(first.get("code"))
    message = optional_text(first.get("message")) or code or "error response without a message"
    return make_api_error(
        message,
        status_code=status_code,
        code=code,
        details=optional_text(first.get("details")),
        request_id=request_id,
        errors=entries,
    )


def _raise_if_error_body(data: Mapping[str, Any], key: str) -> None:
    if key not in data and (isinstance(data.get("errors"), list) or "message" in data):
        raise parse_error_body(data)


def _optional_object(value: Any, location: str) -> Mapping[str, Any] | None:
    """An object the job can do without: ``None`` (warned when present but not an object)."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        logger.warning("%s: ignoring non-object at %s: %r", _SOURCE, location, value)
        return None
    return value


def _date(data: Mapping[str, Any], key: str, where: str) -> datetime | None:
    return lenient_datetime(data.get(key), source=_SOURCE, location=f"{where}.{key}")


def _money(value: Any, location: str) -> Money | None:
    money = _optional_object(value, location)
    if money is None:
        return None
    return lenient_money(
        money.get("currencyCode"),
        money.get("amount"),
        source=_SOURCE,
        location=location,
        amount_location=f"{location}.amount",
    )


def _order_id(value: Any) -> str | None:
    return optional_text(value.get("orderId")) if isinstance(value, Mapping) else None


def _order(value: Any, where: str) -> Order:
    data = require_object(value, source=_SOURCE, location=where)
    order_id = strict_text(data.get("orderId"), source=_SOURCE, location=f"{where}.orderId")
    sales = _optional_object(data.get("salesChannel"), f"{where}.salesChannel") or {}
    fulfillment = _optional_object(data.get("fulfillment"), f"{where}.fulfillment") or {}
    proceeds = _optional_object(data.get("proceeds"), f"{where}.proceeds") or {}
    items = require_array(data.get("orderItems"), source=_SOURCE, location=f"{where}.orderItems")
    return Order(
        amazon_order_id=order_id,
        marketplace_id=optional_text(sales.get("marketplaceId")),
        status=lenient_enum(
            OrderStatus,
            fulfillment.get("fulfillmentStatus"),
            source=_SOURCE,
            location=f"{where}.fulfillment.fulfillmentStatus",
            aliases=_STATUSES,
        ),
        fulfillment_channel=lenient_enum(
            FulfillmentChannel,
            fulfillment.get("fulfilledBy"),
            source=_SOURCE,
            location=f"{where}.fulfillment.fulfilledBy",
            aliases=_FULFILLED_BY,
        ),
        purchase_date=_date(data, "createdTime", where),
        last_update_date=_date(data, "lastUpdatedTime", where),
        source=Source.SPAPI_2026,
        items=[_item(item, f"{where}.orderItems[{index}]") for index, item in enumerate(items)],
        order_total=_money(proceeds.get("grandTotal"), f"{where}.proceeds.grandTotal"),
    )


def _item(value: Any, where: str) -> OrderItem:
    data = require_object(value, source=_SOURCE, location=where)
    item_id = strict_text(data.get("orderItemId"), source=_SOURCE, location=f"{where}.orderItemId")
    product = _optional_object(data.get("product"), f"{where}.product") or {}
    price = _optional_object(product.get("price"), f"{where}.product.price") or {}
    fulfillment = _optional_object(data.get("fulfillment"), f"{where}.fulfillment") or {}
    return OrderItem(
        order_item_id=item_id,
        asin=optional_text(product.get("asin")),
        seller_sku=optional_text(product.get("sellerSku")),
        title=optional_text(product.get("title")),
        quantity_ordered=lenient_quantity(
            data.get("quantityOrdered"), source=_SOURCE, location=f"{where}.quantityOrdered"
        ),
        # quantityFulfilled: "units ... successfully processed and shipped" (ItemFulfillment).
        quantity_shipped=lenient_quantity(
            fulfillment.get("quantityFulfilled"),
            source=_SOURCE,
            location=f"{where}.fulfillment.quantityFulfilled",
        ),
        buyer_cancel=_buyer_cancel(data.get("cancellation"), f"{where}.cancellation"),
        item_price=_money(price.get("unitPrice"), f"{where}.product.price.unitPrice"),
        cancelled=_cancel_executed(data.get("cancellation")),
    )


def _cancel_executed(value: Any) -> bool:
    """Whether ``cancellation.cancellationExecution`` says the item was cancelled."""
    return isinstance(value, Mapping) and isinstance(value.get("cancellationExecution"), Mapping)


def _buyer_cancel(value: Any, where: str) -> BuyerCancel:
    if value is None:
        return BuyerCancel()
    cancellation = require_object(value, source=_SOURCE, location=where)
    request = cancellation.get("cancellationRequest")
    execution = _optional_object(
        cancellation.get("cancellationExecution"), f"{where}.cancellationExecution"
    )
    if execution is not None:
        logger.debug(
            "%s: %s executed by %r", _SOURCE, where, optional_text(execution.get("cancelledBy"))
        )
    if request is None:
        return BuyerCancel()
    request = require_object(request, source=_SOURCE, location=f"{where}.cancellationRequest")
    requester = request.get("requester")
    # The requester decides the flag, so it is read strictly: a non-text value is an error,
    # never a guess. An unknown text value is not the buyer's formal request.
    if requester is not None and not isinstance(requester, str):
        raise ParseError(
            "requester is not a string",
            source=_SOURCE,
            location=f"{where}.cancellationRequest.requester",
            fragment=str(requester),
        )
    if (requester or "").strip().upper() != BUYER_REQUESTER:
        logger.warning(
            "%s: cancellation request at %s not from the buyer: %r", _SOURCE, where, requester
        )
        return BuyerCancel()
    return BuyerCancel(requested=True, reason=optional_text(request.get("cancelReason")))


# --- the fast reader of clean orders (see amzcancel.wire._clean) -------------------------------

_STATUS_CHOICES = choices(OrderStatus, _STATUSES)
_CHANNEL_CHOICES = choices(FulfillmentChannel, _FULFILLED_BY)
_NOT_REQUESTED = BuyerCancel()  # no cancellation, or no request in it


def _clean_money(value: Any) -> Money | None:
    money = clean_object(value)
    if money is None:
        return None
    return clean_money(money.get("currencyCode"), money.get("amount"))


def _clean_order(value: Any) -> dict[str, Any]:
    if type(value) is not dict:
        raise NotClean
    items = value.get("orderItems")
    if type(items) is not list:
        raise NotClean
    sales = clean_object(value.get("salesChannel")) or {}
    fulfillment = clean_object(value.get("fulfillment")) or {}
    proceeds = clean_object(value.get("proceeds")) or {}
    return {
        "amazon_order_id": clean_id(value.get("orderId")),
        "marketplace_id": clean_text(sales.get("marketplaceId")),
        "status": clean_choice(_STATUS_CHOICES, fulfillment.get("fulfillmentStatus")),
        "fulfillment_channel": clean_choice(_CHANNEL_CHOICES, fulfillment.get("fulfilledBy")),
        "purchase_date": clean_datetime(value.get("createdTime")),
        "last_update_date": clean_datetime(value.get("lastUpdatedTime")),
        "source": Source.SPAPI_2026,
        "items": [_clean_item(item) for item in items],
        "order_total": _clean_money(proceeds.get("grandTotal")),
    }


def _clean_item(value: Any) -> dict[str, Any]:
    if type(value) is not dict:
        raise NotClean
    product = clean_object(value.get("product")) or {}
    price = clean_object(product.get("price")) or {}
    fulfillment = clean_object(value.get("fulfillment")) or {}
    return {
        "order_item_id": clean_id(value.get("orderItemId")),
        "asin": clean_text(product.get("asin")),
        "seller_sku": clean_text(product.get("sellerSku")),
        "title": clean_text(product.get("title")),
        "quantity_ordered": clean_count(value.get("quantityOrdered")),
        "quantity_shipped": clean_count(fulfillment.get("quantityFulfilled")),
        "buyer_cancel": _clean_request(value.get("cancellation")),
        "item_price": _clean_money(price.get("unitPrice")),
        "cancelled": False,
    }


def _clean_request(value: Any) -> BuyerCancel:
    """The buyer's request of an item with no executed cancellation (those read carefully)."""
    cancellation = clean_object(value)
    if cancellation is None:
        return _NOT_REQUESTED
    if cancellation.get("cancellationExecution") is not None:
        raise NotClean
    request = clean_object(cancellation.get("cancellationRequest"))
    if request is None:
        return _NOT_REQUESTED
    requester = request.get("requester")
    if type(requester) is not str or requester.strip().upper() != BUYER_REQUESTER:
        raise NotClean
    return BuyerCancel(requested=True, reason=clean_text(request.get("cancelReason")))


_read_order = clean_first(_clean_order, _order)
