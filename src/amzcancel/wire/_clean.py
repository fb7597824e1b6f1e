"""Reading values that are exactly as Amazon documents them, fast; anything else is not ours.

The wire parsers read every order twice over in spirit: a fast reader takes a whole order whose
every value is clean (a string where a string belongs, an ISO 8601 date in Amazon's usual form,
an integer count, a ``"12.50"`` amount...), and the careful per-field reader of
:mod:`amzcancel.wire._coerce` takes everything else, with its warnings and errors. Each function
here returns the value the careful reader would return for a clean input, and raises
:class:`NotClean` for any other, logging nothing: the caller then hands the whole order to the
careful reader, which says what is wrong exactly as before. The careful readers call these
first too, so both always agree.

Clean means: nothing the careful reader would warn about, coerce or refuse.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, TypeVar

from amzcancel.models import Money

__all__ = [
    "NotClean",
    "choices",
    "clean_choice",
    "clean_count",
    "clean_datetime",
    "clean_first",
    "clean_flag",
    "clean_id",
    "clean_money",
    "clean_object",
    "clean_text",
    "common_datetime",
]

E = TypeVar("E", bound=Enum)
T = TypeVar("T")
U = TypeVar("U")

MAX_INT = 2**63 - 1
"""The largest integer kept (SQLite INTEGER, Java long)."""

_COUNT_DIGITS = 19  # digit strings shorter than this are always below 2**63
_MONEY_KEPT = 4096  # distinct (currency, amount) texts remembered; prices repeat across orders

# The one form every Amazon wire writes its timestamps in. datetime.fromisoformat reads it
# twenty times faster than dateutil, and within this form both give the same instant; every
# other form (and every text fromisoformat refuses) still goes through dateutil, so what is
# accepted, and what is warned about, stays exactly as it was.
_COMMON_FORM = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?"
    r"(?:Z|[+-][0-9]{2}:[0-9]{2})?"
)

# The flag's spellings on the wires, read without .strip().lower(); parse_flag takes the rest.
_FLAGS: dict[Any, bool] = {
    "true": True,
    "false": False,
    "True": True,
    "False": False,
    "TRUE": True,
    "FALSE": False,
    "1": True,
    "0": False,
    "": False,
}


class NotClean(Exception):
    """The value is not exactly as documented: leave the order to the careful reader."""


def clean_first(
    clean: Callable[[Any], T], careful: Callable[[Any, str], U]
) -> Callable[[Any, str], T | U]:
    """A reader of one wire object at a location: ``clean`` if it can, else ``careful``.

    ``clean`` reads the value alone (it needs no location: it never reports anything);
    ``careful`` reads it again from the start, warning about and refusing what it must.
    """

    def read(value: Any, where: str) -> T | U:
        try:
            return clean(value)
        except NotClean:
            return careful(value, where)

    return read


def clean_text(value: Any) -> str | None:
    """An optional string: ``None`` for missing or blank, stripped otherwise."""
    if value is None:
        return None
    if type(value) is not str:
        raise NotClean
    return value.strip() or None


def clean_id(value: Any) -> str:
    """A required, non-empty string (ids the job depends on), stripped."""
    if type(value) is not str:
        raise NotClean
    text = value.strip()
    if not text:
        raise NotClean
    return text


def clean_count(value: Any) -> int | None:
    """A count of units: a non-negative integer below 2**63, or ``None`` when missing.

    Integers (JSON) and plain ASCII digits (XML, reports) are clean.
    """
    if value is None:
        return None
    kind = type(value)
    if kind is int:
        if 0 <= value <= MAX_INT:
            return int(value)
    elif kind is str and value.isdigit() and value.isascii() and len(value) < _COUNT_DIGITS:
        return int(value)
    raise NotClean


def common_datetime(text: str) -> datetime | None:
    """``text`` as an aware UTC datetime if it is in Amazon's usual form, else ``None``.

    The form is ``YYYY-MM-DDTHH:MM:SS[.ffffff][Z|+HH:MM]`` (no zone means UTC). ``None`` says
    nothing about validity: the caller reads anything else the slow, general way.
    """
    if not _in_common_form(text):
        return None
    try:
        parsed = datetime.fromisoformat(text)
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def _in_common_form(text: str) -> bool:
    # Nearly every Amazon timestamp is YYYY-MM-DDTHH:MM:SSZ or YYYY-MM-DDTHH:MM:SS.mmmZ: those
    # two are told by their separators alone (the regex costs more than the parsing), since
    # fromisoformat then accepts them only with digits in every other place.
    size = len(text)
    if (
        (size == 20 or (size == 24 and text[19] == "." and text[20:23].isdigit()))
        and text[23 if size == 24 else 19] == "Z"
        and text[4] == "-"
        and text[7] == "-"
        and text[10] == "T"
        and text[13] == ":"
        and text[16] == ":"
        and text.isascii()
    ):
        return True
    return _COMMON_FORM.fullmatch(text) is not None


def clean_datetime(value: Any) -> datetime | None:
    """An optional date-time in Amazon's usual form, in UTC; ``None`` when missing or blank."""
    if value is None:
        return None
    if type(value) is not str:
        raise NotClean
    text = value.strip()
    if not text:
        return None
    parsed = common_datetime(text)
    if parsed is None:
        raise NotClean
    return parsed


def clean_object(value: Any) -> Mapping[str, Any] | None:
    """An optional JSON object (a dict, as ``json.loads`` gives it); ``None`` when missing."""
    if value is None or type(value) is dict:
        return value
    raise NotClean


def clean_flag(value: Any) -> bool:
    """A buyer-cancel flag in one of its documented spellings; missing is false."""
    if value is None:
        return False
    if type(value) is bool:
        return value
    if type(value) is str:
        flag = _FLAGS.get(value)
        if flag is not None:
            return flag
    raise NotClean


def clean_money(currency: Any, amount: Any) -> Money:
    """A money value from a currency code and a finite decimal amount, both strings."""
    key = (currency, amount)
    if type(currency) is not str or type(amount) is not str:
        raise NotClean
    money = _MONEY.get(key)
    if money is not None:
        return money
    code = currency.strip()
    try:
        value = Decimal(amount.strip())
    except InvalidOperation:
        raise NotClean from None
    if not code or not value.is_finite():
        raise NotClean
    money = Money(currency_code=code, amount=value)
    if len(_MONEY) >= _MONEY_KEPT:
        _MONEY.clear()
    _MONEY[key] = money
    return money


# Money read from the same texts, shared: Money is frozen, so one instance serves every order.
_MONEY: dict[tuple[str, str], Money] = {}


def choices(enum_cls: type[E], aliases: Mapping[str, E] | None = None) -> dict[str, E]:
    """The table :func:`clean_choice` reads: members by upper-cased value, then ``aliases``."""
    table = dict(aliases or {})
    table.update({str(member.value).upper(): member for member in enum_cls})
    return table


def clean_choice(table: Mapping[str, E], value: Any) -> E | None:
    """A value of a closed vocabulary (case-insensitive), ``None`` when missing or blank."""
    if value is None:
        return None
    if type(value) is not str:
        raise NotClean
    key = value.strip().upper()
    if not key:
        return None
    member = table.get(key)
    if member is None:
        raise NotClean
    return member
