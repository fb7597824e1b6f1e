"""Check an OrderAcknowledgement feed document against the structure of Amazon's schema.

This is the XSD's content model written out (no XSD engine is needed): element order and
cardinality, the ``StatusCode`` and ``CancelReason`` enumerations, ``MessageID`` numbering.
Sources: ``amzn-envelope.xsd`` and ``OrderAcknowledgement.xsd`` (release_1_9 copy), as
summarised in the project's amazon-facts.md section 7.1.

Added in 0.1.0.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from amzcancel.errors import ParseError
from amzcancel.feeds._model import FeedError
from amzcancel.policy import FEED_CANCEL_REASONS
from amzcancel.wire._xml import parse_xml

__all__ = ["check_order_acknowledgement_feed"]

# (element, minOccurs, maxOccurs); None = unbounded.
_Model = tuple[tuple[str, int, int | None], ...]
_ENVELOPE: _Model = (("Header", 1, 1), ("MessageType", 1, 1), ("Message", 1, None))
_HEADER: _Model = (("DocumentVersion", 1, 1), ("MerchantIdentifier", 1, 1))
_MESSAGE: _Model = (
    ("MessageID", 1, 1),
    ("OperationType", 0, 1),
    ("OrderAcknowledgement", 1, 1),
)
_ACK: _Model = (
    ("AmazonOrderID", 1, 1),
    ("MerchantOrderID", 0, 1),
    ("StatusCode", 1, 1),
    ("Item", 0, None),
)
_ITEM: _Model = (
    ("AmazonOrderItemCode", 1, 1),
    ("MerchantOrderItemID", 0, 1),
    ("CancelReason", 0, 1),
)
_STATUS_CODES = frozenset({"Success", "Failure"})
_OPERATION_TYPES = frozenset({"Update", "Delete", "PartialUpdate"})
_REASON_CODES = frozenset(reason.value for reason in FEED_CANCEL_REASONS)


def check_order_acknowledgement_feed(document: str | bytes) -> None:
    """Raise :class:`FeedError` unless ``document`` is a valid OrderAcknowledgement feed.

    Raises:
        FeedError: the first violation found, naming the element path.

    Added in 0.1.0.
    """
    try:
        root = parse_xml(document, source="feed")
    except ParseError as exc:
        raise FeedError(f"the feed is not well-formed XML: {exc}") from exc
    if root.tag != "AmazonEnvelope":
        raise FeedError(f"the root element must be AmazonEnvelope, not {root.tag}")
    _sequence(root, _ENVELOPE, "AmazonEnvelope")
    header = root.find("Header")
    assert header is not None  # guaranteed by _sequence
    _sequence(header, _HEADER, "Header")
    if not _text(header, "MerchantIdentifier"):
        raise FeedError("Header/MerchantIdentifier must not be empty")
    if _text(root, "MessageType") != "OrderAcknowledgement":
        raise FeedError("MessageType must be OrderAcknowledgement")
    seen: set[int] = set()
    for index, message in enumerate(root.findall("Message"), start=1):
        path = f"Message[{index}]"
        _sequence(message, _MESSAGE, path)
        _message_id(message, path, seen)
        operation = message.find("OperationType")
        if operation is not None and (operation.text or "") not in _OPERATION_TYPES:
            raise FeedError(f"{path}/OperationType: {operation.text!r} is not allowed")
        ack = message.find("OrderAcknowledgement")
        assert ack is not None
        _acknowledgement(ack, f"{path}/OrderAcknowledgement")


def _acknowledgement(ack: ET.Element, path: str) -> None:
    _sequence(ack, _ACK, path)
    if not _text(ack, "AmazonOrderID"):
        raise FeedError(f"{path}/AmazonOrderID must not be empty")
    status = _text(ack, "StatusCode")
    if status not in _STATUS_CODES:
        raise FeedError(f"{path}/StatusCode: {status!r} is not Success or Failure")
    for index, item in enumerate(ack.findall("Item"), start=1):
        item_path = f"{path}/Item[{index}]"
        _sequence(item, _ITEM, item_path)
        if not _text(item, "AmazonOrderItemCode"):
            raise FeedError(f"{item_path}/AmazonOrderItemCode must not be empty")
        reason = item.find("CancelReason")
        if reason is None:
            continue
        if (reason.text or "") not in _REASON_CODES:
            raise FeedError(
                f"{item_path}/CancelReason: {reason.text!r} is not a CancelReason of the "
                "OrderAcknowledgement schema"
            )
        if status != "Failure":
            raise FeedError(f"{item_path}/CancelReason is only allowed with StatusCode Failure")


def _message_id(message: ET.Element, path: str, seen: set[int]) -> None:
    text = _text(message, "MessageID")
    # ASCII digits only: "²".isdigit() is true, and int() refuses it.
    if not (text.isascii() and text.isdigit() and len(text) <= 18) or int(text) < 1:
        raise FeedError(f"{path}/MessageID must be a positive integer, got {text[:40]!r}")
    number = int(text)
    if number in seen:
        raise FeedError(f"{path}/MessageID {number} is used twice")
    seen.add(number)


def _sequence(element: ET.Element, model: _Model, path: str) -> None:
    """Match the children of ``element`` against an xs:sequence content model."""
    children = list(element)
    position = 0
    for name, low, high in model:
        count = 0
        while position < len(children) and children[position].tag == name:
            count += 1
            position += 1
        if count < low:
            found = children[position].tag if position < len(children) else "the end"
            raise FeedError(f"{path}: expected {name}, found {found}")
        if high is not None and count > high:
            raise FeedError(f"{path}: {name} may appear at most {high} time(s)")
    if position < len(children):
        raise FeedError(f"{path}: unexpected element {children[position].tag} here")


def _text(element: ET.Element, name: str) -> str:
    found = element.find(name)
    return "" if found is None or found.text is None else found.text.strip()
