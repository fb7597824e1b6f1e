"""Orders API 2026-01-01 calls (``orders_2026-01-01.json``): searchOrders and getOrder.

``includedData=CANCELLATION`` makes Amazon return each item's ``cancellation`` (the buyer's
request and reason) and ``FULFILLMENT`` the order's status and who fulfils it (without it
the order has neither, and no cancel reason can be judged), so both are the default here.
A ``paginationToken`` expires after 24 hours and must be sent with every other parameter
unchanged (the model's pagination note).

Added in 0.1.0.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from amzcancel.models import Order, OrdersPage
from amzcancel.transport._calls import ApiCall, RequestSpec
from amzcancel.transport._params import (
    QueryParams,
    add,
    add_date,
    page_size,
    path_segment,
    require_one_window,
    strings,
)
from amzcancel.wire import spapi_2026

__all__ = ["ORDERS_2026_INCLUDED_DATA", "get_order", "search_orders"]

_ORDERS = "/orders/2026-01-01/orders"

ORDERS_2026_INCLUDED_DATA: tuple[str, ...] = ("CANCELLATION", "FULFILLMENT")
"""What searchOrders and getOrder ask Amazon to include unless told otherwise: the items'
cancellation requests, and the order's status and fulfilment channel.

Added in 0.2.0 (``DEFAULT_INCLUDED_DATA`` before)."""


def search_orders(
    *,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    last_updated_after: datetime | None = None,
    last_updated_before: datetime | None = None,
    fulfillment_statuses: Sequence[str] | None = None,
    marketplace_ids: Sequence[str] | None = None,
    fulfilled_by: Sequence[str] | None = None,
    max_results_per_page: int | None = None,
    pagination_token: str | None = None,
    included_data: Sequence[str] | None = ORDERS_2026_INCLUDED_DATA,
) -> ApiCall[OrdersPage]:
    """``GET /orders/2026-01-01/orders`` (searchOrders): one page of orders with their items.

    Exactly one of ``created_after``/``last_updated_after`` is required. Datetimes must be
    timezone-aware. Usage plan: 0.0056 requests/s, burst 20.

    Raises:
        InvalidInputError: arguments Amazon would refuse (before any request is sent).

    Added in 0.1.0.
    """
    require_one_window(
        created_after=created_after,
        created_before=created_before,
        last_updated_after=last_updated_after,
        last_updated_before=last_updated_before,
        required=True,
    )
    params: QueryParams = []
    add_date(params, "createdAfter", created_after)
    add_date(params, "createdBefore", created_before)
    add_date(params, "lastUpdatedAfter", last_updated_after)
    add_date(params, "lastUpdatedBefore", last_updated_before)
    add(params, "fulfillmentStatuses", strings(fulfillment_statuses, "fulfillment_statuses"))
    add(params, "marketplaceIds", strings(marketplace_ids, "marketplace_ids", max_items=50))
    add(params, "fulfilledBy", strings(fulfilled_by, "fulfilled_by"))
    add(params, "maxResultsPerPage", page_size(max_results_per_page, "max_results_per_page"))
    add(params, "paginationToken", pagination_token or None)
    add(params, "includedData", strings(included_data or None, "included_data"))
    return ApiCall(
        RequestSpec("GET", _ORDERS, "searchOrders", params=params), spapi_2026.parse_search_orders
    )


def get_order(
    order_id: str, *, included_data: Sequence[str] | None = ORDERS_2026_INCLUDED_DATA
) -> ApiCall[Order]:
    """``GET /orders/2026-01-01/orders/{orderId}`` (getOrder): one order with its items.

    Usage plan: 0.5 requests/s, burst 30.

    Added in 0.1.0.
    """
    params: QueryParams = []
    add(params, "includedData", strings(included_data or None, "included_data"))
    path = f"{_ORDERS}/{path_segment(order_id, 'order_id')}"
    return ApiCall(RequestSpec("GET", path, "getOrder", params=params), spapi_2026.parse_get_order)
