"""RecordingTransport: an httpx transport that passes traffic through and writes it down.

Wrap the transport of any amzcancel client (or let it wrap a plain network transport) and every
exchange is kept, redacted, in a :class:`~amzcancel.testing.Fixture`; ``close()`` (which the
client calls when it closes) or :meth:`RecordingTransport.save` writes it to disk.

Added in 0.1.0.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from amzcancel.clock import Clock, SystemClock
from amzcancel.testing._fixture_file import (
    Body,
    Exchange,
    Fixture,
    RecordedRequest,
    RecordedResponse,
    encode_body,
    form_pairs,
    form_value,
)
from amzcancel.testing._redact import Redactor

__all__ = ["DEFAULT_REQUEST_HEADERS", "DEFAULT_RESPONSE_HEADERS", "RecordingTransport"]

logger = logging.getLogger("amzcancel.testing")

DEFAULT_REQUEST_HEADERS = ("content-type", "x-amz-access-token")
"""Request headers kept in a recording (the access token only as its placeholder)."""

DEFAULT_RESPONSE_HEADERS = (
    "content-type",
    "retry-after",
    "x-amzn-ratelimit-limit",
    "x-amzn-requestid",
    "x-amzn-errortype",
)
"""Response headers kept in a recording: the ones clients act on, and the request id."""


class RecordingTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Pass requests to an inner transport and record each exchange, redacted.

    Works for sync and async clients alike. Secrets and buyer PII are redacted before anything
    is kept in memory, so the fixture never holds them, whatever happens later.

    Args:
        path: where :meth:`close` and :meth:`save` write the fixture (optional).
        transport: the transport to record; an :class:`httpx.HTTPTransport` /
            :class:`httpx.AsyncHTTPTransport` to the network when omitted. A transport that is
            both (such as :class:`httpx.MockTransport` or the sandbox's) serves both kinds.
        redactor: the :class:`Redactor` to use; a default one (PII on, credential environment
            variables scrubbed) when omitted.
        secrets: further secret values to scrub verbatim (added to the redactor).
        clock: stamps ``recorded_at``; the system clock by default.
        note: free text stored in the fixture.
        request_headers: request header names to keep (lower case).
        response_headers: response header names to keep (lower case).

    Added in 0.1.0.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None,
        redactor: Redactor | None = None,
        secrets: Iterable[str] = (),
        clock: Clock | None = None,
        note: str = "",
        request_headers: Iterable[str] = DEFAULT_REQUEST_HEADERS,
        response_headers: Iterable[str] = DEFAULT_RESPONSE_HEADERS,
    ) -> None:
        self.path = None if path is None else Path(path)
        self._inner = transport
        self._sync_default: httpx.HTTPTransport | None = None
        self._async_default: httpx.AsyncHTTPTransport | None = None
        self.redactor = redactor or Redactor()
        for secret in secrets:
            self.redactor.add_secret(secret)
        self._request_headers = frozenset(name.lower() for name in request_headers)
        self._response_headers = frozenset(name.lower() for name in response_headers)
        self.fixture = Fixture(recorded_at=(clock or SystemClock()).now(), note=note)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"RecordingTransport(path={self.path!r}, exchanges={len(self.fixture.exchanges)})"

    @property
    def exchanges(self) -> list[Exchange]:
        """The exchanges recorded so far (redacted)."""
        return list(self.fixture.exchanges)

    def save(self, path: str | os.PathLike[str] | None = None) -> Path:
        """Write the fixture to ``path`` (or the path given at construction)."""
        target = Path(path) if path is not None else self.path
        if target is None:
            raise ValueError("RecordingTransport.save() needs a path")
        with self._lock:
            written = self.fixture.save(target)
        logger.info("wrote %d exchanges to %s", len(self.fixture.exchanges), written)
        return written

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` through the inner transport and record the exchange."""
        inner = self._sync_inner()
        request_body = request.read()
        try:
            response = inner.handle_request(request)
            try:
                content = response.read()
            finally:
                response.close()
        except httpx.TransportError as exc:
            self._record(request, request_body, None, b"", error=exc)
            raise
        self._record(request, request_body, response, content)
        return _replayable(response, content)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` through the inner async transport and record the exchange."""
        inner = self._async_inner()
        request_body = await request.aread()
        try:
            response = await inner.handle_async_request(request)
            try:
                content = await response.aread()
            finally:
                await response.aclose()
        except httpx.TransportError as exc:
            self._record(request, request_body, None, b"", error=exc)
            raise
        self._record(request, request_body, response, content)
        return _replayable(response, content)

    def close(self) -> None:
        """Close the inner transport and write the fixture if a path was given."""
        if isinstance(self._inner, httpx.BaseTransport):
            self._inner.close()
        if self._sync_default is not None:
            self._sync_default.close()
        if self.path is not None:
            self.save()

    async def aclose(self) -> None:
        """Close the inner async transport and write the fixture if a path was given."""
        if isinstance(self._inner, httpx.AsyncBaseTransport):
            await self._inner.aclose()
        if self._async_default is not None:
            await self._async_default.aclose()
        if self.path is not None:
            self.save()

    def __enter__(self) -> RecordingTransport:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        self.close()

    def _sync_inner(self) -> httpx.BaseTransport:
        if isinstance(self._inner, httpx.BaseTransport):
            return self._inner
        if self._inner is not None:
            raise TypeError(f"{type(self._inner).__name__} cannot serve a sync client")
        if self._sync_default is None:
            self._sync_default = httpx.HTTPTransport()
        return self._sync_default

    def _async_inner(self) -> httpx.AsyncBaseTransport:
        if isinstance(self._inner, httpx.AsyncBaseTransport):
            return self._inner
        if self._inner is not None:
            raise TypeError(f"{type(self._inner).__name__} cannot serve an async client")
        if self._async_default is None:
            self._async_default = httpx.AsyncHTTPTransport()
        return self._async_default

    def _record(
        self,
        request: httpx.Request,
        request_body: bytes,
        response: httpx.Response | None,
        content: bytes,
        *,
        error: Exception | None = None,
    ) -> None:
        request_type = request.headers.get("content-type")
        stored_request_body = encode_body(request_body, request_type)
        response_body: Body = None
        if response is not None:
            response_body = encode_body(content, response.headers.get("content-type"))
        with self._lock:
            self._learn_secrets(request, stored_request_body, response_body)
            exchange = Exchange(
                request=RecordedRequest(
                    method=request.method,
                    url=self.redactor.url(str(request.url)),
                    headers=self._headers(request.headers, self._request_headers),
                    body=self._redact_body(stored_request_body),
                ),
                response=RecordedResponse(
                    status=0 if response is None else response.status_code,
                    headers={}
                    if response is None
                    else self._headers(response.headers, self._response_headers),
                    body=self._redact_body(response_body),
                    error=None if error is None else type(error).__name__,
                ),
            )
            self.fixture.exchanges.append(exchange)
        logger.debug("recorded %s %s", request.method, exchange.request.url)

    def _learn_secrets(self, request: httpx.Request, *bodies: Body) -> None:
        # Credentials seen on the wire are scrubbed everywhere else they might turn up.
        self.redactor.add_secret(request.headers.get("x-amz-access-token"), name="access_token")
        self.redactor.learn_params(parse_qsl(urlsplit(str(request.url)).query))
        for body in bodies:
            if body is not None and "form" in body:
                self.redactor.learn_params(form_pairs(body))
            if body is not None and "json" in body:
                self.redactor.learn_json(body["json"])

    def _headers(self, headers: httpx.Headers, keep: frozenset[str]) -> dict[str, str]:
        return {
            name.lower(): self.redactor.header(name, value)
            for name, value in headers.items()
            if name.lower() in keep
        }

    def _redact_body(self, body: Body) -> Body:
        if body is None:
            return None
        redacted: dict[str, Any] = dict(body)
        if "json" in body:
            redacted["json"] = self.redactor.json(body["json"])
        elif "form" in body:
            redacted["form"] = form_value(self.redactor.params(form_pairs(body)))
        elif "text" in body:
            redacted["text"] = self.redactor.text(str(body["text"]))
        else:
            logger.warning("recorded a binary body as base64; it cannot be checked for PII")
        return redacted


_ENCODING_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})


def _replayable(response: httpx.Response, content: bytes) -> httpx.Response:
    """A fresh response carrying the (decoded) body already read from the inner transport."""
    # The body is handed on decoded, so the headers describing its wire encoding must go.
    headers = [
        (name, value)
        for name, value in response.headers.multi_items()
        if name.lower() not in _ENCODING_HEADERS
    ]
    return httpx.Response(
        response.status_code,
        headers=headers,
        content=content,
        extensions=response.extensions,
    )
