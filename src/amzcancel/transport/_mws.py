"""MWS Orders clients: :class:`MwsClient` (blocking) and :class:`AsyncMwsClient`.

Requests are form-encoded POSTs to ``<endpoint>/Orders/2013-09-01`` signed with Signature
Version 2; throttling (HTTP 503 ``RequestThrottled``) is paced and retried like an SP-API 429.

Added in 0.1.0.
"""

from __future__ import annotations

import httpx

from amzcancel.clock import Clock
from amzcancel.transport import _mws_orders as ops
from amzcancel.transport._base import MwsProtocol
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
)
from amzcancel.transport._credentials import MwsCredentials
from amzcancel.transport._endpoints import Region, mws_endpoint, normalize_endpoint
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

__all__ = ["AsyncMwsClient", "MwsClient"]


class _MwsBase(BaseClient):
    """Configuration shared by the sync and async MWS clients."""

    def __init__(
        self,
        *,
        credentials: MwsCredentials | None,
        endpoint: str | None,
        region: Region | str,
        marketplace_id: str | None,
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
        self.credentials = credentials or MwsCredentials.from_env()
        self.endpoint = (
            normalize_endpoint(endpoint)
            if endpoint
            else mws_endpoint(region, marketplace_id=marketplace_id)
        )
        self._core = self._sender_core(
            MwsProtocol(self.endpoint, self.credentials, self.clock),
            partner=f"mws-{self.credentials.seller_id}",
            auth=None,
        )


class MwsClient(_MwsBase, SyncClient, SyncResource):
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
        _MwsBase.__init__(self, **constructor_arguments(locals()))
        SyncResource.__init__(self, self)
        self._connect(self._core, transport)


class AsyncMwsClient(_MwsBase, AsyncClient, AsyncResource):
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
        _MwsBase.__init__(self, **constructor_arguments(locals()))
        AsyncResource.__init__(self, self)
        self._connect(self._core, transport)
