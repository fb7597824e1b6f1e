"""What one logical call sends, before authentication, and how its answer is read.

A :class:`RequestSpec` is built once per call by the operation builders (``_orders_v0``,
``_orders_2026``, ``_mws_orders``) and turned into an HTTP request per attempt by the API's wire
protocol (``_wire_protocols``), which adds the token or signature of that attempt.

Added in 0.1.0 (in ``_base.py`` until 0.2.0).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import httpx

__all__ = ["ApiCall", "RequestSpec", "is_absolute", "safe_url"]

R = TypeVar("R")


@dataclass(frozen=True)
class RequestSpec:
    """What to send, before authentication: one logical call, however often it is tried.

    ``path`` is relative to the client's endpoint, or an absolute URL (presigned documents).
    ``form`` holds MWS action parameters (signed and form-encoded per attempt).
    ``scope`` names a grantless LWA scope: the call is authenticated with the application's
    ``client_credentials`` token for it instead of the seller's (added in 0.2.0).
    """

    method: str
    path: str
    operation: str | None
    params: Any = None
    json: Any = None
    content: bytes | None = None
    headers: Mapping[str, str] | None = None
    authenticate: bool = True
    form: Mapping[str, str] | None = None
    scope: str | None = None

    @property
    def label(self) -> str:
        """How logs and errors name the call: Amazon's operation, else the method."""
        return self.operation or f"{self.method} request"


@dataclass(frozen=True)
class ApiCall(Generic[R]):
    """A request and the parser for its successful answer."""

    spec: RequestSpec
    parse: Callable[[bytes], R] = field(repr=False)


def is_absolute(path: str) -> bool:
    """True for ``http://``/``https://`` URLs."""
    return path.lower().startswith(("http://", "https://"))


def safe_url(request: httpx.Request) -> str:
    """The request URL without its query or user info (signatures, tokens, a gateway's password)."""
    return str(request.url.copy_with(query=None, userinfo=b""))
