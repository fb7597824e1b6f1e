"""The served sandbox speaks HTTP/1.1 with keep-alive, drops and drips on demand, stays quiet."""

from __future__ import annotations

import io
import logging
import socket
from collections.abc import Callable, Iterator

import httpx
import pytest

from amzcancel.clock import FakeClock
from amzcancel.errors import RequestTimeout
from amzcancel.sandbox import SANDBOX_LWA_CREDENTIALS, Marketplace
from amzcancel.sandbox._adapters import WsgiApp, serve
from amzcancel.sandbox._http import DroppedConnection, SandboxRequest, SandboxResponse
from amzcancel.transport import SpApiClient


@pytest.fixture
def opened(caplog: pytest.LogCaptureFixture) -> Callable[[], int]:
    """How many connections the served sandbox has accepted so far (from its debug log)."""
    caplog.set_level(logging.DEBUG, logger="amzcancel.sandbox.server")
    return lambda: sum(r.getMessage().startswith("connection opened") for r in caplog.records)


def test_requests_share_one_connection(opened: Callable[[], int]) -> None:
    """Ten requests from one client travel over one connection, as with Amazon."""
    mp = Marketplace(seed=1, orders=3, clock=FakeClock())
    with mp.serve(port=0) as url, httpx.Client(timeout=10) as http:
        answers = [http.get(f"{url}/orders/v0/orders/1") for _ in range(10)]
    assert {answer.status_code for answer in answers} == {403}  # no token: a real answer
    assert all(answer.http_version == "HTTP/1.1" for answer in answers)
    assert opened() == 1


def test_a_client_of_the_core_keeps_its_connection(opened: Callable[[], int]) -> None:
    """SpApiClient's token request and API calls all use one kept-alive connection."""
    mp = Marketplace(seed=1, orders=5, rate_limits=False)
    with (
        mp.serve(port=0) as url,
        SpApiClient(
            credentials=SANDBOX_LWA_CREDENTIALS, endpoint=url, lwa_endpoint=f"{url}/auth/o2/token"
        ) as client,
    ):
        for order in mp.truth().orders:
            client.orders_v0.get_order_items(order.amazon_order_id)
    assert opened() == 1
    assert mp.truth().requests_by_operation == {"getOrderItems": 5}
    assert mp.truth().tokens_issued == 1


def test_a_drop_closes_only_its_connection(opened: Callable[[], int]) -> None:
    """The DROP fault still closes a connection unanswered; the next request gets a new one."""
    mp = Marketplace(seed=1, orders=5, faults=1.0, slow_seconds=0.0)
    outcomes: list[str] = []
    with mp.serve(port=0) as url, httpx.Client(timeout=10) as http:
        for _ in range(30):
            try:
                outcomes.append(str(http.get(f"{url}/orders/v0/orders/1").status_code))
            except httpx.RemoteProtocolError:
                outcomes.append("dropped")
    drops = outcomes.count("dropped")
    assert 0 < drops < len(outcomes)  # some dropped, the other faults answered
    assert mp.truth().faults["drop"] == drops
    # One connection to begin with, and a new one after each drop that another request follows.
    assert opened() == 1 + drops - (outcomes[-1] == "dropped")


class Scripted:
    """A stand-in marketplace: answers every request with one response (or drops it)."""

    def __init__(self, answer: SandboxResponse | None) -> None:
        self.answer = answer
        self.seen: list[SandboxRequest] = []

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        self.seen.append(request)
        if self.answer is None:
            raise DroppedConnection("scripted")
        return self.answer


@pytest.fixture
def dripping() -> Iterator[tuple[str, Scripted]]:
    """A server dripping 200 bytes, one every 0.05 s (10 s in all)."""
    body = b'{"payload": {"Orders": []}}'.ljust(200)
    scripted = Scripted(SandboxResponse(200, [("Content-Type", "application/json")], body, 0.05))
    with serve(scripted, host="127.0.0.1", port=0) as url:
        yield url, scripted


def test_a_dripped_answer_arrives_byte_by_byte(dripping: tuple[str, Scripted]) -> None:
    """The body comes in many pieces after the headers, not in one write."""
    url, _ = dripping
    pieces = 0
    with httpx.Client(timeout=10) as http, http.stream("GET", f"{url}/x") as answer:
        assert answer.headers["content-length"] == "200"
        for _ in answer.iter_raw():
            pieces += 1
            if pieces == 5:
                break
    assert pieces == 5


def test_a_dripped_answer_meets_the_clients_request_deadline(
    dripping: tuple[str, Scripted],
) -> None:
    """Drip is what a client's request deadline is for: it ends the request, not the drip."""
    url, scripted = dripping
    with (
        SpApiClient(
            credentials=SANDBOX_LWA_CREDENTIALS,
            endpoint=url,
            clock=FakeClock(),
            request_deadline=0.3,
            max_retries=0,
        ) as client,
        pytest.raises(RequestTimeout, match="request deadline"),
    ):
        client.request("GET", "/orders/v0/orders", operation=None, authenticate=False)
    assert [request.path for request in scripted.seen] == ["/orders/v0/orders"]


def test_the_in_process_transport_ignores_drip() -> None:
    """drip_seconds is for the served sandbox; the in-process transport answers at once."""
    from amzcancel.sandbox._adapters import make_transport

    answer = SandboxResponse(200, [], b"abc", drip_seconds=30.0)
    with httpx.Client(transport=make_transport(Scripted(answer))) as http:
        assert http.get("http://sandbox.test/x").content == b"abc"


def test_a_chunked_request_body_is_refused_and_the_connection_closed() -> None:
    """Without a Content-Length the body cannot be skipped: 411, and the server hangs up."""
    scripted = Scripted(SandboxResponse(200, [], b"ok"))
    with serve(scripted, host="127.0.0.1", port=0) as url:
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(
                b"POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                b"3\r\nabc\r\n0\r\n\r\n"
            )
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
    assert answer.startswith(b"HTTP/1.1 411 ")
    assert b"Connection: close" in answer
    assert scripted.seen == []


def test_a_client_hanging_up_mid_drip_leaves_no_traceback(
    dripping: tuple[str, Scripted], capfd: pytest.CaptureFixture[str]
) -> None:
    """Hanging up on a dripping answer is routine: the server says nothing on stderr."""
    url, _ = dripping
    with httpx.Client(timeout=10) as http, http.stream("GET", f"{url}/x") as answer:
        next(answer.iter_raw())
    assert "Traceback" not in capfd.readouterr().err


def test_the_wsgi_app_drips_too() -> None:
    """Under any WSGI server a dripped body is yielded one byte at a time."""
    app = WsgiApp(Scripted(SandboxResponse(200, [], b"abc", drip_seconds=0.001)))
    started: list[str] = []
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/x",
        "SERVER_NAME": "sandbox.test",
        "SERVER_PORT": "80",
        "wsgi.input": io.BytesIO(),
    }
    body = app(environ, lambda status, headers: started.append(status))
    assert list(body) == [b"a", b"b", b"c"]
    assert started == ["200 OK"]


class Broken:
    """A handler with a bug."""

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        raise KeyError("a sandbox bug")


def test_a_handler_bug_is_a_500_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    """A bug answers 500 (the connection stays usable) and is logged with its traceback."""
    with serve(Broken(), host="127.0.0.1", port=0) as url, httpx.Client(timeout=10) as http:
        answers = [http.get(f"{url}/x").status_code for _ in range(2)]
    assert answers == [500, 500]
    failures = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(failures) == 2
    assert failures[0].exc_info is not None
