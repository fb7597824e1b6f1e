"""What every client shares (transport/_client_base.py): options copies, views, closing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from amzcancel.clock import FakeClock
from amzcancel.transport import (
    AsyncMwsClient,
    AsyncSpApiClient,
    LwaCredentials,
    MwsClient,
    MwsCredentials,
    SpApiClient,
)

LWA = LwaCredentials("amzn1.application-oa2-client.x", "client-secret", "Atzr|refresh")
MWS = MwsCredentials("AKIDEXAMPLE", "mws-secret", "A1SELLER")


class MySpApi(SpApiClient):
    """A user's subclass (adds nothing)."""


class MyAsyncSpApi(AsyncSpApiClient):
    """A user's subclass (adds nothing)."""


class MyMws(MwsClient):
    """A user's subclass (adds nothing)."""


class MyAsyncMws(AsyncMwsClient):
    """A user's subclass (adds nothing)."""


def _ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200)


CASES = [
    pytest.param(MySpApi, {"credentials": LWA}, httpx.MockTransport(_ok), id="spapi"),
    pytest.param(MyAsyncSpApi, {"credentials": LWA}, httpx.MockTransport(_ok), id="async-spapi"),
    pytest.param(MyMws, {"credentials": MWS}, httpx.MockTransport(_ok), id="mws"),
    pytest.param(MyAsyncMws, {"credentials": MWS}, httpx.MockTransport(_ok), id="async-mws"),
]


@pytest.mark.parametrize(("cls", "kwargs", "transport"), CASES)
def test_with_options_keeps_the_class_and_the_sellers_limiter(
    cls: type[Any], kwargs: dict[str, Any], transport: httpx.MockTransport
) -> None:
    """A copy is of the caller's own class, shares its limiter and clock, and takes the change."""
    clock = FakeClock()
    client = cls(**kwargs, transport=transport, clock=clock, max_retries=3)
    copy = client.with_options(max_retries=0)
    assert type(copy) is cls
    assert copy.rate_limiter is client.rate_limiter
    assert copy.clock is clock
    assert copy._options.policy.max_retries == 0
    assert client._options.policy.max_retries == 3
    assert copy.stats is not client.stats


def test_sync_clients_close_their_pool_on_exit() -> None:
    """Leaving ``with`` closes the connection pool of either blocking client."""
    transport = httpx.MockTransport(_ok)
    for client in (
        SpApiClient(credentials=LWA, transport=transport, clock=FakeClock()),
        MwsClient(credentials=MWS, transport=transport, clock=FakeClock()),
    ):
        with client as entered:
            assert entered is client
        assert client._http.is_closed


@pytest.mark.anyio
async def test_async_clients_close_their_pool_on_exit_and_close() -> None:
    """``async with``, ``aclose()`` and ``close()`` all close an async client's pool."""
    transport = httpx.MockTransport(_ok)
    spapi = AsyncSpApiClient(credentials=LWA, transport=transport, clock=FakeClock())
    async with spapi as entered:
        assert entered is spapi
    assert spapi._http.is_closed
    mws = AsyncMwsClient(credentials=MWS, transport=transport, clock=FakeClock())
    await mws.close()
    assert mws._http.is_closed
    other = AsyncMwsClient(credentials=MWS, transport=transport, clock=FakeClock())
    await other.aclose()
    assert other._http.is_closed


def test_repr_hides_a_gateway_password() -> None:
    """An endpoint with user info never shows its password in the client's repr."""
    client = SpApiClient(
        credentials=LwaCredentials(
            client_id="id", client_secret="canary-secret", refresh_token="canary-refresh"
        ),
        endpoint="https://user:hunter2@gateway.example.invalid",
    )
    try:
        assert "hunter2" not in repr(client)
        assert "gateway.example.invalid" in repr(client)
    finally:
        client.close()
