"""LWA auth: caching, refresh before expiry, one refresh in flight, expired-token retry."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from amzcancel.clock import FakeClock
from amzcancel.errors import AuthError
from amzcancel.transport import AsyncSpApiClient, LwaAuth, LwaCredentials, SpApiClient

BASE = "https://sellingpartnerapi-na.amazon.com"
LWA = "https://api.amazon.com/auth/o2/token"
ORDER_URL = f"{BASE}/orders/v0/orders/902-1845936-5435065"
ORDER = {
    "payload": {
        "AmazonOrderId": "902-1845936-5435065",
        "PurchaseDate": "2026-11-20T08:00:00Z",
        "LastUpdateDate": "2026-11-21T09:30:00Z",
        "OrderStatus": "Unshipped",
    }
}
EXPIRED = {
    "errors": [
        {
            "code": "Unauthorized",
            "message": "The security token included in the request is expired",
            "details": "",
        }
    ]
}


def _tokens() -> Iterator[httpx.Response]:
    n = 0
    while True:
        n += 1
        yield httpx.Response(
            200,
            json={
                "access_token": f"Atza|token-{n}",
                "token_type": "bearer",
                "expires_in": 3600,
                "refresh_token": "Atzr|same",
            },
        )


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def creds() -> LwaCredentials:
    return LwaCredentials("amzn1.application-oa2-client.app", "client-secret-x", "Atzr|refresh-x")


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as mock:
        tokens = _tokens()
        mock.post(LWA).mock(side_effect=lambda request: next(tokens))
        yield mock


def test_refresh_token_grant_and_cache(
    router: respx.MockRouter, creds: LwaCredentials, clock: FakeClock
) -> None:
    """One refresh-token grant serves every call until shortly before the token expires."""
    router.get(ORDER_URL).mock(return_value=httpx.Response(200, json=ORDER))
    with SpApiClient(credentials=creds, clock=clock) as client:
        for _ in range(5):
            client.orders_v0.get_order("902-1845936-5435065")
        lwa = router.routes[0]
        assert lwa.call_count == 1
        form = parse_qs(lwa.calls.last.request.content.decode())
        assert form == {
            "grant_type": ["refresh_token"],
            "refresh_token": ["Atzr|refresh-x"],
            "client_id": ["amzn1.application-oa2-client.app"],
            "client_secret": ["client-secret-x"],
        }
        clock.advance(3600 - 61)
        client.orders_v0.get_order("902-1845936-5435065")
        assert lwa.call_count == 1
        clock.advance(2)  # now inside the refresh margin
        client.orders_v0.get_order("902-1845936-5435065")
        assert lwa.call_count == 2
        sent = router.routes[1].calls.last.request.headers["x-amz-access-token"]
        assert sent == "Atza|token-2"
        assert client.stats.token_refreshes == 2


def test_expired_token_is_refreshed_once_and_the_call_repeated(
    router: respx.MockRouter, creds: LwaCredentials, clock: FakeClock
) -> None:
    """A 403 'expired' for a cached token refreshes it once and repeats the call."""
    route = router.get(ORDER_URL).mock(
        side_effect=[
            httpx.Response(200, json=ORDER),
            httpx.Response(403, json=EXPIRED),
            httpx.Response(200, json=ORDER),
        ]
    )
    with SpApiClient(credentials=creds, clock=clock) as client:
        client.orders_v0.get_order("902-1845936-5435065")
        client.orders_v0.get_order("902-1845936-5435065")
        tokens = [call.request.headers["x-amz-access-token"] for call in route.calls]
        assert tokens == ["Atza|token-1", "Atza|token-1", "Atza|token-2"]
        assert client.stats.retries == 0


def test_second_403_is_an_auth_error(
    router: respx.MockRouter, creds: LwaCredentials, clock: FakeClock
) -> None:
    """If the refreshed token is refused too, the call raises AuthError (no loop)."""
    route = router.get(ORDER_URL).mock(
        side_effect=[httpx.Response(200, json=ORDER)] + [httpx.Response(403, json=EXPIRED)] * 5
    )
    with SpApiClient(credentials=creds, clock=clock) as client:
        client.orders_v0.get_order("902-1845936-5435065")
        with pytest.raises(AuthError) as info:
            client.orders_v0.get_order("902-1845936-5435065")
    assert info.value.code == "Unauthorized"
    assert route.call_count == 3


def test_403_with_a_fresh_token_is_not_refreshed(
    router: respx.MockRouter, creds: LwaCredentials, clock: FakeClock
) -> None:
    """A token fetched for this very call that is refused means no access: AuthError at once."""
    route = router.get(ORDER_URL).mock(return_value=httpx.Response(403, json=EXPIRED))
    with SpApiClient(credentials=creds, clock=clock) as client, pytest.raises(AuthError):
        client.orders_v0.get_order("902-1845936-5435065")
    assert route.call_count == 1
    assert router.routes[0].call_count == 1


@pytest.mark.parametrize(
    ("status", "body"),
    [
        pytest.param(
            401,
            {"error": "invalid_client", "error_description": "Client authentication failed"},
            id="client",
        ),
        pytest.param(
            400,
            {
                "error": "invalid_grant",
                "error_description": "The request has an invalid grant parameter : refresh_token",
            },
            id="grant",
        ),
    ],
)
def test_lwa_refusal_is_an_auth_error_without_secrets(
    creds: LwaCredentials, clock: FakeClock, status: int, body: dict[str, str]
) -> None:
    """LWA refusals raise AuthError with Amazon's code and description, never a secret."""
    with respx.mock() as mock:
        lwa = mock.post(LWA).mock(return_value=httpx.Response(status, json=body))
        client = SpApiClient(credentials=creds, clock=clock)
        with client, pytest.raises(AuthError) as info:
            client.orders_v0.get_order("902-1845936-5435065")
    assert info.value.code == body["error"]
    assert body["error_description"] in str(info.value)
    for secret in ("client-secret-x", "Atzr|refresh-x"):
        assert secret not in str(info.value)
        assert secret not in repr(info.value)
    assert lwa.call_count == 1


def test_lwa_server_error_is_retried(creds: LwaCredentials, clock: FakeClock) -> None:
    """A 503 from LWA is a transient fault: retried, then the call goes through."""
    with respx.mock() as mock:
        tokens = _tokens()
        answers = iter([httpx.Response(503)])
        mock.post(LWA).mock(side_effect=lambda request: next(answers, None) or next(tokens))
        mock.get(ORDER_URL).mock(return_value=httpx.Response(200, json=ORDER))
        with SpApiClient(credentials=creds, clock=clock) as client:
            client.orders_v0.get_order("902-1845936-5435065")
            assert client.stats.retries == 1


def test_one_refresh_in_flight_across_threads(creds: LwaCredentials, clock: FakeClock) -> None:
    """Many threads asking at once cause exactly one token request; all get its token."""
    auth = LwaAuth(creds, clock=clock)
    entered = threading.Event()
    release = threading.Event()
    calls: list[int] = []
    tokens = _tokens()

    def send(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        entered.set()
        release.wait(5)
        return next(tokens)

    start = threading.Barrier(12)
    results: list[str] = []

    def worker() -> None:
        start.wait(5)
        token, _ = auth.get_token(send)
        results.append(token)

    threads = [threading.Thread(target=worker) for _ in range(11)]
    for thread in threads:
        thread.start()
    start.wait(5)
    assert entered.wait(5)
    release.set()
    for thread in threads:
        thread.join(5)
    assert len(calls) == 1
    assert results == ["Atza|token-1"] * 11


def test_concurrent_expired_refusals_refresh_once(creds: LwaCredentials, clock: FakeClock) -> None:
    """Several callers reporting the same stale token share one refresh."""
    auth = LwaAuth(creds, clock=clock)
    tokens = _tokens()
    sends: list[int] = []

    def send(request: httpx.Request) -> httpx.Response:
        sends.append(1)
        return next(tokens)

    stale, _ = auth.get_token(send)
    fresh = {auth.get_token(send, stale=stale)[0] for _ in range(5)}
    assert fresh == {"Atza|token-2"}
    assert len(sends) == 2


@pytest.mark.anyio
async def test_one_refresh_in_flight_across_tasks(creds: LwaCredentials, clock: FakeClock) -> None:
    """Twenty tasks needing a token at once cause one token request."""
    auth = LwaAuth(creds, clock=clock)
    release = asyncio.Event()
    tokens = _tokens()
    calls: list[int] = []

    async def send(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        await release.wait()
        return next(tokens)

    tasks = [asyncio.create_task(auth.aget_token(send)) for _ in range(20)]
    for _ in range(5):
        await asyncio.sleep(0)
    release.set()
    results = await asyncio.gather(*tasks)
    assert len(calls) == 1
    assert {token for token, _ in results} == {"Atza|token-1"}


@pytest.mark.anyio
async def test_async_expired_token_retry(
    router: respx.MockRouter, creds: LwaCredentials, clock: FakeClock
) -> None:
    """The async client also refreshes once on an expired token and repeats the call."""
    route = router.get(ORDER_URL).mock(
        side_effect=[
            httpx.Response(200, json=ORDER),
            httpx.Response(403, json=EXPIRED),
            httpx.Response(200, json=ORDER),
        ]
    )
    async with AsyncSpApiClient(credentials=creds, clock=clock) as client:
        await client.orders_v0.get_order("902-1845936-5435065")
        await client.orders_v0.get_order("902-1845936-5435065")
    assert route.calls.last.request.headers["x-amz-access-token"] == "Atza|token-2"


def test_canary_secrets_never_reach_logs(
    caplog: pytest.LogCaptureFixture, clock: FakeClock
) -> None:
    """Client secret, refresh and access tokens stay out of every log record and error."""
    canary = "CANARY-7f3a9e"
    creds = LwaCredentials("app", f"{canary}-secret", f"Atzr|{canary}-refresh")
    caplog.set_level(logging.DEBUG)
    with respx.mock() as mock:
        mock.post(LWA).mock(
            return_value=httpx.Response(
                200, json={"access_token": f"Atza|{canary}-access", "expires_in": 3600}
            )
        )
        mock.get(ORDER_URL).mock(
            side_effect=[
                httpx.Response(429),
                httpx.Response(500),
                httpx.ReadTimeout("slow"),
                httpx.Response(200, json=ORDER),
                httpx.Response(403, json=EXPIRED),
                httpx.Response(403, json=EXPIRED),
            ]
        )
        with SpApiClient(credentials=creds, clock=clock) as client:
            client.orders_v0.get_order("902-1845936-5435065")
            with pytest.raises(AuthError) as info:
                client.orders_v0.get_order("902-1845936-5435065")
            texts = [caplog.text, str(info.value), repr(info.value), repr(client), repr(creds)]
            texts.append(repr(client.stats))
    assert caplog.records, "the flow should have logged its retries"
    for text in texts:
        assert canary not in text
