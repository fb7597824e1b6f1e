"""SP-API Orders v0 JSON -> domain models.

Reads getOrders (a page of orders without items), getOrder (one order) and getOrderItems (one
order's items with ``BuyerRequestedCancel``), plus the ``{"errors": [...]}`` error body.

The buyer-cancel flag ``OrderItem.BuyerRequestedCancel.IsBuyerRequestedCancel`` is a JSON
*string* in the official model, ``"true"`` or ``"false"``, and in production it is usually
present on ordinary items as ``{"IsBuyerRequestedCancel": "false", "BuyerCancelReason": ""}``.
``bool("false")`` is ``True`` in Python, so the flag goes through
:func:`amzcancel.wire._coerce.parse_flag`, strictly: an unreadable flag is a
:class:`~amzcancel.errors.ParseError`, never a guess. A missing object means "not requested".

Every other field of the official ``ordersV0.json`` model is accepted and the ones the domain
model does not carry are ignored, as are unknown extra fields. Malformed values the job does
not need (the sandbox's ``"CreatedBefore": "1.569521782042E9"``) become ``None`` with a logged
warning.

Added in 0.1.0.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from amzcancel.errors import APIError, ParseError, make_api_error
from amzcancel.models import (
    BuyerCancel,
    FulfillmentChannel,
    ItemsPage,
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
    clean_flag,
    clean_id,
    clean_money,
    clean_text,
)
from amzcancel.wire._coerce import (
    buyer_cancel,
    lenient_datetime,
    lenient_enum,
    lenient_money,
    lenient_quantity,
    optional_text,
    parse_flag,
    strict_text,
    unit_count,
)
from amzcancel.wire._json import JsonInput, load_json_object, require_array, require_object
from amzcancel.wire._listing import read_listing

__all__ = [
    "parse_error_body",
    "parse_get_order",
    "parse_get_order_items",
    "parse_get_orders",
]

logger = logging.getLogger("amzcancel.wire.spapi_v0")

_SOURCE = Source.SPAPI_V0.value


def parse_get_orders(doc: JsonInput, *, strict: bool = False) -> OrdersPage:
    """Read a getOrders response (``GetOrdersResponse``).

    Args:
        doc: the body as bytes or text, or an already-decoded mapping.
        strict: raise the :class:`ParseError` of the first order that cannot be read, instead
            of setting it aside in ``unreadable`` (added in 0.2.0).

    Returns:
        The page: orders without items, ``next_token`` (``None`` when absent or empty), the
        echoed ``LastUpdatedBefore``/``CreatedBefore`` (the next sync cursor), and in
        ``unreadable`` each order that could not be read (no ``AmazonOrderId``, not an object),
        logged as a warning; the page's other orders are returned all the same.

    Raises:
        APIError: the document carries ``errors`` and no ``payload`` (the matching subclass).
        ParseError: not JSON or no ``payload.Orders`` list; with ``strict``, an order that
            cannot be read.

    Added in 0.1.0. Changed in 0.2.0: an unreadable order no longer fails the page.
    """
    payload = _payload(load_json_object(doc, source=_SOURCE))
    raw_orders = require_array(payload.get("Orders"), source=_SOURCE, location="$.payload.Orders")
    return read_listing(
        raw_orders,
        locate=lambda index: f"$.payload.Orders[{index}]",
        clean=_clean_order,
        careful=_order,
        order_id=_order_id,
        page=lambda: {
            "next_token": optional_text(payload.get("NextToken")),
            "last_updated_before": _date(payload, "LastUpdatedBefore", "$.payload"),
            "created_before": _date(payload, "CreatedBefore", "$.payload"),
        },
        source=_SOURCE,
        strict=strict,
    )


def parse_get_order(doc: JsonInput) -> Order:
    """Read a getOrder response (``GetOrderResponse``): one order, without items.

    Raises:
        APIError: the document carries ``errors`` and no ``payload``.
        ParseError: not JSON, or the payload is not an order with ``AmazonOrderId``.

    Added in 0.1.0.
    """
    payload = _payload(load_json_object(doc, source=_SOURCE))
    return Order.model_validate(_read_order(payload, "$.payload"))


def parse_get_order_items(doc: JsonInput) -> ItemsPage:
    """Read a getOrderItems response (``GetOrderItemsResponse``).

    Returns:
        The page: ``AmazonOrderId``, the items with their buyer-cancel flag and reason, and
        ``next_token`` (``None`` when absent or empty).

    Raises:
        APIError: the document carries ``errors`` and no ``payload``.
        ParseError: not JSON, no ``OrderItems`` list, a missing ``AmazonOrderId`` or
            ``OrderItemId``, or a buyer-cancel flag that is neither ``"true"`` nor ``"false"``.

    Added in 0.1.0.
    """
    payload = _payload(load_json_object(doc, source=_SOURCE))
    order_id = strict_text(
        payload.get("AmazonOrderId"), source=_SOURCE, location="$.payload.AmazonOrderId"
    )
    items = require_array(
        payload.get("OrderItems"), source=_SOURCE, location="$.payload.OrderItems"
    )
    return ItemsPage.model_validate(
        {
            "amazon_order_id": order_id,
            "items": [
                _read_item(item, f"$.payload.OrderItems[{index}]")
                for index, item in enumerate(items)
            ],
            "next_token": optional_text(payload.get("NextToken")),
        }
    )


def parse_error_body(
    doc: JsonInput | None, *, status_code: int | None = None, request_id: str | None = None
) -> APIError:
    """Turn an SP-API error body into the matching :class:`~amzcancel.errors.APIError`.

    Reads ``{"errors": [{"code", "message", "details"}]}``; the first error names the class
    (``QuotaExceeded`` is a :class:`~amzcancel.errors.ThrottledError`) and all of them are kept
    in ``errors``. ``message`` may be ``null`` in the wild. A body that is not JSON (an HTML
    503 page from a load balancer, an empty body) still yields an error for ``status_code``.

    Args:
        doc: the body as bytes or text, or an already-decoded mapping; ``None`` for no body.
        status_code: the HTTP status.
        request_id: the ``x-amzn-RequestId`` header.

    Returns:
        The error, not raised: the caller decides.

    Added in 0.1.0.
    """
    head = f"HTTP {status_code}" if status_code is not None else "error"
    data: Mapping[str, Any] | None = None
    if doc is not None:
        try:
            data = load_json_object(doc, source=_SOURCE)
        except ParseError:
            data = None
    if data is None:
        return make_api_error(
            f"{head} response without a JSON error body",
            status_code=status_code,
            request_id=request_id,
        )
    errors = _error_entries(data)
    first = errors[0] if errors else {}
    code = optional_text(first.get("code"))
    message = optional_text(first.get("message")) or code or f"{head} response without a message"
    return make_api_error(
        message,
        status_code=status_code,
        code=code,
        details=optional_text(first.get("details")),
        request_id=request_id,
        errors=errors,
    )


def _error_entries(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    raw = data.get("errors")
    if isinstance(raw, list):
        return [dict(entry) for entry in raw if isinstance(entry, Mapping)]
    if isinstance(raw, Mapping):
        return [dict(raw)]
    # API Gateway answers some auth failures with a bare {"message": "..."}.
    if "code" in data or "message" in data:
        return [{key: data.get(key) for key in ("code", "message", "details")}]
    return []


def _payload(data: Mapping[str, Any]) -> Mapping[str, Any]:
    payload = data.get("payload")
    errors = data.get("errors")
    if payload is None and errors:
        raise parse_error_body(data)
    if errors:
        logger.warning("spapi-v0: response carries errors next to its payload: %s", _brief(errors))
    return require_object(payload, source=_SOURCE, location="$.payload")


def _brief(value: Any) -> str:
    try:
        return json.dumps(value)[:200]
    except (TypeError, ValueError):
        return repr(value)[:200]


def _date(data: Mapping[str, Any], key: str, where: str) -> datetime | None:
    return lenient_datetime(data.get(key), source=_SOURCE, location=f"{where}.{key}")


def _money(data: Mapping[str, Any], key: str, where: str) -> Money | None:
    value = data.get(key)
    if value is None:
        return None
    location = f"{where}.{key}"
    if not isinstance(value, Mapping):
        logger.warning("spapi-v0: ignoring malformed money value at %s", location)
        return None
    return lenient_money(
        value.get("CurrencyCode"),
        value.get("Amount"),
        source=_SOURCE,
        location=location,
        amount_location=f"{location}.Amount",
    )


def _order_id(value: Any) -> str | None:
    return optional_text(value.get("AmazonOrderId")) if isinstance(value, Mapping) else None


def _order(value: Any, where: str) -> Order:
    data = require_object(value, source=_SOURCE, location=where)
    return Order(
        amazon_order_id=strict_text(
            data.get("AmazonOrderId"), source=_SOURCE, location=f"{where}.AmazonOrderId"
        ),
        marketplace_id=optional_text(data.get("MarketplaceId")),
        status=lenient_enum(
            OrderStatus, data.get("OrderStatus"), source=_SOURCE, location=f"{where}.OrderStatus"
        ),
        fulfillment_channel=lenient_enum(
            FulfillmentChannel,
            data.get("FulfillmentChannel"),
            source=_SOURCE,
            location=f"{where}.FulfillmentChannel",
        ),
        purchase_date=_date(data, "PurchaseDate", where),
        last_update_date=_date(data, "LastUpdateDate", where),
        source=Source.SPAPI_V0,
        order_total=_money(data, "OrderTotal", where),
        unit_count=unit_count(
            lenient_quantity(
                data.get("NumberOfItemsShipped"),
                source=_SOURCE,
                location=f"{where}.NumberOfItemsShipped",
            ),
            lenient_quantity(
                data.get("NumberOfItemsUnshipped"),
                source=_SOURCE,
                location=f"{where}.NumberOfItemsUnshipped",
            ),
        ),
    )


def _item(value: Any, where: str) -> OrderItem:
    data = require_object(value, source=_SOURCE, location=where)
    return OrderItem(
        order_item_id=strict_text(
            data.get("OrderItemId"), source=_SOURCE, location=f"{where}.OrderItemId"
        ),
        asin=optional_text(data.get("ASIN")),
        seller_sku=optional_text(data.get("SellerSKU")),
        title=optional_text(data.get("Title")),
        quantity_ordered=lenient_quantity(
            data.get("QuantityOrdered"), source=_SOURCE, location=f"{where}.QuantityOrdered"
        ),
        quantity_shipped=lenient_quantity(
            data.get("QuantityShipped"), source=_SOURCE, location=f"{where}.QuantityShipped"
        ),
        buyer_cancel=_buyer_cancel(data.get("BuyerRequestedCancel"), where),
        item_price=_money(data, "ItemPrice", where),
    )


def _buyer_cancel(value: Any, where: str) -> BuyerCancel:
    location = f"{where}.BuyerRequestedCancel"
    if value is None:
        return BuyerCancel()
    data = require_object(value, source=_SOURCE, location=location)
    requested = parse_flag(
        data.get("IsBuyerRequestedCancel"),
        source=_SOURCE,
        location=f"{location}.IsBuyerRequestedCancel",
    )
    return BuyerCancel(requested=requested, reason=optional_text(data.get("BuyerCancelReason")))


# --- the fast reader of clean orders and items (see amzcancel.wire._clean) ---------------------

_STATUSES = choices(OrderStatus)
_CHANNELS = choices(FulfillmentChannel)
_NOT_SAID = BuyerCancel()  # no BuyerRequestedCancel object: not requested


def _clean_money(value: Any) -> Money | None:
    if value is None:
        return None
    if type(value) is not dict:
        raise NotClean
    return clean_money(value.get("CurrencyCode"), value.get("Amount"))


def _clean_order(value: Any) -> dict[str, Any]:
    if type(value) is not dict:
        raise NotClean
    return {
        "amazon_order_id": clean_id(value.get("AmazonOrderId")),
        "marketplace_id": clean_text(value.get("MarketplaceId")),
        "status": clean_choice(_STATUSES, value.get("OrderStatus")),
        "fulfillment_channel": clean_choice(_CHANNELS, value.get("FulfillmentChannel")),
        "purchase_date": clean_datetime(value.get("PurchaseDate")),
        "last_update_date": clean_datetime(value.get("LastUpdateDate")),
        "source": Source.SPAPI_V0,
        "order_total": _clean_money(value.get("OrderTotal")),
        "unit_count": unit_count(
            clean_count(value.get("NumberOfItemsShipped")),
            clean_count(value.get("NumberOfItemsUnshipped")),
        ),
    }


def _clean_item(value: Any) -> dict[str, Any]:
    if type(value) is not dict:
        raise NotClean
    cancel = value.get("BuyerRequestedCancel")
    if cancel is None:
        buyer = _NOT_SAID
    elif type(cancel) is dict:
        buyer = buyer_cancel(
            clean_flag(cancel.get("IsBuyerRequestedCancel")),
            clean_text(cancel.get("BuyerCancelReason")),
        )
    else:
        raise NotClean
    return {
        "order_item_id": clean_id(value.get("OrderItemId")),
        "asin": clean_text(value.get("ASIN")),
        "seller_sku": clean_text(value.get("SellerSKU")),
        "title": clean_text(value.get("Title")),
        "quantity_ordered": clean_count(value.get("QuantityOrdered")),
        "quantity_shipped": clean_count(value.get("QuantityShipped")),
        "buyer_cancel": buyer,
        "item_price": _clean_money(value.get("ItemPrice")),
    }


_read_order = clean_first(_clean_order, _order)
_read_item = clean_first(_clean_item, _item)
