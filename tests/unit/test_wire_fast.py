"""The fast readers answer exactly as the careful per-field readers would.

Every wire parser reads an order whose values are all as documented with a fast reader (built
on ``amzcancel.wire._clean``) and hands any other order to the careful reader, which warns about
and refuses what it must. These tests hold the two to the same answer: the same models (down to
``model_fields_set`` and time zones), the same warnings, the same errors, whatever the input.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from dateutil.parser import isoparse
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from amzcancel.errors import AmzCancelError
from amzcancel.models import Money, Order, OrderStatus
from amzcancel.wire import mws, notifications, spapi_2026, spapi_v0
from amzcancel.wire._clean import (
    NotClean,
    choices,
    clean_choice,
    clean_count,
    clean_datetime,
    clean_flag,
    clean_id,
    clean_money,
    clean_object,
    clean_text,
    common_datetime,
)
from amzcancel.wire._coerce import lenient_money
from amzcancel.wire._json import decode_json

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

JsonParse = Callable[[Any], Any]


def _never_clean(value: Any) -> Any:
    raise NotClean


# Each module's fast readers, replaced by the careful readers they fall back to (or, where a
# listing page offers each order to the fast reader itself, by one that finds nothing clean).
_CAREFUL = {
    mws: {"_clean_order": _never_clean, "_read_item": mws._item},
    spapi_v0: {
        "_clean_order": _never_clean,
        "_read_order": spapi_v0._order,
        "_read_item": spapi_v0._item,
    },
    spapi_2026: {"_clean_order": _never_clean, "_read_order": spapi_2026._order},
    notifications: {"_read_change": notifications._change},
}


@contextlib.contextmanager
def careful_only() -> Iterator[None]:
    """Every parser reads every order with the careful reader alone, as before the fast ones."""
    with contextlib.ExitStack() as stack:
        for module, readers in _CAREFUL.items():
            stack.enter_context(mock.patch.multiple(module, **readers))  # type: ignore[arg-type]
        yield


def _shape(value: Any) -> Any:
    """A model tree as plain data, with what equality leaves out: fields set, zone types."""
    if isinstance(value, BaseModel):
        return {
            "type": type(value).__name__,
            "set": sorted(value.model_fields_set),
            "fields": {name: _shape(getattr(value, name)) for name in type(value).model_fields},
        }
    if isinstance(value, list | tuple):
        return [_shape(item) for item in value]
    if isinstance(value, datetime):
        return (repr(value), type(value.tzinfo).__name__)
    return repr(value)


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.name} {record.levelname} {record.getMessage()}")


def outcome(parse: JsonParse, doc: Any) -> tuple[Any, list[str]]:
    """What ``parse(doc)`` returns (or raises), and every log line it writes."""
    records = _Records()
    logger = logging.getLogger("amzcancel")
    logger.addHandler(records)
    level = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        result = parse(doc)
        answer = _shape(list(result) if isinstance(result, Iterator) else result)
    except AmzCancelError as exc:
        answer = (type(exc).__name__, str(exc), getattr(exc, "location", None))
    finally:
        logger.removeHandler(records)
        logger.setLevel(level)
    return answer, records.lines


def assert_same_as_careful(parse: JsonParse, doc: Any) -> None:
    fast = outcome(parse, doc)
    with careful_only():
        careful = outcome(parse, doc)
    assert fast == careful


JSON_PARSERS: dict[str, list[JsonParse]] = {
    "spapi_2026": [spapi_2026.parse_search_orders, spapi_2026.parse_get_order],
    "spapi_v0": [
        spapi_v0.parse_get_orders,
        spapi_v0.parse_get_order,
        spapi_v0.parse_get_order_items,
    ],
    "notification": [notifications.parse_order_change, notifications.iter_order_changes],
}
XML_PARSERS: list[JsonParse] = [mws.parse_list_orders, mws.parse_list_order_items]
JSON_SEEDS = sorted(path for folder in JSON_PARSERS for path in (FIXTURES / folder).glob("*.json"))
XML_SEEDS = sorted((FIXTURES / "mws").glob("*.xml"))
# The unsafe and malformed documents cannot go through the stdlib parser the mutator uses.
WELL_FORMED_XML = [
    path
    for path in XML_SEEDS
    if path.name not in {f"ListOrders.hand.200.{n}.xml" for n in (6, 7, 8)}
]

# Values a clean reader must take, or must leave to the careful one.
TRICKY: list[Any] = [
    None,
    True,
    False,
    0,
    1,
    -1,
    2**63,
    3.5,
    "",
    "  ",
    "x",
    " padded ",
    "12",
    "\u0661\u0662",
    "12.50",
    " 12.50 ",
    "1e3",
    "NaN",
    "Infinity",
    "-0",
    "true",
    "TRUE",
    " true",
    "false",
    "0",
    "maybe",
    "BUYER",
    " buyer ",
    "SELLER",
    "Unshipped",
    "UNSHIPPED",
    "CANCELLED",
    "MERCHANT",
    "AFN",
    "2026-11-20T08:00:00Z",
    "2026-11-20T08:00:00.250Z",
    "2026-11-20T08:00:00",
    "2026-11-20T08:00:00+05:30",
    "2026-11-20T08:00:00.Z",
    "2026-11-20T08:00:00+05:30:15",
    "2026-11-20T24:00:00Z",
    "2013-09-071T02:00:00",
    "0001-01-01T00:00:00+05:00",
    "2026-11-20 08:00:00Z",
    "2017-02-25T18%3A10%3A21.687Z",
    [],
    {},
    ["x"],
    {"amount": "1", "currencyCode": "USD"},
    {"requester": "BUYER"},
    {"cancellationRequest": {"requester": "BUYER", "cancelReason": "r"}},
    {"cancellationExecution": {"cancelledBy": "BUYER"}},
]


def _size(node: Any) -> int:
    """How many nodes a decoded JSON document has, itself included."""
    if isinstance(node, dict):
        return 1 + sum(map(_size, node.values()))
    if isinstance(node, list):
        return 1 + sum(map(_size, node))
    return 1


def _rebuilt(node: Any, replacements: dict[int, Any]) -> Any:
    """``node`` with the nodes at the given positions (in document order) replaced."""
    positions = itertools.count()

    def rebuild(value: Any) -> Any:
        position = next(positions)
        if position in replacements:
            return replacements[position]
        if isinstance(value, dict):
            return {key: rebuild(item) for key, item in value.items()}
        if isinstance(value, list):
            return [rebuild(item) for item in value]
        return value

    return rebuild(node)


def _parsers_for(seed: Path) -> list[JsonParse]:
    return JSON_PARSERS[seed.parent.name]


@pytest.mark.parametrize("seed", [pytest.param(p, id=p.name) for p in JSON_SEEDS + XML_SEEDS])
def test_every_fixture_reads_the_same_fast_and_carefully(seed: Path) -> None:
    """Each fixture, through each parser of its wire, gives what the careful reader gives."""
    parsers = XML_PARSERS if seed.suffix == ".xml" else _parsers_for(seed)
    for parse in parsers:
        assert_same_as_careful(parse, seed.read_bytes())


@given(seed=st.sampled_from(JSON_SEEDS), data=st.data())
def test_json_with_values_replaced_reads_the_same(seed: Path, data: st.DataObject) -> None:
    """Any nodes of a JSON fixture replaced by tricky values: same models, warnings, errors."""
    doc = json.loads(seed.read_bytes())
    positions = st.integers(1, _size(doc) - 1) if _size(doc) > 1 else st.just(0)
    replacements = data.draw(st.dictionaries(positions, st.sampled_from(TRICKY), max_size=3))
    doc = _rebuilt(doc, replacements)
    for parse in _parsers_for(seed):
        assert_same_as_careful(parse, json.dumps(doc))


@given(seed=st.sampled_from(WELL_FORMED_XML), data=st.data())
def test_xml_with_texts_replaced_reads_the_same(seed: Path, data: st.DataObject) -> None:
    """MWS fixtures with element texts replaced or elements dropped read the same both ways."""
    root = ET.fromstring(seed.read_bytes())
    for _ in range(data.draw(st.integers(1, 4))):
        parents = [element for element in root.iter() if len(element)]
        parent = data.draw(st.sampled_from(parents))
        target = data.draw(st.sampled_from(list(parent)))
        if data.draw(st.booleans()) and len(parent) > 1:
            parent.remove(target)
        else:
            target.text = data.draw(st.sampled_from([t for t in TRICKY if isinstance(t, str)]))
    for parse in XML_PARSERS:
        assert_same_as_careful(parse, ET.tostring(root))


@pytest.mark.parametrize(
    ("name", "clean", "raw_orders"),
    [
        pytest.param(
            "spapi_2026/searchOrders.hand.200.1.json",
            spapi_2026._clean_order,
            lambda doc: doc["orders"],
            id="spapi-2026",
        ),
        pytest.param(
            "spapi_v0/getOrders.model.200.1.json",
            spapi_v0._clean_order,
            lambda doc: doc["payload"]["Orders"],
            id="spapi-v0-orders",
        ),
        pytest.param(
            "spapi_v0/getOrderItems.model.200.1.json",
            spapi_v0._clean_item,
            lambda doc: doc["payload"]["OrderItems"],
            id="spapi-v0-items",
        ),
        pytest.param(
            "notification/orderChange.model.200.1.json",
            notifications._clean_change,
            lambda doc: [doc],
            id="notification",
        ),
    ],
)
def test_documented_json_takes_the_fast_reader(
    name: str, clean: Callable[[Any], Any], raw_orders: Callable[[Any], list[Any]]
) -> None:
    """Documents shaped as Amazon documents them never need the careful reader."""
    for raw in raw_orders(json.loads((FIXTURES / name).read_bytes())):
        assert isinstance(clean(raw), dict)


@pytest.mark.parametrize(
    ("name", "clean", "path"),
    [
        pytest.param(
            "ListOrdersByNextToken.model.200.1.xml", mws._clean_order, "Orders", id="orders"
        ),
        pytest.param("ListOrderItems.hand.200.1.xml", mws._clean_item, "OrderItems", id="items"),
    ],
)
def test_documented_xml_takes_the_fast_reader(
    name: str, clean: Callable[[ET.Element], Any], path: str
) -> None:
    """MWS orders and items as Amazon documents them never need the careful reader."""
    root = ET.fromstring((FIXTURES / "mws" / name).read_bytes())
    (result,) = [element for element in root if element.tag.endswith("Result")]
    (listing,) = [element for element in result if element.tag.endswith(path)]
    assert len(listing) > 0
    for element in listing:
        assert isinstance(clean(element), dict)


# --- the clean values themselves ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("read", "value", "expected"),
    [
        pytest.param(clean_text, " SKU-1 ", "SKU-1", id="text-stripped"),
        pytest.param(clean_text, "  ", None, id="text-blank"),
        pytest.param(clean_text, None, None, id="text-missing"),
        pytest.param(clean_id, " 902-1 ", "902-1", id="id"),
        pytest.param(clean_count, 3, 3, id="count-int"),
        pytest.param(clean_count, "3", 3, id="count-digits"),
        pytest.param(clean_count, None, None, id="count-missing"),
        pytest.param(clean_count, 2**63 - 1, 2**63 - 1, id="count-largest"),
        pytest.param(clean_flag, None, False, id="flag-missing"),
        pytest.param(clean_flag, "TRUE", True, id="flag-upper"),
        pytest.param(clean_flag, "0", False, id="flag-zero"),
        pytest.param(clean_flag, True, True, id="flag-bool"),
        pytest.param(clean_object, None, None, id="object-missing"),
        pytest.param(clean_datetime, " ", None, id="date-blank"),
        pytest.param(
            clean_datetime,
            "2026-11-20T08:00:00.250-05:00",
            datetime(2026, 11, 20, 13, 0, 0, 250000, tzinfo=UTC),
            id="date-offset",
        ),
    ],
)
def test_clean_values_read_as_the_careful_reader_reads_them(
    read: Callable[[Any], Any], value: Any, expected: Any
) -> None:
    """Clean values come out as the careful reader returns them."""
    assert read(value) == expected


@pytest.mark.parametrize(
    ("read", "value"),
    [
        pytest.param(clean_text, 5, id="text-number"),
        pytest.param(clean_id, "  ", id="id-blank"),
        pytest.param(clean_id, 7, id="id-number"),
        pytest.param(clean_count, True, id="count-bool"),
        pytest.param(clean_count, -1, id="count-negative"),
        pytest.param(clean_count, 2**63, id="count-too-large"),
        pytest.param(clean_count, "\u0661", id="count-arabic-digit"),
        pytest.param(clean_count, "1.0", id="count-decimal-text"),
        pytest.param(clean_count, 1.0, id="count-float"),
        pytest.param(clean_flag, " true", id="flag-padded"),
        pytest.param(clean_flag, "yes", id="flag-yes"),
        pytest.param(clean_flag, 1, id="flag-int"),
        pytest.param(clean_object, [], id="object-list"),
        pytest.param(clean_datetime, "2013-09-071T02:00:00", id="date-broken"),
        pytest.param(clean_datetime, "2026-11-20T08:00:00.Z", id="date-empty-fraction"),
        pytest.param(clean_datetime, 1_569_521_782, id="date-number"),
    ],
)
def test_anything_else_is_left_to_the_careful_reader(
    read: Callable[[Any], Any], value: Any
) -> None:
    """A value that is not exactly as documented raises NotClean, and logs nothing."""
    with pytest.raises(NotClean):
        read(value)


def test_clean_choice_reads_members_then_aliases_case_insensitively() -> None:
    """The table matches member values in any case, and the wire's aliases."""
    table = choices(OrderStatus, {"CANCELLED": OrderStatus.CANCELED})
    assert clean_choice(table, " unshipped ") is OrderStatus.UNSHIPPED
    assert clean_choice(table, "Cancelled") is OrderStatus.CANCELED
    assert clean_choice(table, "") is None
    with pytest.raises(NotClean):
        clean_choice(table, "Teleported")


@pytest.mark.parametrize(
    ("currency", "amount"),
    [
        pytest.param("USD", "abc", id="not-a-number"),
        pytest.param("USD", "NaN", id="nan"),
        pytest.param(" ", "1.00", id="no-currency"),
        pytest.param("USD", 1.5, id="float"),
        pytest.param(None, "1.00", id="missing-currency"),
    ],
)
def test_money_that_is_not_clean_is_never_remembered(currency: Any, amount: Any) -> None:
    """Odd money raises NotClean every time, so the careful reader warns every time."""
    for _ in range(2):
        with pytest.raises(NotClean):
            clean_money(currency, amount)


def test_money_read_twice_is_the_same_value(caplog: pytest.LogCaptureFixture) -> None:
    """A remembered money value equals a fresh one; a bad one still warns on every read."""
    first = clean_money("USD", "12.50")
    assert first == Money(currency_code="USD", amount=Decimal("12.50"))
    assert clean_money("USD", "12.50") is first
    caplog.set_level(logging.WARNING, logger="amzcancel")
    for _ in range(2):
        assert (
            lenient_money("USD", "x", source="t", location="$.m", amount_location="$.m.a") is None
        )
    assert caplog.text.count("ignoring malformed amount at $.m.a") == 2


_SUFFIXES = ["", "Z", "+00:00", "-05:30", "+14:00", "+0530", "+05", "-00:00", "+24:00", "z"]
_FRACTIONS = ["", ".0", ".250", ".123456", ".1234567", ".", ",5"]


@given(
    moment=st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    fraction=st.sampled_from(_FRACTIONS),
    suffix=st.sampled_from(_SUFFIXES),
    separator=st.sampled_from(["T", " ", "t"]),
)
def test_the_fast_date_reading_agrees_with_dateutil(
    moment: datetime, fraction: str, suffix: str, separator: str
) -> None:
    """Wherever fromisoformat is trusted, it gives dateutil's instant in UTC, to the microsecond."""
    text = moment.strftime(f"%Y-%m-%d{separator}%H:%M:%S") + fraction + suffix
    fast = common_datetime(text)
    if fast is None:
        return
    expected = isoparse(text)
    if expected.tzinfo is None:
        expected = expected.replace(tzinfo=UTC)
    assert fast == expected.astimezone(UTC)
    assert fast.tzinfo is UTC


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-20T08:00:00Z",
        "2026-11-20T08:00:00.687Z",
        "2026-11-20T08:00:00",
        "2026-11-20T08:00:00.5+05:30",
        "2026-11-20T08:00:00-00:00",
    ],
)
def test_amazons_usual_date_forms_take_the_fast_way(text: str) -> None:
    """The forms Amazon writes are read without dateutil (common_datetime answers)."""
    expected = isoparse(text)
    expected = expected.replace(tzinfo=UTC) if expected.tzinfo is None else expected
    assert common_datetime(text) == expected.astimezone(UTC)


def test_a_date_near_the_end_of_time_is_left_to_dateutil() -> None:
    """A date that overflows when moved to UTC is not the fast reader's: None, not an error."""
    assert common_datetime("9999-12-31T23:00:00-05:00") is None
    assert common_datetime("0001-01-01T00:00:00+05:00") is None
    assert datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))).utcoffset()  # the case above


def test_a_clean_page_needs_one_validation_for_all_its_orders() -> None:
    """searchOrders: the fast reader's fields become models in one call, equal to careful ones."""
    doc = (FIXTURES / "spapi_2026" / "searchOrders.hand.200.1.json").read_bytes()
    with mock.patch.object(Order, "__init__", side_effect=AssertionError("one order at a time")):
        page = spapi_2026.parse_search_orders(doc)
    with careful_only():
        assert page == spapi_2026.parse_search_orders(doc)


# --- JSON decoding ------------------------------------------------------------------------------


def _decoded(decode: Callable[[Any], Any], doc: Any) -> Any:
    """What ``decode(doc)`` gives, with NaN made comparable, or the error it raises."""
    try:
        value = decode(doc)
    except (ValueError, RecursionError, TypeError) as exc:
        return (type(exc).__name__, str(exc))
    return json.dumps(value, sort_keys=False, allow_nan=True).replace("NaN", '"NaN"'), repr(value)


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=20,
)
_JSON_TOKENS = st.text(
    alphabet=st.sampled_from(list('{}[]",:0123456789.eE+-truefalsnNIyi\\u \t\n'))
)


@given(
    doc=st.one_of(
        st.builds(json.dumps, _JSON_VALUES, ensure_ascii=st.booleans()),
        _JSON_TOKENS,
        st.builds(lambda text: text.encode("utf-8", "surrogatepass"), _JSON_TOKENS),
        st.binary(max_size=40),
    )
)
def test_json_is_decoded_exactly_as_json_loads_decodes_it(doc: str | bytes) -> None:
    """The faster decoder gives json.loads's value or json.loads's own error, for any input."""
    assert _decoded(decode_json, doc) == _decoded(json.loads, doc)


@pytest.mark.parametrize(
    "doc",
    [
        pytest.param(b'{"a": "\\ud800"}', id="lone-surrogate"),
        pytest.param(b'\xef\xbb\xbf{"a": 1}', id="utf-8-bom"),
        pytest.param('{"a": 1}'.encode("utf-16"), id="utf-16"),
        pytest.param(b"[" * 300 + b"]" * 300, id="300-levels"),
        pytest.param(b'{"a": ' + b"9" * 5000 + b"}", id="5000-digits"),
        pytest.param(b'{"a": "\x01"}', id="control-character"),
        pytest.param(b'{"a": 1} x', id="trailing-text"),
        pytest.param(b'{"a": NaN, "b": -Infinity}', id="nan-and-infinity"),
        pytest.param(b'{"a": 1, "a": 2}', id="duplicate-key"),
    ],
)
def test_json_the_faster_decoder_refuses_still_reads_as_before(doc: bytes) -> None:
    """Texts pydantic's decoder refuses (or reads) come out exactly as json.loads has them."""
    assert _decoded(decode_json, doc) == _decoded(json.loads, doc)


_CLEAN_DOCS = [
    pytest.param(mws.parse_list_orders, "mws/ListOrders.hand.200.1.xml", id="mws-orders"),
    pytest.param(mws.parse_list_order_items, "mws/ListOrderItems.hand.200.1.xml", id="mws-items"),
    pytest.param(spapi_v0.parse_get_orders, "spapi_v0/getOrders.model.200.1.json", id="v0-orders"),
    pytest.param(spapi_v0.parse_get_order, "spapi_v0/getOrder.model.200.1.json", id="v0-order"),
    pytest.param(
        spapi_v0.parse_get_order_items, "spapi_v0/getOrderItems.model.200.1.json", id="v0-items"
    ),
    pytest.param(
        spapi_2026.parse_search_orders, "spapi_2026/searchOrders.hand.200.1.json", id="2026-search"
    ),
    pytest.param(spapi_2026.parse_get_order, "spapi_2026/getOrder.model.200.1.json", id="2026-get"),
    pytest.param(
        notifications.parse_order_change, "notification/orderChange.model.200.1.json", id="note"
    ),
]


@pytest.mark.parametrize(("parse", "name"), _CLEAN_DOCS)
def test_the_comparison_compares_two_readers(parse: JsonParse, name: str) -> None:
    """The fast reader reads clean documents, and careful_only() really switches it off."""
    doc = (FIXTURES / name).read_bytes()
    fast_only = AssertionError("the fast reader ran")
    with contextlib.ExitStack() as stack:
        for module in _CAREFUL:
            stack.enter_context(mock.patch.object(module, "clean_id", side_effect=fast_only))
        with pytest.raises(AssertionError, match="the fast reader ran"):
            parse(doc)
        with careful_only():
            parse(doc)
