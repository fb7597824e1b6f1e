"""Reading untrusted XML for the wire parsers: safely, and without caring about namespaces.

Amazon's XML (MWS responses, archived exports, MWS-shaped gateways) comes from outside, so it is
parsed with defusedxml and every DTD, entity declaration and external reference is refused
before anything is expanded: a "billion laughs" document or an external entity pointing at a
local file raises :class:`~amzcancel.errors.UnsafeXMLError` instead of eating memory or leaking
files.

Lookups match elements by *local* name. Amazon's own examples break the namespace (the
ListOrders example in the MWS docs splits its ``xmlns`` across two lines, which makes it a
different namespace string), and gateways re-emit the same elements under other prefixes; the
element names are what stays stable.
"""

from __future__ import annotations

# Only for types and ParseError; parsing itself always goes through defusedxml.
import xml.etree.ElementTree as ET
from collections.abc import Iterator

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from amzcancel.errors import ParseError, UnsafeXMLError

__all__ = [
    "XmlInput",
    "child",
    "child_text",
    "children",
    "descendant",
    "local_name",
    "parse_xml",
]

XmlInput = bytes | bytearray | str
"""What the XML parsers accept: raw bytes (any declared encoding) or already-decoded text."""

_FRAGMENT_CHARS = 80


def parse_xml(doc: XmlInput, *, source: str) -> ET.Element:
    """Parse ``doc`` into an element tree, refusing anything unsafe.

    Args:
        doc: the XML document, as bytes or text.
        source: the wire format being read, named in errors (``mws``).

    Returns:
        The root element.

    Raises:
        UnsafeXMLError: the document has a DTD, entity declarations or external references.
        ParseError: the document is not well-formed XML; ``location`` is ``line N, column M``.
    """
    if not isinstance(doc, bytes | bytearray | str):
        raise ParseError(
            f"expected XML bytes or text, got {type(doc).__name__}", source=source, location="$"
        )
    data = bytes(doc) if isinstance(doc, bytearray) else doc
    try:
        root: ET.Element = SafeET.fromstring(
            data, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except DefusedXmlException as exc:
        raise UnsafeXMLError(
            f"refusing unsafe XML ({type(exc).__name__}): DTDs, entity declarations and "
            "external references are not allowed",
            source=source,
            location="DOCTYPE",
        ) from exc
    except ET.ParseError as exc:
        line, column = exc.position
        raise ParseError(
            f"malformed XML: {_reason(exc)}",
            source=source,
            # expat counts columns from 0; editors and humans count from 1.
            location=f"line {line}, column {column + 1}",
            fragment=_line_of(data, line),
        ) from exc
    except (ValueError, LookupError) as exc:
        # e.g. an unknown encoding in the XML declaration, or text that cannot be decoded.
        raise ParseError(f"unreadable XML: {exc}", source=source, location="line 1") from exc
    return root


def _reason(exc: ET.ParseError) -> str:
    # expat's message ends with ": line N, column M", which the location already says.
    text = str(exc)
    head, sep, _ = text.rpartition(": line ")
    return head if sep else text


def _line_of(data: bytes | str, line: int) -> str | None:
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    lines = text.splitlines()
    if 1 <= line <= len(lines):
        return lines[line - 1].strip()[:_FRAGMENT_CHARS] or None
    return None


def local_name(tag: object) -> str:
    """The element name without its namespace: ``{https://...}Order`` -> ``Order``.

    Comments and processing instructions (whose tag is not a string) have no name: ``""``.
    """
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


def children(element: ET.Element, name: str) -> Iterator[ET.Element]:
    """The direct children of ``element`` whose local name is ``name``, in document order."""
    for item in element:
        if local_name(item.tag) == name:
            yield item


def child(element: ET.Element, name: str) -> ET.Element | None:
    """The first direct child of ``element`` whose local name is ``name``, or ``None``."""
    return next(children(element, name), None)


def descendant(element: ET.Element, *names: str) -> ET.Element | None:
    """Follow ``names`` down from ``element`` child by child; ``None`` if any step is missing."""
    current: ET.Element | None = element
    for name in names:
        if current is None:
            return None
        current = child(current, name)
    return current


def child_text(element: ET.Element, name: str) -> str | None:
    """The stripped text of the first child named ``name``; ``None`` if missing or blank.

    Amazon's examples pad values with spaces and newlines (``<ShipmentServiceLevelCategory>
    Standard\\n</ShipmentServiceLevelCategory>``), so surrounding whitespace never counts.
    """
    found = child(element, name)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None
