"""Value coercions shared by the wire parsers.

Amazon writes the same fact differently on every wire: the buyer-cancel flag is an xs:boolean
in MWS, the *string* ``"true"``/``"false"`` in SP-API v0, a JSON boolean in notifications and
``TRUE``/``FALSE`` in reports. Dates come with offsets, without them, with fractions, and in
Amazon's own examples sometimes broken (``2013-09-071T02:00:00``). These helpers turn them into
Python values, strictly where the job needs the value and leniently (warn, keep the order)
where it does not.
"""

from __future__ import annotations

import logging
import math
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from dateutil import parser as date_parser

from amzcancel.errors import ParseError

__all__ = [
    "lenient_datetime",
    "lenient_decimal",
    "lenient_int",
    "optional_text",
    "parse_flag",
    "strict_datetime",
    "strict_text",
]

logger = logging.getLogger("amzcancel.wire")

_TRUE = frozenset({"true", "1", "yes", "y", "t"})
_FALSE = frozenset({"false", "0", "no", "n", "f", ""})


def parse_flag(value: Any, *, source: str, location: str) -> bool:
    """Read a buyer-cancel style flag in any of Amazon's forms.

    ``True``/``"true"``/``"True"``/``"TRUE"``/``"1"`` are true; ``False``/``"false"``/``""``/
    ``"0"``/``None`` (missing) are false. Anything else is a :class:`ParseError`: a flag we
    cannot read must never be guessed, because guessing wrong mislabels a cancellation.
    """
    if value is None:
        return False
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
    raise ParseError(
        "not a boolean flag", source=source, location=location, fragment=str(value)
    )


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
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return _to_datetime(value)
    except (ValueError, OverflowError):
        logger.warning("%s: ignoring malformed date at %s: %r", source, location, value)
        return None


def lenient_int(value: Any, *, source: str, location: str) -> int | None:
    """An integer the job can do without: ``None`` (and a warning) when malformed."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        logger.warning("%s: ignoring boolean where a number belongs at %s", source, location)
        return None
    if isinstance(value, int):
        return value
    try:
        number = float(str(value).strip())
    except ValueError:
        logger.warning("%s: ignoring malformed number at %s: %r", source, location, value)
        return None
    if not math.isfinite(number) or number != int(number):
        logger.warning("%s: ignoring non-integer at %s: %r", source, location, value)
        return None
    return int(number)


def lenient_decimal(value: Any, *, source: str, location: str) -> Decimal | None:
    """A money amount the job can do without: ``None`` (and a warning) when malformed."""
    if value is None or isinstance(value, bool):
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        logger.warning("%s: ignoring malformed amount at %s: %r", source, location, value)
        return None
    if not amount.is_finite():
        logger.warning("%s: ignoring non-finite amount at %s: %r", source, location, value)
        return None
    return amount
