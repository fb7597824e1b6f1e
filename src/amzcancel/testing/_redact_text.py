"""Buyer-PII redaction for text bodies: MWS XML and tab-separated flat-file reports.

XML is edited in place with patterns on element names rather than parsed and re-serialised, so
the recorded document keeps its namespaces, prefixes and layout byte for byte apart from the
replaced values (and still parses with :mod:`amzcancel.wire.mws`).

Added in 0.1.0.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Protocol
from xml.sax.saxutils import escape

__all__ = ["redact_markup"]


class _StandIns(Protocol):
    def stand_in(self, kind: str, value: str) -> str: ...


# MWS Orders 2013-09-01 element names holding buyer PII anywhere in a document.
_XML_PII = {
    "BuyerEmail": "email",
    "BuyerName": "name",
    "BuyerCounty": "text",
    "CompanyLegalName": "company",
    "BuyerCompanyName": "company",
    "GiftMessageText": "text",
    "CustomizedURL": "url",
    "PurchaseOrderNumber": "text",
}
# Element names that hold PII inside an address element (ShippingAddress and the like).
_XML_ADDRESS_PII = {
    "Name": "name",
    "CompanyName": "company",
    "AddressLine1": "street",
    "AddressLine2": "street",
    "AddressLine3": "street",
    "Phone": "phone",
    "County": "text",
    "District": "text",
}
# Element names that hold PII inside a TaxClassification (the buyer's VAT number).
_XML_TAX_PII = {"Value": "text"}
# Flat-file order report columns holding buyer PII.
_REPORT_PII = {
    "buyer-email": "email",
    "buyer-name": "name",
    "buyer-phone-number": "phone",
    "buyer-company-name": "company",
    "recipient-name": "name",
    "ship-address-1": "street",
    "ship-address-2": "street",
    "ship-address-3": "street",
    "ship-phone-number": "phone",
    "bill-name": "name",
    "bill-address-1": "street",
    "bill-address-2": "street",
    "bill-address-3": "street",
    "gift-message-text": "text",
    "customized-url": "url",
    "cpf": "text",
    "buyer-identification-number": "text",
    "licensee-name": "name",
    "license-number": "text",
}


def _element(names: dict[str, str]) -> re.Pattern[str]:
    alternatives = "|".join(sorted(names, key=len, reverse=True))
    return re.compile(
        rf"<(?P<prefix>[\w.-]+:)?(?P<name>{alternatives})(?P<attrs>\s[^>]*)?>"
        rf"(?P<value><!\[CDATA\[.*?\]\]>|[^<]*)</(?P=prefix)?(?P=name)\s*>"
    )


_XML_PII_RE = _element(_XML_PII)
_XML_ADDRESS_PII_RE = _element(_XML_ADDRESS_PII)
_XML_TAX_PII_RE = _element(_XML_TAX_PII)
_XML_TAX_BLOCK_RE = re.compile(
    r"<(?P<prefix>[\w.-]+:)?(?P<name>TaxClassification)(?P<attrs>\s[^>]*)?>(?P<inner>.*?)"
    r"</(?P=prefix)?(?P=name)\s*>",
    re.DOTALL,
)
_XML_ADDRESS_BLOCK_RE = re.compile(
    r"<(?P<prefix>[\w.-]+:)?(?P<name>\w*Address)(?P<attrs>\s[^>]*)?>(?P<inner>.*?)"
    r"</(?P=prefix)?(?P=name)\s*>",
    re.DOTALL,
)


def redact_markup(text: str, stand_ins: _StandIns) -> str:
    """Replace buyer PII in an XML document or a flat-file report; other text is returned as is.

    Args:
        text: the body text.
        stand_ins: gives the stable placeholder for a value (a :class:`Redactor`).
    """
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("<"):
        return _redact_xml(text, stand_ins)
    first_line = stripped.split("\n", 1)[0]
    if "\t" in first_line and any(
        column.strip() in _REPORT_PII for column in first_line.split("\t")
    ):
        return _redact_report(text, stand_ins)
    return text


def _redact_xml(text: str, stand_ins: _StandIns) -> str:
    def value(match: re.Match[str], kinds: dict[str, str]) -> str:
        original = match.group("value")
        if original.startswith("<![CDATA["):
            original = original[len("<![CDATA[") : -len("]]>")]
        if not original.strip():
            return match.group(0)
        replaced = escape(stand_ins.stand_in(kinds[match.group("name")], original))
        start, end = match.span("value")
        whole_start = match.start()
        whole = match.group(0)
        return whole[: start - whole_start] + replaced + whole[end - whole_start :]

    def block(pattern: re.Pattern[str], kinds: dict[str, str]) -> Callable[[re.Match[str]], str]:
        def replace(match: re.Match[str]) -> str:
            inner = pattern.sub(lambda m: value(m, kinds), match.group("inner"))
            start, end = match.span("inner")
            whole = match.group(0)
            return whole[: start - match.start()] + inner + whole[end - match.start() :]

        return replace

    text = _XML_ADDRESS_BLOCK_RE.sub(block(_XML_ADDRESS_PII_RE, _XML_ADDRESS_PII), text)
    text = _XML_TAX_BLOCK_RE.sub(block(_XML_TAX_PII_RE, _XML_TAX_PII), text)
    return _XML_PII_RE.sub(lambda m: value(m, _XML_PII), text)


def _redact_report(text: str, stand_ins: _StandIns) -> str:
    lines = text.split("\n")
    header_index = next(i for i, line in enumerate(lines) if line.strip())
    columns = [column.strip().lstrip("\ufeff") for column in lines[header_index].split("\t")]
    kinds = {index: _REPORT_PII[name] for index, name in enumerate(columns) if name in _REPORT_PII}
    for index in range(header_index + 1, len(lines)):
        line = lines[index]
        ending = "\r" if line.endswith("\r") else ""
        cells = line[: len(line) - len(ending)].split("\t")
        for column, kind in kinds.items():
            if column < len(cells) and cells[column].strip():
                cells[column] = stand_ins.stand_in(kind, cells[column])
        lines[index] = "\t".join(cells) + ending
    return "\n".join(lines)
