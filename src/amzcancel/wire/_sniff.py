"""Say plainly when input is no document at all: empty, blank, compressed or binary.

Without this, an empty file read as "unrecognised document", and random bytes were quoted back
decoded as text (replacement characters and terminal junk in a one-line error).

Added in 0.2.0.
"""

from __future__ import annotations

import codecs

from amzcancel.errors import ParseError

__all__ = ["check_readable", "preview"]

# Formats people hand us by mistake: Amazon delivers report documents gzip-compressed, and
# Seller Central downloads spreadsheets. Magic numbers from each format's specification.
_MAGIC = (
    (b"\x1f\x8b", "gzip-compressed data: decompress it first (gunzip FILE)"),
    (b"PK\x03\x04", "a ZIP archive (or an Excel workbook): extract or export it as text first"),
    (b"%PDF-", "a PDF document, not an order document"),
    (b"\x89PNG", "a PNG image, not an order document"),
    (b"\xff\xd8\xff", "a JPEG image, not an order document"),
)
_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_TEXT_CONTROLS = frozenset(b"\t\n\r\x0b\x0c\x1a")  # \x1a: DOS end of file, seen in old exports
_SAMPLE = 4096
_MAX_CONTROL_SHARE = 0.05


def check_readable(head: bytes, *, source: str, complete: bool) -> None:
    """Refuse input that holds no document, with a message that says what it is instead.

    Args:
        head: the input, or its first bytes.
        source: the format being read (``auto`` or a source value), for the error.
        complete: ``head`` is the whole input (so "empty" and "blank" can be told).

    Raises:
        ParseError: the input is empty, blank, compressed, an archive, an image or binary.
    """
    if complete and not head:
        raise ParseError("the document is empty (0 bytes)", source=source)
    body = head.removeprefix(codecs.BOM_UTF8)
    if complete and not body.strip():
        raise ParseError(f"the document holds only whitespace ({len(head)} bytes)", source=source)
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise ParseError(f"not a text document: {what}", source=source)
    if _is_binary(head):
        raise ParseError(
            f"not a text document: binary data (first bytes {head[:12].hex(' ')})", source=source
        )


def _is_binary(head: bytes) -> bool:
    if head.startswith(_BOMS) or _looks_utf16(head):
        return False  # UTF-16/32 text has NUL bytes; its readers handle it
    sample = head[:_SAMPLE]
    if b"\x00" in sample:
        return True
    controls = sum(1 for byte in sample if byte < 0x20 and byte not in _TEXT_CONTROLS)
    return bool(sample) and controls / len(sample) > _MAX_CONTROL_SHARE


def _looks_utf16(head: bytes) -> bool:
    """UTF-16 text without a byte-order mark: every other byte of ASCII text is NUL."""
    sample = head[:64]
    if len(sample) < 4:
        return False
    evens, odds = sample[0::2], sample[1::2]
    return evens.count(0) == len(evens) or odds.count(0) == len(odds)


def preview(raw: bytes, limit: int = 80) -> str:
    """The start of ``raw`` as text for an error message (undecodable bytes as ``\\xNN``)."""
    return raw[:limit].decode("utf-8", "backslashreplace")
