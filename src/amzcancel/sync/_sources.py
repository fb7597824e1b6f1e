"""Per-API adapters: one listing call and one item fetch, the same shape for every API.

The engine only needs two things from an API: a page of orders updated in a window, and the
items of one order. Orders 2026-01-01 returns items inline (``items_inline``), so the engine
never asks it for items; SP-API v0 and MWS list orders without items.

API names come in one vocabulary, mapped here once: what a user chooses (:data:`Api`:
``auto``, ``2026``, ``v0``, ``mws``) and the source each choice reads, whose
:class:`~amzcancel.models.Source` value (``spapi-2026``, ``spapi-v0``, ``mws``) names it in
cursor keys and summaries.

Added in 0.1.0.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Literal, Protocol

from amzcancel.errors import InvalidInputError, NotFoundError
from amzcancel.models import Order, OrderItem, OrdersPage, Source
from amzcancel.transport import ORDERS_2026_INCLUDED_DATA

if TYPE_CHECKING:
    from amzcancel.sync._window import Window
    from amzcancel.transport import AsyncMwsClient, AsyncSpApiClient

__all__ = [
    "API_MWS",
    "API_SPAPI_2026",
    "API_SPAPI_V0",
    "INCLUDED_DATA_2026",
    "LISTING_SOURCES",
    "SOURCE_OF_API",
    "Api",
    "MwsSource",
    "OrderSource",
    "SpApi2026Source",
    "SpApiV0Source",
]

_log = logging.getLogger("amzcancel.sync")

Api = Literal["auto", "2026", "v0", "mws"]
"""Which orders API to read: ``auto`` prefers Orders 2026-01-01 and falls back to v0."""

SOURCE_OF_API: dict[str, Source] = {
    "2026": Source.SPAPI_2026,
    "v0": Source.SPAPI_V0,
    "mws": Source.MWS,
}
"""The source each pinned API choice reads."""

API_SPAPI_2026 = Source.SPAPI_2026.value
API_SPAPI_V0 = Source.SPAPI_V0.value
API_MWS = Source.MWS.value

LISTING_SOURCES: tuple[str, ...] = (API_SPAPI_2026, API_SPAPI_V0, API_MWS)
"""Every API that lists orders by last-update time (and so keeps a cursor)."""

# Orders 2026-01-01: "The token will expire after 24 hours" (searchOrders, paginationToken).
_PAGINATION_TOKEN_LIFETIME = timedelta(hours=24)

INCLUDED_DATA_2026 = ORDERS_2026_INCLUDED_DATA
"""What searchOrders must include: the buyer's cancel request (``CANCELLATION``) and the order
and item fulfilment status (``FULFILLMENT``), without which an order's status is unknown and a
request on a shipped order would look open."""


class OrderSource(Protocol):
    """What the engine needs of one Amazon orders API.

    Added in 0.1.0.
    """

    @property
    def api(self) -> str:
        """The API name used in cursor keys: ``spapi-2026``, ``spapi-v0`` or ``mws``."""
        ...

    @property
    def items_inline(self) -> bool:
        """True when listed orders already carry their items."""
        ...

    @property
    def token_lifetime(self) -> timedelta | None:
        """How long a listing page token stays valid, when Amazon documents it."""
        ...

    async def list_orders(
        self, window: Window, marketplace_ids: Sequence[str], token: str | None
    ) -> OrdersPage:
        """One page of orders updated in ``window``; ``token`` continues a listing."""
        ...

    async def order_items(self, order_id: str) -> list[OrderItem]:
        """Every item of one order (all pages)."""
        ...

    async def get_order(self, order_id: str) -> Order:
        """One order by id, with its items (to read a set-aside order again).

        Raises:
            NotFoundError: Amazon does not know the order.
            ParseError: the order still cannot be read.
        """
        ...


class SpApi2026Source:
    """Orders 2026-01-01 ``searchOrders`` with ``includedData=CANCELLATION,FULFILLMENT``.

    Items come inline with the orders.

    Added in 0.1.0.
    """

    api = API_SPAPI_2026
    items_inline = True
    token_lifetime: timedelta | None = _PAGINATION_TOKEN_LIFETIME

    def __init__(self, client: AsyncSpApiClient) -> None:
        self._client = client

    async def list_orders(
        self, window: Window, marketplace_ids: Sequence[str], token: str | None
    ) -> OrdersPage:
        # Every parameter is repeated unchanged with the paginationToken, as the model requires.
        return await self._client.orders_2026.search_orders(
            last_updated_after=window.after,
            last_updated_before=window.before,
            marketplace_ids=list(marketplace_ids),
            included_data=INCLUDED_DATA_2026,
            pagination_token=token,
        )

    async def order_items(self, order_id: str) -> list[OrderItem]:
        return list((await self.get_order(order_id)).items)

    async def get_order(self, order_id: str) -> Order:
        return await self._client.orders_2026.get_order(order_id, included_data=INCLUDED_DATA_2026)


class SpApiV0Source:
    """Orders v0 ``getOrders`` + ``getOrderItems``.

    Added in 0.1.0.
    """

    api = API_SPAPI_V0
    items_inline = False
    token_lifetime: timedelta | None = None

    def __init__(self, client: AsyncSpApiClient) -> None:
        self._client = client
        self.items_page_size: int | None = None
        """The most items seen on a ``getOrderItems`` page that had a next page (Amazon does
        not document its page size); ``None`` until an order needed two pages."""

    async def list_orders(
        self, window: Window, marketplace_ids: Sequence[str], token: str | None
    ) -> OrdersPage:
        return await self._client.orders_v0.get_orders(
            marketplace_ids=list(marketplace_ids),
            last_updated_after=window.after,
            last_updated_before=window.before,
            next_token=token,
        )

    async def order_items(self, order_id: str) -> list[OrderItem]:
        # One restart when an items NextToken is refused (expired): the order is read whole.
        for attempt in range(2):
            items: list[OrderItem] = []
            token: str | None = None
            try:
                while True:
                    page = await self._client.orders_v0.get_order_items(order_id, next_token=token)
                    items.extend(page.items)
                    token = page.next_token
                    if token and page.items:
                        self.items_page_size = max(self.items_page_size or 0, len(page.items))
                    if not token:
                        return items
            except InvalidInputError:
                if token is None or attempt:
                    raise
                _log.info("items NextToken of %s refused; reading its items again", order_id)
        raise AssertionError("unreachable")  # pragma: no cover

    async def get_order(self, order_id: str) -> Order:
        header = await self._client.orders_v0.get_order(order_id)
        return header.with_items(await self.order_items(order_id))


class MwsSource:
    """MWS Orders 2013-09-01 ``ListOrders`` + ``ListOrderItems`` (and their ByNextToken calls).

    Added in 0.1.0.
    """

    api = API_MWS
    items_inline = False
    token_lifetime: timedelta | None = None

    def __init__(self, client: AsyncMwsClient) -> None:
        self._client = client

    async def list_orders(
        self, window: Window, marketplace_ids: Sequence[str], token: str | None
    ) -> OrdersPage:
        if token is not None:
            return await self._client.list_orders_by_next_token(token)
        return await self._client.list_orders(
            marketplace_ids=list(marketplace_ids),
            last_updated_after=window.after,
            last_updated_before=window.before,
        )

    async def order_items(self, order_id: str) -> list[OrderItem]:
        for attempt in range(2):
            page = await self._client.list_order_items(order_id)
            items = list(page.items)
            try:
                while page.next_token:
                    page = await self._client.list_order_items_by_next_token(page.next_token)
                    items.extend(page.items)
            except InvalidInputError:
                if attempt:
                    raise
                _log.info("items NextToken of %s refused; reading its items again", order_id)
                continue
            return items
        raise AssertionError("unreachable")  # pragma: no cover

    async def get_order(self, order_id: str) -> Order:
        page = await self._client.get_order([order_id])
        if not page.orders:
            raise NotFoundError(f"MWS GetOrder knows no order {order_id}", code="NotFound")
        return page.orders[0].with_items(await self.order_items(order_id))
