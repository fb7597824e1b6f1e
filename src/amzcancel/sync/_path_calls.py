"""The calls of a multi-path sync: one method per path, each answering with orders.

:class:`PathCalls` is the only part of the multi-path sync that talks to Amazon. It turns a
first refusal (403/404 before the operation ever answered) into :class:`PathRefused`, so the
window cover can drop that path and go on with the others, and it keeps the bookkeeping the
summary and the tests read: how often each order came back, and when each call was answered.

Added in 0.2.0 (split out of the multi-path module).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from amzcancel.clock import Clock
from amzcancel.errors import APIError, AuthError, NotFoundError
from amzcancel.models import Order, OrdersPage
from amzcancel.sync._offload import off_loop
from amzcancel.sync._paths import (
    LISTING_OPERATION,
    PATH_GET_ORDER,
    PATH_ORDER_ITEMS,
    PATH_SEARCH,
    PathRefused,
    PathStates,
)
from amzcancel.sync._protocol import Store
from amzcancel.sync._run import api_refused
from amzcancel.sync._sources import INCLUDED_DATA_2026, SpApiV0Source
from amzcancel.sync._window import Window
from amzcancel.transport import AsyncSpApiClient

__all__ = ["PathCalls"]

_REFUSED = (AuthError, NotFoundError)


class PathCalls:
    """One seller's calls for every path, with first-refusal detection and bookkeeping.

    Args:
        client: the seller's async SP-API client (its rate limiter paces every call).
        store: the store, for "unchanged since stored" checks.
        account: the seller account in the store.
        paths: which paths are enabled, refused or confirmed.
        clock: the client's clock (for the call timeline).

    Attributes:
        deliveries: how often Amazon returned each order id.
        calls: ``(monotonic seconds, operation)`` of every answered call.
    """

    def __init__(
        self,
        *,
        client: AsyncSpApiClient,
        store: Store,
        account: str,
        paths: PathStates,
        clock: Clock,
    ) -> None:
        self.client = client
        self.v0 = SpApiV0Source(client)
        self.store = store
        self.account = account
        self.paths = paths
        self.clock = clock
        self.deliveries: Counter[str] = Counter()
        self.calls: list[tuple[float, str]] = []

    def _answered(self, operation: str) -> None:
        self.paths.confirmed.add(operation)
        self.calls.append((self.clock.monotonic(), operation))

    def _refusal(self, operation: str, exc: APIError) -> bool:
        """True when ``exc`` is a first refusal of ``operation`` (the app lacks its role)."""
        return operation not in self.paths.confirmed and api_refused(exc)

    async def search(
        self,
        after: datetime,
        before: datetime,
        marketplace_ids: Sequence[str],
        token: str | None,
    ) -> OrdersPage:
        """One searchOrders page of ``[after, before]`` (every parameter repeated with a token).

        Raises:
            PathRefused: searchOrders refused on its first call.
        """
        try:
            page = await self.client.orders_2026.search_orders(
                last_updated_after=after,
                last_updated_before=before,
                marketplace_ids=list(marketplace_ids),
                included_data=INCLUDED_DATA_2026,
                pagination_token=token,
            )
        except _REFUSED as exc:
            if token is None and self._refusal(PATH_SEARCH, exc):
                raise PathRefused from exc
            raise
        self._answered(PATH_SEARCH)
        self._delivered(page.orders)
        return page

    async def list_v0(
        self, part: Window, marketplace_ids: Sequence[str], token: str | None
    ) -> OrdersPage:
        """One v0 getOrders page of ``part`` (order headers for the per-id paths).

        Raises:
            PathRefused: getOrders refused on its first call.
        """
        try:
            page = await self.client.orders_v0.get_orders(
                marketplace_ids=list(marketplace_ids),
                last_updated_after=part.after,
                last_updated_before=part.before,
                next_token=token,
            )
        except _REFUSED as exc:
            if self._refusal(LISTING_OPERATION, exc):
                raise PathRefused from exc
            raise
        self._answered(LISTING_OPERATION)
        return page

    async def fetch(self, path: str, order_id: str, listed: Order | None) -> Order:
        """One order with its items through a per-id path.

        Raises:
            PathRefused: ``path`` refused on its first call.
            NotFoundError: the path does not know the order (yet).
        """
        try:
            if path == PATH_GET_ORDER:
                order = await self.client.orders_2026.get_order(
                    order_id, included_data=INCLUDED_DATA_2026
                )
            else:
                if listed is None:  # pragma: no cover - listed orders carry their header
                    raise NotFoundError(f"no order header for {order_id}", code="NotListed")
                order = listed.with_items(await self.v0.order_items(order_id))
        except AuthError as exc:
            if self._refusal(path, exc):
                raise PathRefused from exc
            raise
        self._answered(path)
        self._delivered([order])
        return order

    def other_id_path(self, path: str) -> str | None:
        """The other enabled per-id path, which may know an order this one does not."""
        other = PATH_ORDER_ITEMS if path == PATH_GET_ORDER else PATH_GET_ORDER
        return other if other in self.paths else None

    def search_wait(self) -> float:
        """Seconds until the searchOrders bucket has a token (0.0 when it has one)."""
        return self.client.rate_limiter.time_until_token(
            self.client.credentials.partner_key, PATH_SEARCH
        )

    async def new_or_changed(self, orders: Sequence[Order]) -> list[Order]:
        """The orders not stored, or stored with an earlier last-update time."""
        return (await self.sort_by_stored(orders))[0]

    async def sort_by_stored(self, orders: Sequence[Order]) -> tuple[list[Order], list[Order]]:
        """``orders`` split into (new or changed since stored, stored at the same time).

        Orders stored with a later time than listed (stale copies) are in neither.
        """
        if not orders:
            return [], []
        stored = await off_loop(
            self.store.stored_update_dates, self.account, [o.amazon_order_id for o in orders]
        )
        fresh: list[Order] = []
        same: list[Order] = []
        for order in orders:
            known, listed = stored.get(order.amazon_order_id), order.last_update_date
            if known is None or listed is None or known < listed:
                fresh.append(order)
            elif known == listed:
                same.append(order)
        return fresh, same

    def _delivered(self, orders: Sequence[Order]) -> None:
        for order in orders:
            self.deliveries[order.amazon_order_id] += 1
