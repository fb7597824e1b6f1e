"""MWS Orders 2013-09-01, simulated: ListOrders, ListOrderItems and their ByNextToken twins.

Requests (GET query or POST form) must carry a valid AWS Signature Version 2 made with the
sandbox's MWS secret key; it is checked with the same signer the client uses. Answers are XML in
the Orders namespace. MWS does not refuse a late ``LastUpdatedBefore``: it lowers it to two
minutes before now and echoes the bound it applied, which is the client's next cursor.

Added in 0.1.0.
"""

from __future__ import annotations

import hmac
from datetime import timedelta
from typing import Any
from xml.sax.saxutils import escape

from amzcancel.models import OrderStatus
from amzcancel.sandbox._catalog import MARKETPLACES
from amzcancel.sandbox._core import (
    ORDER_ID_PATTERN,
    BadInput,
    MarketState,
    Route,
    format_time,
    money_text,
    parse_page_size,
    parse_time,
    parse_window,
)
from amzcancel.sandbox._http import SandboxRequest, SandboxResponse, xml_response
from amzcancel.sandbox._state import SimItem, SimOrder
from amzcancel.transport import sign_v2

__all__ = ["MWS_NAMESPACE", "MWS_PATH", "MwsOrders"]

MWS_PATH = "/Orders/2013-09-01"
MWS_NAMESPACE = "https://mws.amazonservices.com/Orders/2013-09-01"
_TIMESTAMP_SKEW = timedelta(minutes=15)
_NO_PRICES = (OrderStatus.PENDING, OrderStatus.PENDING_AVAILABILITY)
_BUCKETS = {
    "GetOrder": "mws.GetOrder",
    "ListOrders": "mws.ListOrders",
    "ListOrdersByNextToken": "mws.ListOrders",
    "ListOrderItems": "mws.ListOrderItems",
    "ListOrderItemsByNextToken": "mws.ListOrderItems",
}


def _el(name: str, value: Any) -> str:
    return f"<{name}>{escape(str(value))}</{name}>"


def _bool(value: bool) -> str:
    return "true" if value else "false"


def error_xml(code: str, message: str, request_id: str, *, kind: str = "Sender") -> str:
    """An MWS ``ErrorResponse`` document."""
    return (
        f'<?xml version="1.0"?>\n<ErrorResponse xmlns="{MWS_NAMESPACE}"><Error>'
        f"{_el('Type', kind)}{_el('Code', code)}{_el('Message', message)}</Error>"
        f"{_el('RequestId', request_id)}</ErrorResponse>"
    )


def _money(name: str, amount: Any, currency: str) -> str:
    inner = _el("CurrencyCode", currency) + _el("Amount", money_text(amount, currency))
    return f"<{name}>{inner}</{name}>"


def render_order(order: SimOrder) -> str:
    """An MWS ``Order`` element."""
    info = MARKETPLACES[order.marketplace_id]
    parts = [
        _el("AmazonOrderId", order.amazon_order_id),
        _el("PurchaseDate", format_time(order.purchase_date)),
        _el("LastUpdateDate", format_time(order.rendered_update_date)),
        _el("OrderStatus", order.status.value),
        _el("FulfillmentChannel", order.channel.value),
        _el("SalesChannel", info.sales_channel),
        _el("ShipServiceLevel", order.ship_service_level),
    ]
    if order.status not in _NO_PRICES:
        parts.append(_money("OrderTotal", order.total, order.currency))
    parts += [
        _el("NumberOfItemsShipped", order.items_shipped),
        _el("NumberOfItemsUnshipped", order.items_unshipped),
        _el("PaymentMethod", "Other"),
        _el("MarketplaceId", order.marketplace_id),
        _el("ShipmentServiceLevelCategory", "Standard"),
        _el("OrderType", "StandardOrder"),
        _el("EarliestShipDate", format_time(order.purchase_date + timedelta(days=1))),
        _el("LatestShipDate", format_time(order.purchase_date + timedelta(days=3))),
        _el("IsBusinessOrder", "false"),
        _el("IsPrime", _bool(order.is_prime)),
        _el("IsPremiumOrder", "false"),
        _el("IsReplacementOrder", "false"),
    ]
    return "<Order>" + "".join(parts) + "</Order>"


def render_item(order: SimOrder, item: SimItem) -> str:
    """An MWS ``OrderItem`` element; ``BuyerRequestedCancel`` only when the buyer asked."""
    parts = [_el("ASIN", item.asin)]
    if not (order.garbled and item is order.items[0]):  # the quirk: an unreadable document
        parts.append(_el("OrderItemId", item.order_item_id))
    parts.append(_el("SellerSKU", item.seller_sku))
    if item.buyer_cancel_reason is not None:
        parts.append(
            "<BuyerRequestedCancel>"
            + _el("IsBuyerRequestedCancel", "true")
            + _el("BuyerCancelReason", item.buyer_cancel_reason)
            + "</BuyerRequestedCancel>"
        )
    parts += [
        _el("Title", item.title),
        _el("QuantityOrdered", item.quantity_ordered),
        _el("QuantityShipped", item.quantity_shipped),
    ]
    if order.status not in _NO_PRICES:
        parts.append(_money("ItemPrice", item.unit_price * item.quantity_ordered, order.currency))
    parts += [_el("IsGift", "false"), _el("ConditionId", "New"), _el("ConditionSubtypeId", "New")]
    return "<OrderItem>" + "".join(parts) + "</OrderItem>"


def _document(action: str, result: str, request_id: str) -> str:
    return (
        f'<?xml version="1.0"?>\n<{action}Response xmlns="{MWS_NAMESPACE}">'
        f"<{action}Result>{result}</{action}Result>"
        f"<ResponseMetadata>{_el('RequestId', request_id)}</ResponseMetadata></{action}Response>"
    )


def _is_index(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= 6


class MwsOrders:
    """The MWS Orders section over one :class:`MarketState`.

    Args:
        state: the marketplace state.
        access_key, secret_key, seller_id: the one MWS account that is accepted.

    Added in 0.1.0.
    """

    def __init__(
        self, state: MarketState, *, access_key: str, secret_key: str, seller_id: str
    ) -> None:
        self._state = state
        self._access_key = access_key
        self._secret_key = secret_key
        self._seller_id = seller_id

    @staticmethod
    def params(request: SandboxRequest) -> dict[str, str]:
        """The request's parameters: the POST form, or the GET query."""
        pairs = request.form() if request.method == "POST" else list(request.query)
        return dict(pairs)

    def route(self, request: SandboxRequest) -> Route | None:
        """The route for the MWS Orders path, or None."""
        if request.path.rstrip("/") != MWS_PATH or request.method not in ("GET", "POST"):
            return None
        action = self.params(request).get("Action", "")
        bucket = _BUCKETS.get(action)
        return Route(action or "MWS", bucket, "mws", self.handle)

    def error(self, status: int, code: str, message: str, request_id: str) -> SandboxResponse:
        """An MWS error answer."""
        kind = "Receiver" if status >= 500 else "Sender"
        return xml_response(status, error_xml(code, message, request_id, kind=kind))

    def verify(self, request: SandboxRequest, request_id: str) -> SandboxResponse | None:
        """None when the request is signed by the sandbox account, else the error answer."""
        params = self.params(request)
        for name in (
            "AWSAccessKeyId",
            "Action",
            "SellerId",
            "Signature",
            "SignatureMethod",
            "SignatureVersion",
            "Timestamp",
            "Version",
        ):
            if not params.get(name):
                return self.error(
                    400, "MissingParameter", f"The parameter {name} is required", request_id
                )
        if params["AWSAccessKeyId"] != self._access_key:
            return self.error(
                403,
                "InvalidAccessKeyId",
                "The AWS Access Key Id you provided does not exist in our records.",
                request_id,
            )
        if params["SignatureVersion"] != "2" or params["SignatureMethod"] != "HmacSHA256":
            return self.error(
                400,
                "InvalidParameterValue",
                "Only SignatureVersion 2 with HmacSHA256 is supported",
                request_id,
            )
        expected = sign_v2(self._secret_key, request.method, request.host, MWS_PATH, params)
        # As bytes: compare_digest refuses text with non-ASCII characters (a 500, not a 403).
        if not hmac.compare_digest(expected.encode(), params["Signature"].encode("utf-8")):
            return self.error(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided. "
                "Check your AWS Secret Access Key and signing method.",
                request_id,
            )
        if params["SellerId"] != self._seller_id:
            return self.error(401, "AccessDenied", "Access denied", request_id)
        try:
            stamp = parse_time(params["Timestamp"], "Timestamp")
        except BadInput as exc:
            return self.error(400, "InvalidParameterValue", str(exc), request_id)
        if abs(stamp - self._state.now()) > _TIMESTAMP_SKEW:
            return self.error(
                400,
                "RequestExpired",
                "Request has expired. Timestamp date is more than 15 minutes off the server time.",
                request_id,
            )
        if params["Version"] != "2013-09-01":
            return self.error(
                400, "InvalidParameterValue", "Invalid Version for the Orders section", request_id
            )
        return None

    def handle(self, request: SandboxRequest, request_id: str) -> SandboxResponse:
        """Dispatch on ``Action``."""
        params = self.params(request)
        action = params.get("Action", "")
        handlers = {
            "GetOrder": self._get_order,
            "ListOrders": self._list_orders,
            "ListOrdersByNextToken": self._list_orders_by_next_token,
            "ListOrderItems": self._list_order_items,
            "ListOrderItemsByNextToken": self._list_order_items_by_next_token,
        }
        handler = handlers.get(action)
        if handler is None:
            return self.error(
                400, "InvalidParameterValue", f"Invalid Action {action[:40]}", request_id
            )
        try:
            result = handler(params)
        except BadInput as exc:
            return self.error(400, "InvalidParameterValue", str(exc), request_id)
        return xml_response(200, _document(action, result, request_id))

    def _numbered(self, params: dict[str, str], prefix: str) -> list[str]:
        keys = sorted(
            # ASCII digits only: "²".isdigit() is true, and int() refuses it.
            (k for k in params if k.startswith(prefix) and _is_index(k[len(prefix) :])),
            key=lambda k: int(k[len(prefix) :]),
        )
        return [params[k] for k in keys]

    def _list_orders(self, params: dict[str, str]) -> str:
        state = self._state
        now = state.now()
        marketplaces = self._numbered(params, "MarketplaceId.Id.")
        if not marketplaces:
            raise BadInput("MarketplaceId.Id.1 is required")
        unknown = [m for m in marketplaces if m not in state.marketplace_ids]
        if unknown:
            raise BadInput(f"Invalid MarketplaceId: {', '.join(unknown)}")
        statuses = self._numbered(params, "OrderStatus.Status.")
        if ("Unshipped" in statuses) != ("PartiallyShipped" in statuses):
            raise BadInput("OrderStatus Unshipped and PartiallyShipped must be used together")
        channels = self._numbered(params, "FulfillmentChannel.Channel.")
        size = parse_page_size(params.get("MaxResultsPerPage"), "MaxResultsPerPage")
        query = SandboxRequest("GET", MWS_PATH, tuple(params.items()))
        window = parse_window(
            query,
            ("CreatedAfter", "CreatedBefore", "LastUpdatedAfter", "LastUpdatedBefore"),
            now,
            clamp_before=True,
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
        return self._orders_page(ids, 0, size, context, asked_with=None)

    def _orders_page(
        self,
        ids: tuple[str, ...],
        offset: int,
        size: int,
        context: tuple[tuple[str, str], ...],
        *,
        asked_with: str | None,
    ) -> str:
        state = self._state
        parts = []
        if offset + size < len(ids):
            token = state.next_page_token(
                asked_with,
                lambda: state.tokens.issue(
                    "mws-orders",
                    ids,
                    offset=offset + size,
                    page_size=size,
                    context=context,
                    now=state.now(),
                    ttl_seconds=state.next_token_ttl_seconds,
                ),
            )
            parts.append(_el("NextToken", token))
        parts += [_el(name, value) for name, value in context]
        orders = "".join(render_order(state.orders[i]) for i in state.page_ids(ids, offset, size))
        parts.append(f"<Orders>{orders}</Orders>")
        return "".join(parts)

    def _list_orders_by_next_token(self, params: dict[str, str]) -> str:
        asked_with = params.get("NextToken", "")
        cursor = self._state.tokens.resolve(asked_with, "mws-orders", self._state.now())
        if cursor is None:
            raise BadInput("Invalid or expired NextToken")
        return self._orders_page(
            cursor.ids, cursor.offset, cursor.page_size, cursor.context, asked_with=asked_with
        )

    def _items_page(self, order: SimOrder, offset: int) -> str:
        state = self._state
        size = state.items_page_size
        parts = []
        if offset + size < len(order.items):
            token = state.tokens.issue(
                "mws-items",
                (),
                offset=offset + size,
                page_size=size,
                context=(("AmazonOrderId", order.amazon_order_id),),
                now=state.now(),
                ttl_seconds=state.next_token_ttl_seconds,
            )
            parts.append(_el("NextToken", token))
        parts.append(_el("AmazonOrderId", order.amazon_order_id))
        items = "".join(render_item(order, i) for i in order.items[offset : offset + size])
        parts.append(f"<OrderItems>{items}</OrderItems>")
        return "".join(parts)

    def _get_order(self, params: dict[str, str]) -> str:
        """``GetOrder``: up to 50 orders by ``AmazonOrderId.Id.n`` (unknown ids are left out)."""
        ids = self._numbered(params, "AmazonOrderId.Id.")
        if not ids:
            raise BadInput("AmazonOrderId.Id.1 is required")
        if len(ids) > 50:
            raise BadInput("AmazonOrderId accepts at most 50 values")
        for order_id in ids:
            if not ORDER_ID_PATTERN.match(order_id):
                raise BadInput(f"Invalid AmazonOrderId: {order_id[:40]}")
        found = [self._state.orders[i] for i in ids if i in self._state.orders]
        return "<Orders>" + "".join(render_order(order) for order in found) + "</Orders>"

    def _list_order_items(self, params: dict[str, str]) -> str:
        order_id = params.get("AmazonOrderId", "")
        if not ORDER_ID_PATTERN.match(order_id):
            raise BadInput("AmazonOrderId must be in 3-7-7 format")
        order = self._state.find(order_id)
        if order is None:
            raise BadInput(f"Invalid AmazonOrderId: {order_id}")
        return self._items_page(order, 0)

    def _list_order_items_by_next_token(self, params: dict[str, str]) -> str:
        token = params.get("NextToken", "")
        state = self._state
        cursor = state.tokens.resolve(token, "mws-items", state.now())
        order = None if cursor is None else state.find(dict(cursor.context)["AmazonOrderId"])
        if cursor is None or order is None:
            raise BadInput("Invalid or expired NextToken")
        return self._items_page(order, cursor.offset)
