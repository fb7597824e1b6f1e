"""Redaction: secrets become fixed placeholders, buyer PII becomes stable stand-ins.

Secrets (LWA refresh/access tokens, client id and secret, MWS access key, auth token, seller id
and signatures) are replaced by ``<REDACTED:name>`` wherever they appear: query strings, form
bodies, the ``x-amz-access-token`` header, JSON bodies and, as a last line of defence, any
literal occurrence of a secret value the redactor knows (from the credentials, the environment,
or an access token it saw being issued).

Buyer PII (names, emails, phone numbers, street lines, company names, gift messages...) in
SP-API v0 and 2026-01-01 JSON, MWS XML and flat-file reports is replaced with a placeholder of
the same type and shape, stable within one redactor: the same email always becomes the same
``buyer-N@example.invalid``, so orders that share a buyer still share one after redaction.
Redaction is idempotent, which is what keeps a replay in step: a value the client echoes from a
redacted response redacts to itself.

Added in 0.1.0.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from amzcancel.testing import _redact_text

__all__ = ["SECRET_ENV_VARS", "Redactor", "placeholder"]

SECRET_ENV_VARS = (
    "LWA_APP_ID",
    "LWA_CLIENT_SECRET",
    "SP_API_REFRESH_TOKEN",
    "MWS_ACCESS_KEY",
    "MWS_SECRET_KEY",
    "MWS_AUTH_TOKEN",
    "MWS_SELLER_ID",
)
"""Environment variables whose values are scrubbed from recordings when set."""

# Parameter names (query strings, form bodies; compared case-insensitively) whose values are
# credentials or signatures. SellerId/Merchant identify the account; presigned report-document
# URLs carry X-Amz-* signing parameters.
_SECRET_PARAMS = frozenset(
    name.lower()
    for name in (
        "refresh_token",
        "access_token",
        "client_id",
        "client_secret",
        "code",
        "AWSAccessKeyId",
        "Signature",
        "MWSAuthToken",
        "SellerId",
        "Merchant",
        "X-Amz-Signature",
        "X-Amz-Credential",
        "X-Amz-Security-Token",
    )
)
_UNIQUE_PARAMS = frozenset({"signature", "x-amz-signature"})
_SECRET_JSON_KEYS = frozenset(
    {"access_token", "refresh_token", "client_secret", "client_id", "restrictedDataToken"}
)
_SECRET_HEADERS = frozenset({"x-amz-access-token", "authorization", "x-amz-security-token"})
# Request parameters that carry buyer PII (getOrders/ListOrders can filter by buyer email).
_PII_PARAMS = frozenset({"buyeremail"})
_MIN_SECRET_CHARS = 6

# JSON keys whose string value is buyer PII, by kind of placeholder.
_PII_KEYS: dict[str, str] = {
    "BuyerEmail": "email",
    "buyerEmail": "email",
    "BuyerName": "name",
    "buyerName": "name",
    "BuyerCompanyName": "company",
    "buyerCompanyName": "company",
    "CompanyLegalName": "company",
    "BuyerLegalCompanyName": "company",
    "BuyerCounty": "text",
    "BuyerTaxRegistrationId": "text",
    "BuyerTaxOffice": "text",
    "BuyerBusinessAddress": "street",
    "GiftMessageText": "text",
    "giftMessage": "text",
    "AddressInstructions": "text",
    "addressInstruction": "text",
    "CustomizedURL": "url",
    "customizedUrl": "url",
    # Buyer tax identity and references (Orders 2026-01-01 tax, v0 BuyerInfo).
    "legalName": "company",
    "taxRegistrationNumber": "text",
    "buyerPurchaseOrderNumber": "text",
    "PurchaseOrderNumber": "text",
    "dropOffLocation": "text",
    "DropOffLocation": "text",
}
# Keys that are PII only below a given key: (generic names such as Value) -> kind.
_SUBTREE_PII: dict[str, dict[str, str]] = {
    "TaxClassifications": {"Value": "text"},  # v0 BuyerTaxInfo: the buyer's VAT number
    "taxRegistrationAttributes": {"value": "text"},  # 2026 tax registration details
    "RegulatedInformation": {"FieldValue": "text"},  # v0 getOrderRegulatedInfo
    "regulatedInformation": {"FieldValue": "text", "fieldValue": "text"},
}
# Further keys that are PII only inside an address object (a key whose name has "address").
_ADDRESS_KEYS: dict[str, str] = {
    "Name": "name",
    "name": "name",
    "CompanyName": "company",
    "companyName": "company",
    "AddressLine1": "street",
    "AddressLine2": "street",
    "AddressLine3": "street",
    "addressLine1": "street",
    "addressLine2": "street",
    "addressLine3": "street",
    "StreetName": "street",
    "streetName": "street",
    "StreetNumber": "text",
    "streetNumber": "text",
    "Complement": "text",
    "complement": "text",
    "Phone": "phone",
    "phone": "phone",
    "County": "text",
    "District": "text",
    "Neighborhood": "text",
    "Municipality": "text",
    "neighborhood": "text",
    "districtOrCounty": "text",
    "municipality": "text",
}
_ZEROED_KEYS = frozenset({"GeoCoordinates", "geoCoordinates"})

_PLACEHOLDER_FORMS = {
    "email": "buyer-{n}@example.invalid",
    "name": "Buyer {n}",
    "company": "Company {n}",
    "street": "{n} Redacted Street",
    "phone": "+1-555-01{n:02d}",
    "url": "https://example.invalid/redacted/{n}",
    "text": "redacted-{n}",
}
_PLACEHOLDER_RE = re.compile(
    r"^(?:<REDACTED:[^>]*>|buyer-\d+@example\.invalid|Buyer \d+|Company \d+"
    r"|\d+ Redacted Street|\+1-555-01\d{2,}|https://example\.invalid/redacted/\d+|redacted-\d+)$"
)


def placeholder(name: str) -> str:
    """The fixed placeholder a secret called ``name`` is replaced with.

    Added in 0.1.0.
    """
    return f"<REDACTED:{name}>"


class Redactor:
    """Replaces secrets and buyer PII in requests and responses before they are stored.

    Args:
        secrets: secret values to scrub wherever they appear verbatim (in addition to the
            values of :data:`SECRET_ENV_VARS` when ``from_env`` is true).
        pii: also replace buyer PII (on by default; turn off only for data with none).
        from_env: scrub the values of the credential environment variables.

    Added in 0.1.0.
    """

    def __init__(
        self, *, secrets: Iterable[str] = (), pii: bool = True, from_env: bool = True
    ) -> None:
        self.pii = pii
        self._secrets: dict[str, str] = {}
        self._stand_ins: dict[tuple[str, str], str] = {}
        self._counts: dict[str, int] = {}
        for value in secrets:
            self.add_secret(value)
        if from_env:
            for name in SECRET_ENV_VARS:
                self.add_secret(os.environ.get(name, ""), name=name.lower())

    def add_secret(self, value: str | None, *, name: str = "secret") -> None:
        """Scrub ``value`` from everything redacted from now on (short values are ignored)."""
        if value and len(value) >= _MIN_SECRET_CHARS and not is_placeholder(value):
            self._secrets[value] = placeholder(name)

    def learn_params(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Remember the values of secret parameters (LWA form, MWS query) as secrets."""
        for key, value in pairs:
            # Signatures are unique per request and never echoed: remembering them only slows
            # scrubbing down (they are still replaced where they stand).
            if key.lower() in _SECRET_PARAMS and key.lower() not in _UNIQUE_PARAMS:
                self.add_secret(value, name=key)

    def learn_json(self, doc: Any) -> None:
        """Remember secret members of a JSON object (an LWA token response) as secrets."""
        if isinstance(doc, Mapping):
            for key, value in doc.items():
                if key in _SECRET_JSON_KEYS and isinstance(value, str):
                    self.add_secret(value, name=key)

    def stand_in(self, kind: str, value: str) -> str:
        """The stable placeholder for a PII ``value`` of ``kind`` (email, name, phone...)."""
        if not value or is_placeholder(value):
            return value
        key = (kind, value)
        if key not in self._stand_ins:
            count = self._counts.get(kind, 0) + 1
            self._counts[kind] = count
            self._stand_ins[key] = _PLACEHOLDER_FORMS.get(kind, "redacted-{n}").format(n=count)
        return self._stand_ins[key]

    def scrub(self, text: str) -> str:
        """Replace every known secret value occurring verbatim in ``text``."""
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, self._secrets[secret])
        return text

    def params(self, pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        """Redact query or form parameters (secrets fixed, buyer-email filters fixed)."""
        out = []
        for key, value in pairs:
            lowered = key.lower()
            if lowered in _SECRET_PARAMS or (self.pii and lowered in _PII_PARAMS):
                value = value if is_placeholder(value) or not value else placeholder(key)
            out.append((key, self.scrub(value)))
        return out

    def url(self, url: str) -> str:
        """Redact the query of ``url`` (order and blank values kept)."""
        parts = urlsplit(url)
        if not parts.query:
            return self.scrub(url)
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        query = urlencode(self.params(pairs))
        return self.scrub(urlunsplit(parts._replace(query=query)))

    def header(self, name: str, value: str) -> str:
        """Redact one header value."""
        if name.lower() in _SECRET_HEADERS:
            return value if is_placeholder(value) else placeholder(name.lower())
        return self.scrub(value)

    def json(
        self, value: Any, *, _in_address: bool = False, _extra: Mapping[str, str] | None = None
    ) -> Any:
        """Redact a decoded JSON document, keeping every value's type."""
        if isinstance(value, Mapping):
            return {
                key: self._json_member(key, item, _in_address, _extra or {})
                for key, item in value.items()
            }
        if isinstance(value, list):
            return [self.json(item, _in_address=_in_address, _extra=_extra) for item in value]
        if isinstance(value, str):
            return self._string(value)
        return value

    def text(self, text: str) -> str:
        """Redact a text body: MWS/Amazon XML, a flat-file report, or anything else."""
        if self.pii:
            text = _redact_text.redact_markup(text, self)
        return self.scrub(text)

    def _json_member(self, key: str, value: Any, in_address: bool, extra: Mapping[str, str]) -> Any:
        if key in _SECRET_JSON_KEYS and isinstance(value, str) and value:
            return value if is_placeholder(value) else placeholder(key)
        if self.pii:
            kind = (
                _PII_KEYS.get(key)
                or extra.get(key)
                or (_ADDRESS_KEYS.get(key) if in_address else None)
            )
            if kind is not None and isinstance(value, str):
                return self.stand_in(kind, value)
            if key in _ZEROED_KEYS:
                return _zeroed(value)
            if key in _SUBTREE_PII:
                extra = {**extra, **_SUBTREE_PII[key]}
        return self.json(value, _in_address=in_address or "address" in key.lower(), _extra=extra)

    def _string(self, value: str) -> str:
        # Presigned URLs (report documents) carry signing secrets in their query.
        if value.startswith(("https://", "http://")) and "?" in value:
            return self.url(value)
        return self.scrub(value)


def is_placeholder(value: str) -> bool:
    """Whether ``value`` is already one of the redactor's placeholders."""
    return bool(_PLACEHOLDER_RE.match(value))


def _zeroed(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _zeroed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_zeroed(item) for item in value]
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return type(value)(0)
    if isinstance(value, str):
        return "0"
    return value
