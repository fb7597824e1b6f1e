"""Orders API v0 calls (``ordersV0.json``): getOrders, getOrder, getOrderItems.

Each function checks its arguments and returns an :class:`ApiCall` (request + parser); the
clients send it. Parameter names are the model's, in snake_case. List parameters are sent
comma-separated (the model's default ``collectionFormat``) and ``NextToken`` is
percent-encoded, because real tokens contain ``/``, ``+`` and ``=``.

Added in 0.1.0.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from amzcancel.models import ItemsPage, Order, OrdersPage
from amzcancel.transport._calls import ApiCall, RequestSpec
from amzcancel.transport._params import (
    QueryParams,
    add,
    add_date,
    bool_text,
    csv,
    page_size,
    path_segment,
    require_one_window,
    strings,
)
from amzcancel.wire import spapi_v0

__all__ = ["get_order", "get_order_items", "get_orders"]

_ORDERS = "/orders/v0/orders"


def get_orders(
    *,
    marketplace_ids: Sequence[str],
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    last_updated_after: datetime | None = None,
    last_updated_before: datetime | None = None,
    order_statuses: Sequence[str] | None = None,
    fulfillment_channels: Sequence[str] | None = None,
    payment_methods: Sequence[str] | None = None,
    buyer_email: str | None = None,
    seller_order_id: str | None = None,
    max_results_per_page: int | None = None,
    easy_ship_shipment_statuses: Sequence[str] | None = None,
    electronic_invoice_statuses: Sequence[str] | None = None,
    next_token: str | None = None,
    amazon_order_ids: Sequence[str] | None = None,
    actual_fulfillment_supply_source_id: str | None = None,
    is_ispu: bool | None = None,
    store_chain_store_id: str | None = None,
    earliest_delivery_date_before: datetime | None = None,
    earliest_delivery_date_after: datetime | None = None,
    latest_delivery_date_before: datetime | None = None,
    latest_delivery_date_after: datetime | None = None,
) -> ApiCall[OrdersPage]:
    """``GET /orders/v0/orders`` (getOrders): one page of orders.

    Datetimes must be timezone-aware; they are sent as ISO 8601 UTC with ``Z``. Exactly one of
    ``created_after``/``last_updated_after`` is required unless ``amazon_order_ids`` is given.
    Usage plan: 0.0167 requests/s, burst 20.

    Raises:
        InvalidInputError: arguments Amazon would refuse (before any request is sent).

    Added in 0.1.0.
    """
    require_one_window(
        created_after=created_after,
        created_before=created_before,
        last_updated_after=last_updated_after,
        last_updated_before=last_updated_before,
        required=amazon_order_ids is None,
    )
    params: QueryParams = [
        ("MarketplaceIds", csv(marketplace_ids, "marketplace_ids", max_items=50))
    ]
    add_date(params, "CreatedAfter", created_after)
    add_date(params, "CreatedBefore", created_before)
    add_date(params, "LastUpdatedAfter", last_updated_after)
    add_date(params, "LastUpdatedBefore", last_updated_before)
    add(params, "OrderStatuses", strings(order_statuses, "order_statuses"))
    add(params, "FulfillmentChannels", strings(fulfillment_channels, "fulfillment_channels"))
    add(params, "PaymentMethods", strings(payment_methods, "payment_methods"))
    add(params, "BuyerEmail", buyer_email)
    add(params, "SellerOrderId", seller_order_id)
    add(params, "MaxResultsPerPage", page_size(max_results_per_page, "max_results_per_page"))
    add(
        params,
        "EasyShipShipmentStatuses",
        strings(easy_ship_shipment_statuses, "easy_ship_shipment_statuses"),
    )
    add(
        params,
        "ElectronicInvoiceStatuses",
        strings(electronic_invoice_statuses, "electronic_invoice_statuses"),
    )
    add(params, "NextToken", next_token or None)
    add(params, "AmazonOrderIds", strings(amazon_order_ids, "amazon_order_ids", max_items=50))
    add(params, "ActualFulfillmentSupplySourceId", actual_fulfillment_supply_source_id)
    add(params, "IsISPU", None if is_ispu is None else bool_text(is_ispu))
    add(params, "StoreChainStoreId", store_chain_store_id)
    add_date(params, "EarliestDeliveryDateBefore", earliest_delivery_date_before)
    add_date(params, "EarliestDeliveryDateAfter", earliest_delivery_date_after)
    add_date(params, "LatestDeliveryDateBefore", latest_delivery_date_before)
    add_date(params, "LatestDeliveryDateAfter", latest_delivery_date_after)
    return ApiCall(
        RequestSpec("GET", _ORDERS, "getOrders", params=params), spapi_v0.parse_get_orders
    )


def get_order(order_id: str) -> ApiCall[Order]:
    """``GET /orders/v0/orders/{orderId}`` (getOrder): one order, without items.

    Added in 0.1.0.
    """
    path = f"{_ORDERS}/{path_segment(order_id, 'order_id')}"
    return ApiCall(RequestSpec("GET", path, "getOrder"), spapi_v0.parse_get_order)


def get_order_items(order_id: str, *, next_token: str | None = None) -> ApiCall[ItemsPage]:
    """``GET /orders/v0/orders/{orderId}/orderItems`` (getOrderItems): one page of items.

    The items carry ``BuyerRequestedCancel``. Usage plan: 0.5 requests/s, burst 30.

    Added in 0.1.0.
    """
    path = f"{_ORDERS}/{path_segment(order_id, 'order_id')}/orderItems"
    params: QueryParams = []
    add(params, "NextToken", next_token or None)
    return ApiCall(
        RequestSpec("GET", path, "getOrderItems", params=params), spapi_v0.parse_get_order_items
    )
