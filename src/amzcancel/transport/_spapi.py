"""SP-API clients: :class:`SpApiClient` (blocking) and :class:`AsyncSpApiClient`.

Both are thin: their keyword arguments are :class:`SpApiOptions`, configuration is resolved by
:class:`_SpApiBase`, sending and closing come from
:class:`~amzcancel.transport._client.SyncClient`/``AsyncClient``, requests are sent by the
shared engine, and operations come from the resource namespaces.

Added in 0.1.0.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Unpack

import httpx

from amzcancel.transport._auth import LwaAuth
from amzcancel.transport._calls import RequestSpec
from amzcancel.transport._client import AsyncClient, BaseClient, SyncClient
from amzcancel.transport._constants import LWA_TOKEN_URL
from amzcancel.transport._credentials import LwaCredentials
from amzcancel.transport._endpoints import Region, normalize_endpoint, spapi_endpoint
from amzcancel.transport._resources import (
    AsyncNotifications,
    AsyncOrders2026,
    AsyncOrdersV0,
    Notifications,
    Orders2026,
    OrdersV0,
)
from amzcancel.transport._settings import ClientOptions
from amzcancel.transport._wire_protocols import SpApiProtocol

__all__ = ["AsyncSpApiClient", "SpApiClient", "SpApiOptions"]


class SpApiOptions(ClientOptions, total=False):
    """The keyword arguments of :class:`SpApiClient` and :class:`AsyncSpApiClient` besides
    ``transport``: SP-API's own, and every client's (:class:`ClientOptions`).

    Added in 0.2.0.
    """

    credentials: LwaCredentials | None
    """LWA credentials; ``None`` reads ``LWA_APP_ID``, ``LWA_CLIENT_SECRET`` and
    ``SP_API_REFRESH_TOKEN`` from the environment."""
    endpoint: str | None
    """The SP-API base URL; overrides ``region``/``sandbox``."""
    region: Region | str
    """``na`` (default), ``eu`` or ``fe``; used when ``endpoint`` is not given."""
    sandbox: bool
    """Use the region's static sandbox host."""
    lwa_endpoint: str | None
    """The LWA token URL (default ``https://api.amazon.com/auth/o2/token``)."""


class _SpApiBase(BaseClient):
    """Configuration shared by the sync and async SP-API clients."""

    option_names = frozenset(SpApiOptions.__optional_keys__)

    def __init__(self, options: SpApiOptions, transport: object) -> None:
        BaseClient.__init__(self, options, transport)
        self.credentials = options.get("credentials") or LwaCredentials.from_env()
        endpoint, lwa_endpoint = options.get("endpoint"), options.get("lwa_endpoint")
        self.endpoint = (
            normalize_endpoint(endpoint)
            if endpoint
            else spapi_endpoint(
                options.get("region", Region.NA), sandbox=options.get("sandbox", False)
            )
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
        transport: an :class:`httpx.BaseTransport` (tests, the in-house sandbox); by default
            httpx's, with the request deadline kept on every connection.
        credentials: LWA credentials; ``None`` reads ``LWA_APP_ID``, ``LWA_CLIENT_SECRET`` and
            ``SP_API_REFRESH_TOKEN`` from the environment.
        endpoint: the SP-API base URL; overrides ``region``/``sandbox``.
        region: ``na`` (default), ``eu`` or ``fe`` (used when ``endpoint`` is not given).
        sandbox: use the region's static sandbox host.
        lwa_endpoint: the LWA token URL (default ``https://api.amazon.com/auth/o2/token``).
        clock: the clock pacing and backoff wait on.
        rate_limiter: share one limiter between the clients of one seller.
        timeout: seconds (or :class:`httpx.Timeout`) for each step of a request (default 30).
        request_deadline: seconds one request attempt may take from connecting to its last
            byte, on real time (default 120).
        max_retries: retries of transient faults per call (default 5).
        max_retry_seconds: clock time one call may spend retrying (default 900).
        max_response_bytes: the largest answer body read (default 64 MiB).

    Raises:
        ConfigError: missing or invalid credentials, region, endpoint or options.

    Added in 0.1.0 (``request_deadline`` and ``max_response_bytes`` in 0.2.0).
    """

    def __init__(
        self, *, transport: httpx.BaseTransport | None = None, **options: Unpack[SpApiOptions]
    ) -> None:
        _SpApiBase.__init__(self, options, transport)
        self._connect(self._core, transport)
        self.orders_v0 = OrdersV0(self)
        self.orders_2026 = Orders2026(self)
        self.notifications = Notifications(self)

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

        Returns:
            The answer, read (and decoded) in full.

        Raises:
            APIError: an error answer (the subclass says which kind).
            TransportError: no answer after all retries, or one larger than
                ``max_response_bytes``.

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
        transport: httpx.AsyncBaseTransport | None = None,
        **options: Unpack[SpApiOptions],
    ) -> None:
        _SpApiBase.__init__(self, options, transport)
        self._connect(self._core, transport)
        self.orders_v0 = AsyncOrdersV0(self)
        self.orders_2026 = AsyncOrders2026(self)
        self.notifications = AsyncNotifications(self)

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
