"""Hostile input gets our errors (or a dropped field), never a traceback, a hang or a bomb.

Reports with endless lines or Unicode digits, JSON depth bombs and huge numbers, XML entity
bombs at every XML entry point, gzip bombs in feed reports, SQL-looking ids in the store, and
the sandbox's answers to lying Content-Length headers and path-traversal document ids.
"""

from __future__ import annotations

import gzip
import json
import socket
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import httpx
import pytest

from amzcancel.clock import FakeClock
from amzcancel.errors import InvalidInputError, ParseError, StoreError, UnsafeXMLError
from amzcancel.feeds import FeedError
from amzcancel.feeds._report import (
    MAX_REPORT_BYTES,
    decode_report_document,
    parse_processing_report,
)
from amzcancel.feeds._schema import check_order_acknowledgement_feed
from amzcancel.models import BuyerCancel, Order, OrderItem, Source
from amzcancel.sandbox import SANDBOX_LWA_CREDENTIALS, SANDBOX_MWS_CREDENTIALS, Marketplace
from amzcancel.sync.store import SqliteStore
from amzcancel.transport import LwaCredentials, MwsClient, MwsCredentials, SpApiClient
from amzcancel.transport._calls import ApiCall, RequestSpec
from amzcancel.transport._constants import MWS_ORDERS_PATH
from amzcancel.wire import _xml, mws, notifications, spapi_2026, spapi_v0
from amzcancel.wire.detect import parse_document
from amzcancel.wire.reports import MAX_LINE_CHARS, iter_report_orders

BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">]>'
    b"<AmazonEnvelope><Message><ProcessingReport><ProcessingSummary>"
    b"<MessagesProcessed>&lol2;</MessagesProcessed></ProcessingSummary></ProcessingReport>"
    b"</Message></AmazonEnvelope>"
)
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
REPORT_HEADER = b"order-id\torder-item-id\tquantity-purchased\tquantity-shipped\n"


def _report_item(row: bytes) -> OrderItem:
    (order,) = list(iter_report_orders([REPORT_HEADER, row]))
    (item,) = order.items
    return item


# --- flat-file reports ---------------------------------------------------------------------


def test_report_line_without_end_is_refused_not_buffered() -> None:
    """A line past MAX_LINE_CHARS raises ParseError naming it, however the bytes arrive."""
    endless = (b"x" * 65536 for _ in range(MAX_LINE_CHARS // 65536 + 2))
    with pytest.raises(ParseError) as raised:
        list(iter_report_orders([REPORT_HEADER, b"1\t2\t", *endless]))
    assert raised.value.location == "line 2"
    assert "longer than" in str(raised.value)


def test_long_line_inside_one_chunk_is_refused() -> None:
    """A too-long line that arrives whole in one chunk names its own line number."""
    data = REPORT_HEADER + b"1\t2\t1\t0\n" + b"1\t3\t" + b"x" * (MAX_LINE_CHARS + 1) + b"\n"
    with pytest.raises(ParseError) as raised:
        list(iter_report_orders([data]))
    assert raised.value.location == "line 3"


def test_utf16_report_line_without_end_is_refused() -> None:
    """The UTF-16 path (decode, then split) has the same limit."""
    text = "order-id\torder-item-id\n1\t" + "x" * (MAX_LINE_CHARS + 1)
    with pytest.raises(ParseError, match="longer than"):
        list(iter_report_orders([text.encode("utf-16")]))


@pytest.mark.parametrize(
    "quantity",
    [
        pytest.param("\u00b2".encode(), id="superscript-two"),
        pytest.param(b"9" * 5000, id="5000-digits"),
        pytest.param(b"1" + b"0" * 19, id="beyond-64-bits"),
    ],
)
def test_report_quantity_that_int_refuses_is_dropped(quantity: bytes) -> None:
    """A quantity isdigit() accepts but int() or SQLite refuses becomes None; the order stays."""
    item = _report_item(b"1\t2\t" + quantity + b"\t0\n")
    assert item.order_item_id == "2"
    assert item.quantity_ordered is None
    assert item.quantity_shipped == 0


# --- JSON ----------------------------------------------------------------------------------


def _v0_items(quantity: str) -> bytes:
    item = '{"OrderItemId": "1", "ASIN": "B0", "QuantityOrdered": ' + quantity + "}"
    return ('{"payload": {"AmazonOrderId": "1", "OrderItems": [' + item + "]}}").encode()


@pytest.mark.parametrize(
    "quantity",
    [
        pytest.param("9" * 4000, id="4000-digit-int"),
        pytest.param("1e300", id="1e300"),
        pytest.param('"1e300"', id="1e300-as-text"),
        pytest.param("-9223372036854775809", id="below-64-bits"),
    ],
)
def test_huge_json_quantity_is_dropped(quantity: str) -> None:
    """A quantity beyond 64 bits is dropped (with a warning) instead of stored and exported."""
    page = spapi_v0.parse_get_order_items(_v0_items(quantity))
    assert page.items[0].quantity_ordered is None


def test_json_beyond_the_int_digit_limit_is_a_parse_error() -> None:
    """A number of more digits than Python will convert is bad JSON, reported as ParseError."""
    with pytest.raises(ParseError):
        spapi_v0.parse_get_order_items(_v0_items("9" * 5000))


DEPTH_BOMB = b'{"payload": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"


@pytest.mark.parametrize(
    "parse",
    [
        pytest.param(spapi_v0.parse_get_orders, id="spapi-v0"),
        pytest.param(spapi_2026.parse_search_orders, id="spapi-2026"),
        pytest.param(notifications.parse_order_change, id="notification"),
        pytest.param(lambda doc: list(parse_document(doc)), id="detect"),
    ],
)
def test_json_depth_bomb_is_a_parse_error(parse: Any) -> None:
    """100 000 nested arrays raise ParseError, not RecursionError."""
    with pytest.raises(ParseError, match="not valid JSON"):
        parse(DEPTH_BOMB)


def test_depth_bomb_inside_an_sqs_message_is_a_parse_error() -> None:
    """A notification wrapped in an SQS message body is decoded with the same guard."""
    message = json.dumps({"MessageId": "m", "Body": DEPTH_BOMB.decode()})
    with pytest.raises(ParseError):
        notifications.parse_order_change(message)


# --- XML -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "parse",
    [
        pytest.param(mws.parse_list_orders, id="mws-list-orders"),
        pytest.param(mws.parse_list_order_items, id="mws-list-order-items"),
        pytest.param(parse_processing_report, id="feed-processing-report"),
        pytest.param(lambda doc: list(parse_document(doc, format="mws")), id="parse-mws"),
    ],
)
def test_entity_bomb_is_refused_at_every_xml_entry_point(parse: Any) -> None:
    """Every parser of outside XML refuses DTDs and entities before expanding anything."""
    with pytest.raises(UnsafeXMLError):
        parse(BOMB)


def _bomb_as(encoding: str, *, bom: bool = True, before: str = "") -> bytes:
    text = BOMB.decode().replace(
        '<?xml version="1.0"?>', f'<?xml version="1.0" encoding="{encoding}"?>{before}'
    )
    if encoding == "UTF-16":
        return text.encode("utf-16" if bom else "utf-16-le")
    return text.encode(encoding)


DISGUISED_BOMBS = [
    pytest.param(_bomb_as("UTF-16"), id="utf-16-with-bom"),
    pytest.param(_bomb_as("UTF-16", bom=False), id="utf-16-le-without-bom"),
    pytest.param(BOMB.decode().encode("utf-16-be"), id="utf-16-be-without-bom"),
    pytest.param(b"\xef\xbb\xbf" + BOMB, id="utf-8-bom"),
    pytest.param(_bomb_as("ISO-8859-1"), id="latin-1"),
    pytest.param(_bomb_as("windows-1252"), id="cp1252-via-codecs"),
    pytest.param(_bomb_as("UTF-8", before="<!-- a comment --><?pi data?>\n  "), id="after-misc"),
    pytest.param(BOMB.removeprefix(b'<?xml version="1.0"?>'), id="no-declaration"),
    pytest.param(BOMB.decode(), id="text"),
    pytest.param(bytearray(BOMB), id="bytearray"),
    pytest.param(
        b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><ListOrdersResponse>&e;'
        b"</ListOrdersResponse>",
        id="external-entity",
    ),
]


@pytest.mark.parametrize("doc", DISGUISED_BOMBS)
@pytest.mark.parametrize(
    "parse",
    [
        pytest.param(mws.parse_list_orders, id="list-orders"),
        pytest.param(mws.parse_list_order_items, id="list-order-items"),
        pytest.param(parse_processing_report, id="processing-report"),
    ],
)
def test_a_dtd_is_refused_in_every_encoding_and_position(parse: Any, doc: bytes | str) -> None:
    """However a DTD is encoded or preceded, it never reaches the fast C parser: refused."""
    with pytest.raises(UnsafeXMLError):
        parse(doc)


def test_documents_that_cannot_declare_a_dtd_take_the_c_parser() -> None:
    """An ordinary ASCII-compatible document is read without defusedxml; one that mentions a
    DOCTYPE anywhere, or is UTF-16, is read by defusedxml (which here is made to fail)."""
    page = (FIXTURES / "mws" / "ListOrders.hand.200.1.xml").read_bytes()
    with mock.patch.object(_xml.SafeET, "fromstring", side_effect=AssertionError("defusedxml")):
        assert len(mws.parse_list_orders(page).orders) == 3
        assert len(mws.parse_list_orders(page.decode()).orders) == 3
        for slow in (
            page.replace(b"<ListOrdersResult>", b"<ListOrdersResult><!-- <!DOCTYPE -->"),
            page.decode().replace('"1.0"', '"1.0" encoding="UTF-16"').encode("utf-16"),
        ):
            with pytest.raises(AssertionError, match="defusedxml"):
                mws.parse_list_orders(slow)


def test_a_doctype_mentioned_in_a_comment_is_still_read() -> None:
    """The word alone costs nothing but speed: defusedxml reads the document as before."""
    page = (FIXTURES / "mws" / "ListOrders.hand.200.1.xml").read_bytes()
    noted = page.replace(b"<ListOrdersResult>", b"<ListOrdersResult><!-- <!DOCTYPE x> -->")
    assert mws.parse_list_orders(noted) == mws.parse_list_orders(page)


def test_external_entity_is_refused_by_the_feed_checker() -> None:
    """check_order_acknowledgement_feed reads no local file through an external entity."""
    doc = b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><AmazonEnvelope>&e;</AmazonEnvelope>'
    with pytest.raises(FeedError, match="not well-formed"):
        check_order_acknowledgement_feed(doc)


def test_feed_message_id_in_unicode_digits_is_a_feed_error() -> None:
    """A MessageID of "²" is refused with FeedError, not a ValueError from int()."""
    feed = (
        "<AmazonEnvelope><Header><DocumentVersion>1.01</DocumentVersion>"
        "<MerchantIdentifier>M</MerchantIdentifier></Header>"
        "<MessageType>OrderAcknowledgement</MessageType><Message><MessageID>\u00b2</MessageID>"
        "<OrderAcknowledgement><AmazonOrderID>1</AmazonOrderID><StatusCode>Failure</StatusCode>"
        "</OrderAcknowledgement></Message></AmazonEnvelope>"
    )
    with pytest.raises(FeedError, match="MessageID must be a positive integer"):
        check_order_acknowledgement_feed(feed)


def _processing_report(processed: str, message_id: str = "1") -> bytes:
    return (
        "<AmazonEnvelope><Message><ProcessingReport><ProcessingSummary>"
        f"<MessagesProcessed>{processed}</MessagesProcessed></ProcessingSummary>"
        f"<Result><MessageID>{message_id}</MessageID><ResultCode>Error</ResultCode></Result>"
        "</ProcessingReport></Message></AmazonEnvelope>"
    ).encode()


@pytest.mark.parametrize(
    "processed",
    [pytest.param("\u00b2", id="superscript-two"), pytest.param("9" * 5000, id="5000-digits")],
)
def test_processing_report_count_that_int_refuses_is_a_parse_error(processed: str) -> None:
    """A summary count int() cannot read raises ParseError, not ValueError."""
    with pytest.raises(ParseError, match="not a count"):
        parse_processing_report(_processing_report(processed))


def test_processing_report_message_id_in_unicode_digits_is_dropped() -> None:
    """A result's MessageID of "²" becomes None; the report is still read."""
    report = parse_processing_report(_processing_report("1", message_id="\u00b2"))
    assert report.results[0].message_id is None


# --- gzip ----------------------------------------------------------------------------------


def test_gzip_bomb_is_refused_before_it_is_unpacked_whole() -> None:
    """A report that unpacks past MAX_REPORT_BYTES raises ParseError."""
    bomb = gzip.compress(b"\0" * (MAX_REPORT_BYTES + 1), compresslevel=9)
    assert len(bomb) < MAX_REPORT_BYTES // 500
    with pytest.raises(ParseError, match="unpacks to more than"):
        decode_report_document(bomb, "GZIP")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(gzip.compress(b"<a/>"), b"<a/>", id="one-member"),
        pytest.param(gzip.compress(b"<a>") + gzip.compress(b"</a>"), b"<a></a>", id="two-members"),
        pytest.param(gzip.compress(b""), b"", id="empty"),
    ],
)
def test_gzip_reports_still_unpack(content: bytes, expected: bytes) -> None:
    """Ordinary and multi-member gzip reports unpack as before."""
    assert decode_report_document(content, "gzip") == expected


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"not gzip", id="not-gzip"),
        pytest.param(gzip.compress(b"<a/>")[:-4], id="truncated"),
    ],
)
def test_broken_gzip_is_a_parse_error(content: bytes) -> None:
    """Bad or cut-off gzip raises ParseError."""
    with pytest.raises(ParseError, match="not valid gzip"):
        decode_report_document(content, "GZIP")


# --- the store -----------------------------------------------------------------------------

INJECTIONS = ["x'; DROP TABLE orders; --", '1" OR "1"="1', "%' OR 1=1 --", "\0\n\t?"]


@pytest.mark.parametrize("text", INJECTIONS)
def test_sql_looking_ids_are_stored_literally(text: str) -> None:
    """Account and order ids that look like SQL are data: stored, found, and nothing else."""
    store = SqliteStore(":memory:", clock=FakeClock())
    item = OrderItem(order_item_id=text, buyer_cancel=BuyerCancel(requested=True, reason=text))
    order = Order(amazon_order_id=text, source=Source.SPAPI_V0, items=[item])
    store.apply(text, [order])
    store.apply("other", [order.model_copy(update={"amazon_order_id": "2"})])
    assert store.get_order(text, text) == order
    assert [p.order_item_id for p in store.pending_requests(account=text)] == [text]
    assert len(store.pending_requests()) == 2
    assert store.ack([text]) == 0  # type: ignore[list-item]
    assert len(store.events()) == 2


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda s: s.ack([2**64]), id="ack"),
        pytest.param(lambda s: s.ack_through(2**64), id="ack-through"),
        pytest.param(lambda s: s.events(after_id=2**64), id="events"),
    ],
)
def test_event_id_beyond_64_bits_is_a_store_error(call: Any) -> None:
    """An event id SQLite cannot hold raises StoreError, not OverflowError."""
    with pytest.raises(StoreError, match="too large"):
        call(SqliteStore(":memory:", clock=FakeClock()))


# --- the sandbox ---------------------------------------------------------------------------


def _raw_exchange(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def _post_token(length: bytes, body: bytes = b"grant_type=refresh_token") -> bytes:
    # Connection: close, so the server hangs up after its answer (it keeps connections alive).
    return (
        b"POST /auth/o2/token HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: " + length + b"\r\n\r\n" + body
    )


@pytest.fixture
def served() -> Any:
    """A small sandbox served on 127.0.0.1; yields its port."""
    with Marketplace(seed=1, orders=2, clock=FakeClock()).serve() as url:
        yield int(url.rsplit(":", 1)[1])


@pytest.mark.slow
@pytest.mark.parametrize(
    ("length", "status"),
    [
        pytest.param(b"abc", b"400", id="not-a-number"),
        pytest.param(b"-1", b"400", id="negative-would-read-to-eof"),
        pytest.param(b"99999999999", b"413", id="huge-would-allocate-its-claim"),
        pytest.param(b"1" + b"0" * 40, b"413", id="absurd"),
    ],
)
def test_sandbox_refuses_a_bad_content_length(served: int, length: bytes, status: bytes) -> None:
    """The served sandbox answers a bad Content-Length at once with a JSON error, no traceback."""
    answer = _raw_exchange(served, _post_token(length).replace(b"Connection: close\r\n", b""))
    assert answer.startswith(b"HTTP/1.1 " + status)
    assert b"Connection: close" in answer  # the unread body must not pass for a request
    assert b'"errors"' in answer


@pytest.mark.slow
def test_sandbox_reads_only_the_declared_body(served: int) -> None:
    """Bytes past Content-Length are not read as body (nor as a second request)."""
    answer = _raw_exchange(
        served, _post_token(b"5", b"grant_type=refresh_token\r\n\r\nGET /_sandbox/truth HTTP/1.1")
    )
    assert answer.startswith(b"HTTP/1.1 400")
    assert b"grant_type" in answer  # LWA: "missing a required parameter : grant_type"
    assert answer.count(b"HTTP/1.") == 1


@pytest.mark.parametrize(
    "path",
    [
        "/_sandbox/uploads/../../../etc/passwd",
        "/_sandbox/uploads/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/_sandbox/downloads/../../../../etc/passwd",
        "/_sandbox/downloads/..%2f..%2fetc%2fpasswd",
    ],
)
def test_sandbox_document_ids_are_not_paths(path: str) -> None:
    """Traversal-shaped document ids name no document: 403/404, never a file's content."""
    market = Marketplace(seed=1, orders=2, clock=FakeClock())
    with httpx.Client(transport=market.transport(), base_url="http://sandbox.local") as http:
        method = "PUT" if "uploads" in path else "GET"
        answer = http.request(method, path, content=b"x", headers={"content-type": "text/xml"})
    assert answer.status_code in (403, 404)
    assert b"root:" not in answer.content


def test_sandbox_feed_with_an_entity_bomb_ends_fatal() -> None:
    """The sandbox reads uploaded feeds with defusedxml: a bomb makes the feed FATAL, no hang."""
    market = Marketplace(seed=1, orders=2, clock=FakeClock(), feed_processing_seconds=1)
    with SpApiClient(
        credentials=SANDBOX_LWA_CREDENTIALS,
        endpoint="http://sandbox.local",
        lwa_endpoint="http://sandbox.local/auth/o2/token",
        transport=market.transport(),
        clock=market.clock,
    ) as client:
        content_type = {"contentType": "text/xml; charset=UTF-8"}
        doc = client.request(
            "POST", "/feeds/2021-06-30/documents", operation="createFeedDocument", json=content_type
        ).json()
        client.request(
            "PUT",
            doc["url"],
            operation=None,
            content=BOMB,
            headers={"Content-Type": content_type["contentType"]},
            authenticate=False,
        )
        feed = client.request(
            "POST",
            "/feeds/2021-06-30/feeds",
            operation="createFeed",
            json={
                "feedType": "POST_ORDER_ACKNOWLEDGEMENT_DATA",
                "marketplaceIds": ["ATVPDKIKX0DER"],
                "inputFeedDocumentId": doc["feedDocumentId"],
            },
        ).json()
        market.clock.sleep(timedelta(seconds=5).total_seconds())
        status = client.request(
            "GET", f"/feeds/2021-06-30/feeds/{feed['feedId']}", operation="getFeed"
        ).json()
    assert status["processingStatus"] == "FATAL"


def test_sandbox_mws_index_in_unicode_digits_is_not_a_server_error() -> None:
    """An MWS list index of "²" is ignored like any non-index key, never a sandbox 500."""
    market = Marketplace(seed=1, orders=2, clock=FakeClock())
    form = {
        "Action": "ListOrders",
        "MarketplaceId.Id.1": "ATVPDKIKX0DER",
        "MarketplaceId.Id.\u00b2": "ATVPDKIKX0DER",
        "MarketplaceId.Id." + "9" * 5000: "ATVPDKIKX0DER",
        "LastUpdatedAfter": "2026-11-20T00:00:00Z",
    }
    credentials: MwsCredentials = SANDBOX_MWS_CREDENTIALS
    with MwsClient(
        credentials=credentials,
        endpoint="http://sandbox.local",
        transport=market.transport(),
        clock=market.clock,
        max_retries=0,
    ) as client:
        spec = RequestSpec("POST", MWS_ORDERS_PATH, "ListOrders", form=form)
        page = client.call(ApiCall(spec, mws.parse_list_orders))
    assert page.orders is not None


def _mws_form(signature: str) -> dict[str, str]:
    return {
        "AWSAccessKeyId": SANDBOX_MWS_CREDENTIALS.access_key,
        "Action": "ListOrders",
        "SellerId": SANDBOX_MWS_CREDENTIALS.seller_id,
        "Signature": signature,
        "SignatureMethod": "HmacSHA256",
        "SignatureVersion": "2",
        "Timestamp": "2026-11-26T12:00:00Z",
        "Version": "2013-09-01",
    }


@pytest.mark.parametrize(
    ("path", "form", "status"),
    [
        pytest.param(
            "/auth/o2/token",
            {"grant_type": "refresh_token", "client_id": "\u00e9", "client_secret": "x"},
            401,
            id="lwa-client-id",
        ),
        pytest.param(
            "/auth/o2/token",
            {
                "grant_type": "refresh_token",
                "client_id": SANDBOX_LWA_CREDENTIALS.client_id,
                "client_secret": SANDBOX_LWA_CREDENTIALS.client_secret.get_secret_value(),
                "refresh_token": "Atzr|\u00e9",
            },
            400,
            id="lwa-refresh-token",
        ),
        pytest.param(MWS_ORDERS_PATH, _mws_form("\u00e9"), 403, id="mws-signature"),
    ],
)
def test_sandbox_refuses_non_ascii_credentials_as_wrong(
    path: str, form: dict[str, str], status: int
) -> None:
    """Non-ASCII credentials are simply wrong (401/400/403), never a sandbox 500."""
    market = Marketplace(seed=1, orders=1, clock=FakeClock())
    with httpx.Client(transport=market.transport(), base_url="http://sandbox.local") as http:
        answer = http.post(path, data=form)
    assert answer.status_code == status


@pytest.mark.parametrize(
    ("path", "operation"),
    [
        pytest.param("/feeds/2021-06-30/documents", "createFeedDocument", id="createFeedDocument"),
        pytest.param("/feeds/2021-06-30/feeds", "createFeed", id="createFeed"),
    ],
)
def test_sandbox_json_depth_bomb_is_invalid_input(path: str, operation: str) -> None:
    """A request body of 100 000 nested arrays is a 400 InvalidInput, not a sandbox 500."""
    market = Marketplace(seed=1, orders=1, clock=FakeClock())
    with (
        SpApiClient(
            credentials=SANDBOX_LWA_CREDENTIALS,
            endpoint="http://sandbox.local",
            lwa_endpoint="http://sandbox.local/auth/o2/token",
            transport=market.transport(),
            clock=market.clock,
        ) as client,
        pytest.raises(InvalidInputError),
    ):
        client.request(
            "POST",
            path,
            operation=operation,
            content=b"[" * 100_000 + b"]" * 100_000,
            headers={"content-type": "application/json"},
        )


def _endless_token_pages(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/auth/o2/token":
        return httpx.Response(200, json={"access_token": "Atza|t", "expires_in": 3600})
    page = {"Orders": [], "NextToken": "a" * 70_000, "LastUpdatedBefore": "2026-11-26T00:00:00Z"}
    return httpx.Response(200, json={"payload": page})


def test_next_token_too_long_for_a_url_is_invalid_input() -> None:
    """A 70 KB NextToken httpx cannot put in a URL raises InvalidInputError, not httpx's error."""
    with SpApiClient(
        credentials=LwaCredentials("app", "secret", "Atzr|r"),
        transport=httpx.MockTransport(_endless_token_pages),
        clock=FakeClock(),
    ) as client:
        pages = client.orders_v0.iter_orders(
            marketplace_ids=["ATVPDKIKX0DER"], last_updated_after=client.clock.now()
        )
        with pytest.raises(InvalidInputError, match="'query' too long"):
            list(pages)
        assert client.stats.requests == 1  # the first page only (no token grant counted), no retry


def test_tiny_rate_limit_header_never_stalls_the_client() -> None:
    """A rate header of 1e-300 is ignored: past the burst, calls pace at the seeded rate."""
    clock = FakeClock()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/auth/o2/token":
            return httpx.Response(200, json={"access_token": "Atza|t", "expires_in": 3600})
        body = {"payload": {"AmazonOrderId": "1"}}
        return httpx.Response(200, json=body, headers={"x-amzn-RateLimit-Limit": "1e-300"})

    with SpApiClient(
        credentials=LwaCredentials("app", "secret", "Atzr|r"),
        transport=httpx.MockTransport(handler),
        clock=clock,
    ) as client:
        for _ in range(40):  # getOrder: burst 30, then 0.5 per second
            client.orders_v0.get_order("1")
    assert clock.monotonic() < 60
