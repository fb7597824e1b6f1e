"""Adapters from the marketplace's HTTP core to httpx (in-process) and WSGI (real server).

Added in 0.1.0.
"""

from __future__ import annotations

import logging
import socket
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from socketserver import ThreadingMixIn
from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote
from wsgiref.handlers import SimpleHandler
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer, make_server

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
        core = SandboxRequest(
            method=environ["REQUEST_METHOD"].upper(),
            path=path,
            query=tuple(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)),
            headers=headers,
            body=body,
            base_url=f"{environ.get('wsgi.url_scheme', 'http')}://{host}",
        )
        return self._send(self.marketplace.handle(core), start_response)

    @staticmethod
    def _send(answer: SandboxResponse, start_response: Callable[..., Any]) -> list[bytes]:
        status = f"{answer.status} {_REASONS.get(answer.status, 'Unknown')}"
        start_response(status, [*answer.headers, ("Content-Length", str(len(answer.body)))])
        return [answer.body]


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


class _ServerHandler(ServerHandler):
    def handle_error(self) -> None:
        if isinstance(sys.exc_info()[1], DroppedConnection):
            raise DroppedConnection  # out of run(), to the request handler below
        super().handle_error()

    def close(self) -> None:
        # run() calls close() on the way out of a dropped connection; wsgiref's would log the
        # answer's status, and there is none (an AttributeError that hid the drop).
        if getattr(self, "status", None) is None:
            SimpleHandler.close(self)
        else:
            super().close()


class _RequestHandler(WSGIRequestHandler):
    """wsgiref's handler, quiet, and able to drop a connection without answering."""

    def handle(self) -> None:
        self.raw_requestline = self.rfile.readline(65537)
        if len(self.raw_requestline) > 65536:
            self.send_error(414)
            return
        if not self.parse_request():
            return
        handler = _ServerHandler(
            self.rfile,
            self.wfile,  # type: ignore[arg-type]
            self.get_stderr(),
            self.get_environ(),
            multithread=True,
        )
        handler.request_handler = self  # type: ignore[attr-defined]
        try:
            handler.run(self.server.get_app())  # type: ignore[attr-defined]
        except DroppedConnection:
            self.close_connection = True
            with suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # Only method and path: an MWS query string carries the key id and the signature.
        path = self.path.split("?", 1)[0]
        logger.debug("%s %s -> %s", self.command, path, code)

    def log_message(self, format: str, *args: Any) -> None:
        # Error lines can quote the raw request line (query and signature included): log the
        # template only.
        logger.debug("%s http.server: %s", self.address_string(), format)


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


@contextmanager
def serve(marketplace: Handler, *, host: str, port: int) -> Iterator[str]:
    """Run a threaded WSGI server for ``marketplace`` in a background thread; yield its URL."""
    server = make_server(
        host,
        port,
        WsgiApp(marketplace),
        server_class=_ThreadingServer,
        handler_class=_RequestHandler,
    )
    thread = threading.Thread(target=server.serve_forever, name="amzcancel-sandbox", daemon=True)
    thread.start()
    bound_host, bound_port = server.server_address[:2]
    try:
        yield f"http://{bound_host!s}:{bound_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
