"""Build the OrderAcknowledgement feed that cancels orders or items.

The document follows Amazon's ``amzn-envelope.xsd`` and ``OrderAcknowledgement.xsd``
(feed type ``POST_ORDER_ACKNOWLEDGEMENT_DATA``): a header with the merchant identifier, one
``Message`` per order with ``MessageID`` 1, 2, ..., and in it ``AmazonOrderID``,
``StatusCode`` ``Failure`` (which is what cancels) and one ``Item`` per cancelled item carrying
its ``CancelReason``. The schema puts ``CancelReason`` only on items, so a whole-order cancel
lists every item. Input is the guard's decisions (:func:`amzcancel.policy.approve_cancellation`);
the submission judges them again against the orders before anything is sent.

Added in 0.1.0.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET  # building only; untrusted XML is parsed with defusedxml
from collections.abc import Sequence

from amzcancel.feeds._model import CancellationFeed, FeedError, FeedMessage
from amzcancel.feeds._schema import check_order_acknowledgement_feed
from amzcancel.policy import FEED_CANCEL_REASONS, CancelDecision

__all__ = ["DOCUMENT_VERSION", "build_cancellation_feed"]

logger = logging.getLogger("amzcancel.feeds")

DOCUMENT_VERSION = "1.01"
"""The envelope ``Header/DocumentVersion`` Amazon's examples use."""

_XSI = "http://www.w3.org/2001/XMLSchema-instance"


def build_cancellation_feed(
    decisions: Sequence[CancelDecision], *, merchant_id: str
) -> CancellationFeed:
    """Build the OrderAcknowledgement feed for the guard's decisions.

    Decisions on the same order are merged into one message; every message must carry a
    single reason (Amazon applies the message as one acknowledgement).

    Args:
        decisions: what to cancel, each from :func:`~amzcancel.policy.approve_cancellation`.
        merchant_id: the seller's merchant identifier (merchant token) for the header.

    Raises:
        FeedError: no decisions; something that is not a decision, or one whose verdict is for
            another reason or refuses it without a justification; a reason the feed schema
            lacks (PricingError); an order whose items are unknown; the same item twice or
            with two reasons; a blank merchant identifier.

    Added in 0.1.0.
    """
    merchant = merchant_id.strip() if isinstance(merchant_id, str) else ""
    if not merchant or any(ch.isspace() for ch in merchant):
        raise FeedError("the merchant identifier must be one word (the seller's merchant token)")
    if isinstance(decisions, CancelDecision):
        raise FeedError("decisions is a list of CancelDecision: wrap the one decision in [...]")
    decisions = list(decisions)
    if not decisions:
        raise FeedError("nothing to cancel: no decisions given")
    messages = _messages(decisions)
    root = ET.Element("AmazonEnvelope", {"xmlns:xsi": _XSI})
    root.set("xsi:noNamespaceSchemaLocation", "amzn-envelope.xsd")
    header = ET.SubElement(root, "Header")
    ET.SubElement(header, "DocumentVersion").text = DOCUMENT_VERSION
    ET.SubElement(header, "MerchantIdentifier").text = merchant
    ET.SubElement(root, "MessageType").text = "OrderAcknowledgement"
    for message in messages:
        element = ET.SubElement(root, "Message")
        ET.SubElement(element, "MessageID").text = str(message.message_id)
        ack = ET.SubElement(element, "OrderAcknowledgement")
        ET.SubElement(ack, "AmazonOrderID").text = message.amazon_order_id
        ET.SubElement(ack, "StatusCode").text = "Failure"
        for item_id in message.order_item_ids:
            item = ET.SubElement(ack, "Item")
            ET.SubElement(item, "AmazonOrderItemCode").text = item_id
            ET.SubElement(item, "CancelReason").text = message.reason.value
    ET.indent(root)
    xml = '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")
    # Our own output goes through the same check as anyone's: a bug here fails loudly
    # instead of as a rejected feed hours later.
    check_order_acknowledgement_feed(xml)
    logger.info("built cancellation feed with %d message(s)", len(messages))
    return CancellationFeed(
        merchant_id=merchant, xml=xml + "\n", messages=tuple(messages), decisions=tuple(decisions)
    )


def _messages(decisions: Sequence[CancelDecision]) -> list[FeedMessage]:
    by_order: dict[str, list[CancelDecision]] = {}
    for decision in decisions:
        _check_decision(decision)
        by_order.setdefault(decision.amazon_order_id, []).append(decision)
    messages = []
    for number, (order_id, group) in enumerate(by_order.items(), start=1):
        reasons = {d.reason for d in group}
        if len(reasons) > 1:
            names = ", ".join(sorted(r.value for r in reasons))
            raise FeedError(
                f"order {order_id}: one feed message carries one cancel reason, got {names}; "
                "submit them in separate feeds"
            )
        item_ids: list[str] = []
        for decision in group:
            for item_id in decision.order_item_ids:
                if item_id in item_ids:
                    raise FeedError(f"order {order_id}: item {item_id} is cancelled twice")
                item_ids.append(item_id)
        messages.append(
            FeedMessage(
                message_id=number,
                amazon_order_id=order_id,
                order_item_ids=tuple(item_ids),
                reason=group[0].reason,
                whole_order=any(d.whole_order for d in group),
            )
        )
    return messages


def _check_decision(decision: CancelDecision) -> None:
    if not isinstance(decision, CancelDecision):
        raise FeedError(
            "a cancellation feed is built from decisions of amzcancel.policy.approve_cancellation"
        )
    if decision.verdict.reason is not decision.reason:
        raise FeedError(
            f"order {decision.amazon_order_id}: the decision's verdict is about "
            f"{decision.verdict.reason.value}, not {decision.reason.value}; "
            "make decisions with approve_cancellation"
        )
    if not decision.verdict.allowed and not decision.overridden:
        raise FeedError(
            f"order {decision.amazon_order_id}: {decision.reason.value} is refused by the policy "
            f"({decision.verdict.why}) and the decision carries no override justification"
        )
    if decision.reason not in FEED_CANCEL_REASONS:
        raise FeedError(
            f"{decision.reason.value} is a Seller Central reason but not a CancelReason of the "
            "OrderAcknowledgement feed schema, so Amazon would reject it; cancel order "
            f"{decision.amazon_order_id} in Seller Central instead"
        )
    if not decision.order_item_ids:
        raise FeedError(
            f"order {decision.amazon_order_id}: its items are unknown, and the feed carries the "
            "cancel reason per item; fetch the order with its items first"
        )
