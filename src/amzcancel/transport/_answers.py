"""Reading an answer within bounds, and naming what went wrong on the way (no I/O here).

- A body is read only up to the client's ``max_response_bytes``, counted after decoding (a
  small gzip body can unpack to gigabytes): a larger ``Content-Length`` is refused before a
  byte of the body is read, and a stream that grows past the bound is cut off.
- An httpx failure becomes :class:`~amzcancel.errors.RequestTimeout` or
  :class:`~amzcancel.errors.ConnectionFailed` with a message that names the host (never its
  query or user info), the call, and what happened: ``could not connect to api.amazon.com (LWA
  token request): [Errno 111] Connection refused``.

Added in 0.2.0.
"""

from __future__ import annotations

import httpx

from amzcancel.errors import ConnectionFailed, RequestTimeout, TransportError
from amzcancel.transport._calls import safe_url

__all__ = [
    "declared_length",
    "decoded_response",
    "is_plain",
    "too_large",
    "transport_error",
]

LWA_TOKEN_REQUEST = "LWA token request"  # noqa: S105 - a label, not a secret
"""How messages name the token request an attempt makes before its API call."""


def host_of(url: httpx.URL) -> str:
    """``host`` or ``host:port``: where a request went, without path, query or user info."""
    return url.host if url.port is None else f"{url.host}:{url.port}"


def _size(limit: int) -> str:
    mib = 1024 * 1024
    return f"{limit // mib} MiB" if limit % mib == 0 else f"{limit} bytes"


def _detail(exc: Exception) -> str:
    text = str(exc).strip()
    return f": {text}" if text else ""


def _seconds(request: httpx.Request, step: str) -> str:
    timeouts = request.extensions.get("timeout") or {}
    value = timeouts.get(step) if isinstance(timeouts, dict) else None
    return f" for {value:g} s" if isinstance(value, int | float) else ""


def transport_error(
    exc: httpx.TransportError,
    request: httpx.Request,
    *,
    label: str,
    deadline_seconds: float | None = None,
) -> TransportError:
    """Our error for an httpx failure of ``request`` (``label`` names the call).

    ``deadline_seconds`` is given when the attempt's request deadline had passed when the
    failure came: whatever failed then, the deadline is what ended the request.
    """
    host, call = host_of(request.url), f"({label})"
    where = {"method": request.method, "url": safe_url(request)}
    if deadline_seconds is not None:
        return RequestTimeout(
            f"{host} did not finish answering within the {deadline_seconds:g} s request "
            f"deadline {call}",
            **where,
        )
    if isinstance(exc, httpx.ConnectTimeout):
        return RequestTimeout(f"timed out connecting to {host} {call}", **where)
    if isinstance(exc, httpx.ReadTimeout):
        return RequestTimeout(f"{host} sent nothing{_seconds(request, 'read')} {call}", **where)
    if isinstance(exc, httpx.WriteTimeout):
        return RequestTimeout(
            f"could not send to {host}{_seconds(request, 'write')} {call}", **where
        )
    if isinstance(exc, httpx.TimeoutException):  # PoolTimeout: every connection was busy
        return RequestTimeout(f"no free connection to {host} in time {call}", **where)
    if isinstance(exc, httpx.ConnectError):
        return ConnectionFailed(f"could not connect to {host} {call}{_detail(exc)}", **where)
    if isinstance(exc, httpx.RemoteProtocolError):
        return ConnectionFailed(
            f"{host} closed the connection without a complete answer {call}{_detail(exc)}",
            **where,
        )
    return ConnectionFailed(
        f"connection to {host} failed {call}: {type(exc).__name__}{_detail(exc)}", **where
    )


def declared_length(response: httpx.Response) -> int | None:
    """The ``Content-Length`` an answer declares, or ``None`` (absent or not a number)."""
    value = response.headers.get("content-length")
    if value is None or not value.strip().isdigit():
        return None
    return int(value)


def is_plain(response: httpx.Response) -> bool:
    """True when the body's size on the wire is its size once read (no content coding)."""
    coding = response.headers.get("content-encoding", "identity").strip().lower()
    return coding in ("", "identity")


def too_large(
    request: httpx.Request, *, label: str, limit: int, declared: int | None = None
) -> TransportError:
    """The error for an answer over ``limit`` bytes (not retried: it would come again)."""
    size = f"of {declared} bytes " if declared is not None else ""
    return TransportError(
        f"the answer {size}from {host_of(request.url)} ({label}) is larger than the "
        f"{_size(limit)} max_response_bytes allows; it was not read",
        method=request.method,
        url=safe_url(request),
    )


def decoded_response(response: httpx.Response, body: bytes) -> httpx.Response:
    """A read response holding ``body``, the content ``response`` decoded to.

    Its headers no longer name a content coding or a transfer length, since neither
    describes the body it now holds.
    """
    dropped = {"content-encoding", "content-length", "transfer-encoding"}
    headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in dropped]
    return httpx.Response(
        response.status_code,
        headers=headers,
        content=body,
        request=response.request,
        extensions=response.extensions,
    )
