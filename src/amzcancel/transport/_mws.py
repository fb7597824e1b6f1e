"""MWS Orders clients: :class:`MwsClient` (blocking) and :class:`AsyncMwsClient`.

Requests are form-encoded POSTs to ``<endpoint>/Orders/2013-09-01`` signed with Signature
Version 2; throttling (HTTP 503 ``RequestThrottled``) is paced and retried like an SP-API 429.

Added in 0.1.0.
"""

from __future__ import annotations

from typing import Unpack

import httpx

from amzcancel.transport import _mws_orders as ops
from amzcancel.transport._client import AsyncClient, BaseClient, SyncClient
from amzcancel.transport._credentials import MwsCredentials
from amzcancel.transport._endpoints import Region, mws_endpoint, normalize_endpoint
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
from amzcancel.transport._settings import ClientOptions
from amzcancel.transport._wire_protocols import MwsProtocol

__all__ = ["AsyncMwsClient", "MwsClient", "MwsOptions"]


class MwsOptions(ClientOptions, total=False):
    """The keyword arguments of :class:`MwsClient` and :class:`AsyncMwsClient` besides
    ``transport``: MWS's own, and every client's (:class:`ClientOptions`).

    Added in 0.2.0.
    """

    credentials: MwsCredentials | None
    """MWS keys; ``None`` reads ``MWS_ACCESS_KEY``, ``MWS_SECRET_KEY``, ``MWS_SELLER_ID`` (and
    ``MWS_AUTH_TOKEN`` if set) from the environment."""
    endpoint: str | None
    """The MWS base URL; overrides ``region``/``marketplace_id``."""
    region: Region | str
    """``na`` (default), ``eu`` or ``fe``."""
    marketplace_id: str | None
    """Pick the country host of this marketplace (e.g. the ``.co.jp`` host)."""


class _MwsBase(BaseClient):
    """Configuration shared by the sync and async MWS clients."""

    option_names = frozenset(MwsOptions.__optional_keys__)

    def __init__(self, options: MwsOptions, transport: object) -> None:
        BaseClient.__init__(self, options, transport)
        self.credentials = options.get("credentials") or MwsCredentials.from_env()
        endpoint = options.get("endpoint")
        self.endpoint = (
            normalize_endpoint(endpoint)
            if endpoint
            else mws_endpoint(
                options.get("region", Region.NA), marketplace_id=options.get("marketplace_id")
            )
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
        **options: ``transport``, ``clock``, ``rate_limiter``, ``timeout``,
            ``request_deadline``, ``max_retries``, ``max_retry_seconds``,
            ``max_response_bytes``: as for :class:`~amzcancel.transport.SpApiClient`.

    Raises:
        ConfigError: missing or invalid credentials, region, endpoint or options.

    Added in 0.1.0.
    """

    get_order = sync_op(ops.get_order)
    list_orders = sync_op(ops.list_orders)
    list_orders_by_next_token = sync_op(ops.list_orders_by_next_token)
    list_order_items = sync_op(ops.list_order_items)
    list_order_items_by_next_token = sync_op(ops.list_order_items_by_next_token)
    iter_orders = sync_chain(ops.list_orders, ops.list_orders_by_next_token, orders_of)
    iter_order_items = sync_chain(
        ops.list_order_items, ops.list_order_items_by_next_token, items_of
    )

    def __init__(
        self, *, transport: httpx.BaseTransport | None = None, **options: Unpack[MwsOptions]
    ) -> None:
        _MwsBase.__init__(self, options, transport)
        SyncResource.__init__(self, self)
        self._connect(self._core, transport)


class AsyncMwsClient(_MwsBase, AsyncClient, AsyncResource):
    """The async twin of :class:`MwsClient`: the same arguments and names, awaitable.

    Added in 0.1.0.
    """

    get_order = async_op(ops.get_order)
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
        transport: httpx.AsyncBaseTransport | None = None,
        **options: Unpack[MwsOptions],
    ) -> None:
        _MwsBase.__init__(self, options, transport)
        AsyncResource.__init__(self, self)
        self._connect(self._core, transport)
