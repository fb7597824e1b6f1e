"""SP-API clients: :class:`SpApiClient` (blocking) and :class:`AsyncSpApiClient`.

Both are thin: configuration is resolved by :class:`_SpApiBase`, sending and closing come from
:class:`~amzcancel.transport._client_base.SyncClient`/``AsyncClient``, requests are sent by the
shared engine, and operations come from the resource namespaces.

Added in 0.1.0.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from amzcancel.clock import Clock
from amzcancel.transport._auth import LwaAuth
from amzcancel.transport._base import RequestSpec, SpApiProtocol
from amzcancel.transport._client_base import (
    AsyncClient,
    BaseClient,
    SyncClient,
    Timeout,
    constructor_arguments,
)
from amzcancel.transport._constants import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_MAX_RETRY_SECONDS,
    DEFAULT_TIMEOUT_SECONDS,
    LWA_TOKEN_URL,
)
from amzcancel.transport._credentials import LwaCredentials
from amzcancel.transport._endpoints import Region, normalize_endpoint, spapi_endpoint
from amzcancel.transport._ratelimit import RateLimiter
from amzcancel.transport._resources import AsyncOrders2026, AsyncOrdersV0, Orders2026, OrdersV0

__all__ = ["AsyncSpApiClient", "SpApiClient"]


class _SpApiBase(BaseClient):
    """Configuration shared by the sync and async SP-API clients."""

    def __init__(
        self,
        *,
        credentials: LwaCredentials | None,
        endpoint: str | None,
        region: Region | str,
        sandbox: bool,
        lwa_endpoint: str | None,
        transport: object,
        clock: Clock | None,
        rate_limiter: RateLimiter | None,
        timeout: Timeout,
        max_retries: int,
        max_retry_seconds: float,
    ) -> None:
        # Every argument, transport included, is kept for with_options; the subclass connects.
        BaseClient.__init__(
            self,
            constructor_arguments(locals()),
            clock=clock,
            rate_limiter=rate_limiter,
            timeout=timeout,
            max_retries=max_retries,
            max_retry_seconds=max_retry_seconds,
        )
        self.credentials = credentials or LwaCredentials.from_env()
        self.endpoint = (
            normalize_endpoint(endpoint) if endpoint else spapi_endpoint(region, sandbox=sandbox)
        )
        lwa_url = normalize_endpoint(lwa_endpoint) if lwa_endpoint else LWA_TOKEN_URL
        self.auth = LwaAuth(self.credentials, token_url=lwa_url, clock=self.clock, stats=self.stats)
        self._core = self._sender_core(
            SpApiProtocol(self.endpoint, self.clock),
            partner=self.credentials.partner_key,
            auth=self.auth,
        )

    @staticmethod
    def _spec(
        method: str,
        path: str,
        *,
        operation: str | None,
        params: Any,
        json: Any,
        content: bytes | None,
        headers: Mapping[str, str] | None,
        authenticate: bool,
    ) -> RequestSpec:
        return RequestSpec(
            method.upper(),
            path,
            operation,
            params=params,
            json=json,
            content=content,
            headers=headers,
            authenticate=authenticate,
        )


class SpApiClient(_SpApiBase, SyncClient):
    """A blocking SP-API client: LWA auth, pacing to Amazon's rate limits, retries.

    Args:
        credentials: LWA credentials; ``None`` reads ``LWA_APP_ID``, ``LWA_CLIENT_SECRET`` and
            ``SP_API_REFRESH_TOKEN`` from the environment.
        endpoint: the SP-API base URL; overrides ``region``/``sandbox``.
        region: ``na``, ``eu`` or ``fe`` (used when ``endpoint`` is not given).
        sandbox: use the region's static sandbox host.
        lwa_endpoint: the LWA token URL (default ``https://api.amazon.com/auth/o2/token``).
        transport: an :class:`httpx.BaseTransport` (tests, the in-house sandbox).
        clock: the clock pacing and backoff wait on.
        rate_limiter: share one limiter between the clients of one seller.
        timeout: seconds (or :class:`httpx.Timeout`) per request; never unlimited.
        max_retries: retries of transient faults per call.
        max_retry_seconds: clock time one call may spend retrying.

    Raises:
        ConfigError: missing or invalid credentials, region, endpoint or options.

    Added in 0.1.0.
    """

    def __init__(
        self,
        *,
        credentials: LwaCredentials | None = None,
        endpoint: str | None = None,
        region: Region | str = Region.NA,
        sandbox: bool = False,
        lwa_endpoint: str | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Clock | None = None,
        rate_limiter: RateLimiter | None = None,
        timeout: Timeout = DEFAULT_TIMEOUT_SECONDS,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_retry_seconds: float = DEFAULT_MAX_RETRY_SECONDS,
    ) -> None:
        _SpApiBase.__init__(self, **constructor_arguments(locals()))
        self._connect(self._core, transport)
        self.orders_v0 = OrdersV0(self)
        self.orders_2026 = Orders2026(self)

    def request(
        self,
        method: str,
        path: str,
        *,
        operation: str | None,
        params: Any = None,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        authenticate: bool = True,
    ) -> httpx.Response:
        """Send any SP-API request with auth, pacing, retries and error mapping.

        Args:
            method: the HTTP method.
            path: a path under the endpoint (``/feeds/2021-06-30/documents``) or an absolute
                URL (a presigned document URL; use ``authenticate=False``).
            operation: Amazon's operation name, which selects the rate-limit bucket; ``None``
                sends unpaced.
            params, json, content, headers: as in httpx.
            authenticate: send the LWA access token (``x-amz-access-token``); it is only ever
                sent to the client's own endpoint, never to another host.

        Raises:
            APIError: an error answer (the subclass says which kind).
            TransportError: no answer after all retries.

        Added in 0.1.0.
        """
        return self._sender.send(
            self._spec(
                method,
                path,
                operation=operation,
                params=params,
                json=json,
                content=content,
                headers=headers,
                authenticate=authenticate,
            )
        )


class AsyncSpApiClient(_SpApiBase, AsyncClient):
    """The async twin of :class:`SpApiClient`: the same arguments and names, awaitable.

    ``transport`` is an :class:`httpx.AsyncBaseTransport`. Close with ``await client.aclose()``
    (or ``await client.close()``) or use ``async with``.

    Added in 0.1.0.
    """

    def __init__(
        self,
        *,
        credentials: LwaCredentials | None = None,
        endpoint: str | None = None,
        region: Region | str = Region.NA,
        sandbox: bool = False,
        lwa_endpoint: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock | None = None,
        rate_limiter: RateLimiter | None = None,
        timeout: Timeout = DEFAULT_TIMEOUT_SECONDS,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_retry_seconds: float = DEFAULT_MAX_RETRY_SECONDS,
    ) -> None:
        _SpApiBase.__init__(self, **constructor_arguments(locals()))
        self._connect(self._core, transport)
        self.orders_v0 = AsyncOrdersV0(self)
        self.orders_2026 = AsyncOrders2026(self)

    async def request(
        self,
        method: str,
        path: str,
        *,
        operation: str | None,
        params: Any = None,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        authenticate: bool = True,
    ) -> httpx.Response:
        """Send any SP-API request; see :meth:`SpApiClient.request`.

        Added in 0.1.0.
        """
        return await self._sender.send(
            self._spec(
                method,
                path,
                operation=operation,
                params=params,
                json=json,
                content=content,
                headers=headers,
                authenticate=authenticate,
            )
        )
