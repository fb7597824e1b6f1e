"""Value coercions shared by the wire parsers.

Amazon writes the same fact differently on every wire: the buyer-cancel flag is an xs:boolean
in MWS, the *string* ``"true"``/``"false"`` in SP-API v0, a JSON boolean in notifications and
``TRUE``/``FALSE`` in reports. Dates come with offsets, without them, with fractions, and in
Amazon's own examples sometimes broken (``2013-09-071T02:00:00``). These helpers turn them into
Python values, strictly where the job needs the value and leniently (warn, keep the order)
where it does not.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, TypeVar, cast

from dateutil import parser as date_parser

from amzcancel.errors import ParseError
from amzcancel.models import BuyerCancel, Money
from amzcancel.wire._clean import (
    MAX_INT,
    NotClean,
    clean_count,
    clean_datetime,
    clean_flag,
    clean_money,
    common_datetime,
)

__all__ = [
    "buyer_cancel",
    "lenient_datetime",
    "lenient_decimal",
    "lenient_enum",
    "lenient_int",
    "lenient_money",
    "lenient_quantity",
    "optional_text",
    "parse_flag",
    "strict_datetime",
    "strict_text",
    "unit_count",
]

logger = logging.getLogger("amzcancel.wire")

E = TypeVar("E", bound=Enum)

_MAX_INT = MAX_INT  # SQLite INTEGER, Java long
_MIN_INT = -(2**63)
_SHOWN_CHARS = 80  # of a malformed value quoted in a warning
_TRUE = frozenset({"true", "1"})
_FALSE = frozenset({"false", "0", ""})


def parse_flag(value: Any, *, source: str, location: str) -> bool:
    """Read a buyer-cancel style flag in any of Amazon's forms.

    ``True``/``"true"``/``"True"``/``"TRUE"``/``"1"`` are true; ``False``/``"false"``/``""``/
    ``"0"``/``None`` (missing) are false. Anything else is a :class:`ParseError`: a flag we
    cannot read must never be guessed, because guessing wrong mislabels a cancellation.
    """
    try:
        return clean_flag(value)
    except NotClean:
        pass
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise ParseError("not a boolean flag", source=source, location=location, fragment=str(value))


_NOT_REQUESTED = BuyerCancel(requested=False, reason=None)


def buyer_cancel(requested: bool, reason: str | None) -> BuyerCancel:
    """``BuyerCancel(requested=..., reason=...)``; the common "not requested" one is shared."""
    if not requested and reason is None:
        return _NOT_REQUESTED
    return BuyerCancel(requested=requested, reason=reason)


def strict_text(value: Any, *, source: str, location: str) -> str:
    """A required, non-empty string (ids the job depends on)."""
    if isinstance(value, bool) or value is None:
        raise ParseError("required value is missing", source=source, location=location)
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise ParseError(
            "required value is missing or empty",
            source=source,
            location=location,
            fragment=None if value is None else str(value),
        )
    return value.strip()


def optional_text(value: Any) -> str | None:
    """An optional string: ``None`` for missing or blank, stripped otherwise."""
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text or None


def _to_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            raise ValueError("empty date")
        common = common_datetime(text)
        if common is not None:
            return common
        parsed = date_parser.isoparse(text)
    else:
        raise ValueError(f"not a date: {value!r}")
    if parsed.tzinfo is None:
        # Amazon's dates are UTC unless they say otherwise (MWS docs, SP-API ISO 8601 page).
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def strict_datetime(value: Any, *, source: str, location: str) -> datetime:
    """A datetime the job needs; a malformed one is a :class:`ParseError`."""
    try:
        return _to_datetime(value)
    except (ValueError, OverflowError) as exc:
        raise ParseError(
            "not an ISO 8601 date-time", source=source, location=location, fragment=str(value)
        ) from exc


def lenient_datetime(value: Any, *, source: str, location: str) -> datetime | None:
    """A datetime the job can do without: ``None`` (and a warning) when malformed."""
    try:
        return clean_datetime(value)
    except NotClean:
        pass
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return _to_datetime(value)
    except (ValueError, OverflowError):
        logger.warning("%s: ignoring malformed date at %s: %s", source, location, _shown(value))
        return None


def _shown(value: Any) -> str:
    """A malformed value as it may appear in a log line: quoted and cut short."""
    text = repr(value)
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 3] + "..."


def lenient_int(
    value: Any, *, source: str, location: str, minimum: int | None = None
) -> int | None:
    """An integer the job can do without: ``None`` (and a warning) when malformed.

    ``minimum`` rejects values below it the same way (a quantity is never negative).
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        logger.warning("%s: ignoring boolean where a number belongs at %s", source, location)
        return None
    if isinstance(value, int):
        result = value
    else:
        try:
            number = float(str(value).strip())
        except ValueError:
            logger.warning(
                "%s: ignoring malformed number at %s: %s", source, location, _shown(value)
            )
            return None
        if not math.isfinite(number) or number != int(number):
            logger.warning("%s: ignoring non-integer at %s: %s", source, location, _shown(value))
            return None
        result = int(number)
    # A 4000-digit quantity is no quantity; it would also overflow SQLite and ERP integers.
    if not _MIN_INT <= result <= _MAX_INT:
        logger.warning("%s: ignoring out-of-range number at %s", source, location)
        return None
    if minimum is not None and result < minimum:
        logger.warning("%s: ignoring number below %d at %s: %d", source, minimum, location, result)
        return None
    return result


def lenient_quantity(value: Any, *, source: str, location: str) -> int | None:
    """A count of units: a non-negative integer, or ``None`` (and a warning) when malformed."""
    try:
        return clean_count(value)
    except NotClean:
        return lenient_int(value, source=source, location=location, minimum=0)


def unit_count(shipped: int | None, unshipped: int | None) -> int | None:
    """An order's units from its shipped and unshipped counts (``None`` when both are absent)."""
    if shipped is None and unshipped is None:
        return None
    return (shipped or 0) + (unshipped or 0)


def lenient_decimal(value: Any, *, source: str, location: str) -> Decimal | None:
    """A money amount the job can do without: ``None`` (and a warning) when malformed."""
    if value is None or isinstance(value, bool):
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        logger.warning("%s: ignoring malformed amount at %s: %s", source, location, _shown(value))
        return None
    if not amount.is_finite():
        logger.warning("%s: ignoring non-finite amount at %s: %s", source, location, _shown(value))
        return None
    return amount


def lenient_money(
    currency: Any, amount: Any, *, source: str, location: str, amount_location: str
) -> Money | None:
    """A money value the job can do without: ``None`` (and a warning) unless both parts read."""
    try:
        return clean_money(currency, amount)
    except NotClean:
        pass
    value = lenient_decimal(amount, source=source, location=amount_location)
    code = optional_text(currency)
    if code is None or value is None:
        logger.warning("%s: ignoring incomplete money value at %s", source, location)
        return None
    return Money(currency_code=code, amount=value)


@functools.cache
def _members_by_folded_value(enum_cls: type[Enum]) -> dict[str, Enum]:
    return {str(member.value).upper(): member for member in enum_cls}


def lenient_enum(
    enum_cls: type[E],
    value: Any,
    *,
    source: str,
    location: str,
    aliases: Mapping[str, E] | None = None,
) -> E | None:
    """A value from a closed vocabulary the job can do without (a status, a channel).

    The text is matched case-insensitively against the members' values, then against
    ``aliases`` (another wire's spellings, keyed in upper case, e.g. 2026-01-01's
    ``CANCELLED``). Missing or blank is ``None``; an unknown value is ``None`` and a warning,
    and the order is kept.
    """
    text = optional_text(value)
    if text is None:
        return None
    key = text.upper()
    member = _members_by_folded_value(enum_cls).get(key)
    if member is None and aliases is not None:
        member = aliases.get(key)
    if member is None:
        logger.warning(
            "%s: ignoring unknown %s at %s: %s", source, enum_cls.__name__, location, _shown(value)
        )
        return None
    return cast(E, member)
