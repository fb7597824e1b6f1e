"""A request does not try to import anything once the client is warm.

httpcore imports ``sniffio`` inside its async locks, several times a request; when the import
fails, each attempt searches ``sys.path`` (about 15 % of the client's CPU). A finder put first on
``sys.meta_path`` sees every import that is not already in ``sys.modules``: after one warm-up
request, it must see none.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from amzcancel.clock import FakeClock
from amzcancel.transport import AsyncSpApiClient, LwaCredentials, SpApiClient
from hostile import Answer, Handler, HostileServer, Request


class ImportAttempts:
    """A meta path finder that records what is looked up and finds nothing itself."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def find_spec(self, name: str, path: Any, target: Any = None) -> None:
        self.names.append(name)


@contextmanager
def import_attempts() -> Iterator[list[str]]:
    finder = ImportAttempts()
    sys.meta_path.insert(0, finder)
    try:
        yield finder.names
    finally:
        sys.meta_path.remove(finder)


def answer(request: Request) -> Answer:
    if request.path == "/auth/o2/token":
        return Answer.json({"access_token": "Atza|x", "expires_in": 3600})
    return Answer.json({"payload": {"AmazonOrderId": "1", "OrderItems": []}})


def options(server: HostileServer) -> dict[str, Any]:
    return {
        "credentials": LwaCredentials("app", "secret", "Atzr|refresh"),
        "endpoint": server.url,
        "lwa_endpoint": f"{server.url}/auth/o2/token",
        "clock": FakeClock(),
    }


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_a_warm_async_client_imports_nothing(
    hostile_server: Callable[[Handler], HostileServer],
) -> None:
    """The second request of an AsyncSpApiClient makes no import attempt at all."""
    server = hostile_server(answer)
    async with AsyncSpApiClient(**options(server)) as client:
        await client.orders_v0.get_order_items("1")
        with import_attempts() as names:
            await client.orders_v0.get_order_items("1")
    assert names == []
    assert "sniffio" in sys.modules


def test_a_warm_sync_client_imports_nothing(
    hostile_server: Callable[[Handler], HostileServer],
) -> None:
    """The same holds for the blocking client."""
    server = hostile_server(answer)
    with SpApiClient(**options(server)) as client:
        client.orders_v0.get_order_items("1")
        with import_attempts() as names:
            client.orders_v0.get_order_items("1")
    assert names == []
