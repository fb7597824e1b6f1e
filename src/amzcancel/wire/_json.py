"""Loading JSON documents for the wire parsers, with errors in our hierarchy."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from typing import Any

from pydantic_core import from_json

from amzcancel.errors import ParseError

__all__ = ["JsonInput", "decode_json", "load_json_object", "require_array", "require_object"]

JsonInput = bytes | bytearray | str | Mapping[str, Any]


def decode_json(doc: bytes | bytearray | str) -> Any:
    """Decode a JSON text exactly as ``json.loads`` does, at the speed of pydantic's decoder.

    pydantic-core's decoder (jiter, shipped with pydantic) reads a page in half the time or
    less. It refuses some texts ``json.loads`` reads (lone surrogates, a UTF-8 BOM, UTF-16,
    nesting past 200 levels) and everything ``json.loads`` refuses; whatever it refuses is
    handed to ``json.loads``, so every result and every error is ``json.loads``'s own. Where both
    read a text they agree (held by a differential test in ``tests/unit/test_wire_fast.py``).

    Raises:
        ValueError, RecursionError, TypeError: as ``json.loads`` raises them.
    """
    # Any refusal at all: json.loads gives the answer, or its own error (outside the handler,
    # so that no jiter error is chained to it).
    with contextlib.suppress(Exception):
        return from_json(doc)
    return json.loads(doc)


def load_json_object(doc: JsonInput, *, source: str) -> Mapping[str, Any]:
    """Decode ``doc`` (bytes, text or an already-decoded mapping) into a JSON object."""
    if type(doc) is dict or isinstance(doc, Mapping):  # the first test spares an ABC check
        return doc
    try:
        data = decode_json(doc)
    except (ValueError, RecursionError) as exc:
        text = doc.decode("utf-8", "replace") if isinstance(doc, bytes | bytearray) else doc
        raise ParseError(
            f"not valid JSON: {exc}", source=source, location="$", fragment=text[:80]
        ) from exc
    if not isinstance(data, dict):
        raise ParseError(
            "expected a JSON object", source=source, location="$", fragment=repr(data)[:80]
        )
    return data


def require_object(value: Any, *, source: str, location: str) -> Mapping[str, Any]:
    """``value`` as a JSON object, or a :class:`ParseError` naming where it should have been."""
    if type(value) is not dict and not isinstance(value, Mapping):
        raise ParseError(
            "expected an object" if value is not None else "required object is missing",
            source=source,
            location=location,
            fragment=None if value is None else repr(value)[:80],
        )
    return value


def require_array(value: Any, *, source: str, location: str) -> list[Any]:
    """``value`` as a JSON array, or a :class:`ParseError` naming where it should have been."""
    if not isinstance(value, list):
        raise ParseError(
            "required array is missing" if value is None else "expected an array",
            source=source,
            location=location,
            fragment=None if value is None else repr(value)[:80],
        )
    return value
