"""A listing that goes round in circles is stopped, not followed for ever.

A server that returns the same page token again (or two tokens in turn) kept a sync paging for
997 requests in 45 s, storing nothing. Amazon's tokens never repeat within one listing, so a
repeated token means the listing cannot be trusted to end: the sync stops with an error (what
it stored so far stays stored, and the cursor does not move past the window). A run of pages
that bring no order not seen before in this listing is stopped the same way, so a server that
issues ever new tokens over the same orders cannot keep a sync busy either.

Added in 0.2.0.
"""

from __future__ import annotations

from collections.abc import Sequence

from amzcancel.errors import APIError
from amzcancel.models import Order

__all__ = ["MAX_PAGES_WITHOUT_NEWS", "ListingGuard"]

MAX_PAGES_WITHOUT_NEWS = 20
"""Pages in a row that bring no new order before a listing is given up as endless."""


class ListingGuard:
    """Follows one listing's page tokens and refuses to go round in circles.

    Args:
        what: names the listing in the error (``searchOrders 2026-11-20T08:00:00Z..``).
        max_pages_without_news: see :data:`MAX_PAGES_WITHOUT_NEWS`.
    """

    def __init__(self, what: str, *, max_pages_without_news: int = MAX_PAGES_WITHOUT_NEWS) -> None:
        self._what = what
        self._limit = max_pages_without_news
        self._tokens: set[str] = set()
        self._orders: set[str] = set()
        self._idle = 0

    def next_token(self, orders: Sequence[Order], token: str | None) -> str | None:
        """The token to follow after a page of ``orders``, or ``None`` at the end.

        Raises:
            APIError: the token was seen before in this listing (``RepeatedNextToken``), or too
                many pages in a row brought no new order (``EndlessListing``).
        """
        fresh = {o.amazon_order_id for o in orders} - self._orders
        self._orders.update(fresh)
        token = token or None
        if token is None:
            return None
        if token in self._tokens:
            raise APIError(
                f"the server returned a page token it had already returned while listing "
                f"{self._what}; the listing would never end, so it was stopped",
                code="RepeatedNextToken",
            )
        self._tokens.add(token)
        self._idle = 0 if fresh else self._idle + 1
        if self._idle >= self._limit:
            raise APIError(
                f"{self._idle} pages in a row brought no new order while listing {self._what}; "
                "the listing would never end, so it was stopped",
                code="EndlessListing",
            )
        return token
