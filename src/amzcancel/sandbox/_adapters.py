"""Adapters from the marketplace's HTTP core to httpx (in-process), WSGI, and a real server.

:func:`serve` runs an HTTP/1.1 server that keeps connections alive, as Amazon does, and calls
the marketplace's ``handle()`` directly; it can still close a connection without answering
(the DROP fault), drip an answer one byte at a time (``SandboxResponse.drip_seconds``), and
refuses bodies it will not read. Its log lines never show a query string.

Added in 0.1.0 (HTTP/1.1 with keep-alive since 0.2.0; a new connection per request before).
"""

from __future__ import annotations

import logging
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote, urlsplit

import httpx

from amzcancel.sandbox._http import (
    DroppedConnection,
    SandboxRequest,
    SandboxResponse,
    spapi_error,
)

__all__ = ["Handler", "WsgiApp", "make_transport", "serve"]

logger = logging.getLogger("amzcancel.sandbox.server")

_REASONS = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    411: "Length Required",
    413: "Content Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


class Handler(Protocol):
    """What the adapters serve: one sandbox request in, one response out (a Marketplace)."""

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        """Answer ``request``; raise :class:`DroppedConnection` to close it unanswered."""
        ...


MAX_BODY_BYTES = 16 * 1024 * 1024
"""The largest request body the served sandbox reads (a feed of thousands of orders fits)."""

IDLE_SECONDS = 75.0
"""How long the served sandbox keeps an idle connection open (longer than clients keep theirs:
httpx closes its idle connections after 5 s)."""


def _core_request(
    method: str, path: str, query: str, headers: Mapping[str, str], body: bytes, base_url: str
) -> SandboxRequest:
    """The marketplace's view of a request whose ``path`` is already percent-decoded."""
    return SandboxRequest(
        method=method.upper(),
        path=path,
        query=tuple(parse_qsl(query, keep_blank_values=True)),
        headers=headers,
        body=body,
        base_url=base_url,
    )


def make_transport(marketplace: Handler) -> httpx.MockTransport:
    """An ``httpx.MockTransport`` whose handler runs the marketplace in-process."""

    def handler(request: httpx.Request) -> httpx.Response:
        body = request.read()
        url = request.url
        core = SandboxRequest(
            method=request.method,
            path=unquote(url.path),
            query=tuple(parse_qsl(url.query.decode("ascii"), keep_blank_values=True)),
            headers={k.lower(): v for k, v in request.headers.items()},
            body=body,
            base_url=f"{url.scheme}://{url.netloc.decode('ascii')}",
        )
        try:
            answer = marketplace.handle(core)
        except DroppedConnection:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            ) from None
        return httpx.Response(answer.status, headers=answer.headers, content=answer.body)

    return httpx.MockTransport(handler)


class WsgiApp:
    """The marketplace as a WSGI application.

    A dropped-connection fault raises out of the app; :func:`serve`'s server turns that into a
    closed socket (other WSGI servers answer 500 instead).

    Added in 0.1.0.
    """

    def __init__(self, marketplace: Handler) -> None:
        self.marketplace = marketplace

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        length = _content_length(environ.get("CONTENT_LENGTH"))
        if isinstance(length, SandboxResponse):
            return self._send(length, start_response)
        body = environ["wsgi.input"].read(length) if length else b""
        headers = {
            key[5:].replace("_", "-").lower(): str(value)
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        host = headers.get("host") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
        # PATH_INFO is latin-1-decoded bytes per PEP 3333; take it back to UTF-8 text.
        path = environ.get("PATH_INFO", "/").encode("latin-1").decode("utf-8", "replace")
        core = _core_request(
            environ["REQUEST_METHOD"],
            path,
            environ.get("QUERY_STRING", ""),
            headers,
            body,
            f"{environ.get('wsgi.url_scheme', 'http')}://{host}",
        )
        return self._send(self.marketplace.handle(core), start_response)

    @staticmethod
    def _send(answer: SandboxResponse, start_response: Callable[..., Any]) -> Iterable[bytes]:
        status = f"{answer.status} {_REASONS.get(answer.status, 'Unknown')}"
        start_response(status, [*answer.headers, ("Content-Length", str(len(answer.body)))])
        if answer.drip_seconds:
            return _dripped(answer.body, answer.drip_seconds)
        return [answer.body]


def _dripped(body: bytes, seconds: float) -> Iterator[bytes]:
    for index in range(len(body)):
        time.sleep(seconds)
        yield body[index : index + 1]


def _content_length(value: str | None) -> int | SandboxResponse:
    """The body length a request declares, or the error to answer it with.

    A negative length would read until the client hangs up, and a huge one would allocate its
    claim up front: both are refused before anything is read.
    """
    text = (value or "0").strip()
    if not (text.isascii() and text.isdigit()):
        return spapi_error(400, "InvalidInput", "Content-Length is not a valid length")
    if len(text) > 12 or int(text) > MAX_BODY_BYTES:
        return spapi_error(
            413, "RequestEntityTooLarge", f"The body must not exceed {MAX_BODY_BYTES} bytes"
        )
    return int(text)


class _RequestHandler(BaseHTTPRequestHandler):
    """One HTTP/1.1 connection: requests in turn until the client closes it or goes idle."""

    protocol_version = "HTTP/1.1"
    timeout = IDLE_SECONDS
    # Headers and body go out in one write; without this, a small answer could wait for the
    # client's delayed ACK of the previous segment (Nagle) on every keep-alive request.
    disable_nagle_algorithm = True
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, open_=True)
        logger.debug("connection opened from %s", self.address_string())

    def finish(self) -> None:
        with suppress(OSError):
            super().finish()
        self.server.track(self.connection, open_=False)

    def _serve(self) -> None:
        if self.headers.get("Transfer-Encoding"):
            # Without a length the body cannot be skipped, and the connection cannot go on.
            self._refuse(spapi_error(411, "InvalidInput", "Send the body with a Content-Length"))
            return
        length = _content_length(self.headers.get("Content-Length"))
        if isinstance(length, SandboxResponse):
            self._refuse(length)
            return
        body = self.rfile.read(length) if length else b""
        target = urlsplit(self.path)
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        headers = {key.lower(): value for key, value in self.headers.items()}
        core = _core_request(
            self.command, unquote(target.path), target.query, headers, body, f"http://{host}"
        )
        try:
            answer = self.server.marketplace.handle(core)
        except DroppedConnection:
            self.log_request("dropped")
            self.close_connection = True
            with suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        except Exception:
            # A bug in the handler answers 500, as a WSGI server would, and says so.
            logger.exception("the sandbox failed on %s %s", self.command, target.path)
            answer = spapi_error(500, "InternalFailure", "We encountered an internal error.")
        self._write(answer)

    # http.server dispatches on the method's name; the marketplace answers every method.
    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _serve

    def _refuse(self, answer: SandboxResponse) -> None:
        self.close_connection = True  # the unread body would be taken for the next request
        self._write(answer)

    def _write(self, answer: SandboxResponse) -> None:
        reason = _REASONS.get(answer.status, "Unknown")
        lines = [f"HTTP/1.1 {answer.status} {reason}", f"Date: {self.date_time_string()}"]
        lines += [f"{key}: {value}" for key, value in answer.headers]
        lines.append(f"Content-Length: {len(answer.body)}")
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
        body = b"" if self.command == "HEAD" else answer.body
        self.log_request(answer.status)
        try:
            if answer.drip_seconds and body:
                self.wfile.write(head)
                for chunk in _dripped(body, answer.drip_seconds):
                    self.wfile.write(chunk)
            else:
                self.wfile.write(head + body)
        except OSError:
            # The client hung up (a dripped answer it stopped waiting for): nothing to report.
            self.close_connection = True

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # Only method and path: an MWS query string carries the key id and the signature.
        path = self.path.split("?", 1)[0]
        logger.debug("%s %s -> %s", self.command, path, code)

    def log_message(self, format: str, *args: Any) -> None:
        # Error lines can quote the raw request line (query and signature included): log the
        # template only.
        logger.debug("%s http.server: %s", self.address_string(), format)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], marketplace: Handler) -> None:
        super().__init__(address, _RequestHandler)
        self.marketplace = marketplace
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()

    def track(self, connection: socket.socket, *, open_: bool) -> None:
        with self._lock:
            if open_:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def close_connections(self) -> None:
        """End every kept-alive connection, so no handler thread outlives the server."""
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that resets its connection is routine for a test server; the default would
        # print a traceback to stderr for it.
        if isinstance(sys.exc_info()[1], OSError):
            logger.debug("connection from %s ended: %s", client_address, sys.exc_info()[1])
        else:
            logger.error("connection from %s failed", client_address, exc_info=True)


@contextmanager
def serve(marketplace: Handler, *, host: str, port: int) -> Iterator[str]:
    """Serve ``marketplace`` over HTTP/1.1 in a background thread; yield its base URL."""
    server = _Server((host, port), marketplace)
    thread = threading.Thread(
        target=server.serve_forever, args=(0.05,), name="amzcancel-sandbox", daemon=True
    )
    thread.start()
    bound_host, bound_port = server.server_address[:2]
    try:
        yield f"http://{bound_host!s}:{bound_port}"
    finally:
        server.shutdown()
        server.server_close()
        server.close_connections()
        thread.join(timeout=5)
