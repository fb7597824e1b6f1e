"""What every client shares (transport/_client.py, _settings.py): options, copies, closing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from amzcancel.clock import FakeClock
from amzcancel.errors import ConfigError
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
    assert copy.settings.policy.max_retries == 0
    assert client.settings.policy.max_retries == 3
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


@pytest.mark.parametrize(("cls", "kwargs", "transport"), CASES)
def test_a_copy_keeps_every_option_it_is_not_told_to_change(
    cls: type[Any], kwargs: dict[str, Any], transport: httpx.MockTransport
) -> None:
    """with_options changes what it is given and nothing else (timeouts, deadline, bounds)."""
    client = cls(
        **kwargs,
        transport=transport,
        clock=FakeClock(),
        timeout=7,
        request_deadline=timedelta(seconds=40),
        max_retry_seconds=60,
        max_response_bytes=1000,
    )
    copy = client.with_options(max_retries=1)
    assert copy.settings.timeout == httpx.Timeout(7.0)
    assert copy.settings.request_deadline_seconds == 40.0
    assert copy.settings.policy.max_retry_seconds == 60.0
    assert copy.settings.max_response_bytes == 1000
    assert copy.endpoint == client.endpoint


@pytest.mark.parametrize(("cls", "kwargs", "transport"), CASES)
def test_an_unknown_option_is_a_config_error_naming_it(
    cls: type[Any], kwargs: dict[str, Any], transport: httpx.MockTransport
) -> None:
    """A misspelt keyword is refused with ConfigError naming it and the options there are."""
    with pytest.raises(ConfigError, match=r"unknown option\(s\) timout; it takes transport, "):
        cls(**kwargs, transport=transport, timout=3)
    client = cls(**kwargs, transport=transport)
    with pytest.raises(ConfigError, match="max_retrys"):
        client.with_options(max_retrys=2)


@pytest.mark.parametrize(
    ("option", "value"),
    [
        pytest.param("timeout", float("inf"), id="timeout-inf"),
        pytest.param("timeout", float("nan"), id="timeout-nan"),
        pytest.param("timeout", httpx.Timeout(5, read=None), id="timeout-read-none"),
        pytest.param("request_deadline", 0, id="deadline-zero"),
        pytest.param("request_deadline", -1.5, id="deadline-negative"),
        pytest.param("request_deadline", float("inf"), id="deadline-inf"),
        pytest.param("request_deadline", None, id="deadline-none"),
        pytest.param("request_deadline", True, id="deadline-bool"),
        pytest.param("request_deadline", "60", id="deadline-text"),
        pytest.param("request_deadline", timedelta(0), id="deadline-zero-timedelta"),
        pytest.param("max_retry_seconds", 0, id="budget-zero"),
        pytest.param("max_response_bytes", 0, id="bytes-zero"),
        pytest.param("max_response_bytes", 1.5, id="bytes-float"),
        pytest.param("max_response_bytes", True, id="bytes-bool"),
        pytest.param("max_retries", -1, id="retries-negative"),
    ],
)
def test_limits_must_be_finite_and_positive(option: str, value: object) -> None:
    """No client can be built whose timeouts, deadline or bounds would never end a request."""
    with pytest.raises(ConfigError, match=option):
        SpApiClient(credentials=LWA, transport=httpx.MockTransport(_ok), **{option: value})


def test_defaults_are_the_documented_ones() -> None:
    """Left out, the options take the constants the docs name."""
    from amzcancel.transport import (
        DEFAULT_MAX_RESPONSE_BYTES,
        DEFAULT_MAX_RETRIES,
        DEFAULT_MAX_RETRY_SECONDS,
        DEFAULT_REQUEST_DEADLINE_SECONDS,
        DEFAULT_TIMEOUT_SECONDS,
    )

    with SpApiClient(credentials=LWA, transport=httpx.MockTransport(_ok)) as client:
        settings = client.settings
    assert settings.timeout == httpx.Timeout(DEFAULT_TIMEOUT_SECONDS)
    assert settings.request_deadline_seconds == DEFAULT_REQUEST_DEADLINE_SECONDS == 120.0
    assert settings.max_response_bytes == DEFAULT_MAX_RESPONSE_BYTES == 64 * 1024 * 1024
    assert settings.policy.max_retries == DEFAULT_MAX_RETRIES
    assert settings.policy.max_retry_seconds == DEFAULT_MAX_RETRY_SECONDS


def test_clients_share_one_tls_context(monkeypatch: pytest.MonkeyPatch) -> None:
    """Building a client does not load the certificate bundle again (about 40 ms of CPU each):
    a worker with a client per seller made a thousand TLS contexts for a thousand sellers."""
    import httpx

    from amzcancel.transport import AsyncSpApiClient, LwaCredentials, SpApiClient
    from amzcancel.transport._client import shared_ssl_context

    shared_ssl_context.cache_clear()
    made: list[object] = []
    real = httpx.create_ssl_context

    def counting(*args: object, **kwargs: object) -> object:
        made.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(httpx, "create_ssl_context", counting)
    credentials = LwaCredentials("amzn1.application-oa2-client.x", "s", "Atzr|x")
    clients = [SpApiClient(credentials=credentials) for _ in range(3)]
    async_clients = [AsyncSpApiClient(credentials=credentials) for _ in range(3)]
    for client in clients:
        client.close()
    import asyncio

    async def close_all() -> None:
        for client in async_clients:
            await client.aclose()

    asyncio.run(close_all())
    assert len(made) == 1
