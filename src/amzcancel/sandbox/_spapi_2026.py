"""SP-API Orders 2026-01-01, simulated: searchOrders and getOrder.

Bodies follow ``orders_2026-01-01.json``: no ``payload`` wrapper, items inline, and each
dataset only when ``includedData`` asks for it. A buyer's request appears only with
``CANCELLATION``, as ``orderItems[].cancellation.cancellationRequest`` with requester ``BUYER``;
the order status sits in ``fulfillment`` and so needs ``FULFILLMENT``. A ``paginationToken``
expires after 24 hours and must come with the same other parameters, except
``maxResultsPerPage`` and ``includedData``.

Added in 0.1.0.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from amzcancel.models import FulfillmentChannel, OrderStatus
from amzcancel.sandbox._catalog import MARKETPLACES
from amzcancel.sandbox._core import (
    BadInput,
    Route,
    SpApiOperations,
    format_time,
    money_text,
    parse_page_size,
    parse_window,
)
from amzcancel.sandbox._http import SandboxRequest, SandboxResponse
from amzcancel.sandbox._state import SimItem, SimOrder

__all__ = ["FULFILLMENT_STATUS", "INCLUDED_DATA", "Orders2026Api", "render_order"]

_PREFIX = "/orders/2026-01-01/orders"
PAGINATION_TOKEN_TTL_SECONDS = 24 * 3600.0

INCLUDED_DATA = frozenset(
    {
        "BUYER",
        "RECIPIENT",
        "PROCEEDS",
        "EXPENSE",
        "PROMOTION",
        "CANCELLATION",
        "FULFILLMENT",
        "PACKAGES",
        "TAX",
        "PAYMENT",
        "FULFILLMENT_ORDERS",
    }
)
FULFILLMENT_STATUS: dict[OrderStatus, str] = {
    OrderStatus.PENDING_AVAILABILITY: "PENDING_AVAILABILITY",
    OrderStatus.PENDING: "PENDING",
    OrderStatus.UNSHIPPED: "UNSHIPPED",
    OrderStatus.PARTIALLY_SHIPPED: "PARTIALLY_SHIPPED",
    OrderStatus.SHIPPED: "SHIPPED",
    # InvoiceUnconfirmed (all shipped, invoice pending) has no 2026 value; it is shipped.
    OrderStatus.INVOICE_UNCONFIRMED: "SHIPPED",
    OrderStatus.CANCELED: "CANCELLED",
    OrderStatus.UNFULFILLABLE: "UNFULFILLABLE",
}
_FULFILLED_BY = {FulfillmentChannel.MFN: "MERCHANT", FulfillmentChannel.AFN: "AMAZON"}
# Parameters a paginationToken must be repeated with (the model exempts these two).
_FREE_PARAMS = frozenset({"maxResultsPerPage", "includedData", "paginationToken"})


def _money(amount: Any, currency: str) -> dict[str, str]:
    return {"amount": money_text(amount, currency), "currencyCode": currency}


def _render_item(order: SimOrder, item: SimItem, included: frozenset[str]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "orderItemId": item.order_item_id,
        "quantityOrdered": item.quantity_ordered,
        "product": {
            "asin": item.asin,
            "title": item.title,
            "sellerSku": item.seller_sku,
            "condition": {"conditionType": "NEW", "conditionSubtype": "NEW"},
            "price": {"unitPrice": _money(item.unit_price, order.currency)},
        },
    }
    if "FULFILLMENT" in included:
        body["fulfillment"] = {
            "quantityFulfilled": item.quantity_shipped,
            "quantityUnfulfilled": item.quantity_unshipped,
        }
    if order.garbled and item is order.items[0]:
        del body["orderItemId"]  # the quirk: a document the client cannot read
    if "CANCELLATION" in included:
        cancellation: dict[str, Any] = {}
        if item.buyer_cancel_reason is not None:
            cancellation["cancellationRequest"] = {
                "requester": "BUYER",
                "cancelReason": item.buyer_cancel_reason,
            }
        if item.cancelled_by is not None:
            cancellation["cancellationExecution"] = {
                "cancelledBy": item.cancelled_by,
                "cancelReason": item.cancel_reason or "",
            }
        if cancellation:
            body["cancellation"] = cancellation
    return body


def render_order(order: SimOrder, included: frozenset[str]) -> dict[str, Any]:
    """An ``Order`` object of orders_2026-01-01.json with the requested datasets."""
    info = MARKETPLACES[order.marketplace_id]
    body: dict[str, Any] = {
        "orderId": order.amazon_order_id,
        "createdTime": format_time(order.purchase_date),
        "lastUpdatedTime": format_time(order.rendered_update_date),
        "salesChannel": {
            "channelName": "AMAZON",
            "marketplaceId": order.marketplace_id,
            "marketplaceName": info.name,
        },
    }
    if order.is_prime:
        body["programs"] = ["PRIME"]
    if "FULFILLMENT" in included:
        body["fulfillment"] = {
            "fulfillmentStatus": FULFILLMENT_STATUS[order.status],
            "fulfilledBy": _FULFILLED_BY[order.channel],
            "fulfillmentServiceLevel": "STANDARD",
            "shipByWindow": {
                "earliestDateTime": format_time(order.purchase_date + timedelta(days=1)),
                "latestDateTime": format_time(order.purchase_date + timedelta(days=3)),
            },
        }
    body["orderItems"] = [_render_item(order, item, included) for item in order.items]
    return body


def _included(request: SandboxRequest) -> frozenset[str]:
    values = frozenset(request.list_param("includedData"))
    unknown = sorted(values - INCLUDED_DATA)
    if unknown:
        raise BadInput(f"Invalid includedData: {', '.join(unknown)}")
    return values


class Orders2026Api(SpApiOperations):
    """The Orders 2026-01-01 operations over one :class:`MarketState`.

    Added in 0.1.0.
    """

    def route(self, request: SandboxRequest) -> Route | None:
        """The route for a 2026-01-01 path, or None."""
        path = request.path.rstrip("/")
        if not path.startswith(_PREFIX) or request.method != "GET":
            return None
        rest = path[len(_PREFIX) :].strip("/")
        if not rest:
            return Route("searchOrders", "orders-2026.searchOrders", "spapi", self.search_orders)
        if "/" not in rest:
            return Route("getOrder", "orders-2026.getOrder", "spapi", self.get_order)
        return None

    def search_orders(self, request: SandboxRequest, request_id: str) -> SandboxResponse:
        """``GET /orders/2026-01-01/orders``."""
        bucket = "orders-2026.searchOrders"
        try:
            body = self._search(request)
        except BadInput as exc:
            return self._error(bucket, 400, "InvalidInput", str(exc), request_id)
        return self._answer(bucket, 200, body, request_id)

    def _search(self, request: SandboxRequest) -> dict[str, Any]:
        state = self._state
        now = state.now()
        included = _included(request)
        page_size = parse_page_size(request.param("maxResultsPerPage"), "maxResultsPerPage")
        fixed = tuple(sorted((k, v) for k, v in request.query if k not in _FREE_PARAMS))
        token = request.param("paginationToken")
        if token is not None:
            cursor = state.tokens.resolve(token, "orders-2026", now)
            if cursor is None:
                raise BadInput("Invalid or expired paginationToken")
            if fixed != tuple(kv for kv in cursor.context if not kv[0].startswith("#")):
                raise BadInput(
                    "paginationToken must be used with the same parameters as the request "
                    "that returned it"
                )
            ids, offset = cursor.ids, cursor.offset
            bound = next(v for k, v in cursor.context if k == "#bound")
            by_created = next(v for k, v in cursor.context if k == "#by") == "created"
            context = cursor.context
        else:
            window = parse_window(
                request,
                ("createdAfter", "createdBefore", "lastUpdatedAfter", "lastUpdatedBefore"),
                now,
            )
            marketplaces = request.list_param("marketplaceIds")
            if len(marketplaces) > 50:
                raise BadInput("marketplaceIds accepts at most 50 values")
            statuses = request.list_param("fulfillmentStatuses")
            if any(s not in FULFILLMENT_STATUS.values() for s in statuses):
                raise BadInput("Invalid fulfillmentStatuses")
            fulfilled_by = request.list_param("fulfilledBy")
            if any(f not in ("MERCHANT", "AMAZON") for f in fulfilled_by):
                raise BadInput("fulfilledBy must be MERCHANT or AMAZON")
            ids = state.listed_ids(
                window,
                (
                    o
                    for o in state.orders.values()
                    if (not marketplaces or o.marketplace_id in marketplaces)
                    and (not statuses or FULFILLMENT_STATUS[o.status] in statuses)
                    and (not fulfilled_by or _FULFILLED_BY[o.channel] in fulfilled_by)
                ),
            )
            offset = 0
            bound = format_time(window.before)
            by_created = window.by_created
            context = (*fixed, ("#bound", bound), ("#by", "created" if by_created else "updated"))
        body: dict[str, Any] = {
            "orders": [
                render_order(state.orders[i], included)
                for i in state.page_ids(ids, offset, page_size)
            ]
        }
        if offset + page_size < len(ids):
            body["pagination"] = {
                "nextToken": state.next_page_token(
                    token,
                    lambda: state.tokens.issue(
                        "orders-2026",
                        ids,
                        offset=offset + page_size,
                        page_size=page_size,
                        context=context,
                        now=now,
                        ttl_seconds=PAGINATION_TOKEN_TTL_SECONDS,
                    ),
                )
            }
        body["createdBefore" if by_created else "lastUpdatedBefore"] = bound
        return body

    def get_order(self, request: SandboxRequest, request_id: str) -> SandboxResponse:
        """``GET /orders/2026-01-01/orders/{orderId}``."""
        bucket = "orders-2026.getOrder"
        order_id = request.path.rstrip("/").rsplit("/", 1)[-1]
        try:
            included = _included(request)
        except BadInput as exc:
            return self._error(bucket, 400, "InvalidInput", str(exc), request_id)
        order = self._find_order(bucket, order_id, request_id)
        if not isinstance(order, SimOrder):
            return order
        return self._answer(bucket, 200, {"order": render_order(order, included)}, request_id)
