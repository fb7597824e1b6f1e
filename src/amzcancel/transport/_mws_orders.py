"""MWS Orders 2013-09-01 actions: ListOrders, ListOrderItems and their ByNextToken twins.

Parameters follow the MWS reference (``MarketplaceId.Id.N``, ``OrderStatus.Status.N``,
``FulfillmentChannel.Channel.N``...; lists are numbered from 1). MWS was switched off in 2024;
this speaks it for archived data, MWS-shaped gateways and the in-house sandbox.

Added in 0.1.0.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from amzcancel.errors import InvalidInputError
from amzcancel.models import ItemsPage, OrdersPage
from amzcancel.transport._calls import ApiCall, RequestSpec
from amzcancel.transport._constants import MWS_ORDERS_PATH
from amzcancel.transport._params import iso_utc, page_size, require_one_window
from amzcancel.wire import mws

__all__ = [
    "get_order",
    "list_order_items",
    "list_order_items_by_next_token",
    "list_orders",
    "list_orders_by_next_token",
]


def _numbered(form: dict[str, str], prefix: str, values: Sequence[str] | None, name: str) -> None:
    if values is None:
        return
    if isinstance(values, str):
        values = [values]
    if not values or any(not str(v).strip() for v in values):
        raise InvalidInputError(f"{name} must be a non-empty list of non-empty values")
    for index, value in enumerate(values, start=1):
        form[f"{prefix}.{index}"] = str(value).strip()


def _spec(action: str, form: dict[str, str]) -> RequestSpec:
    return RequestSpec("POST", MWS_ORDERS_PATH, action, form={"Action": action, **form})


def list_orders(
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
) -> ApiCall[OrdersPage]:
    """``ListOrders``: orders created or updated in a window.

    Quota: 6 requests, one restored per minute (shared with ListOrdersByNextToken).

    Raises:
        InvalidInputError: arguments MWS would refuse.

    Added in 0.1.0.
    """
    require_one_window(
        created_after=created_after,
        created_before=created_before,
        last_updated_after=last_updated_after,
        last_updated_before=last_updated_before,
        required=True,
    )
    if marketplace_ids is not None and len(list(marketplace_ids)) > 50:
        raise InvalidInputError("marketplace_ids takes at most 50 values")
    statuses = {str(s) for s in order_statuses or ()}
    if ("Unshipped" in statuses) != ("PartiallyShipped" in statuses):
        # "Unshipped and PartiallyShipped must be used together" (ListOrders reference).
        raise InvalidInputError("order_statuses must list Unshipped and PartiallyShipped together")
    form: dict[str, str] = {}
    _numbered(form, "MarketplaceId.Id", marketplace_ids, "marketplace_ids")
    for name, value in (
        ("CreatedAfter", created_after),
        ("CreatedBefore", created_before),
        ("LastUpdatedAfter", last_updated_after),
        ("LastUpdatedBefore", last_updated_before),
    ):
        if value is not None:
            form[name] = iso_utc(value, name)
    _numbered(form, "OrderStatus.Status", order_statuses, "order_statuses")
    _numbered(form, "FulfillmentChannel.Channel", fulfillment_channels, "fulfillment_channels")
    _numbered(form, "PaymentMethod.Method", payment_methods, "payment_methods")
    _numbered(
        form,
        "EasyShipShipmentStatus.Status",
        easy_ship_shipment_statuses,
        "easy_ship_shipment_statuses",
    )
    if buyer_email:
        form["BuyerEmail"] = buyer_email
    if seller_order_id:
        form["SellerOrderId"] = seller_order_id
    size = page_size(max_results_per_page, "max_results_per_page")
    if size is not None:
        form["MaxResultsPerPage"] = size
    return ApiCall(_spec("ListOrders", form), mws.parse_list_orders)


def _token(next_token: str) -> str:
    if not isinstance(next_token, str) or not next_token.strip():
        raise InvalidInputError("next_token must be a non-empty string")
    return next_token


def list_orders_by_next_token(next_token: str) -> ApiCall[OrdersPage]:
    """``ListOrdersByNextToken``: the next page of a ListOrders listing.

    Added in 0.1.0.
    """
    form = {"NextToken": _token(next_token)}
    return ApiCall(_spec("ListOrdersByNextToken", form), mws.parse_list_orders)


def get_order(order_ids: Sequence[str]) -> ApiCall[OrdersPage]:
    """``GetOrder``: up to 50 orders by id (without items); unknown ids are left out.

    Quota: 6 requests, one restored per minute.

    Added in 0.2.0.
    """
    ids = [order_ids] if isinstance(order_ids, str) else list(order_ids)
    if not 1 <= len(ids) <= 50:
        raise InvalidInputError("order_ids takes 1 to 50 order ids")
    form: dict[str, str] = {}
    _numbered(form, "AmazonOrderId.Id", ids, "order_ids")
    return ApiCall(_spec("GetOrder", form), mws.parse_list_orders)


def list_order_items(order_id: str) -> ApiCall[ItemsPage]:
    """``ListOrderItems``: the items of one order, with ``BuyerRequestedCancel``.

    Quota: 30 requests, one restored every 2 seconds (shared with the ByNextToken action).

    Added in 0.1.0.
    """
    if not isinstance(order_id, str) or not order_id.strip():
        raise InvalidInputError("order_id must be a non-empty string")
    form = {"AmazonOrderId": order_id.strip()}
    return ApiCall(_spec("ListOrderItems", form), mws.parse_list_order_items)


def list_order_items_by_next_token(next_token: str) -> ApiCall[ItemsPage]:
    """``ListOrderItemsByNextToken``: the next page of an order's items.

    Added in 0.1.0.
    """
    form = {"NextToken": _token(next_token)}
    return ApiCall(_spec("ListOrderItemsByNextToken", form), mws.parse_list_order_items)
