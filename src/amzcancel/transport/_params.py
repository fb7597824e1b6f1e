"""Turning Python arguments into Amazon's query values, with our errors for bad input.

Added in 0.1.0.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from urllib.parse import quote

from amzcancel.errors import InvalidInputError
from amzcancel.models import format_utc

__all__ = [
    "QueryParams",
    "add",
    "add_date",
    "bool_text",
    "csv",
    "iso_utc",
    "page_size",
    "path_segment",
    "require_one_window",
    "strings",
]

QueryParams = list[tuple[str, str]]


def iso_utc(value: datetime, name: str) -> str:
    """An aware datetime as ISO 8601 UTC with ``Z``; naive datetimes are refused."""
    if not isinstance(value, datetime):
        raise InvalidInputError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInputError(f"{name} must be timezone-aware (e.g. tzinfo=UTC)")
    return format_utc(value)


def csv(values: Iterable[str], name: str, *, max_items: int | None = None) -> str:
    """A list parameter as Amazon's comma-separated form (swagger ``collectionFormat: csv``)."""
    if isinstance(values, str):
        values = [values]
    items = [str(v).strip() for v in values]
    if not items or any(not item for item in items):
        raise InvalidInputError(f"{name} must be a non-empty list of non-empty values")
    if max_items is not None and len(items) > max_items:
        raise InvalidInputError(f"{name} takes at most {max_items} values, got {len(items)}")
    return ",".join(items)


def bool_text(value: bool) -> str:
    """A boolean query value as Amazon writes it."""
    return "true" if value else "false"


def path_segment(value: str, name: str) -> str:
    """A path parameter, percent-encoded so ``/`` cannot escape the segment."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(f"{name} must be a non-empty string")
    return quote(value.strip(), safe="")


def page_size(value: int | None, name: str) -> str | None:
    """``maxResultsPerPage``: 1 to 100."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100:
        raise InvalidInputError(f"{name} must be an integer from 1 to 100, got {value!r}")
    return str(value)


def add(params: QueryParams, name: str, value: str | None) -> None:
    """Append ``name=value`` unless the value is ``None``."""
    if value is not None:
        params.append((name, value))


def add_date(params: QueryParams, name: str, value: datetime | None) -> None:
    """Append ``name`` as ISO 8601 UTC unless the value is ``None`` (naive datetimes refused)."""
    add(params, name, None if value is None else iso_utc(value, name))


def require_one_window(
    *,
    created_after: datetime | None,
    created_before: datetime | None,
    last_updated_after: datetime | None,
    last_updated_before: datetime | None,
    required: bool,
) -> None:
    """Amazon's rule: exactly one of created/last-updated windows, never both kinds."""
    created = created_after is not None or created_before is not None
    updated = last_updated_after is not None or last_updated_before is not None
    if created and updated:
        raise InvalidInputError(
            "created_* and last_updated_* filters cannot be combined; use one kind of window"
        )
    if created_before is not None and created_after is None:
        raise InvalidInputError("created_before needs created_after")
    if last_updated_before is not None and last_updated_after is None:
        raise InvalidInputError("last_updated_before needs last_updated_after")
    if required and created_after is None and last_updated_after is None:
        raise InvalidInputError("one of created_after or last_updated_after is required")


def strings(values: Sequence[str] | None, name: str, *, max_items: int | None = None) -> str | None:
    """An optional list parameter."""
    return None if values is None else csv(values, name, max_items=max_items)
