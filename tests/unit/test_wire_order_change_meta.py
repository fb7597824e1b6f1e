"""read_order_change: the order with what routing and deduplication need."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from amzcancel.errors import ParseError
from amzcancel.wire.notifications import NotOrderChangeError, read_order_change

SCHEMA = Path(__file__).resolve().parents[1] / "amazon_models" / "OrderChangeNotification.json"


def example() -> dict[str, Any]:
    """The official schema's own example notification."""
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    return dict(schema["examples"][0])


def test_reads_id_seller_and_change_type_from_every_envelope() -> None:
    """Raw, as an SQS body and inside an SNS envelope: the same id, seller and change type."""
    raw = example()
    body = json.dumps(raw)
    sns = json.dumps({"Type": "Notification", "Message": body})
    for doc in (raw, body, {"Body": body, "MessageId": "m"}, sns):
        change = read_order_change(doc)
        assert change.notification_id == raw["NotificationMetadata"]["NotificationId"]
        assert change.seller_id == raw["Payload"]["OrderChangeNotification"]["SellerId"]
        assert change.change_type == raw["Payload"]["OrderChangeNotification"]["OrderChangeType"]
        assert (
            change.order.amazon_order_id
            == raw["Payload"]["OrderChangeNotification"]["AmazonOrderId"]
        )


def test_a_non_string_notification_id_is_an_error() -> None:
    """A NotificationId that is not text cannot key deduplication: a ParseError naming it."""
    raw = example()
    raw["NotificationMetadata"]["NotificationId"] = 12
    with pytest.raises(ParseError, match="NotificationId"):
        read_order_change(raw)


def test_another_notification_type_is_not_an_order_change() -> None:
    """An SNS subscription confirmation or another type is refused, not misread."""
    with pytest.raises(NotOrderChangeError):
        read_order_change({"Type": "SubscriptionConfirmation", "Message": "{}"})
