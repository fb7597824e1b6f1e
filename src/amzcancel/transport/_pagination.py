"""Page iterators: iterate over the items of every page, or over the pages themselves.

Amazon continues a listing with a token (``NextToken`` in v0 and MWS, ``paginationToken`` in
2026-01-01); an absent or empty token ends it. A token that comes back unchanged would loop
for ever, so it is reported as an error instead.

Added in 0.1.0.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from typing import Generic, Protocol, TypeVar

from amzcancel.errors import APIError

__all__ = ["AsyncPager", "SyncPager"]


class _Page(Protocol):
    @property
    def next_token(self) -> str | None: ...


PageT = TypeVar("PageT", bound=_Page)
ItemT = TypeVar("ItemT")


def _next(page: _Page, seen: set[str]) -> str | None:
    token = page.next_token or None
    if token is not None:
        if token in seen:
            raise APIError("Amazon returned the same page token twice", code="RepeatedNextToken")
        seen.add(token)
    return token


class SyncPager(Generic[PageT, ItemT]):
    """Pages fetched on demand; ``for item in pager`` walks the items of every page.

    Added in 0.1.0.
    """

    def __init__(
        self,
        fetch: Callable[[str | None], PageT],
        items: Callable[[PageT], Iterable[ItemT]],
        *,
        first_token: str | None = None,
    ) -> None:
        self._fetch = fetch
        self._items = items
        self._first = first_token

    def iter_pages(self) -> Iterator[PageT]:
        """Each page in turn (one request per page)."""
        seen: set[str] = set()
        token = self._first
        while True:
            page = self._fetch(token)
            yield page
            token = _next(page, seen)
            if token is None:
                return

    def __iter__(self) -> Iterator[ItemT]:
        for page in self.iter_pages():
            yield from self._items(page)


class AsyncPager(Generic[PageT, ItemT]):
    """The async twin of :class:`SyncPager`: ``async for item in pager``.

    Added in 0.1.0.
    """

    def __init__(
        self,
        fetch: Callable[[str | None], Awaitable[PageT]],
        items: Callable[[PageT], Iterable[ItemT]],
        *,
        first_token: str | None = None,
    ) -> None:
        self._fetch = fetch
        self._items = items
        self._first = first_token

    async def iter_pages(self) -> AsyncIterator[PageT]:
        """Each page in turn (one request per page)."""
        seen: set[str] = set()
        token = self._first
        while True:
            page = await self._fetch(token)
            yield page
            token = _next(page, seen)
            if token is None:
                return

    async def __aiter__(self) -> AsyncIterator[ItemT]:
        async for page in self.iter_pages():
            for item in self._items(page):
                yield item
