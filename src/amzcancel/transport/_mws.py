"""MWS Orders clients: :class:`MwsClient` (blocking) and :class:`AsyncMwsClient`.

Requests are form-encoded POSTs to ``<endpoint>/Orders/2013-09-01`` signed with Signature
Version 2; throttling (HTTP 503 ``RequestThrottled``) is paced and retried like an SP-API 429.

Added in 0.1.0.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self, TypeVar

import httpx

from amzcancel._clock import Clock
from amzcancel.transport import _mws_orders as ops
from amzcancel.transport._base import ApiCall, MwsProtocol
from amzcancel.transport._client_base import ClientOptions, Timeout
from amzcancel.transport._constants import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_MAX_RETRY_SECONDS,
    DEFAULT_TIMEOUT_SECONDS,
)
from amzcancel.transport._credentials import MwsCredentials
from amzcancel.transport._endpoints import Region, mws_endpoint, normalize_endpoint
from amzcancel.transport._engine import AsyncEngine, EngineCore, SyncEngine
from amzcancel.transport._ratelimit import RateLimiter
from amzcancel.transport._resources import (
    AsyncResource,
    SyncResource,
    async_chain,
    async_op,
    items_of,
    orders_of,
    sync_chain,
    sync_op,
)
from amzcancel.transport._stats import TransportStats

__all__ = ["AsyncMwsClient", "MwsClient"]

R = TypeVar("R")


class _MwsBase:
    """Configuration shared by the sync and async MWS clients."""

    def __init__(
        self,
        *,
        credentials: MwsCredentials | None,
        endpoint: str | None,
        region: Region | str,
        marketplace_id: str | None,
        clock: Clock | None,
        rate_limiter: RateLimiter | None,
        timeout: Timeout,
        max_retries: int,
        max_retry_seconds: float,
        arguments: dict[str, Any],
    ) -> None:
        self._options = ClientOptions(
            arguments,
            clock=clock,
            rate_limiter=rate_limiter,
            timeout=timeout,
            max_retries=max_retries,
            max_retry_seconds=max_retry_seconds,
        )
        self.credentials = credentials or MwsCredentials.from_env()
        self.endpoint = (
            normalize_endpoint(endpoint)
            if endpoint
            else mws_endpoint(region, marketplace_id=marketplace_id)
        )
        opts = self._options
        self._core = EngineCore(
            protocol=MwsProtocol(self.endpoint, self.credentials, opts.clock),
            limiter=opts.rate_limiter,
            partner=f"mws-{self.credentials.seller_id}",
            policy=opts.policy,
            clock=opts.clock,
            stats=opts.stats,
            auth=None,
            timeout=opts.timeout,
        )

    @property
    def stats(self) -> TransportStats:
        """What this client has done so far (requests, throttles, retries, pacing time)."""
        return self._options.stats

    @property
    def rate_limiter(self) -> RateLimiter:
        """The token buckets this client paces itself with."""
        return self._options.rate_limiter

    def __repr__(self) -> str:
        return f"{type(self).__name__}(endpoint={self.endpoint!r})"


class MwsClient(_MwsBase, SyncResource):
    """A blocking MWS Orders 2013-09-01 client.

    Args:
        credentials: MWS keys; ``None`` reads ``MWS_ACCESS_KEY``, ``MWS_SECRET_KEY``,
            ``MWS_SELLER_ID`` (and ``MWS_AUTH_TOKEN`` if set) from the environment.
        endpoint: the MWS base URL; overrides ``region``/``marketplace_id``.
        region: ``na``, ``eu`` or ``fe``.
        marketplace_id: pick the country host of this marketplace (e.g. ``.co.jp`` hosts).
        transport, clock, rate_limiter, timeout, max_retries, max_retry_seconds: as for
            :class:`~amzcancel.transport.SpApiClient`.

    Raises:
        ConfigError: missing or invalid credentials, region, endpoint or options.

    Added in 0.1.0.
    """

    list_orders = sync_op(ops.list_orders)
    list_orders_by_next_token = sync_op(ops.list_orders_by_next_token)
    list_order_items = sync_op(ops.list_order_items)
    list_order_items_by_next_token = sync_op(ops.list_order_items_by_next_token)
    iter_orders = sync_chain(ops.list_orders, ops.list_orders_by_next_token, orders_of)
    iter_order_items = sync_chain(
        ops.list_order_items, ops.list_order_items_by_next_token, items_of
    )

    def __init__(
        self,
        *,
        credentials: MwsCredentials | None = None,
        endpoint: str | None = None,
        region: Region | str = Region.NA,
        marketplace_id: str | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Clock | None = None,
        rate_limiter: RateLimiter | None = None,
        timeout: Timeout = DEFAULT_TIMEOUT_SECONDS,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_retry_seconds: float = DEFAULT_MAX_RETRY_SECONDS,
    ) -> None:
        arguments = dict(locals())
        arguments.pop("self")
        arguments.pop("__class__", None)
        _MwsBase.__init__(
            self,
            credentials=credentials,
            endpoint=endpoint,
            region=region,
            marketplace_id=marketplace_id,
            clock=clock,
            rate_limiter=rate_limiter,
            timeout=timeout,
            max_retries=max_retries,
            max_retry_seconds=max_retry_seconds,
            arguments=arguments,
        )
        SyncResource.__init__(self, self)
        self._http = httpx.Client(transport=transport, timeout=self._options.timeout)
        self._engine = SyncEngine(self._core, self._http)

    def call(self, call: ApiCall[R]) -> R:
        """Send a prepared call and parse its answer."""
        return call.parse(self._engine.send(call.spec).content)

    def with_options(self, **overrides: Any) -> MwsClient:
        """A new client with some constructor arguments changed (same seller's limiter).

        Added in 0.1.0.
        """
        return MwsClient(**self._options.merged(overrides))

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncMwsClient(_MwsBase, AsyncResource):
    """The async twin of :class:`MwsClient`: the same arguments and names, awaitable.

    Added in 0.1.0.
    """

    list_orders = async_op(ops.list_orders)
    list_orders_by_next_token = async_op(ops.list_orders_by_next_token)
    list_order_items = async_op(ops.list_order_items)
    list_order_items_by_next_token = async_op(ops.list_order_items_by_next_token)
    iter_orders = async_chain(ops.list_orders, ops.list_orders_by_next_token, orders_of)
    iter_order_items = async_chain(
        ops.list_order_items, ops.list_order_items_by_next_token, items_of
    )

    def __init__(
        self,
        *,
        credentials: MwsCredentials | None = None,
        endpoint: str | None = None,
        region: Region | str = Region.NA,
        marketplace_id: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock | None = None,
        rate_limiter: RateLimiter | None = None,
        timeout: Timeout = DEFAULT_TIMEOUT_SECONDS,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_retry_seconds: float = DEFAULT_MAX_RETRY_SECONDS,
    ) -> None:
        arguments = dict(locals())
        arguments.pop("self")
        arguments.pop("__class__", None)
        _MwsBase.__init__(
            self,
            credentials=credentials,
            endpoint=endpoint,
            region=region,
            marketplace_id=marketplace_id,
            clock=clock,
            rate_limiter=rate_limiter,
            timeout=timeout,
            max_retries=max_retries,
            max_retry_seconds=max_retry_seconds,
            arguments=arguments,
        )
        AsyncResource.__init__(self, self)
        self._http = httpx.AsyncClient(transport=transport, timeout=self._options.timeout)
        self._engine = AsyncEngine(self._core, self._http)

    async def call(self, call: ApiCall[R]) -> R:
        """Send a prepared call and parse its answer."""
        response = await self._engine.send(call.spec)
        return call.parse(response.content)

    def with_options(self, **overrides: Any) -> AsyncMwsClient:
        """A new client with some constructor arguments changed (same seller's limiter).

        Added in 0.1.0.
        """
        return AsyncMwsClient(**self._options.merged(overrides))

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def close(self) -> None:
        """Close the connection pool (same as :meth:`aclose`)."""
        await self.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
