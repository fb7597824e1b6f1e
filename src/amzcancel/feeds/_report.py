"""Parse the processing report Amazon writes for an XML feed.

Shape (MWS GetFeedSubmissionResult and the Feeds API result document alike)::

    AmazonEnvelope/Message/ProcessingReport
      DocumentTransactionID, StatusCode (Complete),
      ProcessingSummary {MessagesProcessed, MessagesSuccessful, MessagesWithError,
                         MessagesWithWarning},
      Result* {MessageID, ResultCode (Error|Warning), ResultMessageCode, ResultDescription,
               AdditionalInfo {AmazonOrderID?}}

The report comes from outside, so it is read with defusedxml and by local element names.

Added in 0.1.0.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
import zlib

from amzcancel.errors import ParseError
from amzcancel.feeds._model import ProcessingReport, ProcessingResult
from amzcancel.wire._xml import child, child_text, children, descendant, parse_xml

__all__ = ["decode_report_document", "parse_processing_report"]

_SOURCE = "feed-report"
MAX_REPORT_BYTES = 64 * 1024 * 1024
"""The most a compressed processing report may unpack to (one line per message is far less)."""
_MAX_COUNT_DIGITS = 18


def decode_report_document(content: bytes, compression_algorithm: str | None) -> bytes:
    """Undo the compression getFeedDocument announced (``GZIP``), if any.

    Raises:
        ParseError: the compression is unknown or the data is not valid gzip.
    """
    if compression_algorithm is None:
        return content
    if compression_algorithm.upper() != "GZIP":
        raise ParseError(f"unknown compressionAlgorithm {compression_algorithm!r}", source=_SOURCE)
    try:
        return _gunzip(content)
    except zlib.error as exc:
        raise ParseError(f"the report is not valid gzip: {exc}", source=_SOURCE) from exc


def _gunzip(content: bytes) -> bytes:
    # Bounded: a few KiB of gzip can expand to gigabytes, and the URL's content is not ours.
    out = bytearray()
    rest = content
    while rest:  # a gzip file may hold several members, read one after the other
        member = zlib.decompressobj(wbits=31)
        out += member.decompress(rest, MAX_REPORT_BYTES + 1 - len(out))
        if len(out) > MAX_REPORT_BYTES or member.unconsumed_tail:
            raise ParseError(
                f"the report unpacks to more than {MAX_REPORT_BYTES} bytes", source=_SOURCE
            )
        if not member.eof:
            raise ParseError("the report is not valid gzip: it is truncated", source=_SOURCE)
        rest = member.unused_data
    return bytes(out)


def parse_processing_report(document: bytes | str) -> ProcessingReport:
    """Read a feed processing report.

    Raises:
        ParseError: not XML, unsafe XML, or no ``ProcessingReport`` with a summary.

    Added in 0.1.0.
    """
    root = parse_xml(document, source=_SOURCE)
    report = None
    for message in children(root, "Message"):
        report = child(message, "ProcessingReport")
        if report is not None:
            break
    if report is None:
        report = root if root.tag.rpartition("}")[2] == "ProcessingReport" else None
    if report is None:
        raise ParseError(
            "no ProcessingReport in the document", source=_SOURCE, location="AmazonEnvelope"
        )
    summary = child(report, "ProcessingSummary")
    if summary is None:
        raise ParseError(
            "the processing report has no ProcessingSummary",
            source=_SOURCE,
            location="ProcessingReport",
        )
    return ProcessingReport(
        document_transaction_id=child_text(report, "DocumentTransactionID"),
        status_code=child_text(report, "StatusCode"),
        messages_processed=_count(summary, "MessagesProcessed"),
        messages_successful=_count(summary, "MessagesSuccessful"),
        messages_with_error=_count(summary, "MessagesWithError"),
        messages_with_warning=_count(summary, "MessagesWithWarning"),
        results=tuple(_result(r) for r in children(report, "Result")),
    )


def _count(summary: ET.Element, name: str) -> int:
    text = child_text(summary, name)
    if text is None:
        return 0
    if not _is_count(text):
        raise ParseError(
            f"{name} is not a count",
            source=_SOURCE,
            location=f"ProcessingSummary/{name}",
            fragment=text,
        )
    return int(text)


def _is_count(text: str) -> bool:
    # ASCII digits only ("²".isdigit() is true, and int() refuses it), and few enough of them
    # for int() to accept.
    return text.isascii() and text.isdigit() and len(text) <= _MAX_COUNT_DIGITS


def _result(element: ET.Element) -> ProcessingResult:
    message_id = child_text(element, "MessageID")
    order = descendant(element, "AdditionalInfo", "AmazonOrderID")
    return ProcessingResult(
        message_id=int(message_id) if message_id and _is_count(message_id) else None,
        result_code=child_text(element, "ResultCode") or "Error",
        result_message_code=child_text(element, "ResultMessageCode"),
        description=child_text(element, "ResultDescription"),
        amazon_order_id=None if order is None or not order.text else order.text.strip(),
    )
