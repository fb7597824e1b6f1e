"""Flat-file order report parser: column sets, encodings, grouping and streaming."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from amzcancel.errors import ParseError
from amzcancel.models import FulfillmentChannel, Order, OrderStatus, Source
from amzcancel.wire.reports import iter_report_orders, iter_text_lines, normalize_encoding

FIXTURES = Path(__file__).parent.parent / "fixtures" / "report"

FOUND = "Found cheaper somewhere else."
CHANGED = "Changed mind about purchase"


def _orders(name: str, encoding: str | None = None) -> list[Order]:
    with (FIXTURES / name).open("rb") as stream:
        return list(iter_report_orders(stream, encoding=encoding))


def _flags(orders: list[Order]) -> list[tuple[str, list[tuple[str, bool, str | None]]]]:
    return [
        (
            order.amazon_order_id,
            [
                (i.order_item_id, i.buyer_cancel.requested, i.buyer_cancel.reason)
                for i in order.items
            ],
        )
        for order in orders
    ]


UNSHIPPED_1 = [
    (
        "111-0000001-0000001",
        [("10000000000001", True, FOUND), ("10000000000002", False, None)],
    ),
    ("111-0000001-0000002", [("10000000000003", True, CHANGED)]),
    ("111-0000001-0000003", [("10000000000004", False, None)]),
    ("111-0000001-0000004", [("10000000000005", False, None)]),
]


@pytest.mark.parametrize(
    ("name", "encoding", "expected"),
    [
        pytest.param("unshipped.hand.200.1.tsv", None, UNSHIPPED_1, id="utf8-flag-forms"),
        pytest.param(
            "unshipped.hand.200.2.tsv",
            None,
            [
                (
                    "111-0000001-0000001",
                    [("10000000000001", False, None), ("10000000000002", False, None)],
                ),
                ("111-0000001-0000002", [("10000000000003", False, None)]),
            ],
            id="without-cancel-columns",
        ),
        pytest.param(
            "unshipped.hand.200.3.tsv",
            None,
            [
                ("302-0000001-0000001", [("20000000000001", True, "Günstiger woanders gefunden")]),
                ("302-0000001-0000002", [("20000000000002", False, None)]),
            ],
            id="cp1252-sniffed",
        ),
        pytest.param(
            "unshipped.hand.200.3.tsv",
            "Cp1252",
            [
                ("302-0000001-0000001", [("20000000000001", True, "Günstiger woanders gefunden")]),
                ("302-0000001-0000002", [("20000000000002", False, None)]),
            ],
            id="cp1252-declared",
        ),
        pytest.param(
            "unshipped.hand.200.4.tsv",
            "Windows-31J",
            [
                (
                    "503-0000001-0000001",
                    [
                        ("30000000000001", True, "他の店で安く見つけた"),
                        ("30000000000002", False, None),
                    ],
                )
            ],
            id="cp932-declared",
        ),
        pytest.param(
            "unshipped.hand.200.5.tsv",
            None,
            [
                (
                    "111-0000001-0000001",
                    [("10000000000001", True, FOUND), ("10000000000002", False, None)],
                ),
                ("302-0000001-0000001", [("20000000000001", True, "Günstiger woanders gefunden")]),
            ],
            id="utf8-bom-crlf",
        ),
        pytest.param(
            "allOrders.hand.200.1.tsv",
            None,
            [
                ("112-0000001-0000001", [("sku:SKU-A", True, FOUND), ("sku:SKU-B", False, None)]),
                ("112-0000001-0000002", [("sku:SKU-C", False, None)]),
                (
                    "112-0000001-0000003",
                    [("sku:SKU-D", True, CHANGED), ("sku:SKU-D#2", True, CHANGED)],
                ),
                ("112-0000001-0000004", [("sku:SKU-E", False, None)]),
            ],
            id="all-orders-synthetic-item-ids",
        ),
        pytest.param(
            "allOrders.hand.200.2.tsv",
            None,
            [
                ("112-0000001-0000001", [("sku:SKU-A", False, None), ("sku:SKU-B", False, None)]),
                ("112-0000001-0000002", [("sku:SKU-C", False, None)]),
            ],
            id="all-orders-utf16-bom-no-cancel-columns",
        ),
    ],
)
def test_report_fixtures(name: str, encoding: str | None, expected: list[object]) -> None:
    """Rows group into orders; the flag column (if any) and reason map to buyer_cancel."""
    orders = _orders(name, encoding)
    assert _flags(orders) == expected
    assert all(order.source is Source.REPORT for order in orders)


def test_unshipped_report_item_fields() -> None:
    """SKU, title, quantities and purchase date come from their columns."""
    order = _orders("unshipped.hand.200.1.tsv")[3]
    item = order.items[0]
    assert (item.seller_sku, item.title) == ("SKU-E", "Mug")
    assert (item.quantity_ordered, item.quantity_shipped) == (3, 1)
    assert order.purchase_date == datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    assert (order.status, order.fulfillment_channel, order.last_update_date) == (None, None, None)


def test_all_orders_report_order_fields() -> None:
    """order-status, fulfillment-channel, last-updated-date and asin are mapped."""
    orders = _orders("allOrders.hand.200.1.tsv")
    assert [(o.status, o.fulfillment_channel) for o in orders] == [
        (OrderStatus.PENDING, FulfillmentChannel.MFN),
        (OrderStatus.SHIPPED, FulfillmentChannel.AFN),
        (OrderStatus.CANCELED, FulfillmentChannel.MFN),
        (OrderStatus.PARTIALLY_SHIPPED, FulfillmentChannel.MFN),
    ]
    assert orders[0].last_update_date == datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
    assert orders[0].items[0].asin == "B000000001"
    assert orders[0].items[0].quantity_ordered == 1


def test_text_survives_each_encoding() -> None:
    """Non-ASCII product names decode correctly in cp1252, cp932 and UTF-8 with a BOM."""
    assert _orders("unshipped.hand.200.3.tsv")[0].items[0].title == (
        "Küchenwaage „Präzision“ – 5 kg, 12,99 €"
    )
    assert _orders("unshipped.hand.200.4.tsv", "Windows-31J")[0].items[0].title == (
        "エコードット 第4世代 ① スマートスピーカー"
    )
    assert _orders("unshipped.hand.200.5.tsv")[1].items[0].seller_sku == "DE-SKU-Ä"


@pytest.mark.parametrize(
    ("name", "message", "location"),
    [
        pytest.param("unshipped.hand.invalid.1.tsv", "order item id", "line 3", id="no-item-id"),
        pytest.param("unshipped.hand.invalid.2.tsv", "no header", "line 1", id="empty"),
        pytest.param("unshipped.hand.invalid.3.tsv", "order id column", "line 1", id="no-id-col"),
        pytest.param(
            "unshipped.hand.invalid.4.tsv",
            "not a boolean",
            "line 2, column is-buyer-requested-cancellation",
            id="bad-flag",
        ),
        pytest.param("unshipped.hand.invalid.5.tsv", "no order id", "line 3", id="no-order-id"),
    ],
)
def test_invalid_reports_raise_with_line_numbers(name: str, message: str, location: str) -> None:
    """Missing ids, header or a bad flag raise ParseError naming the line."""
    with pytest.raises(ParseError) as info:
        _orders(name)
    assert message in info.value.message
    assert info.value.location == location
    assert info.value.source == "report"


def test_row_errors_do_not_echo_row_contents() -> None:
    """A bad row's error carries no fragment: report rows hold buyer names and addresses."""
    with pytest.raises(ParseError) as info:
        _orders("unshipped.hand.invalid.1.tsv")
    assert info.value.fragment is None
    assert "Seattle" not in str(info.value)


def test_accepts_iterable_of_lines_and_odd_chunks() -> None:
    """Lines, or chunks that cut lines (and UTF-8 characters) anywhere, parse the same."""
    raw = (FIXTURES / "unshipped.hand.200.5.tsv").read_bytes()
    by_file = list(iter_report_orders(io.BytesIO(raw)))
    by_lines = list(iter_report_orders(raw.splitlines(keepends=True)))
    by_chunks = list(iter_report_orders(raw[i : i + 7] for i in range(0, len(raw), 7)))
    assert by_file == by_lines == by_chunks


def test_orders_are_yielded_before_the_stream_ends() -> None:
    """The first order comes out as soon as the second starts: nothing waits for EOF."""
    raw = (FIXTURES / "unshipped.hand.200.1.tsv").read_bytes().splitlines(keepends=True)
    consumed: list[int] = []

    def lines() -> Iterator[bytes]:
        for index, line in enumerate(raw):
            consumed.append(index)
            yield line

    orders = iter_report_orders(lines())
    first = next(orders)
    assert first.amazon_order_id == "111-0000001-0000001"
    assert len(consumed) < len(raw)


def test_non_adjacent_rows_make_separate_orders() -> None:
    """Rows of one order split by another order come out as two orders with the same id."""
    header = b"order-id\torder-item-id\n"
    rows = b"A-1\t1\nB-2\t2\nA-1\t3\n"
    orders = list(iter_report_orders([header + rows]))
    assert [(o.amazon_order_id, len(o.items)) for o in orders] == [
        ("A-1", 1),
        ("B-2", 1),
        ("A-1", 1),
    ]


def test_blank_lines_and_short_rows_are_tolerated() -> None:
    """Blank lines are skipped and rows shorter than the header read missing cells as empty."""
    doc = b"\norder-id\torder-item-id\tsku\tis-buyer-requested-cancellation\n\nA-1\t1\n\n"
    orders = list(iter_report_orders([doc]))
    assert _flags(orders) == [("A-1", [("1", False, None)])]


def test_undecodable_bytes_in_declared_encoding_are_replaced(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A line that is not valid in the declared charset keeps its order (with a warning)."""
    doc = b"order-id\torder-item-id\tproduct-name\nA-1\t1\tbad \xff byte\n"
    orders = list(iter_report_orders([doc], encoding="UTF-8"))
    assert orders[0].items[0].title == "bad \ufffd byte"
    assert "not valid utf-8" in caplog.text


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        pytest.param("Windows-31J", "cp932", id="windows-31j"),
        pytest.param("Shift_JIS", "cp932", id="shift-jis"),
        pytest.param("Cp1252", "cp1252", id="cp1252"),
        pytest.param("UTF-8", "utf-8", id="utf-8"),
        pytest.param('"iso-8859-1"', "iso8859-1", id="quoted-latin-1"),
    ],
)
def test_normalize_encoding(label: str, codec: str) -> None:
    """Java/HTTP charset labels map to the Python codec that reads them."""
    assert normalize_encoding(label) == codec


def test_unknown_encoding_and_non_bytes_raise_parse_error() -> None:
    """An unknown charset or text instead of bytes is a ParseError, not a LookupError."""
    with pytest.raises(ParseError):
        list(iter_text_lines([b"x"], encoding="no-such-charset"))
    with pytest.raises(ParseError):
        list(iter_report_orders(["order-id\torder-item-id\n"]))  # type: ignore[list-item]
    with pytest.raises(ParseError):
        list(iter_report_orders(io.StringIO("order-id\n")))  # type: ignore[arg-type]


def test_a_report_without_the_cancel_columns_does_not_report_the_flag() -> None:
    """Without is-buyer-requested-cancellation the flag is unknown, not "no" (see _merge)."""
    path = Path(__file__).parent.parent / "fixtures" / "report" / "unshipped.hand.200.2.tsv"
    with path.open("rb") as stream:
        flags = [i.buyer_cancel for o in iter_report_orders(stream) for i in o.items]
    assert flags
    assert all(not f.requested and not f.reported for f in flags)
    path = Path(__file__).parent.parent / "fixtures" / "report" / "unshipped.hand.200.3.tsv"
    with path.open("rb") as stream:
        flags = [i.buyer_cancel for o in iter_report_orders(stream) for i in o.items]
    assert all(f.reported for f in flags)


def test_bare_cr_line_endings_are_an_error_not_an_empty_report() -> None:
    """A file with CR-only line endings would read as one header line and no orders."""
    data = (FIXTURES / "unshipped.hand.200.3.tsv").read_bytes()
    bare_cr = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r")
    with pytest.raises(ParseError, match="bare CR"):
        list(iter_report_orders(io.BytesIO(bare_cr)))
