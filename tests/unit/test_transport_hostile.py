"""The transport against a server that misbehaves: odd token lifetimes, permanent 403s,
Retry-After on 503, and a call's time budget under rate-limit waits. All on a fake clock."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from amzcancel.clock import FakeClock
from amzcancel.errors import AuthError, ServerError, ThrottledError
from amzcancel.transport import LwaCredentials, SpApiClient

BASE = "https://sellingpartnerapi-na.amazon.com"
AFTER = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
ORDERS = {"payload": {"Orders": [], "LastUpdatedBefore": "2026-11-21T09:30:00Z"}}


class Server:
    """Counts LWA and API requests; answers the API with ``api(request)``."""

    def __init__(self, api: Any, *, expires_in: object = 3600) -> None:
        self.api = api
        self.expires_in = expires_in
        self.counts: Counter[str] = Counter()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/auth/o2/token":
            self.counts["lwa"] += 1
            token = f"Atza|{self.counts['lwa']}"
            return httpx.Response(200, json={"access_token": token, "expires_in": self.expires_in})
        self.counts["api"] += 1
        response: httpx.Response = self.api(request)
        return response


def client(server: Server, clock: FakeClock, **options: Any) -> SpApiClient:
    return SpApiClient(
        credentials=LwaCredentials("app", "secret", "Atzr|refresh"),
        lwa_endpoint="https://api.amazon.com/auth/o2/token",
        transport=httpx.MockTransport(server),
        clock=clock,
        **options,
    )


def get_orders(c: SpApiClient) -> object:
    return c.orders_v0.get_orders(marketplace_ids=["ATVPDKIKX0DER"], last_updated_after=AFTER)


@pytest.mark.parametrize(
    ("expires_in", "kept_for"),
    [
        (3600, 3540.0),
        ("NaN", 3540.0),  # would cache the token for ever
        ("Infinity", 3540.0),
        (1e308, 3540.0),
        (None, 3540.0),
        (30, 15.0),  # short: half its life, not one LWA request per call
        (0, 0.0),  # taken at its word: used once, not cached
    ],
)
def test_token_lifetimes_are_sane_whatever_lwa_says(expires_in: object, kept_for: float) -> None:
    """The cached token is refreshed within its real life, and never kept for ever."""
    clock = FakeClock()
    server = Server(lambda r: httpx.Response(200, json=ORDERS), expires_in=expires_in)
    with client(server, clock) as c:
        get_orders(c)
        get_orders(c)
        assert server.counts["lwa"] == (1 if kept_for else 2)
        clock.advance(kept_for + 1)
        get_orders(c)
        assert server.counts["lwa"] == (2 if kept_for else 3)


def test_a_permanent_403_refreshes_the_token_once_not_on_every_call() -> None:
    """Amazon's "Unauthorized" also means "no access": after a fresh token is refused too,
    later calls fail at once instead of refreshing and repeating each time."""
    clock = FakeClock()
    denied = {"errors": [{"code": "Unauthorized", "message": "Access denied.", "details": ""}]}
    server = Server(lambda r: httpx.Response(403, json=denied))
    with client(server, clock) as c:
        for _ in range(3):
            with pytest.raises(AuthError):
                get_orders(c)
    assert server.counts == Counter({"lwa": 2, "api": 4})


def test_an_expired_token_is_still_refreshed_once_per_expiry() -> None:
    """The usual case is unchanged: expired -> one refresh, one repeat, success."""
    clock = FakeClock()
    details = "The access token you provided has expired."
    expired = {"errors": [{"code": "Unauthorized", "message": "Denied", "details": details}]}
    seen: list[str] = []

    def api(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["x-amz-access-token"])
        if request.headers["x-amz-access-token"] == "Atza|1" and len(seen) > 1:
            return httpx.Response(403, json=expired)  # Atza|1 served once, then expired
        return httpx.Response(200, json=ORDERS)

    server = Server(api)
    with client(server, clock) as c:
        for _ in range(3):
            get_orders(c)
    assert seen == ["Atza|1", "Atza|1", "Atza|2", "Atza|2"]


def test_retry_after_on_a_503_is_waited_for() -> None:
    """RFC 9110: a 503 may say when to come back; the retry waits that long."""
    clock = FakeClock()
    answers = iter(
        [
            httpx.Response(503, headers={"Retry-After": "30"}, text="<html>busy</html>"),
            httpx.Response(200, json=ORDERS),
        ]
    )
    server = Server(lambda r: next(answers))
    with client(server, clock) as c:
        start = clock.monotonic()
        get_orders(c)
        assert clock.monotonic() - start >= 30


def test_a_503_without_retry_after_is_a_server_error_after_retries() -> None:
    """Bounded: the last 503 surfaces as ServerError."""
    clock = FakeClock()
    server = Server(lambda r: httpx.Response(503, text="busy"))
    with client(server, clock, max_retries=2) as c, pytest.raises(ServerError):
        get_orders(c)
    assert server.counts["api"] == 3


def test_the_time_budget_covers_rate_limit_waits_after_429s() -> None:
    """A call answered 429 again and again stops within max_retry_seconds, waits included
    (after a 429 the getOrders bucket needs a minute for its next token)."""
    clock = FakeClock()
    server = Server(lambda r: httpx.Response(429, json={"errors": [{"code": "QuotaExceeded"}]}))
    with client(server, clock, max_retry_seconds=100, max_retries=50) as c:
        start = clock.monotonic()
        with pytest.raises(ThrottledError):
            get_orders(c)
        assert clock.monotonic() - start <= 100


def test_the_access_token_never_goes_to_another_host() -> None:
    """An absolute URL elsewhere (a presigned S3 URL, a link from a body) gets no token,
    even with authenticate=True, nor does a "path" that moves the host; the client's own
    endpoint does."""
    clock = FakeClock()
    headers: dict[str, str | None] = {}

    def api(request: httpx.Request) -> httpx.Response:
        headers[request.url.host] = request.headers.get("x-amz-access-token")
        return httpx.Response(200, json={})

    server = Server(api)
    with client(server, clock, endpoint=BASE) as c:
        c.request("GET", "https://evil.example/steal", operation=None)
        c.request("GET", "@evil.example/userinfo-trick", operation=None)
        c.request("GET", f"{BASE}/orders/v0/orders", operation=None)
        c.request("GET", "/orders/v0/orders", operation=None)
    assert headers == {"evil.example": None, "sellingpartnerapi-na.amazon.com": "Atza|1"}


def test_an_lwa_error_in_a_200_is_an_auth_error() -> None:
    """{"error": "invalid_grant"} with status 200 is LWA refusing, not some other API error."""
    clock = FakeClock()

    def lwa(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"error": "invalid_grant", "error_description": "bad"})

    with (
        SpApiClient(
            credentials=LwaCredentials("app", "secret", "Atzr|refresh"),
            transport=httpx.MockTransport(lwa),
            clock=clock,
        ) as c,
        pytest.raises(AuthError, match="bad"),
    ):
        get_orders(c)
