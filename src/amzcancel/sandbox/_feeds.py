"""Feeds API 2021-06-30, simulated for the order acknowledgement (cancellation) feed.

createFeedDocument gives an upload URL on the sandbox (``/_sandbox/uploads/{id}``); the client
PUTs the XML there with the same Content-Type; createFeed queues it; getFeed reports IN_QUEUE,
IN_PROGRESS and, once ``processing_seconds`` have passed on the marketplace's clock, DONE with
a result document whose URL serves the XML processing report. Processing applies the feed:
every ``OrderAcknowledgement`` with ``StatusCode`` Failure cancels the whole order, or the
items named by ``AmazonOrderItemCode``, with the given ``CancelReason``.

Added in 0.1.0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from xml.etree.ElementTree import Element
from xml.sax.saxutils import escape

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from amzcancel.sandbox._core import BadInput, MarketState, Route, SpApiOperations, format_time
from amzcancel.sandbox._http import (
    SandboxRequest,
    SandboxResponse,
    xml_response,
)
from amzcancel.sandbox._limits import RateLimits
from amzcancel.sandbox._state import SandboxStateError

__all__ = ["CANCEL_REASONS", "CreatedFeed", "FeedsApi"]

_PREFIX = "/feeds/2021-06-30"
_UPLOADS = "/_sandbox/uploads/"
_DOWNLOADS = "/_sandbox/downloads/"
FEED_TYPE = "POST_ORDER_ACKNOWLEDGEMENT_DATA"
CANCEL_REASONS = frozenset(
    {
        "NoInventory",
        "ShippingAddressUndeliverable",
        "CustomerExchange",
        "BuyerCanceled",
        "GeneralAdjustment",
        "CarrierCreditDecision",
        "RiskAssessmentInformationNotValid",
        "CarrierCoverageFailure",
        "CustomerReturn",
        "MerchandiseNotReceived",
    }
)
"""CancelReason values of the OrderAcknowledgement XSD (amazon-facts.md section 7.1)."""


@dataclass
class _Document:
    document_id: str
    content_type: str
    content: bytes | None = None


@dataclass
class _Feed:
    feed_id: str
    marketplace_ids: list[str]
    input_document_id: str
    created: datetime
    done_at: datetime
    status: str = "IN_QUEUE"
    result_document_id: str | None = None
    results: list[dict[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class CreatedFeed:
    """What createFeed was given: enough to create the same feed again in another process.

    Added in 0.2.0.
    """

    feed_id: str
    document_id: str
    content_type: str
    content: bytes
    marketplace_ids: tuple[str, ...]
    created: datetime


@dataclass
class _Result:
    message_id: str
    code: str
    description: str
    order_id: str


def _text(element: Element, name: str) -> str:
    found = element.find(name)
    return (found.text or "").strip() if found is not None else ""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


class FeedsApi(SpApiOperations):
    """The feed operations and the sandbox's upload/download URLs.

    Args:
        state: the marketplace whose orders a feed cancels.
        limits: for the ``x-amzn-RateLimit-Limit`` header.
        processing_seconds: clock time from createFeed to DONE.

    Added in 0.1.0.
    """

    def __init__(
        self, state: MarketState, limits: RateLimits, *, processing_seconds: float
    ) -> None:
        super().__init__(state, limits)
        self._processing = timedelta(seconds=processing_seconds)
        self._documents: dict[str, _Document] = {}
        self._feeds: dict[str, _Feed] = {}
        self._next_id = 50001
        self.cancellations: dict[tuple[str, str], str] = {}
        """Items the seller cancelled through feeds: ``{(order_id, item_id): reason}``."""
        self.on_created: Callable[[CreatedFeed], None] | None = None
        """Told of every feed created (a saved demo marketplace records them)."""

    def route(self, request: SandboxRequest) -> Route | None:
        """The route for a feeds path or an upload/download URL, or None."""
        path, method = request.path.rstrip("/"), request.method
        if path.startswith(_UPLOADS) and method == "PUT":
            return Route("uploadFeedDocument", None, "sandbox", self.upload)
        if path.startswith(_DOWNLOADS) and method == "GET":
            return Route("downloadFeedDocument", None, "sandbox", self.download)
        if path == f"{_PREFIX}/documents" and method == "POST":
            return Route(
                "createFeedDocument", "feeds.createFeedDocument", "spapi", self.create_document
            )
        if path.startswith(f"{_PREFIX}/documents/") and method == "GET":
            return Route("getFeedDocument", "feeds.getFeedDocument", "spapi", self.get_document)
        if path == f"{_PREFIX}/feeds" and method == "POST":
            return Route("createFeed", "feeds.createFeed", "spapi", self.create_feed)
        if path.startswith(f"{_PREFIX}/feeds/") and method == "GET":
            return Route("getFeed", "feeds.getFeed", "spapi", self.get_feed)
        return None

    def _new_id(self) -> str:
        self._next_id += 1
        return str(self._next_id - 1)

    def restore(self, created: CreatedFeed) -> None:
        """Create again a feed another process created (same ids, same clock times)."""
        document = _Document(created.document_id, created.content_type, created.content)
        self._documents[document.document_id] = document
        feed = _Feed(
            created.feed_id,
            list(created.marketplace_ids),
            document.document_id,
            created.created,
            created.created + self._processing,
        )
        self._feeds[feed.feed_id] = feed
        # Ids issued from here on must not collide with the restored ones.
        for name in (created.feed_id, created.document_id.rsplit(".", 1)[-1]):
            if name.isdigit():
                self._next_id = max(self._next_id, int(name) + 1)

    # --- documents -------------------------------------------------------------------------

    def create_document(self, request: SandboxRequest, request_id: str) -> SandboxResponse:
        """``POST /feeds/2021-06-30/documents``."""
        bucket = "feeds.createFeedDocument"
        try:
            spec = request.json_body()
        except ValueError:
            spec = None
        if not isinstance(spec, dict) or not isinstance(spec.get("contentType"), str):
            return self._error(bucket, 400, "InvalidInput", "contentType is required", request_id)
        document_id = f"amzn1.tortuga.4.na.{self._new_id()}"
        self._documents[document_id] = _Document(document_id, spec["contentType"])
        url = f"{request.base_url}{_UPLOADS}{document_id}"
        body = {"feedDocumentId": document_id, "url": url}
        return self._answer(bucket, 201, body, request_id)

    def upload(self, request: SandboxRequest, request_id: str) -> SandboxResponse:
        """``PUT`` to a presigned upload URL: stores the feed content."""
        document = self._documents.get(request.path.rstrip("/")[len(_UPLOADS) :])
        if document is None or document.content is not None:
            return xml_response(
                403,
                "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>",
            )
        content_type = request.headers.get("content-type", "")
        if content_type.replace(" ", "").lower() != document.content_type.replace(" ", "").lower():
            return xml_response(
                403,
                "<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we "
                "calculated does not match the signature you provided (Content-Type differs "
                "from createFeedDocument's contentType).</Message></Error>",
            )
        document.content = request.body
        return SandboxResponse(200, [("ETag", f'"{request_id}"')], b"")

    def download(self, request: SandboxRequest, request_id: str) -> SandboxResponse:
        """``GET`` a presigned download URL: the processing report."""
        document = self._documents.get(request.path.rstrip("/")[len(_DOWNLOADS) :])
        if document is None or document.content is None:
            return xml_response(
                404,
                "<Error><Code>NoSuchKey</Code>"
                "<Message>The specified key does not exist.</Message></Error>",
            )
        return SandboxResponse(200, [("Content-Type", document.content_type)], document.content)

    def get_document(self, request: SandboxRequest, request_id: str) -> SandboxResponse:
        """``GET /feeds/2021-06-30/documents/{feedDocumentId}``."""
        bucket = "feeds.getFeedDocument"
        document_id = request.path.rstrip("/").rsplit("/", 1)[-1]
        if document_id not in self._documents:
            return self._error(bucket, 404, "NotFound", "Feed document not found", request_id)
        body = {
            "feedDocumentId": document_id,
            "url": f"{request.base_url}{_DOWNLOADS}{document_id}",
        }
        return self._answer(bucket, 200, body, request_id)

    # --- feeds -----------------------------------------------------------------------------

    def create_feed(self, request: SandboxRequest, request_id: str) -> SandboxResponse:
        """``POST /feeds/2021-06-30/feeds``."""
        bucket = "feeds.createFeed"
        try:
            spec = request.json_body()
            if not isinstance(spec, dict):
                raise BadInput("the body must be a JSON object")
            feed_type, marketplaces = spec.get("feedType"), spec.get("marketplaceIds")
            document_id = spec.get("inputFeedDocumentId")
            if feed_type != FEED_TYPE:
                raise BadInput(f"The sandbox accepts only feedType {FEED_TYPE}")
            if (
                not isinstance(marketplaces, list)
                or not marketplaces
                or not all(isinstance(m, str) for m in marketplaces)
            ):
                raise BadInput("marketplaceIds must be a non-empty list of strings")
            document = self._documents.get(document_id) if isinstance(document_id, str) else None
            if document is None or document.content is None:
                raise BadInput("inputFeedDocumentId does not name an uploaded feed document")
        except (ValueError, BadInput) as exc:
            message = str(exc) if isinstance(exc, BadInput) else "the body must be JSON"
            return self._error(bucket, 400, "InvalidInput", message, request_id)
        now = self._state.now()
        feed = _Feed(
            self._new_id(), marketplaces, document.document_id, now, now + self._processing
        )
        self._feeds[feed.feed_id] = feed
        if self.on_created is not None:
            self.on_created(
                CreatedFeed(
                    feed.feed_id,
                    document.document_id,
                    document.content_type,
                    document.content or b"",
                    tuple(marketplaces),
                    now,
                )
            )
        return self._answer(bucket, 202, {"feedId": feed.feed_id}, request_id)

    def get_feed(self, request: SandboxRequest, request_id: str) -> SandboxResponse:
        """``GET /feeds/2021-06-30/feeds/{feedId}``."""
        bucket = "feeds.getFeed"
        feed = self._feeds.get(request.path.rstrip("/").rsplit("/", 1)[-1])
        if feed is None:
            return self._error(bucket, 404, "NotFound", "Feed not found", request_id)
        now = self._state.now()
        body: dict[str, Any] = {
            "feedId": feed.feed_id,
            "feedType": FEED_TYPE,
            "marketplaceIds": feed.marketplace_ids,
            "createdTime": format_time(feed.created),
            "processingStatus": feed.status,
        }
        if feed.status == "IN_QUEUE" and now >= feed.created + self._processing / 3:
            feed.status = body["processingStatus"] = "IN_PROGRESS"
        if feed.status != "IN_QUEUE":
            body["processingStartTime"] = format_time(feed.created + self._processing / 3)
        if feed.status in ("DONE", "FATAL"):
            body["processingEndTime"] = format_time(feed.done_at)
            body["resultFeedDocumentId"] = feed.result_document_id
        return self._answer(bucket, 200, body, request_id)

    def process_due(self, now: datetime) -> None:
        """Process every feed whose time has come (called before each request)."""
        for feed in self._feeds.values():
            if feed.status in ("IN_QUEUE", "IN_PROGRESS") and now >= feed.done_at:
                self._process(feed)

    def _process(self, feed: _Feed) -> None:
        content = self._documents[feed.input_document_id].content or b""
        results: list[_Result] = []
        processed = 0
        try:
            root = SafeET.fromstring(content)
        except (SafeET.ParseError, DefusedXmlException, ValueError):
            feed.status = "FATAL"
            results.append(_Result("0", "Error", "The feed is not well-formed XML.", ""))
        else:
            feed.status = "DONE"
            for message in (m for m in root.iter() if _local(m.tag) == "Message"):
                processed += 1
                results.extend(self._apply(message, feed.done_at))
        report = _report(feed.feed_id, processed, results)
        document = _Document(f"amzn1.tortuga.4.na.{self._new_id()}", "text/xml; charset=UTF-8")
        document.content = report.encode("utf-8")
        self._documents[document.document_id] = document
        feed.result_document_id = document.document_id

    def _apply(self, message: Element, when: datetime) -> list[_Result]:
        message_id = _text(message, "MessageID")
        ack = message.find("OrderAcknowledgement")
        if ack is None:
            return [_Result(message_id, "Error", "The message has no OrderAcknowledgement.", "")]
        order_id = _text(ack, "AmazonOrderID")
        status = _text(ack, "StatusCode")
        order = self._state.find(order_id)
        if order is None:
            return [_Result(message_id, "Error", f"Order {order_id} was not found.", order_id)]
        if status == "Success":
            return []
        if status != "Failure":
            return [_Result(message_id, "Error", f"Invalid StatusCode {status!r}.", order_id)]
        items = [
            (_text(item, "AmazonOrderItemCode"), _text(item, "CancelReason") or "GeneralAdjustment")
            for item in ack.findall("Item")
        ]
        if order.channel.value == "AFN":
            return [
                _Result(
                    message_id,
                    "Error",
                    f"Order {order_id} is fulfilled by Amazon; the seller cannot cancel it.",
                    order_id,
                )
            ]
        bad = [reason for _, reason in items if reason not in CANCEL_REASONS]
        if bad:
            return [_Result(message_id, "Error", f"Invalid CancelReason {bad[0]!r}.", order_id)]
        targets = items or [(i.order_item_id, "GeneralAdjustment") for i in order.items]
        try:
            # Check every item first, so a message is applied entirely or not at all.
            if not order.is_open:
                raise SandboxStateError(f"order {order_id} is {order.status.value}")
            for item_id, _ in targets:
                if order.item(item_id).quantity_shipped:
                    raise SandboxStateError(f"order {order_id} item {item_id} already shipped")
        except SandboxStateError as exc:
            return [_Result(message_id, "Error", f"{exc}; it cannot be cancelled.", order_id)]
        for item_id, reason in targets:
            order.cancel(when, by="MERCHANT", reason=reason, item_ids=[item_id])
        for item_id, reason in targets:
            self.cancellations[(order_id, item_id)] = reason
        return []


def _report(feed_id: str, processed: int, results: list[_Result]) -> str:
    errors = len({r.message_id for r in results if r.code == "Error"})
    entries = "".join(
        "<Result>"
        f"<MessageID>{r.message_id}</MessageID><ResultCode>{r.code}</ResultCode>"
        "<ResultMessageCode>18028</ResultMessageCode>"
        f"<ResultDescription>{escape(r.description)}</ResultDescription>"
        + (
            f"<AdditionalInfo><AmazonOrderID>{escape(r.order_id)}</AmazonOrderID></AdditionalInfo>"
            if r.order_id
            else ""
        )
        + "</Result>"
        for r in results
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<AmazonEnvelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:noNamespaceSchemaLocation="amzn-envelope.xsd">'
        "<Header><DocumentVersion>1.02</DocumentVersion>"
        "<MerchantIdentifier>A1SANDBOXSELLER</MerchantIdentifier></Header>"
        "<MessageType>ProcessingReport</MessageType>"
        "<Message><MessageID>1</MessageID><ProcessingReport>"
        f"<DocumentTransactionID>{feed_id}</DocumentTransactionID><StatusCode>Complete</StatusCode>"
        f"<ProcessingSummary><MessagesProcessed>{processed}</MessagesProcessed>"
        f"<MessagesSuccessful>{max(processed - errors, 0)}</MessagesSuccessful>"
        f"<MessagesWithError>{errors}</MessagesWithError>"
        "<MessagesWithWarning>0</MessagesWithWarning></ProcessingSummary>"
        f"{entries}</ProcessingReport></Message></AmazonEnvelope>"
    )
