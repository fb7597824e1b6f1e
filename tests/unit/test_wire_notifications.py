"""ORDER_CHANGE notification parser: raw, SQS-wrapped, SNS-wrapped and batched."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from amzcancel.errors import ParseError
from amzcancel.models import FulfillmentChannel, Order, OrderStatus, Source
from amzcancel.wire.notifications import iter_order_changes, parse_order_change

FIXTURES = Path(__file__).parent.parent / "fixtures" / "notification"


def _load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


MODEL = (
    "903-8868176-2219830",
    OrderStatus.UNSHIPPED,
    FulfillmentChannel.MFN,
    [("OIID34853450", "SellerSKUID1", 10, 0, True)],
)
HAND_3 = (
    "305-1111111-0000003",
    OrderStatus.UNSHIPPED,
    FulfillmentChannel.MFN,
    [
        ("40000000000004", "DE-SKU-4", 1, 0, True),
        ("40000000000005", "DE-SKU-5", 1, 0, False),
    ],
)


def _summary(order: Order) -> tuple[object, ...]:
    return (
        order.amazon_order_id,
        order.status,
        order.fulfillment_channel,
        [
            (
                item.order_item_id,
                item.seller_sku,
                item.quantity_ordered,
                item.quantity_shipped,
                item.buyer_cancel.requested,
            )
            for item in order.items
        ],
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("orderChange.model.200.1.json", MODEL, id="model-buyer-requested-change"),
        pytest.param(
            "orderChange.hand.200.1.json",
            (
                "305-1111111-0000001",
                OrderStatus.SHIPPED,
                FulfillmentChannel.MFN,
                [("40000000000001", "DE-SKU-1", 2, 2, False)],
            ),
            id="order-status-change-item-level",
        ),
        pytest.param(
            "orderChange.hand.200.2.json",
            (
                "305-1111111-0000002",
                OrderStatus.SHIPPED,
                FulfillmentChannel.AFN,
                [
                    ("40000000000002", "DE-SKU-2", 1, None, False),
                    ("40000000000003", "DE-SKU-3", 1, None, False),
                ],
            ),
            id="delivery-tip-change-flag-absent",
        ),
        pytest.param("orderChange.hand.200.3.json", HAND_3, id="string-flags-true-and-False"),
        pytest.param(
            "orderChange.hand.200.4.json",
            (
                "305-1111111-0000004",
                OrderStatus.UNSHIPPED,
                FulfillmentChannel.MFN,
                [("40000000000006", "DE-SKU-6", 1, 0, True)],
            ),
            id="flag-TRUE-unknown-fields-null-purchase-date",
        ),
        pytest.param("sqsMessage.hand.200.1.json", MODEL, id="sqs-body-string"),
        pytest.param("snsEnvelope.hand.200.1.json", HAND_3, id="sns-message-string"),
        pytest.param("sqsMessage.hand.200.2.json", HAND_3, id="sns-inside-sqs"),
    ],
)
def test_order_change_fixtures(name: str, expected: tuple[object, ...]) -> None:
    """Every wrapping and change type maps to the order, its items and the boolean flag."""
    order = parse_order_change(_load(name))
    assert _summary(order) == expected
    assert order.source is Source.NOTIFICATION
    assert all(item.buyer_cancel.reason is None for item in order.items)


def test_dates_come_from_summary_and_trigger() -> None:
    """purchase_date is Summary.PurchaseDate; last_update_date is TimeOfOrderChange."""
    order = parse_order_change(_load("orderChange.model.200.1.json"))
    assert order.purchase_date == datetime(2022, 7, 13, 19, 42, 4, 284000, tzinfo=UTC)
    assert order.last_update_date == datetime(2022, 11, 29, 19, 42, 4, 284000, tzinfo=UTC)
    assert order.marketplace_id == "ATVPDKIKX0DER"


def test_null_time_of_change_falls_back_to_event_time() -> None:
    """A null TimeOfOrderChange leaves EventTime as the last update date."""
    order = parse_order_change(_load("orderChange.hand.200.2.json"))
    assert order.last_update_date == datetime(2026, 11, 21, 9, 31, tzinfo=UTC)


def test_null_purchase_date_is_none() -> None:
    """The schema allows a null PurchaseDate; it stays None."""
    assert parse_order_change(_load("orderChange.hand.200.4.json")).purchase_date is None


def test_receive_message_batch_yields_one_order_per_message() -> None:
    """A ReceiveMessage batch yields each message's order in order."""
    orders = list(iter_order_changes(_load("receiveMessage.hand.200.1.json")))
    assert [o.amazon_order_id for o in orders] == ["903-8868176-2219830", "305-1111111-0000001"]
    assert list(iter_order_changes(_load("receiveMessage.hand.200.2.json"))) == []


def test_single_message_through_iter_yields_one_order() -> None:
    """iter_order_changes also accepts one notification."""
    orders = list(iter_order_changes(_load("orderChange.model.200.1.json")))
    assert _summary(orders[0]) == MODEL


@pytest.mark.parametrize(
    ("name", "location"),
    [
        pytest.param(
            "orderChange.hand.invalid.1.json",
            "$.Payload.OrderChangeNotification.AmazonOrderId",
            id="no-order-id",
        ),
        pytest.param(
            "orderChange.hand.invalid.2.json",
            "$.Payload.OrderChangeNotification.Summary.OrderItems[0].IsBuyerRequestedCancel",
            id="unreadable-flag",
        ),
        pytest.param("orderChange.hand.invalid.3.json", "$.NotificationType", id="other-type"),
        pytest.param(
            "orderChange.hand.invalid.4.json",
            "$.Payload.OrderChangeNotification.Summary.OrderItems[0].OrderItemId",
            id="no-item-id",
        ),
        pytest.param("sqsMessage.hand.invalid.1.json", "$", id="body-not-json"),
    ],
)
def test_invalid_notifications_raise(name: str, location: str) -> None:
    """Missing ids, an unreadable flag or another notification type is a ParseError."""
    with pytest.raises(ParseError) as info:
        parse_order_change(_load(name))
    assert info.value.location == location
    assert info.value.source == "notification"


def test_batch_error_names_the_message() -> None:
    """A bad message in a batch raises with the message index in its location."""
    orders = iter_order_changes(_load("receiveMessage.hand.invalid.1.json"))
    assert next(orders).amazon_order_id == "903-8868176-2219830"
    with pytest.raises(ParseError) as info:
        next(orders)
    assert info.value.location == "$.Messages[1].Payload.OrderChangeNotification.AmazonOrderId"


@pytest.mark.parametrize(
    "doc",
    [
        pytest.param({}, id="empty-object"),
        pytest.param({"Body": 5}, id="body-not-text"),
        pytest.param({"Payload": {}}, id="no-change"),
        pytest.param({"Payload": {"OrderChangeNotification": {"AmazonOrderId": "1"}}}, id="no-sum"),
        pytest.param({"Messages": {"a": 1}}, id="messages-not-list"),
    ],
)
def test_shapeless_input_raises_parse_error(doc: dict[str, object]) -> None:
    """Objects without the notification's structure raise ParseError."""
    with pytest.raises(ParseError):
        list(iter_order_changes(json.dumps(doc)))


def _change(order_id: str, kind: str, items: list[dict[str, object]], *, at: str) -> str:
    """An ORDER_CHANGE notification body of type ``kind`` for one order."""
    return json.dumps(
        {
            "NotificationType": kind,
            "EventTime": at,
            "Payload": {
                "OrderChangeNotification": {
                    "AmazonOrderId": order_id,
                    "OrderChangeType": "OrderStatusChange",
                    "OrderChangeTrigger": {"TimeOfOrderChange": at},
                    "Summary": {"OrderStatus": "Unshipped", "OrderItems": items},
                }
            },
        }
    )


def test_a_batch_skips_messages_of_other_types() -> None:
    """A queue carrying several notification types: the ORDER_CHANGE orders still come out."""
    report = _change("1", "REPORT_PROCESSING_FINISHED", [], at="2026-11-20T10:00:00Z")
    confirm = json.dumps({"Type": "SubscriptionConfirmation", "TopicArn": "arn:aws:sns:x"})
    order = _change("2", "ORDER_CHANGE", [{"OrderItemId": "i"}], at="2026-11-20T10:00:00Z")
    batch = {"Messages": [{"Body": report}, {"Body": confirm}, {"Body": order}]}
    assert [o.amazon_order_id for o in iter_order_changes(batch)] == ["2"]
    with pytest.raises(ParseError):  # read alone, a foreign message is still an error
        parse_order_change(report)


def test_an_empty_receive_yields_nothing() -> None:
    """boto3's answer for an empty queue (no Messages key) is no orders, not an error."""
    assert list(iter_order_changes({"ResponseMetadata": {"RequestId": "r"}})) == []


def test_an_item_without_the_flag_says_nothing_about_it() -> None:
    """IsBuyerRequestedCancel is optional: absent reads False but is marked as not reported."""
    items = [{"OrderItemId": "said", "IsBuyerRequestedCancel": False}, {"OrderItemId": "silent"}]
    order = parse_order_change(_change("3", "ORDER_CHANGE", items, at="2026-11-20T10:00:00Z"))
    said, silent = (item.buyer_cancel for item in order.items)
    assert (said.requested, said.reported) == (False, True)
    assert (silent.requested, silent.reported) == (False, False)
    assert '"reported"' not in order.to_json()
