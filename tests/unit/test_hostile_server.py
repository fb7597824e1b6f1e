"""The hostile test server itself (tests/hostile.py): scripts, records and outcomes hold."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import httpx
import pytest

from hostile import Answer, Handler, HostileServer, Request, in_turn

Servers = Callable[[Handler], HostileServer]


def test_requests_are_recorded_in_order_with_their_parts(hostile_server: Servers) -> None:
    """Method, decoded path and query, lower-case headers, body and index are all kept."""
    server = hostile_server(in_turn(Answer.json({"ok": True})))
    with httpx.Client(base_url=server.url) as http:
        http.get("/orders/a%2Fb", params={"NextToken": "x/y+z", "n": "1"}, headers={"X-A": "1"})
        http.post("/auth/o2/token", data={"grant_type": "refresh_token"})
    first, second = server.requests
    assert (first.method, first.path, first.param("NextToken"), first.param("n")) == (
        "GET",
        "/orders/a/b",
        "x/y+z",
        "1",
    )
    assert first.headers["x-a"] == "1"
    assert (second.index, second.form()) == (1, {"grant_type": "refresh_token"})


def test_answers_come_in_turn_then_the_last_repeats(hostile_server: Servers) -> None:
    """in_turn scripts a sequence: 503, then 200 for ever."""
    server = hostile_server(in_turn(Answer(503), Answer.json({})))
    with httpx.Client(base_url=server.url) as http:
        assert [http.get("/").status_code for _ in range(4)] == [503, 200, 200, 200]


def test_connections_are_kept_alive_and_counted(hostile_server: Servers) -> None:
    """Five requests on one client use one connection; a dropped answer closes it."""
    server = hostile_server(lambda request: Answer.json({}))
    with httpx.Client(base_url=server.url) as http:
        for _ in range(5):
            http.get("/")
    assert server.connections == 1
    assert {r.connection for r in server.requests} == {1}
    assert [e.wait() for e in server.exchanges] == ["answered"] * 5


def test_a_drop_closes_the_connection_unanswered(hostile_server: Servers) -> None:
    """Answer.drop(): the client sees the connection closed; the outcome says dropped."""
    server = hostile_server(in_turn(Answer.drop(), Answer.json({})))
    with httpx.Client(base_url=server.url) as http:
        with pytest.raises(httpx.RemoteProtocolError):
            http.get("/")
        assert http.get("/").status_code == 200
    assert [e.wait() for e in server.exchanges] == ["dropped", "answered"]
    assert server.connections == 2


def test_a_trickle_read_to_the_end_is_answered(hostile_server: Servers) -> None:
    """A trickled answer the client waits for arrives whole (status line and reason too)."""
    slow = replace(Answer(418, (), b"abc", reason="Teapot"), trickle_seconds=0.01)
    server = hostile_server(in_turn(replace(slow, trickle_headers=True)))
    response = httpx.get(server.url, timeout=5)
    assert (response.status_code, response.reason_phrase, response.content) == (
        418,
        "Teapot",
        b"abc",
    )
    assert server.exchanges[0].wait() == "answered"


def test_a_lying_content_length_is_sent_as_given(hostile_server: Servers) -> None:
    """content_length declares what the script says, not what the body is."""
    server = hostile_server(in_turn(Answer(200, (), b"ab", content_length=5)))
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(server.url, timeout=5)


def test_a_handler_sees_each_request(hostile_server: Servers) -> None:
    """A handler can answer from the request: here the same page token again."""

    def pages(request: Request) -> Answer:
        return Answer.json({"NextToken": request.param("NextToken") or "t1"})

    server = hostile_server(pages)
    with httpx.Client(base_url=server.url) as http:
        assert http.get("/", params={"NextToken": "t1"}).json() == {"NextToken": "t1"}


def test_closing_ends_a_trickle_at_once() -> None:
    """close() stops an answer mid-trickle: the client sees the connection end, no hang."""
    server = HostileServer(in_turn(Answer(200, (), b"x" * 1000, trickle_seconds=0.05))).start()
    with httpx.Client(base_url=server.url, timeout=5) as http, http.stream("GET", "/") as answer:
        server.close()
        with pytest.raises(httpx.RemoteProtocolError):
            answer.read()
    assert server.exchanges[0].wait() == "client-closed"
