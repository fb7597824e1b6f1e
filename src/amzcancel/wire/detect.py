"""Tell which wire format a document is in, and read any of them into orders.

=================================================  ==============================
what the document looks like                       format
=================================================  ==============================
XML, root ``ListOrders*``/``ListOrderItems*``,     ``mws``
``GetOrderResponse`` or ``ErrorResponse``
JSON with ``payload`` (``Orders``, ``OrderItems``,  ``spapi-v0``
``AmazonOrderId``)
JSON with ``orders`` or ``order``; a bare SP-API   ``spapi-2026``
error body ``{"errors": [...]}``
JSON ``NotificationType: ORDER_CHANGE``, an SQS     ``notification``
message (``Body``), SNS envelope (``Message``) or
``ReceiveMessage`` batch (``Messages``)
tab-separated text whose header has ``order-id``    ``report``
or ``amazon-order-id``
=================================================  ==============================

A bare error body (``errors``, or API Gateway's ``{"message": ...}``) is read as
``spapi-2026`` because v0 and 2026-01-01 share its shape; either
way it raises the matching :class:`~amzcancel.errors.APIError`.

Added in 0.1.0.
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Iterator, Mapping
from itertools import chain
from typing import IO, Any

from amzcancel.errors import ConfigError, ParseError
from amzcancel.models import Order, Source
from amzcancel.wire import mws, notifications, reports, spapi_2026, spapi_v0
from amzcancel.wire._json import decode_json
from amzcancel.wire._sniff import check_readable, preview

__all__ = ["FORMATS", "detect_format", "iter_document", "parse_document"]

FORMATS: tuple[str, ...] = ("auto", *(source.value for source in Source))
"""The values ``format`` accepts: ``auto`` and every :class:`~amzcancel.models.Source`."""

SNIFF_BYTES = 64 * 1024
"""How much of a stream :func:`iter_document` reads before deciding (a report's header fits)."""

_COMMENT = re.compile(rb"<!--.*?-->", re.DOTALL)
_FIRST_ELEMENT = re.compile(rb"<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")
_MWS_ROOTS = ("ListOrders", "ListOrderItems", "GetOrderResponse", "ErrorResponse")
# ResponseMetadata alone: boto3's ReceiveMessage answer when the queue was empty.
_NOTIFICATION_KEYS = (
    "NotificationType",
    "Payload",
    "Messages",
    "Body",
    "Message",
    "ResponseMetadata",
)
_REPORT_ID_COLUMNS = frozenset({"order-id", "amazon-order-id"})


def detect_format(data: bytes) -> Source:
    """Which wire format ``data`` is in (see the table in this module's docstring).

    XML and reports are recognised from their first element or header line, so a prefix of a
    large file is enough; JSON is decoded whole.

    Raises:
        ParseError: the format cannot be recognised.

    Added in 0.1.0.
    """
    return _detect(data)[0]


def parse_document(data: bytes | str, *, format: str | Source = "auto") -> Iterator[Order]:
    """Read a whole document of any supported format into orders.

    Args:
        data: the document.
        format: ``auto`` (detect) or a :class:`~amzcancel.models.Source` value.

    Returns:
        An iterator over the orders in the document. An items-only document (MWS ListOrderItems, v0
        getOrderItems) yields one order that has ``amazon_order_id`` and ``items`` and nothing
        else; a ``ReceiveMessage`` batch yields one order per message.

    Raises:
        APIError: the document is an Amazon error document (the matching subclass).
            JSON and XML documents are read (and fail) at the call; reports as iterated.
        ParseError: the format cannot be recognised or the document cannot be read (also
            when it is empty, blank, compressed or binary: the message says so). This
            reading is strict: a listing page with one order that cannot be read (which the
            page parsers set aside in ``OrdersPage.unreadable``) raises that order's error,
            naming the order.
        ConfigError: ``format`` is not one of :data:`FORMATS`.

    Added in 0.1.0.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    wanted = _wanted(format)
    check_readable(raw, source=_label(wanted), complete=True)
    decoded: Mapping[str, Any] | None = None
    if wanted is None:
        wanted, decoded = _detect(raw)
    if wanted is Source.REPORT:
        return reports.iter_report_orders(io.BytesIO(raw))
    return _parse_whole(wanted, decoded if decoded is not None else raw)


def iter_document(
    stream: IO[bytes], *, format: str | Source = "auto", encoding: str | None = None
) -> Iterator[Order]:
    """Read a document from a binary stream: reports are streamed, the rest read whole.

    Args:
        stream: a binary file object.
        format: ``auto`` (detect from the first 64 KiB) or a ``Source`` value.
        encoding: a report's charset, when known (see ``reports.iter_report_orders``).

    Raises:
        as :func:`parse_document`.

    Added in 0.1.0.
    """
    wanted = _wanted(format)
    head = stream.read(SNIFF_BYTES)
    if not isinstance(head, bytes):
        raise ParseError("expected a binary stream", source=str(format), location="$")
    check_readable(head, source=_label(wanted), complete=len(head) < SNIFF_BYTES)
    if wanted is None and _first_char(head) not in ("{", "<", "["):
        wanted = _detect(head)[0]
    if wanted is Source.REPORT:
        rest = iter(lambda: stream.read(SNIFF_BYTES), b"")
        return reports.iter_report_orders(chain([head], rest), encoding=encoding)
    return parse_document(head + stream.read(), format=wanted or "auto")


def _label(wanted: Source | None) -> str:
    return "auto" if wanted is None else wanted.value


def _wanted(format: str | Source) -> Source | None:
    if format == "auto":
        return None
    try:
        return Source(format)
    except ValueError:
        raise ConfigError(
            f"unknown format {format!r}; expected one of {', '.join(FORMATS)}"
        ) from None


def _parse_whole(source: Source, doc: bytes | Mapping[str, Any]) -> Iterator[Order]:
    if source is Source.MWS:
        if isinstance(doc, Mapping):
            raise ParseError("expected XML", source=source.value, location="$")
        if _xml_root(doc).startswith("ListOrderItems"):
            page = mws.parse_list_order_items(doc)
            return iter(
                [Order(amazon_order_id=page.amazon_order_id, source=source, items=page.items)]
            )
        return iter(mws.parse_list_orders(doc, strict=True).orders)
    data = doc if isinstance(doc, Mapping) else _load_json(doc, source)
    if source is Source.SPAPI_V0:
        return _parse_v0(data)
    if source is Source.SPAPI_2026:
        if "order" in data and "orders" not in data:
            return iter([spapi_2026.parse_get_order(data)])
        return iter(spapi_2026.parse_search_orders(data, strict=True).orders)
    if source is Source.NOTIFICATION:
        return notifications.iter_order_changes(data)
    raise ParseError("not a JSON format", source=source.value, location="$")  # pragma: no cover


def _parse_v0(data: Mapping[str, Any]) -> Iterator[Order]:
    payload = data.get("payload")
    if payload is None and data.get("errors"):
        raise spapi_v0.parse_error_body(data)
    if isinstance(payload, Mapping) and "Orders" in payload:
        return iter(spapi_v0.parse_get_orders(data, strict=True).orders)
    if isinstance(payload, Mapping) and "OrderItems" in payload:
        page = spapi_v0.parse_get_order_items(data)
        order = Order(
            amazon_order_id=page.amazon_order_id, source=Source.SPAPI_V0, items=page.items
        )
        return iter([order])
    return iter([spapi_v0.parse_get_order(data)])


def _load_json(raw: bytes, source: Source) -> Mapping[str, Any]:
    try:
        data = decode_json(raw.removeprefix(codecs.BOM_UTF8))
    except (ValueError, RecursionError) as exc:
        raise ParseError(
            f"not valid JSON: {exc}", source=source.value, location="$", fragment=preview(raw)
        ) from exc
    if not isinstance(data, dict):
        raise ParseError(
            "expected a JSON object", source=source.value, location="$", fragment=preview(raw)
        )
    return data


def _detect(raw: bytes) -> tuple[Source, Mapping[str, Any] | None]:
    first = _first_char(raw)
    if first == "<":
        root = _xml_root(raw)
        if root.startswith(_MWS_ROOTS):
            return Source.MWS, None
        raise ParseError(
            "unrecognised XML document (not an MWS Orders response)",
            source="auto",
            location="/",
            fragment=root,
        )
    if first in ("{", "["):
        data = _load_json(raw, Source.SPAPI_2026)
        return _detect_json(data), data
    for _number, text in reports.iter_text_lines([raw[:SNIFF_BYTES]]):
        if not text.strip():
            continue
        columns = {name.strip().lstrip("\ufeff").lower() for name in text.split("\t")}
        if columns & _REPORT_ID_COLUMNS:
            return Source.REPORT, None
        break
    raise ParseError(
        "unrecognised document: not MWS XML, SP-API or notification JSON, or an order report",
        source="auto",
        location="line 1",
        fragment=preview(raw),
    )


def _detect_json(data: Mapping[str, Any]) -> Source:
    if "payload" in data:
        return Source.SPAPI_V0
    if "orders" in data or "order" in data:
        return Source.SPAPI_2026
    if any(key in data for key in _NOTIFICATION_KEYS):
        return Source.NOTIFICATION
    if "errors" in data or "message" in data:
        return Source.SPAPI_2026
    raise ParseError(
        "unrecognised JSON document: no payload, orders, order or notification",
        source="auto",
        location="$",
        fragment=", ".join(sorted(map(str, data)))[:80],
    )


def _first_char(raw: bytes) -> str:
    for bom, codec in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if raw.startswith(bom):
            text = raw[len(bom) : 2048].decode(codec, "replace")
            break
    else:
        text = raw[:2048].decode("latin-1").removeprefix("\xef\xbb\xbf")
    stripped = text.lstrip()
    return stripped[:1]


def _xml_root(raw: bytes) -> str:
    head = _COMMENT.sub(b"", raw[:SNIFF_BYTES])
    match = _FIRST_ELEMENT.search(head)
    return "" if match is None else match.group(2).decode("ascii")
