"""Resource namespaces (``client.orders_v0``, ``client.orders_2026``), sync and async.

Every method is generated from one call builder (``_orders_v0``, ``_orders_2026``), so the
sync and async namespaces share their signatures, docstrings and argument checks; only the
way the call is sent differs.

Added in 0.1.0.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine, Iterable
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar, cast

from amzcancel.models import ItemsPage, Order, OrderItem, OrdersPage
from amzcancel.transport import _notifications, _orders_2026, _orders_v0
from amzcancel.transport._calls import ApiCall
from amzcancel.transport._pagination import AsyncPager, SyncPager

__all__ = [
    "AsyncNotifications",
    "AsyncOrders2026",
    "AsyncOrdersV0",
    "Notifications",
    "Orders2026",
    "OrdersV0",
    "async_chain",
    "async_op",
    "async_pages",
    "items_of",
    "orders_of",
    "sync_chain",
    "sync_op",
    "sync_pages",
]

P = ParamSpec("P")
R = TypeVar("R")
PageT = TypeVar("PageT", OrdersPage, ItemsPage)
ItemT = TypeVar("ItemT")


class SyncCaller(Protocol):
    """Anything that can send an :class:`ApiCall` and return its parsed result."""

    def call(self, call: ApiCall[R]) -> R: ...


class AsyncCaller(Protocol):
    """The async twin of :class:`SyncCaller`."""

    async def call(self, call: ApiCall[R]) -> R: ...


class SyncResource:
    """A namespace of blocking operations."""

    def __init__(self, client: SyncCaller) -> None:
        self._client = client


class AsyncResource:
    """A namespace of awaitable operations."""

    def __init__(self, client: AsyncCaller) -> None:
        self._client = client


def sync_op(builder: Callable[P, ApiCall[R]]) -> Callable[Concatenate[SyncResource, P], R]:
    """A blocking method with ``builder``'s signature that sends its call."""

    @functools.wraps(builder)
    def method(self: SyncResource, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return self._client.call(builder(*args, **kwargs))

    return method


def async_op(
    builder: Callable[P, ApiCall[R]],
) -> Callable[Concatenate[AsyncResource, P], Coroutine[Any, Any, R]]:
    """An awaitable method with ``builder``'s signature that sends its call."""

    @functools.wraps(builder)
    async def method(self: AsyncResource, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return await self._client.call(builder(*args, **kwargs))

    return method


def _token_builder(
    builder: Callable[P, ApiCall[PageT]], token_arg: str, args: Any, kwargs: dict[str, Any]
) -> tuple[str | None, Callable[[str | None], ApiCall[PageT]]]:
    builder(*args, **kwargs)  # check the arguments now, not at the first page
    first = kwargs.pop(token_arg, None)
    loose = cast(Callable[..., ApiCall[PageT]], builder)
    return first, lambda token: loose(*args, **{**kwargs, token_arg: token})


def sync_pages(
    builder: Callable[P, ApiCall[PageT]],
    token_arg: str,
    items: Callable[[PageT], Iterable[ItemT]],
) -> Callable[Concatenate[SyncResource, P], SyncPager[PageT, ItemT]]:
    """A method returning a :class:`SyncPager` over ``builder``'s pages."""

    @functools.wraps(builder)
    def method(self: SyncResource, /, *args: P.args, **kwargs: P.kwargs) -> SyncPager[PageT, ItemT]:
        first, make = _token_builder(builder, token_arg, args, dict(kwargs))
        return SyncPager(lambda token: self._client.call(make(token)), items, first_token=first)

    return method


def async_pages(
    builder: Callable[P, ApiCall[PageT]],
    token_arg: str,
    items: Callable[[PageT], Iterable[ItemT]],
) -> Callable[Concatenate[AsyncResource, P], AsyncPager[PageT, ItemT]]:
    """A method returning an :class:`AsyncPager` over ``builder``'s pages."""

    @functools.wraps(builder)
    def method(
        self: AsyncResource, /, *args: P.args, **kwargs: P.kwargs
    ) -> AsyncPager[PageT, ItemT]:
        first, make = _token_builder(builder, token_arg, args, dict(kwargs))
        return AsyncPager(lambda token: self._client.call(make(token)), items, first_token=first)

    return method


def orders_of(page: OrdersPage) -> list[Order]:
    """The orders of a listing page."""
    return page.orders


def items_of(page: ItemsPage) -> list[OrderItem]:
    """The items of an items page."""
    return page.items


class OrdersV0(SyncResource):
    """Orders API v0 (``client.orders_v0``). Added in 0.1.0."""

    get_orders = sync_op(_orders_v0.get_orders)
    get_order = sync_op(_orders_v0.get_order)
    get_order_items = sync_op(_orders_v0.get_order_items)
    iter_orders = sync_pages(_orders_v0.get_orders, "next_token", orders_of)
    iter_order_items = sync_pages(_orders_v0.get_order_items, "next_token", items_of)

    def list_order_items(self, order_id: str) -> list[OrderItem]:
        """Every item of one order (all ``getOrderItems`` pages)."""
        return list(self.iter_order_items(order_id))


class AsyncOrdersV0(AsyncResource):
    """Orders API v0 (``client.orders_v0``), awaitable. Added in 0.1.0."""

    get_orders = async_op(_orders_v0.get_orders)
    get_order = async_op(_orders_v0.get_order)
    get_order_items = async_op(_orders_v0.get_order_items)
    iter_orders = async_pages(_orders_v0.get_orders, "next_token", orders_of)
    iter_order_items = async_pages(_orders_v0.get_order_items, "next_token", items_of)

    async def list_order_items(self, order_id: str) -> list[OrderItem]:
        """Every item of one order (all ``getOrderItems`` pages)."""
        return [item async for item in self.iter_order_items(order_id)]


class Orders2026(SyncResource):
    """Orders API 2026-01-01 (``client.orders_2026``). Added in 0.1.0."""

    search_orders = sync_op(_orders_2026.search_orders)
    get_order = sync_op(_orders_2026.get_order)
    iter_search_orders = sync_pages(_orders_2026.search_orders, "pagination_token", orders_of)


class AsyncOrders2026(AsyncResource):
    """Orders API 2026-01-01 (``client.orders_2026``), awaitable. Added in 0.1.0."""

    search_orders = async_op(_orders_2026.search_orders)
    get_order = async_op(_orders_2026.get_order)
    iter_search_orders = async_pages(_orders_2026.search_orders, "pagination_token", orders_of)


class Notifications(SyncResource):
    """Notifications API v1 (``client.notifications``): SQS destinations, subscriptions.

    Added in 0.2.0.
    """

    create_destination = sync_op(_notifications.create_destination)
    get_destinations = sync_op(_notifications.get_destinations)
    delete_destination = sync_op(_notifications.delete_destination)
    create_subscription = sync_op(_notifications.create_subscription)
    get_subscription = sync_op(_notifications.get_subscription)
    delete_subscription_by_id = sync_op(_notifications.delete_subscription_by_id)


class AsyncNotifications(AsyncResource):
    """Notifications API v1 (``client.notifications``), awaitable. Added in 0.2.0."""

    create_destination = async_op(_notifications.create_destination)
    get_destinations = async_op(_notifications.get_destinations)
    delete_destination = async_op(_notifications.delete_destination)
    create_subscription = async_op(_notifications.create_subscription)
    get_subscription = async_op(_notifications.get_subscription)
    delete_subscription_by_id = async_op(_notifications.delete_subscription_by_id)


def sync_chain(
    first: Callable[P, ApiCall[PageT]],
    following: Callable[[str], ApiCall[PageT]],
    items: Callable[[PageT], Iterable[ItemT]],
) -> Callable[Concatenate[SyncResource, P], SyncPager[PageT, ItemT]]:
    """A pager whose first page comes from ``first`` and the rest from ``following(token)``."""

    @functools.wraps(first)
    def method(self: SyncResource, /, *args: P.args, **kwargs: P.kwargs) -> SyncPager[PageT, ItemT]:
        opening = first(*args, **kwargs)

        def fetch(token: str | None) -> PageT:
            return self._client.call(opening if token is None else following(token))

        return SyncPager(fetch, items)

    return method


def async_chain(
    first: Callable[P, ApiCall[PageT]],
    following: Callable[[str], ApiCall[PageT]],
    items: Callable[[PageT], Iterable[ItemT]],
) -> Callable[Concatenate[AsyncResource, P], AsyncPager[PageT, ItemT]]:
    """The async twin of :func:`sync_chain`."""

    @functools.wraps(first)
    def method(
        self: AsyncResource, /, *args: P.args, **kwargs: P.kwargs
    ) -> AsyncPager[PageT, ItemT]:
        opening = first(*args, **kwargs)

        async def fetch(token: str | None) -> PageT:
            return await self._client.call(opening if token is None else following(token))

        return AsyncPager(fetch, items)

    return method
