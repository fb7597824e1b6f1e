"""ORDER_CHANGE notifications, as Amazon would push them to an SQS queue.

Every buyer request (``BuyerRequestedChange``) and status change (``OrderStatusChange``) made
after the marketplace starts is recorded in the shape of ``OrderChangeNotification.json``
(draft-07). Like Amazon's, the notification carries the per-item boolean
``IsBuyerRequestedCancel`` but no reason text.

Added in 0.1.0.
"""

from __future__ import annotations

import random
import threading
import uuid
from datetime import datetime
from typing import Any

from amzcancel.sandbox._core import format_time
from amzcancel.sandbox._state import SimOrder

__all__ = ["OrderChangeFeed", "render_order_change"]

_APPLICATION_ID = "amzn1.sellerapps.app.sandbox-0000-0000-0000-000000000000"
_SUBSCRIPTION_ID = "sandbox-order-change-subscription"


def render_order_change(
    order: SimOrder,
    *,
    change_type: str,
    reason: str,
    when: datetime,
    seller_id: str,
    notification_id: str,
) -> dict[str, Any]:
    """One ORDER_CHANGE notification (order level) for ``order`` as it is now."""
    items = []
    for item in order.items:
        entry: dict[str, Any] = {
            "OrderItemId": item.order_item_id,
            "SellerSKU": item.seller_sku,
            "SupplySourceId": None,
            "Quantity": item.quantity_ordered,
            "QuantityShipped": item.quantity_shipped,
            "IsBuyerRequestedCancel": item.buyer_requested,
        }
        if not item.is_cancelled:
            shipped = item.quantity_shipped == item.quantity_ordered
            entry["OrderItemStatus"] = "Shipped" if shipped else "Unshipped"
        items.append(entry)
    stamp = format_time(when)
    return {
        "NotificationVersion": "1.0",
        "NotificationType": "ORDER_CHANGE",
        "PayloadVersion": "1.0",
        "EventTime": stamp,
        "Payload": {
            "OrderChangeNotification": {
                "NotificationLevel": "OrderLevel",
                "SellerId": seller_id,
                "AmazonOrderId": order.amazon_order_id,
                "OrderChangeType": change_type,
                "OrderChangeTrigger": {"TimeOfOrderChange": stamp, "ChangeReason": reason},
                "Summary": {
                    "MarketplaceId": order.marketplace_id,
                    "OrderStatus": order.status.value,
                    "PurchaseDate": format_time(order.purchase_date),
                    "DestinationPostalCode": None,
                    "FulfillmentType": order.channel.value,
                    "OrderType": "StandardOrder",
                    "NumberOfItemsShipped": order.items_shipped,
                    "NumberOfItemsUnshipped": order.items_unshipped,
                    "OrderItems": items,
                },
            }
        },
        "NotificationMetadata": {
            "ApplicationId": _APPLICATION_ID,
            "SubscriptionId": _SUBSCRIPTION_ID,
            "PublishTime": stamp,
            "NotificationId": notification_id,
        },
    }


class OrderChangeFeed:
    """Collects ORDER_CHANGE notifications as orders change.

    Added in 0.1.0.
    """

    def __init__(self, *, seed: int, seller_id: str) -> None:
        self._seller_id = seller_id
        self._rng = random.Random(f"notifications:{seed}")
        self._lock = threading.Lock()
        # (the change's exact moment, the notification): EventTime keeps whole seconds only.
        self._queue: list[tuple[datetime, dict[str, Any]]] = []

    def __call__(self, order: SimOrder, change_type: str, reason: str, when: datetime) -> None:
        with self._lock:
            notification_id = str(uuid.UUID(int=self._rng.getrandbits(128), version=4))
            self._queue.append(
                (
                    when,
                    render_order_change(
                        order,
                        change_type=change_type,
                        reason=reason,
                        when=when,
                        seller_id=self._seller_id,
                        notification_id=notification_id,
                    ),
                )
            )

    def drain(self) -> list[dict[str, Any]]:
        """Every notification not yet taken, oldest first (like receiving from the queue)."""
        return [notification for _, notification in self.drain_timed()]

    def drain_timed(self) -> list[tuple[datetime, dict[str, Any]]]:
        """:meth:`drain`, each notification with the exact moment of its change.

        Added in 0.2.0.
        """
        with self._lock:
            taken, self._queue = self._queue, []
        return taken
