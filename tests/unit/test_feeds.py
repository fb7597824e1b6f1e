"""The OrderAcknowledgement cancellation feed: XML, schema check, report, submission flow."""

from __future__ import annotations

import gzip
import json
import logging
from collections.abc import Mapping
from typing import Any

import httpx
import pytest

from amzcancel.clock import FakeClock
from amzcancel.errors import ParseError, PolicyViolation, UnsafeXMLError
from amzcancel.feeds import (
    FEED_CONTENT_TYPE,
    FEED_TYPE,
    CancellationFeed,
    FeedError,
    asubmit_cancellation_feed,
    build_cancellation_feed,
    check_order_acknowledgement_feed,
    parse_processing_report,
    submit_cancellation_feed,
)
from amzcancel.models import BuyerCancel, FulfillmentChannel, Order, OrderItem, OrderStatus, Source
from amzcancel.policy import CancelDecision, approve_cancellation
from amzcancel.testing import shapes

ORDER_ID = "902-1845936-5435065"


@pytest.fixture
def anyio_backend() -> str:
    """Run async tests on asyncio."""
    return "asyncio"


def _order(order_id: str = ORDER_ID, *, requested: bool = True) -> Order:
    items = [
        OrderItem(
            order_item_id=item_id,
            quantity_ordered=1,
            quantity_shipped=0,
            buyer_cancel=BuyerCancel(requested=requested),
        )
        for item_id in ("05015851154158", "05015851154159")
    ]
    return Order(
        amazon_order_id=order_id,
        status=OrderStatus.UNSHIPPED,
        fulfillment_channel=FulfillmentChannel.MFN,
        source=Source.SPAPI_V0,
        items=items,
    )


def _feed() -> CancellationFeed:
    return build_cancellation_feed(
        [approve_cancellation(_order(), "BuyerCanceled")], merchant_id="A2EXAMPLE"
    )


# ---- building -----------------------------------------------------------------------------


def test_whole_order_feed_matches_amazons_layout() -> None:
    """A whole-order cancel is one Failure message listing every item with its CancelReason."""
    feed = _feed()
    expected = """\
<?xml version="1.0" encoding="UTF-8"?>
<AmazonEnvelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" \
xsi:noNamespaceSchemaLocation="amzn-envelope.xsd">
  <Header>
    <DocumentVersion>1.01</DocumentVersion>
    <MerchantIdentifier>A2EXAMPLE</MerchantIdentifier>
  </Header>
  <MessageType>OrderAcknowledgement</MessageType>
  <Message>
    <MessageID>1</MessageID>
    <OrderAcknowledgement>
      <AmazonOrderID>902-1845936-5435065</AmazonOrderID>
      <StatusCode>Failure</StatusCode>
      <Item>
        <AmazonOrderItemCode>05015851154158</AmazonOrderItemCode>
        <CancelReason>BuyerCanceled</CancelReason>
      </Item>
      <Item>
        <AmazonOrderItemCode>05015851154159</AmazonOrderItemCode>
        <CancelReason>BuyerCanceled</CancelReason>
      </Item>
    </OrderAcknowledgement>
  </Message>
</AmazonEnvelope>
"""
    assert feed.xml == expected
    assert feed.content == expected.encode()
    assert feed.messages[0].whole_order


def test_item_decisions_merge_per_order_and_number_messages() -> None:
    """Items of one order share a message; each order gets the next MessageID."""
    first, second = _order(), _order("111-2222222-3333333", requested=False)
    decisions = [
        approve_cancellation(first, "BuyerCanceled", item="05015851154158"),
        approve_cancellation(second, "NoInventory", item="05015851154159", out_of_stock=True),
        approve_cancellation(first, "BuyerCanceled", item="05015851154159"),
    ]
    feed = build_cancellation_feed(decisions, merchant_id="A2EXAMPLE")
    assert [(m.message_id, m.amazon_order_id, m.order_item_ids) for m in feed.messages] == [
        (1, ORDER_ID, ("05015851154158", "05015851154159")),
        (2, "111-2222222-3333333", ("05015851154159",)),
    ]
    assert "<MessageID>2</MessageID>" in feed.xml
    assert "<CancelReason>NoInventory</CancelReason>" in feed.xml


def test_a_decision_whose_verdict_is_for_another_reason_is_refused() -> None:
    """An approved decision altered to another reason no longer matches its verdict."""
    from amzcancel.policy import CancelReason

    real = approve_cancellation(_order(requested=False), "NoInventory", out_of_stock=True)
    forged = real.model_copy(update={"reason": CancelReason.BUYER_CANCELED})
    with pytest.raises(FeedError, match="verdict is about NoInventory"):
        build_cancellation_feed([forged], merchant_id="A2EXAMPLE")


def test_a_forged_decision_is_refused_at_submission_because_it_is_wrong() -> None:
    """BuyerCanceled on an order the buyer did not ask to cancel, with a forged "allowed"
    verdict, passes the builder (it is consistent) but not the submission: the boundary judges
    it again from the order, and nothing is uploaded."""
    from amzcancel.policy import CancelReason

    order = _order(requested=False)
    real = approve_cancellation(order, "NoInventory", out_of_stock=True)
    verdict = real.verdict.model_copy(update={"reason": CancelReason.BUYER_CANCELED})
    forged = CancelDecision(
        **{**real.model_dump(), "reason": CancelReason.BUYER_CANCELED, "verdict": verdict}
    )
    feed = build_cancellation_feed([forged], merchant_id="A2EXAMPLE")
    client = ScriptedClient()
    with pytest.raises(PolicyViolation, match="BuyerCanceled is not allowed"):
        submit_cancellation_feed(
            client, feed, marketplace_ids=["ATVPDKIKX0DER"], orders=[order], clock=FakeClock()
        )
    assert client.calls == []


def test_a_decision_made_in_another_process_is_submitted() -> None:
    """A decision is a plain value: pickled (or sent as JSON) to a worker, it still goes through,
    because it is right, not because of who made it."""
    import pickle

    order = _order()
    decision = approve_cancellation(order, "BuyerCanceled")
    travelled = pickle.loads(pickle.dumps(decision))
    from_json = CancelDecision.model_validate_json(decision.model_dump_json())
    for copy in (travelled, from_json):
        feed = build_cancellation_feed([copy], merchant_id="A2EXAMPLE")
        result = submit_cancellation_feed(
            ScriptedClient(),
            feed,
            marketplace_ids=["ATVPDKIKX0DER"],
            orders=[order],
            clock=FakeClock(),
        )
        assert result.feed_id == "50012345678"


def test_a_decision_made_before_the_order_shipped_is_refused() -> None:
    """Judged again at the boundary: an order that shipped since the decision cannot be
    cancelled, whatever the decision said."""
    order = _order()
    decision = approve_cancellation(order, "BuyerCanceled")
    shipped = order.model_copy(update={"status": OrderStatus.SHIPPED})
    feed = build_cancellation_feed([decision], merchant_id="A2EXAMPLE")
    with pytest.raises(PolicyViolation, match="BuyerCanceled is not allowed"):
        submit_cancellation_feed(
            ScriptedClient(),
            feed,
            marketplace_ids=["ATVPDKIKX0DER"],
            orders=[shipped],
            clock=FakeClock(),
        )


def test_pricing_error_is_not_sent_in_a_feed() -> None:
    """PricingError passes the policy but the feed builder refuses it (not in the XSD)."""
    decision = approve_cancellation(_order(requested=False), "PricingError")
    with pytest.raises(FeedError, match="Seller Central"):
        build_cancellation_feed([decision], merchant_id="A2EXAMPLE")


@pytest.mark.parametrize(
    ("decisions", "merchant", "message"),
    [
        pytest.param(list, "A2EXAMPLE", "nothing to cancel", id="empty"),
        pytest.param(
            lambda: [approve_cancellation(_order(), "BuyerCanceled")], " ", "merchant", id="blank"
        ),
        pytest.param(
            lambda: [
                approve_cancellation(_order(), "BuyerCanceled"),
                approve_cancellation(_order(), "BuyerCanceled", item="05015851154158"),
            ],
            "A2EXAMPLE",
            "cancelled twice",
            id="twice",
        ),
        pytest.param(
            lambda: [
                approve_cancellation(_order(), "BuyerCanceled", item="05015851154158"),
                approve_cancellation(_order(), "GeneralAdjustment", item="05015851154159"),
            ],
            "A2EXAMPLE",
            "one cancel reason",
            id="two-reasons",
        ),
        pytest.param(
            lambda: [approve_cancellation(_order().with_items([]), "GeneralAdjustment")],
            "A2EXAMPLE",
            "items are unknown",
            id="no-items",
        ),
    ],
)
def test_bad_feed_requests_are_refused(decisions: Any, merchant: str, message: str) -> None:
    """Feeds Amazon would reject or misapply are refused before they are built."""
    with pytest.raises(FeedError, match=message):
        build_cancellation_feed(decisions(), merchant_id=merchant)


def test_overrides_travel_with_the_feed() -> None:
    """A decision forced through against the policy is listed on the feed."""
    decision = approve_cancellation(
        _order(requested=False), "BuyerCanceled", override_policy="buyer phoned support"
    )
    feed = build_cancellation_feed([decision], merchant_id="A2EXAMPLE")
    assert feed.overrides == (decision,)


# ---- the schema check ---------------------------------------------------------------------


def _swap(xml: str, first: str, second: str) -> str:
    """Swap two whole elements (given as their exact text) in ``xml``."""
    assert first in xml
    assert second in xml
    return xml.replace(first, "\0").replace(second, first).replace("\0", second)


ITEM_CODE = "<AmazonOrderItemCode>05015851154158</AmazonOrderItemCode>"
REASON = "<CancelReason>BuyerCanceled</CancelReason>"


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        pytest.param(
            lambda x: _swap(
                x,
                "<AmazonOrderID>902-1845936-5435065</AmazonOrderID>",
                "<StatusCode>Failure</StatusCode>",
            ),
            "expected AmazonOrderID",
            id="order-id-after-status",
        ),
        pytest.param(
            lambda x: _swap(x, ITEM_CODE, REASON),
            "expected AmazonOrderItemCode",
            id="reason-before-code",
        ),
        pytest.param(
            lambda x: x.replace(REASON, "<CancelReason>PricingError</CancelReason>", 1),
            "not a CancelReason",
            id="pricing-error",
        ),
        pytest.param(
            lambda x: x.replace(REASON, "<CancelReason>ChangedMind</CancelReason>", 1),
            "not a CancelReason",
            id="unknown-reason",
        ),
        pytest.param(
            lambda x: x.replace("Failure", "Success"),
            "only allowed with StatusCode Failure",
            id="reason-on-success",
        ),
        pytest.param(
            lambda x: x.replace("Failure", "Cancel"), "not Success or Failure", id="bad-status"
        ),
        pytest.param(
            lambda x: x.replace("<MessageID>1</MessageID>", "<MessageID>0</MessageID>"),
            "positive integer",
            id="message-id-zero",
        ),
        pytest.param(
            lambda x: x.replace(
                "<MessageType>OrderAcknowledgement</MessageType>",
                "<MessageType>OrderFulfillment</MessageType>",
            ),
            "MessageType",
            id="message-type",
        ),
        pytest.param(
            lambda x: x.replace(
                "<MerchantIdentifier>A2EXAMPLE</MerchantIdentifier>",
                "<MerchantIdentifier></MerchantIdentifier>",
            ),
            "MerchantIdentifier",
            id="no-merchant",
        ),
        pytest.param(
            lambda x: x.replace(REASON, REASON + REASON, 1), "at most 1", id="two-reasons"
        ),
        pytest.param(
            lambda x: x.replace(
                "</Message>",
                "</Message><Message><MessageID>1</MessageID>"
                "<OrderAcknowledgement><AmazonOrderID>1</AmazonOrderID>"
                "<StatusCode>Success</StatusCode></OrderAcknowledgement>"
                "</Message>",
            ),
            "used twice",
            id="duplicate-message-id",
        ),
        pytest.param(
            lambda x: x.replace("<Header>", "<Header><Extra/>"),
            "expected DocumentVersion",
            id="unknown-element",
        ),
        pytest.param(lambda x: x[:-20], "not well-formed", id="truncated"),
    ],
)
def test_schema_check_catches_violations(mutate: Any, message: str) -> None:
    """Wrong element order, unknown reasons and broken envelopes all fail the check."""
    xml = _feed().xml
    check_order_acknowledgement_feed(xml)  # the untouched feed passes
    with pytest.raises(FeedError, match=message):
        check_order_acknowledgement_feed(mutate(xml))


def test_schema_check_accepts_amazons_optional_elements() -> None:
    """Amazon's own example shape (Success with merchant ids, OperationType) passes."""
    check_order_acknowledgement_feed(
        """<?xml version="1.0"?>
<AmazonEnvelope><Header><DocumentVersion>1.01</DocumentVersion>
<MerchantIdentifier>M_IDENTIFIER</MerchantIdentifier></Header>
<MessageType>OrderAcknowledgement</MessageType>
<Message><MessageID>1</MessageID><OperationType>Update</OperationType><OrderAcknowledgement>
<AmazonOrderID>050-1234567-1234567</AmazonOrderID><MerchantOrderID>1234567</MerchantOrderID>
<StatusCode>Success</StatusCode><Item><AmazonOrderItemCode>12345678901234</AmazonOrderItemCode>
<MerchantOrderItemID>1234567</MerchantOrderItemID></Item></OrderAcknowledgement></Message>
</AmazonEnvelope>"""
    )


# ---- the processing report ----------------------------------------------------------------

REPORT = """<?xml version="1.0" encoding="UTF-8"?>
<AmazonEnvelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xsi:noNamespaceSchemaLocation="amzn-envelope.xsd">
  <Header><DocumentVersion>1.02</DocumentVersion>
    <MerchantIdentifier>A2EXAMPLE</MerchantIdentifier></Header>
  <MessageType>ProcessingReport</MessageType>
  <Message><MessageID>1</MessageID>
    <ProcessingReport>
      <DocumentTransactionID>50012345678</DocumentTransactionID>
      <StatusCode>Complete</StatusCode>
      <ProcessingSummary>
        <MessagesProcessed>2</MessagesProcessed><MessagesSuccessful>1</MessagesSuccessful>
        <MessagesWithError>1</MessagesWithError><MessagesWithWarning>0</MessagesWithWarning>
      </ProcessingSummary>
      <Result><MessageID>2</MessageID><ResultCode>Error</ResultCode>
        <ResultMessageCode>18028</ResultMessageCode>
        <ResultDescription>The order has already shipped.</ResultDescription>
        <AdditionalInfo><AmazonOrderID>111-2222222-3333333</AmazonOrderID></AdditionalInfo>
      </Result>
    </ProcessingReport>
  </Message>
</AmazonEnvelope>"""


def test_processing_report_is_parsed() -> None:
    """Counts, per-message errors and the order they name come out of the report."""
    report = parse_processing_report(REPORT.encode())
    assert report.status_code == "Complete"
    assert report.summary() == "processed 2, successful 1, errors 1, warnings 0"
    (error,) = report.errors
    assert error.message_id == 2
    assert error.result_message_code == "18028"
    assert error.amazon_order_id == "111-2222222-3333333"


@pytest.mark.parametrize(
    ("document", "error"),
    [
        pytest.param(b"<AmazonEnvelope/>", ParseError, id="no-report"),
        pytest.param(b"not xml", ParseError, id="not-xml"),
        pytest.param(
            b'<!DOCTYPE x [<!ENTITY a "b">]><AmazonEnvelope>&a;</AmazonEnvelope>',
            UnsafeXMLError,
            id="entity",
        ),
        pytest.param(
            REPORT.replace("<MessagesProcessed>2", "<MessagesProcessed>two").encode(),
            ParseError,
            id="bad-count",
        ),
    ],
)
def test_bad_reports_raise_parse_errors(document: bytes, error: type[Exception]) -> None:
    """Unreadable or unsafe reports raise our errors, never a raw XML exception."""
    with pytest.raises(error):
        parse_processing_report(document)


# ---- the submission flow (a scripted client; the sandbox test covers the real one) --------


class ScriptedClient:
    """Answers the Feeds API calls like Amazon would, and records them.

    It answers Orders 2026-01-01 getOrder from ``orders`` (the submission reads every order it
    cancels, unless it is given them); with ``refuse_2026`` it answers 403 there, and v0
    getOrder/getOrderItems instead.
    """

    def __init__(
        self,
        *,
        polls_before_done: int = 2,
        final: str = "DONE",
        gzip_report: bool = False,
        orders: Mapping[str, Order] | None = None,
        refuse_2026: bool = False,
    ) -> None:
        self.orders = dict(orders) if orders is not None else {ORDER_ID: _order()}
        self.refuse_2026 = refuse_2026
        self.calls: list[tuple[str, str, str | None, bool]] = []
        self.uploaded: tuple[bytes | None, Mapping[str, str] | None] = (None, None)
        self.created: Any = None
        self.polls_before_done = polls_before_done
        self.final = final
        self.gzip_report = gzip_report

    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        operation: str | None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        authenticate: bool = True,
    ) -> httpx.Response:
        self.calls.append((method, path_or_url, operation, authenticate))
        if operation in ("getOrder", "getOrderItems"):
            return self._order_answer(path_or_url, operation)
        if operation == "createFeedDocument":
            assert json == {"contentType": FEED_CONTENT_TYPE}
            return _json(201, {"feedDocumentId": "doc-in", "url": "https://up.example/doc-in"})
        if path_or_url == "https://up.example/doc-in":
            self.uploaded = (content, headers)
            return httpx.Response(200)
        if operation == "createFeed":
            self.created = json
            return _json(202, {"feedId": "50012345678"})
        if operation == "getFeed":
            done = self.polls_before_done <= 0
            self.polls_before_done -= 1
            body = {
                "feedId": "50012345678",
                "feedType": FEED_TYPE,
                "createdTime": "2026-11-26T12:00:00Z",
                "processingStatus": self.final if done else "IN_PROGRESS",
            }
            if done:
                body["resultFeedDocumentId"] = "doc-out"
            return _json(200, body)
        if operation == "getFeedDocument":
            body = {"feedDocumentId": "doc-out", "url": "https://down.example/doc-out"}
            if self.gzip_report:
                body["compressionAlgorithm"] = "GZIP"
            return _json(200, body)
        if path_or_url == "https://down.example/doc-out":
            data = REPORT.encode()
            return httpx.Response(200, content=gzip.compress(data) if self.gzip_report else data)
        raise AssertionError(f"unexpected call {method} {path_or_url}")

    def _order_answer(self, path: str, operation: str) -> httpx.Response:
        from amzcancel.errors import AuthError

        order_id = path.split("/orders/")[-1].split("/")[0]
        order = self.orders[order_id]
        items_2026 = [
            shapes.order_item_2026(
                i.order_item_id,
                quantity_ordered=i.quantity_ordered or 1,
                quantity_fulfilled=i.quantity_shipped or 0,
                buyer_requested_cancel=i.buyer_cancel.requested,
            )
            for i in order.items
        ]
        if "/2026-01-01/" in path:
            if self.refuse_2026:
                raise AuthError("Access to requested resource is denied.", status_code=403)
            status = "SHIPPED" if order.status is OrderStatus.SHIPPED else "UNSHIPPED"
            body = shapes.order_2026(order_id, items=items_2026, fulfillment_status=status)
            return _json(200, {"order": body})
        if operation == "getOrder":
            return _json(200, {"payload": shapes.v0_order(order_id, status=order.status.value)})
        items = [
            shapes.v0_order_item(i.order_item_id, buyer_requested_cancel=i.buyer_cancel.requested)
            for i in order.items
        ]
        return _json(200, shapes.get_order_items_body(order_id, items))


class AsyncScriptedClient:
    """The same script behind an awaitable ``request``."""

    def __init__(self, sync: ScriptedClient) -> None:
        self.sync = sync

    async def request(self, method: str, path_or_url: str, **kwargs: Any) -> httpx.Response:
        return self.sync.request(method, path_or_url, **kwargs)


def _json(status: int, body: Mapping[str, Any]) -> httpx.Response:
    return httpx.Response(status, content=json.dumps(body).encode())


def test_submission_follows_the_feeds_api_flow() -> None:
    """Document, upload, feed, polls on the clock, result document, report: in that order."""
    client, clock = ScriptedClient(), FakeClock()
    feed = _feed()
    result = submit_cancellation_feed(
        client,
        feed,
        marketplace_ids=["ATVPDKIKX0DER"],
        orders=[_order()],
        poll_interval=10,
        clock=clock,
    )
    assert [c[2] or c[1] for c in client.calls] == [
        "createFeedDocument",
        "https://up.example/doc-in",
        "createFeed",
        "getFeed",
        "getFeed",
        "getFeed",
        "getFeedDocument",
        "https://down.example/doc-out",
    ]
    assert [c[3] for c in client.calls if c[2] is None] == [False, False]  # presigned: no token
    assert client.uploaded == (feed.content, {"Content-Type": FEED_CONTENT_TYPE})
    assert client.created == {
        "feedType": "POST_ORDER_ACKNOWLEDGEMENT_DATA",
        "marketplaceIds": ["ATVPDKIKX0DER"],
        "inputFeedDocumentId": "doc-in",
    }
    assert clock.slept == [10, 10]
    assert result.feed_id == "50012345678"
    assert result.processing_status == "DONE"
    assert result.report is not None
    assert result.report.messages_with_error == 1


def test_gzip_reports_are_decompressed() -> None:
    """A report announced as GZIP is decompressed before parsing."""
    result = submit_cancellation_feed(
        ScriptedClient(polls_before_done=0, gzip_report=True),
        _feed(),
        marketplace_ids=["ATVPDKIKX0DER"],
        clock=FakeClock(),
    )
    assert result.report is not None
    assert result.report.messages_processed == 2


@pytest.mark.parametrize("final", ["FATAL", "CANCELLED"])
def test_failed_processing_raises(final: str) -> None:
    """A feed that ends FATAL or CANCELLED is an error saying nothing was cancelled."""
    with pytest.raises(FeedError, match=f"ended {final}"):
        submit_cancellation_feed(
            ScriptedClient(final=final),
            _feed(),
            marketplace_ids=["ATVPDKIKX0DER"],
            clock=FakeClock(),
        )


def test_waiting_gives_up_on_the_clock() -> None:
    """Polling stops at the timeout, measured on the clock, without real sleeping."""
    clock = FakeClock()
    with pytest.raises(FeedError, match="still IN_PROGRESS"):
        submit_cancellation_feed(
            ScriptedClient(polls_before_done=1000),
            _feed(),
            marketplace_ids=["ATVPDKIKX0DER"],
            poll_interval=30,
            timeout=300,
            clock=clock,
        )
    assert clock.monotonic() <= 300


@pytest.mark.parametrize(
    ("how", "message"),
    [("by-hand", "nothing to cancel"), ("altered", "does not match its decisions")],
)
def test_a_document_that_is_not_its_decisions_is_refused(how: str, message: str) -> None:
    """A hand-written document (no decisions) or one altered after it was built is refused
    before anything is uploaded: the document sent is the one its decisions make."""
    built = _feed()
    if how == "by-hand":
        feed = CancellationFeed(merchant_id="A2", xml=built.xml, messages=(), decisions=())
    else:
        feed = built.model_copy(update={"xml": built.xml.replace("BuyerCanceled", "NoInventory")})
    client = ScriptedClient()
    with pytest.raises(FeedError, match=message):
        submit_cancellation_feed(client, feed, marketplace_ids=["ATVPDKIKX0DER"], clock=FakeClock())
    assert [c[2] for c in client.calls if c[2] != "getOrder"] == []


@pytest.mark.parametrize("refuse_2026", [False, True], ids=["2026", "v0"])
def test_the_submission_reads_each_order_it_cancels(refuse_2026: bool) -> None:
    """Without ``orders=``, the order is read from Amazon (v0 when 2026-01-01 is refused) and
    judged on what Amazon says, before the feed document is created."""
    client = ScriptedClient(polls_before_done=0, refuse_2026=refuse_2026)
    submit_cancellation_feed(client, _feed(), marketplace_ids=["ATVPDKIKX0DER"], clock=FakeClock())
    operations = [c[2] for c in client.calls]
    read = ["getOrder", "getOrder", "getOrderItems"] if refuse_2026 else ["getOrder"]
    assert operations[: len(read)] == read
    assert operations[len(read)] == "createFeedDocument"


def test_an_order_shipped_since_the_decision_is_not_cancelled() -> None:
    """Amazon says the order shipped: the submission refuses, and uploads nothing."""
    shipped = _order().model_copy(update={"status": OrderStatus.SHIPPED})
    client = ScriptedClient(orders={ORDER_ID: shipped})
    with pytest.raises(PolicyViolation, match="shipped"):
        submit_cancellation_feed(
            client, _feed(), marketplace_ids=["ATVPDKIKX0DER"], clock=FakeClock()
        )
    assert [c[2] for c in client.calls] == ["getOrder"]


def test_marketplaces_are_checked_before_any_call() -> None:
    """No marketplace (or more than 25) fails before anything is uploaded."""
    client = ScriptedClient()
    with pytest.raises(FeedError, match="marketplace"):
        submit_cancellation_feed(client, _feed(), marketplace_ids=[], clock=FakeClock())
    assert client.calls == []


def test_override_is_logged_on_submission(caplog: pytest.LogCaptureFixture) -> None:
    """Submitting an overridden decision leaves a warning with the justification."""
    decision = approve_cancellation(
        _order(requested=False), "BuyerCanceled", override_policy="buyer phoned support"
    )
    feed = build_cancellation_feed([decision], merchant_id="A2EXAMPLE")
    with caplog.at_level(logging.WARNING, logger="amzcancel.feeds"):
        submit_cancellation_feed(
            ScriptedClient(polls_before_done=0),
            feed,
            marketplace_ids=["ATVPDKIKX0DER"],
            clock=FakeClock(),
        )
    assert "buyer phoned support" in caplog.text


@pytest.mark.anyio
async def test_async_twin_follows_the_same_flow() -> None:
    """The async flow makes the same calls and waits on the clock's asleep."""
    sync, clock = ScriptedClient(), FakeClock()
    result = await asubmit_cancellation_feed(
        AsyncScriptedClient(sync),
        _feed(),
        marketplace_ids=["ATVPDKIKX0DER"],
        poll_interval=5,
        clock=clock,
    )
    assert [c[2] or c[1] for c in sync.calls][:4] == [
        "getOrder",
        "createFeedDocument",
        "https://up.example/doc-in",
        "createFeed",
    ]
    assert clock.slept == [5, 5]
    assert result.report is not None
    assert result.report.messages_successful == 1


@pytest.mark.parametrize(
    ("decisions", "merchant", "message"),
    [
        pytest.param("one", "A2EXAMPLE", "wrap the one decision", id="one-decision"),
        pytest.param("empty-generator", "A2EXAMPLE", "no decisions", id="empty-generator"),
        pytest.param("list", None, "merchant identifier", id="merchant-none"),
    ],
)
def test_builder_arguments_get_a_clear_feed_error(
    decisions: str, merchant: str | None, message: str
) -> None:
    """A bare decision, an empty generator or no merchant id: FeedError saying which."""
    decision = approve_cancellation(_order(), "BuyerCanceled")
    given: Any = {
        "one": decision,
        "empty-generator": (d for d in []),
        "list": [decision],
    }[decisions]
    with pytest.raises(FeedError, match=message):
        build_cancellation_feed(given, merchant_id=merchant)  # type: ignore[arg-type]
