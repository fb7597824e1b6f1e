"""ORDER_CHANGE notifications from the sandbox, validated against Amazon's draft-07 schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

from amzcancel.clock import FakeClock
from amzcancel.models import FulfillmentChannel, OrderStatus
from amzcancel.sandbox import Marketplace

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "amazon_models" / "OrderChangeNotification.json"


def validator() -> jsonschema.Draft7Validator:
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return jsonschema.Draft7Validator(schema)


def test_buyer_request_and_shipment_notify() -> None:
    """A buyer request gives BuyerRequestedChange with the item's boolean; shipping notifies too."""
    mp = Marketplace(seed=2, orders=40, clock=FakeClock())
    assert mp.notifications() == []  # the starting state is not news
    order = next(
        o
        for o in mp.orders()
        if o.status is OrderStatus.UNSHIPPED
        and o.channel is FulfillmentChannel.MFN
        and not o.open_requests()
    )
    item = order.items[0]
    mp.request_cancel(order.amazon_order_id, item.order_item_id, "Order created by mistake")
    mp.ship(order.amazon_order_id)
    request, shipped = mp.notifications()
    check = validator()
    check.validate(request)
    check.validate(shipped)
    change = request["Payload"]["OrderChangeNotification"]
    assert change["OrderChangeType"] == "BuyerRequestedChange"
    assert change["AmazonOrderId"] == order.amazon_order_id
    flags = {i["OrderItemId"]: i["IsBuyerRequestedCancel"] for i in change["Summary"]["OrderItems"]}
    assert flags[item.order_item_id] is True
    assert "BuyerCancelReason" not in json.dumps(request)  # Amazon sends no reason text
    assert shipped["Payload"]["OrderChangeNotification"]["Summary"]["OrderStatus"] == "Shipped"
    assert mp.notifications() == []


def test_live_mode_notifications_validate() -> None:
    """Every notification live mode produces matches the official schema."""
    mp = Marketplace(seed=6, orders=30, clock=FakeClock(), live=True, speed=20)
    mp.advance(3600)
    notes = mp.notifications()
    assert len(notes) > 20
    check = validator()
    for note in notes:
        check.validate(note)
    kinds = {n["Payload"]["OrderChangeNotification"]["OrderChangeType"] for n in notes}
    assert kinds == {"BuyerRequestedChange", "OrderStatusChange"}
