"""Flat-file order reports (tab-separated text) -> domain models, streamed.

Reads any of Amazon's order report column sets: the Unshipped (actionable) report
(``order-id``, ``order-item-id``, ``purchase-date``, ``sku``, ``product-name``,
``quantity-purchased``, ``quantity-shipped`` ...) and the All Orders reports (``amazon-order-id``,
``purchase-date``, ``last-updated-date``, ``order-status``, ``fulfillment-channel``, ``asin``,
``sku``, ``quantity`` ...). The optional columns ``is-buyer-requested-cancellation``
(``TRUE``/``FALSE``, any case, empty is false) and ``buyer-requested-cancel-reason`` may be
present or not; columns are found by name, in any order, and unknown columns are ignored.

One row is one order item; consecutive rows with the same order id form one order, yielded as
soon as the next order starts, so memory stays constant however large the report. An order
whose rows are not adjacent comes out as two orders (Amazon warns order reports can repeat
orders anyway: merge by id downstream).

All Orders reports have no order item id column. Their items get a stand-in id,
``sku:<SKU>`` (:data:`SYNTHETIC_ITEM_ID_PREFIX`), which tells items apart but is *not* an
Amazon order item code: it cannot go into a cancellation feed.

Encodings: see :func:`iter_text_lines`.

Added in 0.1.0.
"""

from __future__ import annotations

import codecs
import logging
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import IO, Any, AnyStr, NoReturn

from amzcancel.errors import ParseError
from amzcancel.models import BuyerCancel, FulfillmentChannel, Order, OrderItem, OrderStatus, Source
from amzcancel.wire._coerce import lenient_datetime, lenient_quantity, parse_flag

__all__ = [
    "SYNTHETIC_ITEM_ID_PREFIX",
    "ByteStream",
    "iter_report_orders",
    "iter_text_lines",
    "normalize_encoding",
]

logger = logging.getLogger("amzcancel.wire.reports")

_SOURCE = Source.REPORT.value

ByteStream = IO[bytes] | Iterable[bytes]
"""A binary file object, or any iterable of byte chunks (lines or arbitrary pieces)."""

SYNTHETIC_ITEM_ID_PREFIX = "sku:"
"""Prefix of the stand-in item ids of reports without an order item id column."""

CHUNK_BYTES = 64 * 1024
MAX_LINE_CHARS = 1024 * 1024
"""The longest line read: a real row is a few KiB; anything longer is refused, not buffered."""
_FAST_INT_DIGITS = 18  # below 2**63: what the fast path converts without lenient_quantity's checks

# Column names per report type (see the facts file, section 6); first match wins.
_ORDER_ID = ("order-id", "amazon-order-id")
_ITEM_ID = ("order-item-id", "amazon-order-item-id", "amazon-order-item-code")
_FLAG = ("is-buyer-requested-cancellation", "is-buyer-requested-cancelation")
_QUANTITY = ("quantity-purchased", "quantity")

# Java charset names Amazon sends -> Python codecs. Amazon JP's "Shift_JIS" files carry
# Windows-31J extensions (circled digits, NEC/IBM kanji), so every Shift_JIS label reads as cp932.
_ENCODING_ALIASES = {
    "windows-31j": "cp932",
    "ms932": "cp932",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "windows-1252": "cp1252",
}

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# order-status of the All Orders reports, normalised (lower case, no spaces, text before " - ").
# "Shipping" is Amazon's word for an order with some items shipped.
_STATUSES = {
    "pending": OrderStatus.PENDING,
    "pendingavailability": OrderStatus.PENDING_AVAILABILITY,
    "unshipped": OrderStatus.UNSHIPPED,
    "partiallyshipped": OrderStatus.PARTIALLY_SHIPPED,
    "shipping": OrderStatus.PARTIALLY_SHIPPED,
    "shipped": OrderStatus.SHIPPED,
    "cancelled": OrderStatus.CANCELED,
    "canceled": OrderStatus.CANCELED,
    "unfulfillable": OrderStatus.UNFULFILLABLE,
    "invoiceunconfirmed": OrderStatus.INVOICE_UNCONFIRMED,
}

_CHANNELS = {
    "merchant": FulfillmentChannel.MFN,
    "mfn": FulfillmentChannel.MFN,
    "amazon": FulfillmentChannel.AFN,
    "afn": FulfillmentChannel.AFN,
}

_NO_REQUEST = BuyerCancel()
_NOT_REPORTED = BuyerCancel(reported=False)  # a report without the buyer-cancel columns

# The spellings seen in real files, read without a function call; parse_flag takes the rest.
_FLAG_VALUES = {"": False, "false": False, "true": True, "FALSE": False, "TRUE": True}


def normalize_encoding(name: str) -> str:
    """The Python codec name for a charset label (``Windows-31J`` -> ``cp932``).

    Raises:
        ParseError: the label names no known encoding.

    Added in 0.1.0.
    """
    key = name.strip().strip("\"'").lower()
    try:
        return codecs.lookup(_ENCODING_ALIASES.get(key, key)).name
    except LookupError as exc:
        raise ParseError(
            "unknown character encoding", source=_SOURCE, location="encoding", fragment=name
        ) from exc


def iter_text_lines(
    stream: ByteStream, *, encoding: str | None = None
) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, text)`` for each line of ``stream``, without its line ending.

    The charset the caller names (from the download's ``Content-Type``) wins, except over a
    byte-order mark; with neither, each line is read as UTF-8 and, when it is not valid UTF-8,
    as cp1252 (the Western European default of Amazon's flat files). Japanese cp932 cannot be
    told from cp1252 reliably, so it must be named. Reads 64 KiB at a time.

    Raises:
        ParseError: ``stream`` yields something other than bytes, or ``encoding`` is unknown.

    Added in 0.1.0.
    """
    codec = None if encoding is None else normalize_encoding(encoding)
    chunks = _chunks(stream)
    head = b""
    for chunk in chunks:
        head += chunk
        if len(head) >= 4:
            break
    for bom, bom_codec in _BOMS:
        if head.startswith(bom):
            codec = bom_codec
            if bom_codec == "utf-8":
                head = head[len(bom) :]
            break
    everything = _prepend(head, chunks)
    if codec is not None and codec.startswith(("utf-16", "utf-32")):
        # Not ASCII-compatible: a 0x0A byte may sit inside a character; decode, then split.
        for number, text in enumerate(_text_lines(everything, codec), start=1):
            yield number, text.removesuffix("\r")
        return
    for number, line in enumerate(_byte_lines(everything), start=1):
        yield number, _decode(line.removesuffix(b"\r"), codec, number)


def iter_report_orders(stream: ByteStream, *, encoding: str | None = None) -> Iterator[Order]:
    """Stream the orders of a tab-separated flat-file order report.

    Args:
        stream: a binary file object, or an iterable of byte chunks (e.g. lines).
        encoding: the charset from the download's ``Content-Type`` (``UTF-8``, ``Cp1252``,
            ``Windows-31J``...), when known; see :func:`iter_text_lines` otherwise.

    Yields:
        One order per run of consecutive rows with the same order id, with its items.

    Raises:
        ParseError: no header row, a header without an order id column, a row without an order
            id or order item id, or a buyer-cancel value that is not a boolean; ``location`` is
            ``line N``.

    Added in 0.1.0.
    """
    lines = iter_text_lines(stream, encoding=encoding)
    header = None
    for number, text in lines:
        if text.strip():
            if "\r" in text:
                # Bare CR line endings (classic Mac, some re-saved files): read as one line,
                # every row would vanish into the header. Say so instead.
                raise ParseError(
                    "lines end with a bare CR; convert the file to LF or CRLF line endings",
                    source=_SOURCE,
                    location=f"line {number}",
                )
            header = _Header(text, number)
            break
    if header is None:
        raise ParseError("no header row", source=_SOURCE, location="line 1")
    current_id = ""
    fields: dict[str, Any] = {}
    items: list[OrderItem] = []
    for number, text in lines:
        if not text.strip():
            continue
        cells = header.cells(text)
        order_id = cells[header.order_id].strip()
        if not order_id:
            raise ParseError(
                f"row has no order id (column {header.names[header.order_id]})",
                source=_SOURCE,
                location=f"line {number}",
            )
        if order_id != current_id:
            if items:
                yield Order(**fields, items=items)
            current_id = order_id
            fields = header.order_fields(cells, order_id, number)
            items = []
        items.append(header.item(cells, number, items))
    if items:
        yield Order(**fields, items=items)


_MISSING = -1
"""Column index of an absent column: every row gets an empty last cell to point it at."""


class _Header:
    """Column positions of one report's header, and how to read a row with them."""

    def __init__(self, text: str, number: int) -> None:
        self.names = [name.strip().lstrip("\ufeff").lower() for name in text.split("\t")]
        self.width = len(self.names)
        order_id = self.find(_ORDER_ID)
        if order_id == _MISSING:
            raise ParseError(
                "header has no order id column (order-id or amazon-order-id)",
                source=_SOURCE,
                location=f"line {number}",
            )
        self.order_id = order_id
        self.item_id = self.find(_ITEM_ID)
        self.sku = self.find(("sku",))
        if self.item_id == _MISSING:
            logger.info(
                "report has no order item id column; using %s<SKU>", SYNTHETIC_ITEM_ID_PREFIX
            )
        self.flag = self.find(_FLAG)
        self.reason = self.find(("buyer-requested-cancel-reason",))
        self.purchase_date = self.find(("purchase-date",))
        self.last_update = self.find(("last-updated-date",))
        self.status = self.find(("order-status",))
        self.channel = self.find(("fulfillment-channel",))
        self.asin = self.find(("asin",))
        self.title = self.find(("product-name",))
        self.quantity = self.find(_QUANTITY)
        self.shipped = self.find(("quantity-shipped",))

    def find(self, names: Sequence[str]) -> int:
        for name in names:
            if name in self.names:
                return self.names.index(name)
        return _MISSING

    def cells(self, text: str) -> list[str]:
        """The row's cells, padded to the header's width, plus the empty cell of _MISSING."""
        cells = text.split("\t")
        if len(cells) < self.width:
            cells.extend([""] * (self.width - len(cells)))
        cells.append("")
        return cells

    def order_fields(self, cells: list[str], order_id: str, number: int) -> dict[str, Any]:
        status = cells[self.status].strip()
        channel = cells[self.channel].strip()
        return {
            "amazon_order_id": order_id,
            "status": _lookup_status(status, number) if status else None,
            "fulfillment_channel": _lookup_channel(channel, number) if channel else None,
            "purchase_date": _date(cells[self.purchase_date].strip(), number, "purchase-date"),
            "last_update_date": _date(cells[self.last_update].strip(), number, "last-updated-date"),
            "source": Source.REPORT,
        }

    def item(self, cells: list[str], number: int, siblings: list[OrderItem]) -> OrderItem:
        sku = cells[self.sku].strip() or None
        item_id = self._item_id(cells, sku, siblings, number)
        flag = cells[self.flag].strip()
        requested = _FLAG_VALUES.get(flag)
        if requested is None:
            location = f"line {number}, column {self.names[self.flag]}"
            requested = parse_flag(flag, source=_SOURCE, location=location)
        buyer_cancel = _NO_REQUEST if self.flag != _MISSING else _NOT_REPORTED
        if requested:
            buyer_cancel = BuyerCancel(requested=True, reason=cells[self.reason].strip() or None)
        return OrderItem(
            order_item_id=item_id,
            asin=cells[self.asin].strip() or None,
            seller_sku=sku,
            title=cells[self.title].strip() or None,
            quantity_ordered=_int(cells[self.quantity].strip(), number),
            quantity_shipped=_int(cells[self.shipped].strip(), number),
            buyer_cancel=buyer_cancel,
        )

    def _item_id(
        self, cells: list[str], sku: str | None, siblings: list[OrderItem], number: int
    ) -> str:
        if self.item_id != _MISSING:
            item_id = cells[self.item_id].strip()
            column = self.names[self.item_id]
        else:
            column = "sku"
            item_id = f"{SYNTHETIC_ITEM_ID_PREFIX}{sku}" if sku else ""
            taken = {sibling.order_item_id for sibling in siblings}
            base, n = item_id, 1
            while item_id and item_id in taken:
                n += 1
                item_id = f"{base}#{n}"
        if not item_id:
            raise ParseError(
                f"row has no order item id (column {column})",
                source=_SOURCE,
                location=f"line {number}",
            )
        return item_id


def _lookup_status(text: str, number: int) -> OrderStatus | None:
    key = text.split(" - ", 1)[0].replace(" ", "").lower()
    status = _STATUSES.get(key)
    if status is None:
        logger.warning("%s: ignoring unknown order-status at line %d: %r", _SOURCE, number, text)
    return status


def _lookup_channel(text: str, number: int) -> FulfillmentChannel | None:
    channel = _CHANNELS.get(text.lower())
    if channel is None:
        logger.warning(
            "%s: ignoring unknown fulfillment-channel at line %d: %r", _SOURCE, number, text
        )
    return channel


def _date(text: str, number: int, column: str) -> datetime | None:
    if not text:
        return None
    try:
        # Fast path for the ISO 8601 form reports use; odd forms go through dateutil.
        parsed = datetime.fromisoformat(text)
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return lenient_datetime(text, source=_SOURCE, location=f"line {number}, column {column}")


def _int(text: str, number: int) -> int | None:
    if not text:
        return None
    # isdigit() alone admits "²" and other Unicode digits that int() refuses.
    if text.isascii() and text.isdigit() and len(text) <= _FAST_INT_DIGITS:
        return int(text)
    return lenient_quantity(text, source=_SOURCE, location=f"line {number}")


def _chunks(stream: ByteStream) -> Iterator[bytes]:
    read = getattr(stream, "read", None)
    if callable(read):
        while chunk := read(CHUNK_BYTES):
            if not isinstance(chunk, bytes | bytearray):
                raise ParseError("expected a binary stream", source=_SOURCE, location="line 1")
            yield bytes(chunk)
        return
    if not isinstance(stream, Iterable) or isinstance(stream, str | bytes | bytearray):
        raise ParseError(
            "expected a binary file or an iterable of bytes", source=_SOURCE, location="line 1"
        )
    for chunk in stream:
        if not isinstance(chunk, bytes | bytearray | memoryview):
            raise ParseError(
                f"expected bytes, got {type(chunk).__name__}", source=_SOURCE, location="line 1"
            )
        yield bytes(chunk)


def _prepend(head: bytes, chunks: Iterator[bytes]) -> Iterator[bytes]:
    yield head
    yield from chunks


def _byte_lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    yield from _split_lines(chunks, b"\n", b"")


def _text_lines(chunks: Iterable[bytes], encoding: str) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder(encoding)("replace")

    def texts() -> Iterator[str]:
        for chunk in chunks:
            yield decoder.decode(chunk)
        yield decoder.decode(b"", final=True)

    yield from _split_lines(texts(), "\n", "")


def _split_lines(pieces: Iterable[AnyStr], newline: AnyStr, empty: AnyStr) -> Iterator[AnyStr]:
    """The lines of a stream of pieces, each at most :data:`MAX_LINE_CHARS` long.

    Without the limit a file with no line breaks would be held whole; the start of a line is
    kept as a list of pieces, joined once, so a long line costs linear time, not quadratic.
    """
    partial: list[AnyStr] = []  # the start of the current line, joined only once it ends
    size = 0
    number = 0
    for piece in pieces:
        lines = piece.split(newline)
        last = lines.pop()
        if lines:
            if partial:
                partial.append(lines[0])
                lines[0] = empty.join(partial)
                partial, size = [], 0
            if max(map(len, lines)) > MAX_LINE_CHARS:
                _too_long(
                    number + 1 + next(i for i, t in enumerate(lines) if len(t) > MAX_LINE_CHARS)
                )
            number += len(lines)
            yield from lines
        if last:
            partial.append(last)
            size += len(last)
            if size > MAX_LINE_CHARS:
                _too_long(number + 1)
    if partial:
        yield empty.join(partial)


def _too_long(number: int) -> NoReturn:
    raise ParseError(
        f"line is longer than {MAX_LINE_CHARS} characters: not an order report",
        source=_SOURCE,
        location=f"line {number}",
    )


def _decode(line: bytes, encoding: str | None, number: int) -> str:
    try:
        return line.decode(encoding or "utf-8")
    except UnicodeDecodeError:
        if encoding is None:
            # Not UTF-8: read as cp1252. The five bytes cp1252 leaves undefined become U+FFFD
            # rather than failing the report (they can only be in text the job does not need).
            return line.decode("cp1252", "replace")
        logger.warning("%s: line %d is not valid %s; bad bytes replaced", _SOURCE, number, encoding)
        return line.decode(encoding, "replace")
