"""Model-shaped response bodies for one-off stubs (respx, MockTransport, hand-written fixtures).

Each builder returns a plain ``dict`` that follows Amazon's official model (``ordersV0.json``,
``orders_2026-01-01.json``) with sensible defaults, so a test states only what it cares about::

    body = get_orders_body([v0_order("902-1845936-5435065", status="Unshipped")])
    items = get_order_items_body(
        "902-1845936-5435065", [v0_order_item(buyer_cancel_reason="Found cheaper elsewhere")]
    )

Added in 0.1.0.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "get_order_items_body",
    "get_orders_body",
    "order_2026",
    "order_item_2026",
    "search_orders_body",
    "v0_order",
    "v0_order_item",
]

_ORDER_ID = "902-1845936-5435065"
_ITEM_ID = "05015851154158"
_MARKETPLACE = "ATVPDKIKX0DER"
_PURCHASED = "2026-11-20T08:00:00Z"
_UPDATED = "2026-11-21T09:30:00Z"

JsonObject = dict[str, Any]


def v0_order(
    amazon_order_id: str = _ORDER_ID,
    *,
    status: str = "Unshipped",
    fulfillment_channel: str = "MFN",
    purchase_date: str = _PURCHASED,
    last_update_date: str = _UPDATED,
    marketplace_id: str = _MARKETPLACE,
    **extra: Any,
) -> JsonObject:
    """An Orders v0 ``Order`` (getOrders/getOrder); ``extra`` adds or overrides model fields.

    Added in 0.1.0.
    """
    return {
        "AmazonOrderId": amazon_order_id,
        "PurchaseDate": purchase_date,
        "LastUpdateDate": last_update_date,
        "OrderStatus": status,
        "FulfillmentChannel": fulfillment_channel,
        "MarketplaceId": marketplace_id,
        **extra,
    }


def v0_order_item(
    order_item_id: str = _ITEM_ID,
    *,
    asin: str = "B00551Q3CS",
    seller_sku: str = "SKU-1",
    title: str = "Stub item",
    quantity_ordered: int = 1,
    quantity_shipped: int = 0,
    buyer_cancel_reason: str | None = None,
    buyer_requested_cancel: bool | None = None,
    **extra: Any,
) -> JsonObject:
    """An Orders v0 ``OrderItem``, with ``BuyerRequestedCancel`` as Amazon sends it.

    The flag is the *string* ``"true"``/``"false"``; it is true when
    ``buyer_requested_cancel`` is true, or when it is ``None`` and a reason is given.

    Added in 0.1.0.
    """
    requested = (
        bool(buyer_cancel_reason) if buyer_requested_cancel is None else (buyer_requested_cancel)
    )
    return {
        "ASIN": asin,
        "SellerSKU": seller_sku,
        "OrderItemId": order_item_id,
        "Title": title,
        "QuantityOrdered": quantity_ordered,
        "QuantityShipped": quantity_shipped,
        "BuyerRequestedCancel": {
            "IsBuyerRequestedCancel": "true" if requested else "false",
            "BuyerCancelReason": buyer_cancel_reason or "",
        },
        **extra,
    }


def get_orders_body(
    orders: Sequence[JsonObject],
    *,
    next_token: str | None = None,
    last_updated_before: str | None = None,
) -> JsonObject:
    """A ``GetOrdersResponse`` body.

    Added in 0.1.0.
    """
    payload: JsonObject = {"Orders": list(orders)}
    if next_token is not None:
        payload["NextToken"] = next_token
    if last_updated_before is not None:
        payload["LastUpdatedBefore"] = last_updated_before
    return {"payload": payload}


def get_order_items_body(
    amazon_order_id: str, items: Sequence[JsonObject], *, next_token: str | None = None
) -> JsonObject:
    """A ``GetOrderItemsResponse`` body.

    Added in 0.1.0.
    """
    payload: JsonObject = {"AmazonOrderId": amazon_order_id, "OrderItems": list(items)}
    if next_token is not None:
        payload["NextToken"] = next_token
    return {"payload": payload}


def order_item_2026(
    order_item_id: str = _ITEM_ID,
    *,
    asin: str = "B00551Q3CS",
    seller_sku: str = "SKU-1",
    title: str = "Stub item",
    quantity_ordered: int = 1,
    quantity_fulfilled: int = 0,
    buyer_cancel_reason: str | None = None,
    buyer_requested_cancel: bool | None = None,
    **extra: Any,
) -> JsonObject:
    """An Orders 2026-01-01 ``OrderItem``; a buyer request is ``cancellationRequest``.

    Added in 0.1.0.
    """
    item: JsonObject = {
        "orderItemId": order_item_id,
        "quantityOrdered": quantity_ordered,
        "product": {"asin": asin, "title": title, "sellerSku": seller_sku},
        "fulfillment": {
            "quantityFulfilled": quantity_fulfilled,
            "quantityUnfulfilled": quantity_ordered - quantity_fulfilled,
        },
    }
    requested = (
        bool(buyer_cancel_reason) if buyer_requested_cancel is None else (buyer_requested_cancel)
    )
    if requested:
        request: JsonObject = {"requester": "BUYER"}
        if buyer_cancel_reason:
            request["cancelReason"] = buyer_cancel_reason
        item["cancellation"] = {"cancellationRequest": request}
    return {**item, **extra}


def order_2026(
    order_id: str = _ORDER_ID,
    *,
    items: Sequence[JsonObject] | None = None,
    fulfillment_status: str = "UNSHIPPED",
    fulfilled_by: str = "MERCHANT",
    created_time: str = _PURCHASED,
    last_updated_time: str = _UPDATED,
    marketplace_id: str = _MARKETPLACE,
    **extra: Any,
) -> JsonObject:
    """An Orders 2026-01-01 ``Order`` (searchOrders/getOrder) with its items inline.

    Added in 0.1.0.
    """
    return {
        "orderId": order_id,
        "createdTime": created_time,
        "lastUpdatedTime": last_updated_time,
        "salesChannel": {"channelName": "AMAZON", "marketplaceId": marketplace_id},
        "fulfillment": {"fulfillmentStatus": fulfillment_status, "fulfilledBy": fulfilled_by},
        "orderItems": list(items) if items is not None else [order_item_2026()],
        **extra,
    }


def search_orders_body(
    orders: Sequence[JsonObject],
    *,
    next_token: str | None = None,
    last_updated_before: str | None = None,
) -> JsonObject:
    """A ``SearchOrdersResponse`` body.

    Added in 0.1.0.
    """
    body: JsonObject = {"orders": list(orders)}
    if next_token is not None:
        body["pagination"] = {"nextToken": next_token}
    if last_updated_before is not None:
        body["lastUpdatedBefore"] = last_updated_before
    return body
