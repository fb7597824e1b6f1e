"""Every request ends: the request deadline and the body bound, against a real hostile server.

No timing is asserted. A server trickles its answer (or its status line) one byte at a time,
for longer than the deadline allows but never longer than a few seconds in all, so a client
that ignored the deadline would complete the request (and fail the test) instead of hanging
it. The server's record says whether the client hung up before the answer was sent in full.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from amzcancel.clock import FakeClock
from amzcancel.errors import RequestTimeout, TransportError
from amzcancel.transport import AsyncSpApiClient, LwaCredentials, SpApiClient
from hostile import Answer, Handler, HostileServer, Request, endless, in_turn

AFTER = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
ORDERS = {"payload": {"Orders": [], "LastUpdatedBefore": "2026-11-21T09:30:00Z"}}
TOKEN = Answer.json({"access_token": "Atza|deadline", "expires_in": 3600})
# 100 bytes at 0.1 s: 10 s for the whole answer, ten times the deadline the tests set (1 s,
# which a prompt answer meets even on a busy machine).
SLOW = Answer(200, (("Content-Type", "application/json"),), b" " * 98 + b"{}", trickle_seconds=0.1)

Servers = Callable[[Handler], HostileServer]


def api(answer: Answer) -> Handler:
    """LWA answers at once; every other request gets ``answer``."""

    def handler(request: Request) -> Answer:
        return TOKEN if request.path == "/auth/o2/token" else answer

    return handler


def options(server: HostileServer, **overrides: Any) -> dict[str, Any]:
    return {
        "credentials": LwaCredentials("app", "secret", "Atzr|refresh"),
        "endpoint": server.url,
        "lwa_endpoint": f"{server.url}/auth/o2/token",
        "clock": FakeClock(),
        "timeout": 5,
        "request_deadline": 1.0,
        "max_retries": 0,
        **overrides,
    }


def get_orders(client: SpApiClient) -> object:
    return client.orders_v0.get_orders(marketplace_ids=["ATVPDKIKX0DER"], last_updated_after=AFTER)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_a_trickled_body_ends_at_the_deadline(hostile_server: Servers) -> None:
    """200 and then one byte at a time: RequestTimeout, and the server sees the client leave."""
    server = hostile_server(api(SLOW))
    with SpApiClient(**options(server)) as client, pytest.raises(RequestTimeout) as info:
        get_orders(client)
    assert "did not finish answering within the 1 s request deadline (getOrders)" in str(info.value)
    assert server.exchanges[-1].wait() == "client-closed"


@pytest.mark.anyio
async def test_the_async_client_keeps_the_deadline_too(hostile_server: Servers) -> None:
    """The same trickle ends the same way for AsyncSpApiClient."""
    server = hostile_server(api(SLOW))
    async with AsyncSpApiClient(**options(server)) as client:
        with pytest.raises(RequestTimeout, match="request deadline"):
            await client.orders_v0.get_orders(
                marketplace_ids=["ATVPDKIKX0DER"], last_updated_after=AFTER
            )
    assert server.exchanges[-1].wait() == "client-closed"


def test_a_trickled_status_line_ends_at_the_deadline(hostile_server: Servers) -> None:
    """The deadline covers the wait for the headers as well as the body."""
    slow_head = replace(Answer.json(ORDERS), trickle_seconds=0.1, trickle_headers=True)
    server = hostile_server(api(slow_head))
    with SpApiClient(**options(server)) as client, pytest.raises(RequestTimeout):
        get_orders(client)
    assert server.exchanges[-1].wait() == "client-closed"


def test_the_lwa_token_request_keeps_the_deadline(hostile_server: Servers) -> None:
    """A trickling token endpoint ends with a RequestTimeout naming the token request."""
    slow_token = replace(TOKEN, trickle_seconds=0.1)
    server = hostile_server(in_turn(slow_token))
    with SpApiClient(**options(server)) as client, pytest.raises(RequestTimeout) as info:
        get_orders(client)
    assert "(LWA token request)" in str(info.value)
    assert [r.path for r in server.requests] == ["/auth/o2/token"]
    assert server.exchanges[0].wait() == "client-closed"


@pytest.mark.anyio
async def test_a_document_download_keeps_the_deadline(hostile_server: Servers) -> None:
    """request(..., authenticate=False) to a presigned URL is bounded like an API call."""
    server = hostile_server(api(SLOW))
    url = f"{server.url}/documents/report?X-Amz-Signature=abc"
    async with AsyncSpApiClient(**options(server)) as client:
        with pytest.raises(RequestTimeout) as info:
            await client.request("GET", url, operation=None, authenticate=False)
    assert "(GET request)" in str(info.value)
    assert "X-Amz-Signature" not in str(info.value) + repr(info.value.url)
    assert server.exchanges[-1].wait() == "client-closed"


def test_a_deadline_timeout_is_retried_within_the_budget(hostile_server: Servers) -> None:
    """RequestTimeout is transient: the retry (a prompt answer) goes through."""
    server = hostile_server(api_in_turn(SLOW, Answer.json(ORDERS)))
    with SpApiClient(**options(server, max_retries=2)) as client:
        page = get_orders(client)
        assert client.stats.retries == 1
    assert page is not None
    assert [e.wait() for e in server.exchanges if e.request.path != "/auth/o2/token"] == [
        "client-closed",
        "answered",
    ]


def api_in_turn(*answers: Answer) -> Handler:
    """LWA answers at once; API requests get ``answers`` in turn."""
    turns = in_turn(*answers)

    def handler(request: Request) -> Answer:
        return TOKEN if request.path == "/auth/o2/token" else turns(request)

    return handler


def test_a_declared_body_over_the_bound_is_refused_unread(hostile_server: Servers) -> None:
    """A Content-Length over max_response_bytes: TransportError at once, no retry."""
    server = hostile_server(api(Answer(200, (), b"{}", content_length=10_000_000)))
    with (
        SpApiClient(**options(server, max_response_bytes=1_000_000, max_retries=3)) as client,
        pytest.raises(TransportError) as info,
    ):
        get_orders(client)
    assert type(info.value) is TransportError
    message = str(info.value)
    assert "of 10000000 bytes" in message
    assert "larger than the 1000000 bytes max_response_bytes allows" in message
    assert client.stats.requests == 1


def test_an_endless_stream_is_cut_off_at_the_bound(hostile_server: Servers) -> None:
    """A chunked body that never ends: refused once it passes the bound; the client hangs up."""
    server = hostile_server(api(Answer(200, (), endless())))
    with (
        SpApiClient(**options(server, max_response_bytes=1024 * 1024)) as client,
        pytest.raises(TransportError, match=r"larger than the 1 MiB max_response_bytes allows"),
    ):
        get_orders(client)
    assert server.exchanges[-1].wait() == "client-closed"


@pytest.mark.anyio
async def test_a_gzip_bomb_is_refused_after_decoding(hostile_server: Servers) -> None:
    """10 KB of gzip that unpacks to 20 MB is measured unpacked."""
    bomb = gzip.compress(b"0" * 20_000_000)
    assert len(bomb) < 100_000
    server = hostile_server(api(Answer(200, (("Content-Encoding", "gzip"),), bomb)))
    async with AsyncSpApiClient(**options(server, max_response_bytes=1_000_000)) as client:
        with pytest.raises(TransportError, match="max_response_bytes"):
            await client.request("GET", "/orders/v0/orders", operation=None)


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(
            Answer(
                200,
                (("Content-Encoding", "gzip"), ("Content-Type", "application/json")),
                gzip.compress(json.dumps(ORDERS).encode()),
            ),
            id="gzip",
        ),
        pytest.param(Answer(200, (), iter([b'{"payload": ', b'{"Orders": []}}'])), id="chunked"),
        pytest.param(Answer.json(ORDERS), id="plain"),
    ],
)
def test_answers_within_the_bound_are_read_whole(hostile_server: Servers, answer: Answer) -> None:
    """Compressed and chunked answers under the bound arrive decoded, as plain ones do."""
    server = hostile_server(api(answer))
    with SpApiClient(**options(server)) as client:
        response = client.request("GET", "/orders/v0/orders", operation=None)
    assert response.json()["payload"]["Orders"] == []
    assert "content-encoding" not in response.headers
