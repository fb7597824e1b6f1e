"""AWS Signature Version 2 as MWS used it (HmacSHA256).

StringToSign = method + "\\n" + lowercase host + "\\n" + path + "\\n" + canonical query, where the
canonical query sorts parameters by name in byte order and percent-encodes names and values per
RFC 3986 (unreserved ``A-Za-z0-9-_.~`` kept, uppercase hex, space as ``%20``). The signature is
Base64(HMAC-SHA256(secret, StringToSign)). See the MWS developer guide, "Signing a query request"
(DG_SigningQueryRequest) and shared/reference/amazon-facts.md section 1.7.

The sandbox verifies with the same functions the client signs with.

Added in 0.1.0.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import quote

__all__ = ["canonical_query", "sign_v2", "string_to_sign"]


def _encode(value: str) -> str:
    return quote(value, safe="-_.~")


def canonical_query(params: Mapping[str, str]) -> str:
    """The canonicalised query string: sorted by name (byte order), RFC 3986 encoded."""
    items = sorted(params.items(), key=lambda kv: kv[0].encode("utf-8"))
    return "&".join(f"{_encode(k)}={_encode(v)}" for k, v in items if k != "Signature")


def string_to_sign(method: str, host: str, path: str, params: Mapping[str, str]) -> str:
    """The text MWS signs: method, host (lowercase, no port), path and canonical query."""
    host = host.lower().split(":", 1)[0]
    return "\n".join([method.upper(), host, path or "/", canonical_query(params)])


def sign_v2(secret_key: str, method: str, host: str, path: str, params: Mapping[str, str]) -> str:
    """Base64 HMAC-SHA256 signature of a request under AWS Signature Version 2."""
    digest = hmac.new(
        secret_key.encode("utf-8"),
        string_to_sign(method, host, path, params).encode("utf-8"),
        hashlib.sha256,
    ).digest()
    return base64.b64encode(digest).decode("ascii")
