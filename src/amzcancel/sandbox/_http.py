"""The sandbox's framework-free HTTP core types: one request in, one response out.

The in-process httpx transport, the WSGI app and the served HTTP/1.1 server all translate to and
from these, so every path runs the same marketplace code.

Added in 0.1.0.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

__all__ = [
    "DroppedConnection",
    "SandboxRequest",
    "SandboxResponse",
    "html_response",
    "json_response",
    "spapi_error",
    "xml_response",
]


class DroppedConnection(Exception):
    """Raised by the core when a fault says: close the connection without answering."""


@dataclass(frozen=True)
class SandboxRequest:
    """An HTTP request as the marketplace sees it.

    Attributes:
        method: upper-case HTTP method.
        path: the URL path, percent-decoded.
        query: query parameters in order, multi-valued, decoded.
        headers: header names in lower case.
        body: the raw body.
        base_url: scheme and authority the client used (``http://127.0.0.1:8000``), for links.

    Added in 0.1.0.
    """

    method: str
    path: str
    query: tuple[tuple[str, str], ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    base_url: str = "http://sandbox.local"

    @property
    def host(self) -> str:
        """The Host header (falls back to the base URL's authority)."""
        return self.headers.get("host") or self.base_url.split("://", 1)[-1]

    def params(self, name: str) -> list[str]:
        """Every value of query parameter ``name``."""
        return [v for k, v in self.query if k == name]

    def param(self, name: str) -> str | None:
        """The first value of query parameter ``name``, or None."""
        values = self.params(name)
        return values[0] if values else None

    def list_param(self, name: str) -> list[str]:
        """An array parameter, repeated or comma-separated (Swagger's default ``csv``)."""
        return [part for value in self.params(name) for part in value.split(",") if part]

    def form(self) -> list[tuple[str, str]]:
        """The body as ``application/x-www-form-urlencoded`` pairs."""
        return parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True)

    def json_body(self) -> Any:
        """The body parsed as JSON (``ValueError`` when it is not JSON)."""
        try:
            return json.loads(self.body.decode("utf-8"))
        except RecursionError as exc:  # nested too deep: as much "not JSON" as a typo
            raise ValueError("the JSON body is nested too deeply") from exc


@dataclass
class SandboxResponse:
    """An HTTP response the marketplace produced.

    Attributes:
        status: the status code.
        headers: the headers, in order (``Content-Length`` is added by the adapters).
        body: the body.
        drip_seconds: when set, the served sandbox sends the body one byte every
            ``drip_seconds`` (real time) after the headers, like a server that answers and then
            stalls; the in-process transport ignores it. Added in 0.2.0.

    Added in 0.1.0.
    """

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    drip_seconds: float | None = None

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or None."""
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return None


def json_response(
    status: int, payload: Any, headers: list[tuple[str, str]] | None = None
) -> SandboxResponse:
    """A JSON response."""
    body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
    return SandboxResponse(status, [("Content-Type", "application/json"), *(headers or [])], body)


def xml_response(
    status: int, text: str, headers: list[tuple[str, str]] | None = None
) -> SandboxResponse:
    """An XML response (MWS, feed reports)."""
    return SandboxResponse(
        status, [("Content-Type", "text/xml"), *(headers or [])], text.encode("utf-8")
    )


def html_response(status: int, text: str) -> SandboxResponse:
    """An HTML response, as load balancers send in front of failing services."""
    return SandboxResponse(status, [("Content-Type", "text/html")], text.encode("utf-8"))


def spapi_error(
    status: int,
    code: str,
    message: str,
    details: str = "",
    *,
    headers: list[tuple[str, str]] | None = None,
) -> SandboxResponse:
    """An SP-API error body: ``{"errors": [{"code", "message", "details"}]}``."""
    return json_response(
        status, {"errors": [{"code": code, "message": message, "details": details}]}, headers
    )
