"""Transport failures name the host and the call that failed, never a query or a password."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest

from amzcancel.clock import FakeClock
from amzcancel.errors import ConnectionFailed, RequestTimeout, TransportError
from amzcancel.transport import AsyncSpApiClient, LwaCredentials, SpApiClient
from amzcancel.transport._answers import transport_error
from hostile import Answer, Handler, HostileServer, Request

AFTER = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
CREDS = LwaCredentials("app", "secret", "Atzr|refresh")
TOKEN = Answer.json({"access_token": "Atza|x", "expires_in": 3600})

Servers = Callable[[Handler], HostileServer]


def refused_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_a_refused_lwa_endpoint_is_named_with_the_token_request(
    hostile_server: Servers, caplog: pytest.LogCaptureFixture
) -> None:
    """The API host works; the token host refuses: the error and every retry log say which."""
    port = refused_port()
    server = hostile_server(lambda request: Answer.json({}))
    caplog.set_level(logging.WARNING, logger="amzcancel.transport.retry")
    with (
        SpApiClient(
            credentials=CREDS,
            endpoint=server.url,
            lwa_endpoint=f"http://127.0.0.1:{port}/auth/o2/token?client_secret=leak",
            clock=FakeClock(),
            max_retries=2,
        ) as client,
        pytest.raises(ConnectionFailed) as info,
    ):
        client.orders_2026.search_orders(last_updated_after=AFTER)
    message = str(info.value)
    assert message.startswith(f"could not connect to 127.0.0.1:{port} (LWA token request): ")
    assert "refused" in message.lower()
    assert info.value.url == f"http://127.0.0.1:{port}/auth/o2/token"
    retries = [r.getMessage() for r in caplog.records if r.name == "amzcancel.transport.retry"]
    assert len(retries) == 2
    assert all(f"127.0.0.1:{port} (LWA token request)" in line for line in retries)
    assert all(line.startswith("searchOrders failed (could not connect") for line in retries)
    assert "leak" not in message + repr(info.value) + caplog.text
    assert server.requests == []


@pytest.mark.anyio
async def test_the_async_client_names_the_refused_api_host(hostile_server: Servers) -> None:
    """Token from a working LWA host, API host unreachable: the error names the API call."""
    port = refused_port()
    lwa = hostile_server(lambda request: TOKEN)
    async with AsyncSpApiClient(
        credentials=CREDS,
        endpoint=f"http://erp:hunter2@127.0.0.1:{port}",
        lwa_endpoint=f"{lwa.url}/auth/o2/token",
        clock=FakeClock(),
        max_retries=0,
    ) as client:
        with pytest.raises(ConnectionFailed) as info:
            await client.request("GET", "/orders/v0/orders", operation="getOrders")
    assert str(info.value).startswith(f"could not connect to 127.0.0.1:{port} (getOrders): ")
    assert "hunter2" not in str(info.value) + repr(info.value)
    assert [r.path for r in lwa.requests] == ["/auth/o2/token"]


def test_a_dropped_connection_names_the_host_and_operation(hostile_server: Servers) -> None:
    """A server that closes without answering: ConnectionFailed saying so."""

    def handler(request: Request) -> Answer:
        return TOKEN if request.path == "/auth/o2/token" else Answer.drop()

    server = hostile_server(handler)
    with (
        SpApiClient(
            credentials=CREDS,
            endpoint=server.url,
            lwa_endpoint=f"{server.url}/auth/o2/token",
            clock=FakeClock(),
            max_retries=1,
        ) as client,
        pytest.raises(ConnectionFailed) as info,
    ):
        client.orders_v0.get_orders(marketplace_ids=["ATVPDKIKX0DER"], last_updated_after=AFTER)
    host = server.url.removeprefix("http://")
    assert str(info.value).startswith(
        f"{host} closed the connection without a complete answer (getOrders)"
    )
    assert [e.wait() for e in server.exchanges].count("dropped") == 2


REQUEST = httpx.Request(
    "GET",
    "https://user:pw@sellingpartnerapi-eu.amazon.com/orders/v0/orders?NextToken=secret",
    extensions={"timeout": {"connect": 5.0, "read": 30.0, "write": 30.0, "pool": 30.0}},
)


@pytest.mark.parametrize(
    ("failure", "kind", "message"),
    [
        pytest.param(
            httpx.ConnectTimeout("timed out"),
            RequestTimeout,
            "timed out connecting to sellingpartnerapi-eu.amazon.com (getOrders)",
            id="connect-timeout",
        ),
        pytest.param(
            httpx.ReadTimeout("timed out"),
            RequestTimeout,
            "sellingpartnerapi-eu.amazon.com sent nothing for 30 s (getOrders)",
            id="read-timeout",
        ),
        pytest.param(
            httpx.WriteTimeout("timed out"),
            RequestTimeout,
            "could not send to sellingpartnerapi-eu.amazon.com for 30 s (getOrders)",
            id="write-timeout",
        ),
        pytest.param(
            httpx.PoolTimeout("busy"),
            RequestTimeout,
            "no free connection to sellingpartnerapi-eu.amazon.com in time (getOrders)",
            id="pool-timeout",
        ),
        pytest.param(
            httpx.ConnectError("[Errno -2] Name or service not known"),
            ConnectionFailed,
            "could not connect to sellingpartnerapi-eu.amazon.com (getOrders): "
            "[Errno -2] Name or service not known",
            id="dns",
        ),
        pytest.param(
            httpx.ReadError("[Errno 104] Connection reset by peer"),
            ConnectionFailed,
            "connection to sellingpartnerapi-eu.amazon.com failed (getOrders): ReadError: "
            "[Errno 104] Connection reset by peer",
            id="reset",
        ),
    ],
)
def test_each_failure_reads_as_what_happened(
    failure: httpx.TransportError, kind: type[TransportError], message: str
) -> None:
    """One sentence per kind of failure, with the host and the call; no query, no password."""
    error = transport_error(failure, REQUEST, label="getOrders")
    assert type(error) is kind
    assert str(error) == message
    assert error.url == "https://sellingpartnerapi-eu.amazon.com/orders/v0/orders"
    assert error.method == "GET"


def test_the_deadline_is_named_whatever_failed_after_it() -> None:
    """Once the deadline has passed, the timeout that followed is reported as the deadline."""
    error = transport_error(
        httpx.ReadTimeout("timed out"), REQUEST, label="getOrders", deadline_seconds=120
    )
    assert isinstance(error, RequestTimeout)
    assert str(error) == (
        "sellingpartnerapi-eu.amazon.com did not finish answering within the 120 s request "
        "deadline (getOrders)"
    )
