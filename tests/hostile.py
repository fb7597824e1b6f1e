"""A scriptable, misbehaving HTTP/1.1 server on 127.0.0.1, for tests of clients and engines.

Each request is answered by a handler, a plain function from :class:`Request` to
:class:`Answer`, so a test scripts exactly what the server does: any status, headers and body,
a body (or status line and headers) sent one byte at a time, a ``Content-Length`` that lies, a
body streamed without end, a connection closed without an answer, the same ``NextToken`` again,
tokens in turn. Connections are kept alive as real servers do::

    from hostile import Answer, HostileServer, in_turn

    answers = in_turn(Answer(503), Answer.json({"payload": {}}))
    with HostileServer(answers) as server:
        httpx.get(server.url + "/anything")       # 503
        httpx.get(server.url + "/anything")       # 200, and every later request too
    server.requests[0].path                       # "/anything"

or with the ``hostile_server`` fixture (``tests/conftest.py``), which closes every server it
started when the test ends: ``server = hostile_server(handler)``.

What the server saw is recorded: :attr:`HostileServer.requests` in order, and for each one an
:class:`Exchange` (:attr:`HostileServer.exchanges`) whose ``outcome`` says whether the answer
was sent in full (``"answered"``), the client hung up before it was (``"client-closed"``), or
the script closed the connection unanswered (``"dropped"``); :meth:`Exchange.wait` waits for
that outcome without sleeping. Trickles and streams run on real time (they are about sockets)
and stop at once when the server is closed, so a test that goes wrong fails rather than hangs.
"""

from __future__ import annotations

import contextlib
import json
import select
import socket
import socketserver
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

__all__ = ["Answer", "Exchange", "Handler", "HostileServer", "Request", "endless", "in_turn"]

MAX_LINE_BYTES = 65536
MAX_BODY_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class Request:
    """A request as the server received it.

    Attributes:
        method: the method, upper case.
        target: the raw request target (path and query, still percent-encoded).
        path: the path, percent-decoded.
        query: the query parameters in order, decoded.
        headers: header names in lower case (repeated headers joined with ``", "``).
        body: the body (``Content-Length`` bodies only).
        connection: the number of the TCP connection it came on (1 for the first).
        index: its position among every request the server received (0 for the first).
    """

    method: str
    target: str
    path: str
    query: tuple[tuple[str, str], ...]
    headers: Mapping[str, str]
    body: bytes
    connection: int
    index: int

    def param(self, name: str) -> str | None:
        """The first value of query parameter ``name``, or ``None``."""
        return next((value for key, value in self.query if key == name), None)

    def form(self) -> dict[str, str]:
        """The body as ``application/x-www-form-urlencoded`` fields (the last of a repeat)."""
        return dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))


@dataclass(frozen=True)
class Answer:
    """What to answer one request with.

    Attributes:
        status: the status code.
        headers: headers, sent as given (``Content-Length`` is added unless given or the body
            is streamed).
        body: the body; an iterable of chunks is streamed with ``Transfer-Encoding: chunked``
            and may never end (the client must stop reading).
        reason: the reason phrase (default ``OK`` or ``Error``); any text, escape codes too.
        trickle_seconds: the pause before each byte of the body (of each chunk, when
            streamed); real time.
        trickle_headers: trickle the status line and headers too.
        content_length: the ``Content-Length`` to declare instead of the body's (a lie; the
            connection is closed after the body, so a client waiting for more sees the end).
        close: close the connection without answering.
    """

    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | Iterable[bytes] = b""
    reason: str | None = None
    trickle_seconds: float = 0.0
    trickle_headers: bool = False
    content_length: int | None = None
    close: bool = False

    @classmethod
    def json(
        cls, payload: Any, status: int = 200, headers: Iterable[tuple[str, str]] = ()
    ) -> Answer:
        """A JSON answer."""
        body = json.dumps(payload).encode("utf-8")
        return cls(status, (("Content-Type", "application/json"), *headers), body)

    @classmethod
    def drop(cls) -> Answer:
        """Close the connection without answering."""
        return cls(close=True)


Handler = Callable[[Request], Answer]
"""What scripts a server: the answer to each request."""


def in_turn(*answers: Answer) -> Handler:
    """A handler giving ``answers`` one after another, the last one to every later request."""
    if not answers:
        raise ValueError("in_turn needs at least one answer")
    lock, given = threading.Lock(), [0]

    def handler(request: Request) -> Answer:
        with lock:
            position = min(given[0], len(answers) - 1)
            given[0] += 1
        return answers[position]

    return handler


@dataclass
class Exchange:
    """One request and what became of its answer.

    ``outcome`` is ``"pending"`` until it is known, then ``"answered"`` (sent in full),
    ``"client-closed"`` (the client hung up before the answer was sent in full),
    ``"dropped"`` (the script closed the connection unanswered), or ``"error"`` (the handler
    raised; the connection was closed).
    """

    request: Request
    answer: Answer | None = None
    outcome: str = "pending"
    done: threading.Event = field(default_factory=threading.Event, repr=False)

    def finish(self, outcome: str) -> None:
        self.outcome = outcome
        self.done.set()

    def wait(self, timeout: float = 10.0) -> str:
        """The outcome, once known (``"pending"`` if it is not within ``timeout`` seconds)."""
        self.done.wait(timeout)
        return self.outcome


class _ClientGone(Exception):
    """The client closed the connection while the server was still sending."""


class _Connection(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        hostile = self.server.hostile
        number = hostile._opened(self.request)
        reader = self.request.makefile("rb")
        try:
            while not hostile._stopping.is_set():
                request = self._read_request(reader, number)
                if request is None:
                    return
                exchange = hostile._received(request)
                if not self._answer(exchange):
                    return
        except (OSError, ValueError):
            return
        finally:
            reader.close()
            hostile._closed(self.request)

    def _read_request(self, reader: Any, number: int) -> Request | None:
        line = reader.readline(MAX_LINE_BYTES)
        if not line.strip():
            return None
        method, target, _version = line.decode("latin-1").split(None, 2)
        headers: dict[str, str] = {}
        while True:
            raw = reader.readline(MAX_LINE_BYTES)
            if raw in (b"\r\n", b"\n", b""):
                break
            name, _, value = raw.decode("latin-1").partition(":")
            key = name.strip().lower()
            headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
        length = int(headers.get("content-length", "0") or 0)
        body = reader.read(min(length, MAX_BODY_BYTES)) if length else b""
        parts = urlsplit(target)
        return Request(
            method=method.upper(),
            target=target,
            path=unquote(parts.path),
            query=tuple(parse_qsl(parts.query, keep_blank_values=True)),
            headers=headers,
            body=body,
            connection=number,
            index=-1,  # set by the server, in the order requests arrive
        )

    def _answer(self, exchange: Exchange) -> bool:
        """Send the scripted answer; False when the connection is over."""
        hostile = self.server.hostile
        try:
            answer = hostile.handler(exchange.request)
        except Exception:
            exchange.finish("error")
            raise
        exchange.answer = answer
        if answer.close:
            exchange.finish("dropped")
            self.request.shutdown(socket.SHUT_RDWR)
            return False
        try:
            self._send(answer)
        except (_ClientGone, OSError):
            exchange.finish("client-closed")
            return False
        exchange.finish("answered")
        if answer.content_length is not None:
            return False  # after a lie about the length, the stream cannot go on
        return exchange.request.headers.get("connection", "").lower() != "close"

    def _send(self, answer: Answer) -> None:
        body = answer.body
        default_reason = "OK" if answer.status < 400 else "Error"
        reason = default_reason if answer.reason is None else answer.reason
        lines = [f"HTTP/1.1 {answer.status} {reason}", *(f"{k}: {v}" for k, v in answer.headers)]
        given = {k.lower() for k, _ in answer.headers}
        if not isinstance(body, bytes | bytearray):
            lines.append("Transfer-Encoding: chunked")
        elif "content-length" not in given:
            declared = len(body) if answer.content_length is None else answer.content_length
            lines.append(f"Content-Length: {declared}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")
        pause = answer.trickle_seconds
        self._write(head, pause if answer.trickle_headers else 0.0)
        if isinstance(body, bytes | bytearray):
            self._write(bytes(body), pause)
            return
        for chunk in body:
            self._pause(pause)
            self._write(b"%x\r\n%s\r\n" % (len(chunk), chunk), 0.0)
        self._write(b"0\r\n\r\n", 0.0)

    def _write(self, data: bytes, pause: float) -> None:
        if pause <= 0:
            self.request.sendall(data)
            return
        for position in range(len(data)):
            self._pause(pause)
            self.request.sendall(data[position : position + 1])

    def _pause(self, seconds: float) -> None:
        """Wait (real time) unless the server is closing; fail once the client has hung up."""
        if seconds > 0 and self.server.hostile._stopping.wait(seconds):
            raise _ClientGone("the server is closing")
        readable, _, _ = select.select([self.request], [], [], 0)
        # Readable with nothing to read is the client's FIN (a pipelined request has data).
        if readable and not self.request.recv(1, socket.MSG_PEEK):
            raise _ClientGone("the client closed the connection")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    hostile: HostileServer


class HostileServer:
    """A threaded HTTP/1.1 server on 127.0.0.1 answering every request with ``handler``.

    Use it as a context manager (``with HostileServer(handler) as server``), or call
    :meth:`start` and :meth:`close`. :attr:`url` is its base URL (``http://127.0.0.1:PORT``).
    """

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.exchanges: list[Exchange] = []
        self.connections = 0
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    @property
    def requests(self) -> list[Request]:
        """Every request received so far, in order."""
        with self._lock:
            return [exchange.request for exchange in self.exchanges]

    def start(self) -> HostileServer:
        """Start serving in a background thread; returns the server."""
        server = _Server(("127.0.0.1", 0), _Connection)
        server.hostile = self
        self._server = server
        # A short poll interval: close() waits for the accept loop to notice.
        self._thread = threading.Thread(
            target=server.serve_forever, args=(0.02,), name="hostile", daemon=True
        )
        self._thread.start()
        host, port = server.server_address[:2]
        self.url = f"http://{host!s}:{port}"
        return self

    def close(self) -> None:
        """Stop serving: trickles and streams end, open connections are closed."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        with self._lock:
            connections = list(self._open)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> HostileServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _opened(self, connection: socket.socket) -> int:
        with self._lock:
            self._open.add(connection)
            self.connections += 1
            return self.connections

    def _closed(self, connection: socket.socket) -> None:
        with self._lock:
            self._open.discard(connection)

    def _received(self, request: Request) -> Exchange:
        with self._lock:
            exchange = Exchange(Request(**{**request.__dict__, "index": len(self.exchanges)}))
            self.exchanges.append(exchange)
        return exchange

    def __repr__(self) -> str:
        return f"HostileServer({self.url or 'not started'}, requests={len(self.exchanges)})"


def endless(chunk: bytes = b"x" * 65536) -> Iterator[bytes]:
    """A body that never ends (for tests of a client's body bound)."""
    while True:
        yield chunk
