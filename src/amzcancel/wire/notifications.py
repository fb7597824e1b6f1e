"""ORDER_CHANGE notifications (JSON) -> domain models.

Amazon delivers ORDER_CHANGE through SQS. What reaches a consumer is one of:

* the notification itself (``NotificationType: ORDER_CHANGE``), as in the official schema
  ``OrderChangeNotification.json``;
* an SQS message whose ``Body`` is that notification as a JSON *string* (what
  ``ReceiveMessage`` hands out, with ``MessageId``, ``ReceiptHandle``...);
* an SNS envelope whose ``Message`` is the notification as a string (when a queue is fed
  through an SNS topic), possibly itself inside an SQS ``Body``;
* a ``ReceiveMessage`` batch, ``{"Messages": [...]}`` (see :func:`iter_order_changes`).

Every ``OrderChangeType`` parses (``BuyerRequestedChange``, ``OrderStatusChange``,
``DeliveryTipChange``). The buyer-cancel flag is the item's ``IsBuyerRequestedCancel``, a JSON
boolean (string forms are accepted too); the notification carries no reason text, so
``reason`` is always ``None``: fetch the order (2026 getOrder, v0 getOrderItems) for it.

Added in 0.1.0.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from amzcancel.errors import ParseError
from amzcancel.models import BuyerCancel, FulfillmentChannel, Order, OrderItem, OrderStatus, Source
from amzcancel.wire._clean import (
    NotClean,
    choices,
    clean_choice,
    clean_count,
    clean_datetime,
    clean_first,
    clean_flag,
    clean_id,
    clean_object,
    clean_text,
)
from amzcancel.wire._coerce import (
    lenient_datetime,
    lenient_enum,
    lenient_quantity,
    optional_text,
    parse_flag,
    strict_text,
)
from amzcancel.wire._json import JsonInput, load_json_object, require_array, require_object

__all__ = [
    "NOTIFICATION_TYPE",
    "NotOrderChangeError",
    "OrderChange",
    "iter_order_changes",
    "parse_order_change",
    "read_order_change",
    "unwrap_notification",
]

logger = logging.getLogger("amzcancel.wire.notifications")

_SOURCE = Source.NOTIFICATION.value

NOTIFICATION_TYPE = "ORDER_CHANGE"
"""The ``NotificationType`` this module reads."""

# SNS inside SQS inside ... is at most two levels deep in practice; stop well before recursion
# could be abused by a hostile message.
_MAX_WRAPPING = 4


class NotOrderChangeError(ParseError):
    """The message holds no ORDER_CHANGE notification: another type, or none at all.

    In an SQS batch such messages are skipped (a queue often carries several notification
    types, and SNS sends a ``SubscriptionConfirmation``); read alone, they are an error.

    Added in 0.1.0.
    """


def unwrap_notification(doc: JsonInput) -> Mapping[str, Any]:
    """Return the ORDER_CHANGE notification object inside ``doc`` (raw, SQS or SNS wrapped).

    Raises:
        ParseError: not JSON, no notification inside, or a notification of another type.

    Added in 0.1.0.
    """
    data = load_json_object(doc, source=_SOURCE)
    location = "$"
    for _ in range(_MAX_WRAPPING):
        if "NotificationType" in data or "Payload" in data:
            kind = data.get("NotificationType")
            if kind is not None and kind != NOTIFICATION_TYPE:
                raise NotOrderChangeError(
                    f"not an {NOTIFICATION_TYPE} notification",
                    source=_SOURCE,
                    location=f"{location}.NotificationType",
                    fragment=str(kind),
                )
            return data
        key = "Body" if "Body" in data else "Message" if "Message" in data else None
        if key is None:
            break
        inner = data[key]
        location = f"{location}.{key}"
        if isinstance(inner, Mapping):
            data = inner
        elif isinstance(inner, str | bytes):
            data = load_json_object(inner, source=_SOURCE)
        else:
            break
    raise NotOrderChangeError(
        f"no {NOTIFICATION_TYPE} notification found", source=_SOURCE, location=location
    )


def parse_order_change(doc: JsonInput) -> Order:
    """Read one ORDER_CHANGE notification, raw or wrapped in an SQS message or SNS envelope.

    Args:
        doc: the notification or message as bytes or text, or an already-decoded mapping.

    Returns:
        The order as the notification's ``Summary`` describes it, with its items;
        ``last_update_date`` is ``OrderChangeTrigger.TimeOfOrderChange`` (``EventTime`` when
        that is null).

    Raises:
        ParseError: no notification inside, no ``AmazonOrderId``, an item without
            ``OrderItemId``, or an ``IsBuyerRequestedCancel`` that is not a boolean.

    Added in 0.1.0.
    """
    return Order.model_validate(_read_change(unwrap_notification(doc), "$"))


def _change(data: Mapping[str, Any], _root: str) -> Order:
    """The careful reader of an unwrapped notification; locations start at it (``$``)."""
    payload = require_object(data.get("Payload"), source=_SOURCE, location="$.Payload")
    where = "$.Payload.OrderChangeNotification"
    change = require_object(payload.get("OrderChangeNotification"), source=_SOURCE, location=where)
    order_id = strict_text(
        change.get("AmazonOrderId"), source=_SOURCE, location=f"{where}.AmazonOrderId"
    )
    summary = require_object(change.get("Summary"), source=_SOURCE, location=f"{where}.Summary")
    raw_items = require_array(
        summary.get("OrderItems"), source=_SOURCE, location=f"{where}.Summary.OrderItems"
    )
    trigger = change.get("OrderChangeTrigger")
    changed = trigger.get("TimeOfOrderChange") if isinstance(trigger, Mapping) else None
    last_update = lenient_datetime(
        changed, source=_SOURCE, location=f"{where}.OrderChangeTrigger.TimeOfOrderChange"
    ) or lenient_datetime(data.get("EventTime"), source=_SOURCE, location="$.EventTime")
    return Order(
        amazon_order_id=order_id,
        marketplace_id=optional_text(summary.get("MarketplaceId")),
        status=lenient_enum(
            OrderStatus,
            summary.get("OrderStatus"),
            source=_SOURCE,
            location=f"{where}.Summary.OrderStatus",
        ),
        fulfillment_channel=lenient_enum(
            FulfillmentChannel,
            summary.get("FulfillmentType"),
            source=_SOURCE,
            location=f"{where}.Summary.FulfillmentType",
        ),
        purchase_date=lenient_datetime(
            summary.get("PurchaseDate"), source=_SOURCE, location=f"{where}.Summary.PurchaseDate"
        ),
        last_update_date=last_update,
        source=Source.NOTIFICATION,
        items=[
            _item(item, f"{where}.Summary.OrderItems[{index}]")
            for index, item in enumerate(raw_items)
        ],
    )


@dataclass(frozen=True)
class OrderChange:
    """One ORDER_CHANGE notification: its order and what a consumer needs to route it.

    Added in 0.2.0.
    """

    order: Order
    """The order as the notification describes it (see :func:`parse_order_change`)."""
    notification_id: str | None
    """``NotificationMetadata.NotificationId``: the same for every delivery of one
    notification, so it is the key that makes at-least-once delivery idempotent."""
    seller_id: str | None
    """``Payload.OrderChangeNotification.SellerId``: whose order it is (one queue can serve
    many sellers)."""
    change_type: str | None
    """``OrderChangeType``: ``BuyerRequestedChange``, ``OrderStatusChange``..."""


def read_order_change(doc: JsonInput) -> OrderChange:
    """Read one notification (raw, SQS or SNS wrapped) with its id, seller and change type.

    Raises:
        ParseError: as :func:`parse_order_change`; also a ``NotificationId`` or ``SellerId``
            that is present but not a string.

    Added in 0.2.0.
    """
    data = unwrap_notification(doc)
    order = Order.model_validate(_read_change(data, "$"))
    metadata = data.get("NotificationMetadata")
    payload = data.get("Payload")
    change = payload.get("OrderChangeNotification") if isinstance(payload, Mapping) else None
    change = change if isinstance(change, Mapping) else {}
    return OrderChange(
        order=order,
        notification_id=_optional_id(
            metadata.get("NotificationId") if isinstance(metadata, Mapping) else None,
            "$.NotificationMetadata.NotificationId",
        ),
        seller_id=_optional_id(
            change.get("SellerId"), "$.Payload.OrderChangeNotification.SellerId"
        ),
        change_type=optional_text(change.get("OrderChangeType")),
    )


def _optional_id(value: Any, location: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ParseError(
            "expected a string", source=_SOURCE, location=location, fragment=repr(value)[:80]
        )
    return value.strip() or None


def iter_order_changes(doc: JsonInput) -> Iterator[Order]:
    """Read an SQS ``ReceiveMessage`` batch (``{"Messages": [...]}``), one order per message.

    A single notification or message (no ``Messages`` key) yields its one order, so callers
    can hand over whatever they received. Messages of a batch that hold no ORDER_CHANGE
    notification (another notification type, an SNS ``SubscriptionConfirmation``) are skipped
    with a warning; an empty receive (``ResponseMetadata`` and no ``Messages``) yields nothing.

    Raises:
        ParseError: as :func:`parse_order_change`, for the first ORDER_CHANGE message that
            cannot be read; its ``location`` names the message (``$.Messages[2]...``).

    Added in 0.1.0.
    """
    data = load_json_object(doc, source=_SOURCE)
    if "Messages" not in data:
        if set(data) == {"ResponseMetadata"}:
            return  # boto3's answer when the queue had nothing: no messages, no orders
        yield parse_order_change(data)
        return
    messages = data["Messages"]
    if not isinstance(messages, list):
        raise ParseError(
            "expected an array", source=_SOURCE, location="$.Messages", fragment=repr(messages)[:80]
        )
    for index, message in enumerate(messages):
        try:
            if isinstance(message, str | bytes):
                order = parse_order_change(message)
            else:
                order = parse_order_change(
                    require_object(message, source=_SOURCE, location=f"$.Messages[{index}]")
                )
        except NotOrderChangeError as exc:
            logger.warning("skipping $.Messages[%d]: %s", index, exc)
            continue
        except ParseError as exc:
            exc.location = f"$.Messages[{index}]" + (exc.location or "").removeprefix("$")
            raise
        yield order


def _item(value: Any, where: str) -> OrderItem:
    data = require_object(value, source=_SOURCE, location=where)
    flag = data.get("IsBuyerRequestedCancel")  # optional in the model: absent is "not said"
    requested = parse_flag(flag, source=_SOURCE, location=f"{where}.IsBuyerRequestedCancel")
    return OrderItem(
        order_item_id=strict_text(
            data.get("OrderItemId"), source=_SOURCE, location=f"{where}.OrderItemId"
        ),
        seller_sku=optional_text(data.get("SellerSKU")),
        quantity_ordered=lenient_quantity(
            data.get("Quantity"), source=_SOURCE, location=f"{where}.Quantity"
        ),
        quantity_shipped=lenient_quantity(
            data.get("QuantityShipped"), source=_SOURCE, location=f"{where}.QuantityShipped"
        ),
        buyer_cancel=BuyerCancel(requested=requested, reported=flag is not None),
    )


# --- the fast reader of clean notifications (see amzcancel.wire._clean) ------------------------

_STATUS_CHOICES = choices(OrderStatus)
_CHANNEL_CHOICES = choices(FulfillmentChannel)
# (requested, reported): the flag says yes, says no, or is not there (then it says nothing).
_BUYER_CANCEL = {
    (requested, reported): BuyerCancel(requested=requested, reported=reported)
    for requested, reported in ((True, True), (False, True), (False, False))
}


def _clean_change(data: Mapping[str, Any]) -> dict[str, Any]:
    payload = clean_object(data.get("Payload"))
    change = None if payload is None else clean_object(payload.get("OrderChangeNotification"))
    summary = None if change is None else clean_object(change.get("Summary"))
    if change is None or summary is None:
        raise NotClean
    items = summary.get("OrderItems")
    trigger = clean_object(change.get("OrderChangeTrigger")) or {}
    if type(items) is not list:
        raise NotClean
    return {
        "amazon_order_id": clean_id(change.get("AmazonOrderId")),
        "marketplace_id": clean_text(summary.get("MarketplaceId")),
        "status": clean_choice(_STATUS_CHOICES, summary.get("OrderStatus")),
        "fulfillment_channel": clean_choice(_CHANNEL_CHOICES, summary.get("FulfillmentType")),
        "purchase_date": clean_datetime(summary.get("PurchaseDate")),
        # EventTime stands in only when the trigger has no time (it is not read otherwise).
        "last_update_date": clean_datetime(trigger.get("TimeOfOrderChange"))
        or clean_datetime(data.get("EventTime")),
        "source": Source.NOTIFICATION,
        "items": [_clean_item(item) for item in items],
    }


def _clean_item(value: Any) -> dict[str, Any]:
    if type(value) is not dict:
        raise NotClean
    flag = value.get("IsBuyerRequestedCancel")
    return {
        "order_item_id": clean_id(value.get("OrderItemId")),
        "seller_sku": clean_text(value.get("SellerSKU")),
        "quantity_ordered": clean_count(value.get("Quantity")),
        "quantity_shipped": clean_count(value.get("QuantityShipped")),
        "buyer_cancel": _BUYER_CANCEL[clean_flag(flag), flag is not None],
    }


_read_change = clean_first(_clean_change, _change)
