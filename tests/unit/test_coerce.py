"""Shared lenient coercions (wire/_coerce.py): closed vocabularies and money values."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

import pytest

from amzcancel.models import FulfillmentChannel, Money, OrderStatus
from amzcancel.wire import spapi_v0
from amzcancel.wire._coerce import lenient_enum, lenient_int, lenient_money, lenient_quantity


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("Unshipped", OrderStatus.UNSHIPPED, id="exact"),
        pytest.param(" partiallyshipped ", OrderStatus.PARTIALLY_SHIPPED, id="case-and-space"),
        pytest.param("CANCELLED", OrderStatus.CANCELED, id="alias"),
        pytest.param(None, None, id="missing"),
        pytest.param("  ", None, id="blank"),
    ],
)
def test_lenient_enum_reads_members_and_aliases(value: Any, expected: OrderStatus | None) -> None:
    """Values match members case-insensitively, then the wire's aliases; absent is ``None``."""
    aliases = {"CANCELLED": OrderStatus.CANCELED}
    got = lenient_enum(OrderStatus, value, source="test", location="$.s", aliases=aliases)
    assert got is expected


def test_lenient_enum_warns_and_drops_unknown_values(caplog: pytest.LogCaptureFixture) -> None:
    """An unknown value is ``None`` with a warning naming the source, the place and the value."""
    caplog.set_level(logging.WARNING, logger="amzcancel")
    got = lenient_enum(FulfillmentChannel, "Drone", source="spapi-v0", location="$.o.fc")
    assert got is None
    assert "spapi-v0" in caplog.text
    assert "$.o.fc" in caplog.text
    assert "'Drone'" in caplog.text


def test_lenient_enum_without_aliases_ignores_other_wires_spellings() -> None:
    """Without aliases only the members' own values are read."""
    assert lenient_enum(OrderStatus, "CANCELLED", source="mws", location="/x") is None


def test_v0_status_and_channel_are_read_case_insensitively_like_every_other_wire() -> None:
    """A v0 order with ``unshipped``/``mfn`` keeps its status and channel (as MWS and
    notifications always did), so the policy can still judge it."""
    order = spapi_v0.parse_get_order(
        {
            "payload": {
                "AmazonOrderId": "902-1845936-5435065",
                "OrderStatus": "unshipped",
                "FulfillmentChannel": "mfn",
            }
        }
    )
    assert order.status is OrderStatus.UNSHIPPED
    assert order.fulfillment_channel is FulfillmentChannel.MFN


@pytest.mark.parametrize(
    ("currency", "amount", "expected"),
    [
        pytest.param("USD", "12.50", Money(currency_code="USD", amount=Decimal("12.50")), id="ok"),
        pytest.param(None, "12.50", None, id="no-currency"),
        pytest.param("USD", "twelve", None, id="bad-amount"),
        pytest.param("USD", None, None, id="no-amount"),
    ],
)
def test_lenient_money_needs_both_parts(
    currency: str | None, amount: str | None, expected: Money | None
) -> None:
    """A money value reads only with a currency and a finite amount; otherwise ``None``."""
    got = lenient_money(currency, amount, source="t", location="$.m", amount_location="$.m.a")
    assert got == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("3", 3, id="text"),
        pytest.param(0, 0, id="zero"),
        pytest.param(-1, None, id="negative-int"),
        pytest.param("-2", None, id="negative-text"),
    ],
)
def test_a_quantity_is_never_negative(value: object, expected: int | None) -> None:
    """Units ordered or shipped below zero are malformed and dropped, keeping the order."""
    assert lenient_quantity(value, source="spapi-v0", location="$.Q") == expected


def test_warnings_quote_a_malformed_value_only_in_part(caplog: pytest.LogCaptureFixture) -> None:
    """A huge malformed value is cut short in the log line, not copied whole."""
    lenient_int("x" * 5000, source="report", location="line 2")
    assert "x" * 100 not in caplog.text
    assert "..." in caplog.text


@pytest.mark.parametrize("text", ["yes", "no", "Y", "t", "f", "on", "2", "truee"])
def test_a_flag_is_never_guessed(text: str) -> None:
    """Only Amazon's forms (true/false in any case, 1/0, booleans, missing) are read."""
    from amzcancel.errors import ParseError
    from amzcancel.wire._coerce import parse_flag

    with pytest.raises(ParseError):
        parse_flag(text, source="spapi-v0", location="$.x")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("TRUE", True), (" True ", True), ("1", True), (1, True), (True, True),
     ("false", False), ("FALSE", False), ("0", False), ("", False), (None, False), (False, False)],
)  # fmt: skip
def test_amazons_flag_forms_are_read(value: object, expected: bool) -> None:
    """Every form the issue lists normalises to a real bool."""
    from amzcancel.wire._coerce import parse_flag

    assert parse_flag(value, source="spapi-v0", location="$.x") is expected
