"""Reading untrusted XML for the wire parsers: safely, and without caring about namespaces.

Amazon's XML (MWS responses, archived exports, MWS-shaped gateways) comes from outside, so every
DTD, entity declaration and external reference is refused before anything is expanded: a
"billion laughs" document or an external entity pointing at a local file raises
:class:`~amzcancel.errors.UnsafeXMLError` instead of eating memory or leaking files.

All three can only be declared in a document type declaration, ``<!DOCTYPE ...>``, and expat
(which reads every document here) knows no other spelling of it. So a document that is
ASCII-compatible (UTF-8, Latin-1 and every other 8-bit encoding expat accepts: it requires the
markup characters to be their ASCII bytes) and does not contain the bytes ``<!DOCTYPE``
anywhere cannot declare one, and is parsed by the standard library's C ``XMLParser``, at the
speed of expat. Any other document (one that mentions ``<!DOCTYPE``, even in a comment, or is in
UTF-16) goes through defusedxml with DTDs, entities and external references forbidden, as all
documents did before. defusedxml cannot use the C parser, which is three times slower.

Lookups match elements by *local* name. Amazon's own examples break the namespace (the
ListOrders example in the MWS docs splits its ``xmlns`` across two lines, which makes it a
different namespace string), and gateways re-emit the same elements under other prefixes; the
element names are what stays stable.
"""

from __future__ import annotations

import codecs

# The C parser reads only documents that cannot declare a DTD (see above); ParseError and the
# Element type come from here too.
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
    "element_text",
    "index_children",
    "local_name",
    "parse_xml",
]

XmlInput = bytes | bytearray | str
"""What the XML parsers accept: raw bytes (any declared encoding) or already-decoded text."""

_FRAGMENT_CHARS = 80
_DOCTYPE = "<!DOCTYPE"
_DOCTYPE_BYTES = _DOCTYPE.encode("ascii")
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_LOCAL_NAMES_KEPT = 4096  # distinct tags remembered; a document of endless new names can't grow it


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
        if _cannot_declare_a_dtd(data):
            # Safe: without a DOCTYPE there is no entity to expand and nothing external to load.
            parser = ET.XMLParser()  # noqa: S314
            parser.feed(data)
            root: ET.Element = parser.close()
        else:
            root = SafeET.fromstring(
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


def _cannot_declare_a_dtd(data: bytes | str) -> bool:
    """True when ``data`` certainly holds no document type declaration (see the module doc)."""
    if isinstance(data, str):
        return _DOCTYPE not in data
    # Expat reads a document as UTF-16 when it starts with a UTF-16 byte-order mark or, without
    # one, with "<" or "<?" spelled in two bytes; there "<!DOCTYPE" is not these bytes.
    if data.startswith(_UTF16_BOMS) or b"\x00" in data[:4]:
        return False
    return _DOCTYPE_BYTES not in data


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


class _LocalNames(dict[object, str]):
    """Tag -> local name, remembered: a page repeats the same few dozen tags thousands of times."""

    def __missing__(self, tag: object) -> str:
        # Comments and processing instructions (whose tag is not a string) have no name.
        name = tag.rpartition("}")[2] if isinstance(tag, str) else ""
        if len(self) >= _LOCAL_NAMES_KEPT:
            self.clear()
        self[tag] = name
        return name


_LOCAL_NAMES = _LocalNames()


def local_name(tag: object) -> str:
    """The element name without its namespace: ``{https://...}Order`` -> ``Order``.

    Comments and processing instructions (whose tag is not a string) have no name: ``""``.
    """
    return _LOCAL_NAMES[tag]


def children(element: ET.Element, name: str) -> Iterator[ET.Element]:
    """The direct children of ``element`` whose local name is ``name``, in document order."""
    names = _LOCAL_NAMES
    for item in element:
        if names[item.tag] == name:
            yield item


def index_children(element: ET.Element) -> dict[str, ET.Element]:
    """The first direct child of ``element`` of each local name, by that name.

    For reading many fields of one element: one pass over its children instead of one per field.
    """
    names = _LOCAL_NAMES
    # Walking backwards, the first child of a name is the one written last: the one kept.
    return {names[item.tag]: item for item in reversed(element)}


def element_text(found: ET.Element | None) -> str | None:
    """The stripped text of ``found``; ``None`` if there is no element or no text in it."""
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def child(element: ET.Element, name: str) -> ET.Element | None:
    """The first direct child of ``element`` whose local name is ``name``, or ``None``."""
    names = _LOCAL_NAMES
    for item in element:  # a plain loop: no generator to set up for one lookup
        if names[item.tag] == name:
            return item
    return None


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
    return element_text(child(element, name))
