"""SP-API Orders v0, simulated: getOrders, getOrder, getOrderItems.

Bodies follow ``ordersV0.json`` exactly: a ``payload`` wrapper, ``LastUpdatedBefore`` echoed,
``BuyerRequestedCancel.IsBuyerRequestedCancel`` as the *string* ``"true"``/``"false"`` (sent as
``"false"`` with an empty reason on items without a request, as production does).

Added in 0.1.0.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from amzcancel.models import OrderStatus
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

__all__ = ["OrdersV0Api", "render_item", "render_order"]

_PREFIX = "/orders/v0/orders"
_STATUSES = {s.value for s in OrderStatus}
_NO_PRICES = (OrderStatus.PENDING, OrderStatus.PENDING_AVAILABILITY)


def _money(amount: Any, currency: str) -> dict[str, str]:
    return {"CurrencyCode": currency, "Amount": money_text(amount, currency)}


def render_order(order: SimOrder) -> dict[str, Any]:
    """An ``Order`` object of ordersV0.json."""
    info = MARKETPLACES[order.marketplace_id]
    body: dict[str, Any] = {
        "AmazonOrderId": order.amazon_order_id,
        "PurchaseDate": format_time(order.purchase_date),
        "LastUpdateDate": format_time(order.rendered_update_date),
        "OrderStatus": order.status.value,
        "FulfillmentChannel": order.channel.value,
        "SalesChannel": info.sales_channel,
        "ShipServiceLevel": order.ship_service_level,
        "NumberOfItemsShipped": order.items_shipped,
        "NumberOfItemsUnshipped": order.items_unshipped,
        "PaymentMethod": "Other",
        "PaymentMethodDetails": ["Standard"],
        "MarketplaceId": order.marketplace_id,
        "ShipmentServiceLevelCategory": "Standard",
        "OrderType": "StandardOrder",
        "EarliestShipDate": format_time(order.purchase_date + timedelta(days=1)),
        "LatestShipDate": format_time(order.purchase_date + timedelta(days=3)),
        "IsBusinessOrder": False,
        "IsPrime": order.is_prime,
        "IsPremiumOrder": False,
        "IsGlobalExpressEnabled": False,
        "IsReplacementOrder": False,
        "IsSoldByAB": False,
        "IsISPU": False,
        "IsAccessPointOrder": False,
        "HasRegulatedItems": False,
    }
    if order.status not in _NO_PRICES:
        body["OrderTotal"] = _money(order.total, order.currency)
    return body


def render_item(order: SimOrder, item: SimItem) -> dict[str, Any]:
    """An ``OrderItem`` object of ordersV0.json."""
    body: dict[str, Any] = {
        "ASIN": item.asin,
        "SellerSKU": item.seller_sku,
        "OrderItemId": item.order_item_id,
        "Title": item.title,
        "QuantityOrdered": item.quantity_ordered,
        "QuantityShipped": item.quantity_shipped,
        "ProductInfo": {"NumberOfItems": "1"},
        "IsGift": "false",
        "ConditionId": "New",
        "ConditionSubtypeId": "New",
        "IsTransparency": False,
        "SerialNumberRequired": False,
        "BuyerRequestedCancel": {
            "IsBuyerRequestedCancel": "true" if item.buyer_requested else "false",
            "BuyerCancelReason": item.buyer_cancel_reason or "",
        },
    }
    if order.status not in _NO_PRICES:
        body["ItemPrice"] = _money(item.unit_price * item.quantity_ordered, order.currency)
        body["ItemTax"] = _money(0, order.currency)
        body["PromotionDiscount"] = _money(0, order.currency)
    if order.garbled and item is order.items[0]:
        del body["OrderItemId"]  # the quirk: a document the client cannot read
    return body


class OrdersV0Api(SpApiOperations):
    """The Orders v0 operations over one :class:`MarketState`.

    Added in 0.1.0.
    """

    def route(self, request: SandboxRequest) -> Route | None:
        """The route for a v0 path, or None."""
        path = request.path.rstrip("/")
        if not path.startswith(_PREFIX) or request.method != "GET":
            return None
        parts = path[len(_PREFIX) :].strip("/").split("/") if path != _PREFIX else []
        if not parts:
            return Route("getOrders", "orders-v0.getOrders", "spapi", self.get_orders)
        if len(parts) == 1:
            return Route("getOrder", "orders-v0.getOrder", "spapi", self.get_order)
        if len(parts) == 2 and parts[1] == "orderItems":
            return Route("getOrderItems", "orders-v0.getOrderItems", "spapi", self.get_order_items)
        return None

    def _ok(self, bucket: str, payload: dict[str, Any], request_id: str) -> SandboxResponse:
        return self._answer(bucket, 200, {"payload": payload}, request_id)

    def get_orders(self, request: SandboxRequest, request_id: str) -> SandboxResponse:
        """``GET /orders/v0/orders``."""
        bucket = "orders-v0.getOrders"
        try:
            payload = self._list_orders(request)
        except BadInput as exc:
            return self._error(bucket, 400, "InvalidInput", str(exc), request_id)
        return self._ok(bucket, payload, request_id)

    def _list_orders(self, request: SandboxRequest) -> dict[str, Any]:
        state = self._state
        now = state.now()
        token = request.param("NextToken")
        if token is not None:
            cursor = state.tokens.resolve(token, "orders-v0", now)
            if cursor is None:
                raise BadInput("Invalid or expired NextToken")
            page_size = cursor.page_size
            ids, offset = cursor.ids, cursor.offset
            context: tuple[tuple[str, str], ...] = cursor.context
        else:
            marketplaces = request.list_param("MarketplaceIds")
            if not marketplaces:
                raise BadInput("MarketplaceIds is required")
            if len(marketplaces) > 50:
                raise BadInput("MarketplaceIds accepts at most 50 values")
            unknown = [m for m in marketplaces if m not in state.marketplace_ids]
            if unknown:
                raise BadInput(f"Invalid MarketplaceIds: {', '.join(unknown)}")
            page_size = parse_page_size(request.param("MaxResultsPerPage"), "MaxResultsPerPage")
            order_ids = request.list_param("AmazonOrderIds")
            statuses = request.list_param("OrderStatuses")
            bad = [s for s in statuses if s not in _STATUSES]
            if bad:
                raise BadInput(f"Invalid OrderStatuses: {', '.join(bad)}")
            channels = request.list_param("FulfillmentChannels")
            if any(c not in ("AFN", "MFN") for c in channels):
                raise BadInput("FulfillmentChannels must be AFN or MFN")
            if order_ids:
                if len(order_ids) > 50:
                    raise BadInput("AmazonOrderIds accepts at most 50 values")
                found = [state.orders[i] for i in order_ids if i in state.orders]
                ids = tuple(o.amazon_order_id for o in found)
                context = ()
            else:
                window = parse_window(
                    request,
                    ("CreatedAfter", "CreatedBefore", "LastUpdatedAfter", "LastUpdatedBefore"),
                    now,
                )
                ids = state.listed_ids(
                    window,
                    (
                        o
                        for o in state.orders.values()
                        if o.marketplace_id in marketplaces
                        and (not statuses or o.status.value in statuses)
                        and (not channels or o.channel.value in channels)
                    ),
                )
                bound = "CreatedBefore" if window.by_created else "LastUpdatedBefore"
                context = ((bound, format_time(window.before)),)
            offset = 0
        payload: dict[str, Any] = {
            "Orders": [
                render_order(state.orders[i]) for i in state.page_ids(ids, offset, page_size)
            ]
        }
        if offset + page_size < len(ids):
            payload["NextToken"] = state.next_page_token(
                token,
                lambda: state.tokens.issue(
                    "orders-v0",
                    ids,
                    offset=offset + page_size,
                    page_size=page_size,
                    context=context,
                    now=now,
                    ttl_seconds=state.next_token_ttl_seconds,
                ),
            )
        payload.update(dict(context))
        return payload

    def get_order(self, request: SandboxRequest, request_id: str) -> SandboxResponse:
        """``GET /orders/v0/orders/{orderId}``."""
        bucket = "orders-v0.getOrder"
        order = self._find_order(bucket, request.path.rstrip("/").rsplit("/", 1)[-1], request_id)
        if not isinstance(order, SimOrder):
            return order
        return self._ok(bucket, render_order(order), request_id)

    def get_order_items(self, request: SandboxRequest, request_id: str) -> SandboxResponse:
        """``GET /orders/v0/orders/{orderId}/orderItems``."""
        bucket = "orders-v0.getOrderItems"
        state = self._state
        order_id = request.path.rstrip("/").split("/")[-2]
        order = self._find_order(bucket, order_id, request_id)
        if not isinstance(order, SimOrder):
            return order
        now = state.now()
        token = request.param("NextToken")
        offset = 0
        if token is not None:
            cursor = state.tokens.resolve(token, f"items-v0:{order_id}", now)
            if cursor is None:
                return self._error(
                    bucket, 400, "InvalidInput", "Invalid or expired NextToken", request_id
                )
            offset = cursor.offset
        size = state.items_page_size
        page = order.items[offset : offset + size]
        payload: dict[str, Any] = {
            "OrderItems": [render_item(order, item) for item in page],
            "AmazonOrderId": order_id,
        }
        if offset + size < len(order.items):
            payload["NextToken"] = state.tokens.issue(
                f"items-v0:{order_id}",
                (),
                offset=offset + size,
                page_size=size,
                context=(),
                now=now,
                ttl_seconds=state.next_token_ttl_seconds,
            )
        return self._ok(bucket, payload, request_id)
