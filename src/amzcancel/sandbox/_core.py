"""What every API module of the sandbox shares: the state, the clock, query validation.

Added in 0.1.0.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from dateutil import parser as date_parser

from amzcancel.clock import Clock
from amzcancel.sandbox._http import SandboxRequest, SandboxResponse, json_response, spapi_error
from amzcancel.sandbox._limits import RateLimits
from amzcancel.sandbox._pages import PageTokens
from amzcancel.sandbox._quirks import Chance, Quirks, TokenRepeater
from amzcancel.sandbox._state import SimOrder

__all__ = [
    "ORDER_ID_PATTERN",
    "TWO_MINUTES",
    "BadInput",
    "MarketState",
    "Route",
    "SpApiOperations",
    "format_time",
    "money_text",
    "parse_time",
]

ORDER_ID_PATTERN = re.compile(r"^\d{3}-\d{7}-\d{7}$")
TWO_MINUTES = timedelta(minutes=2)


class BadInput(Exception):
    """A request parameter the marketplace refuses (answered as 400)."""


@dataclass(frozen=True)
class Route:
    """Where a request goes.

    Attributes:
        operation: Amazon's operation name (``getOrders``, ``ListOrders``...), for counting.
        bucket: the rate-limit bucket key, or None when the path is not metered.
        api: ``spapi`` (needs an access token), ``mws`` (needs a signature), ``lwa`` or
            ``sandbox`` (the sandbox's own paths: uploads, downloads, truth).
        handler: makes the answer from the request and its request id.
    """

    operation: str
    bucket: str | None
    api: str
    handler: Callable[[SandboxRequest, str], SandboxResponse]


class MarketState:
    """The orders and the settings the API modules read and change.

    Attributes:
        lock: held while a request reads or changes state (the WSGI server is threaded).

    Added in 0.1.0.
    """

    def __init__(
        self,
        clock: Clock,
        orders: Iterable[SimOrder],
        *,
        marketplace_ids: tuple[str, ...],
        tokens: PageTokens,
        next_token_ttl_seconds: float,
        items_page_size: int,
        quirks: Quirks | None = None,
        seed: int = 0,
    ) -> None:
        self.clock = clock
        self.orders: dict[str, SimOrder] = {o.amazon_order_id: o for o in orders}
        self.marketplace_ids = marketplace_ids
        self.tokens = tokens
        self.next_token_ttl_seconds = next_token_ttl_seconds
        self.items_page_size = items_page_size
        self.quirks = quirks or Quirks()
        self.chance = Chance(seed)
        self._repeater = TokenRepeater(self.quirks.repeat_page_tokens)
        self.lock = threading.RLock()

    def now(self) -> datetime:
        """The marketplace's current time."""
        return self.clock.now()

    def find(self, order_id: str) -> SimOrder | None:
        """The order with this id, or None."""
        return self.orders.get(order_id)

    # -- listings, with their quirks ---------------------------------------------------------

    def listed_ids(self, window: ListingWindow, orders: Iterable[SimOrder]) -> tuple[str, ...]:
        """The ids a listing of ``window`` selects, by the index's view of each order."""
        return window.ordered_ids(orders, lag_seconds=self.quirks.index_lag_seconds, now=self.now())

    def page_ids(self, ids: tuple[str, ...], offset: int, size: int) -> list[str]:
        """The ids of one listing page; sometimes with the previous page's last one again."""
        page = list(ids[offset : offset + size])
        if offset > 0 and self.chance(self.quirks.duplicate_share):
            page.insert(0, ids[offset - 1])
        return [i for i in page if i in self.orders]

    def next_page_token(self, asked_with: str | None, issue: Callable[[], str]) -> str:
        """The next-page token of a listing answer (``issue`` makes a real one)."""
        return self._repeater.next_token(asked_with, issue)


def parse_time(value: str, name: str) -> datetime:
    """A query-string ISO 8601 time as aware UTC (naive means UTC), else :class:`BadInput`."""
    try:
        parsed = date_parser.isoparse(value.strip())
    except (ValueError, OverflowError) as exc:
        raise BadInput(f"{name} must be an ISO 8601 date-time, got {value[:40]!r}") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_time(value: datetime) -> str:
    """Amazon's way of writing a time: ISO 8601 UTC with ``Z``, whole seconds."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def money_text(amount: Decimal | int, currency: str) -> str:
    """An amount as Amazon writes it (no decimals for JPY, two otherwise)."""
    places = Decimal("1") if currency == "JPY" else Decimal("0.01")
    return str(Decimal(amount).quantize(places))


def parse_page_size(value: str | None, name: str) -> int:
    """``MaxResultsPerPage`` / ``maxResultsPerPage``: 1-100, default 100."""
    if value is None:
        return 100
    try:
        size = int(value)
    except ValueError as exc:
        raise BadInput(f"{name} must be an integer between 1 and 100") from exc
    if not 1 <= size <= 100:
        raise BadInput(f"{name} must be an integer between 1 and 100")
    return size


@dataclass(frozen=True)
class ListingWindow:
    """A validated order-listing window.

    Attributes:
        by_created: True for CreatedAfter/CreatedBefore, False for LastUpdated*.
        after: the lower bound.
        before: the effective upper bound (the requested one, or now minus two minutes).
    """

    by_created: bool
    after: datetime
    before: datetime

    def date_of(self, order: SimOrder) -> datetime:
        """The order's date this window is about (purchase or last update)."""
        return order.purchase_date if self.by_created else order.last_update_date

    def matches(self, order: SimOrder) -> bool:
        """True when the order's date falls in the window (both ends included)."""
        return self.after <= self.date_of(order) <= self.before

    def ordered_ids(
        self, orders: Iterable[SimOrder], *, lag_seconds: float = 0.0, now: datetime | None = None
    ) -> tuple[str, ...]:
        """The ids of ``orders`` in the window, in listing order (by that date, then id).

        With ``lag_seconds``, by the last-update time an index lagging that far behind ``now``
        holds (orders younger than the lag are not listed yet).
        """
        if lag_seconds <= 0 or self.by_created or now is None:
            selected = sorted(
                (o for o in orders if self.matches(o)),
                key=lambda o: (self.date_of(o), o.amazon_order_id),
            )
            return tuple(o.amazon_order_id for o in selected)
        indexed = [(o.index_time(lag_seconds, now), o.amazon_order_id) for o in orders]
        return tuple(
            oid
            for when, oid in sorted((w, i) for w, i in indexed if w is not None)
            if self.after <= when <= self.before
        )


def parse_window(
    request: SandboxRequest,
    names: tuple[str, str, str, str],
    now: datetime,
    *,
    clamp_before: bool = False,
) -> ListingWindow:
    """Validate the created/last-updated window the way SP-API does.

    ``names`` are the four parameter names (CreatedAfter, CreatedBefore, LastUpdatedAfter,
    LastUpdatedBefore, in the API's spelling). Exactly one of the two *After parameters must be
    given; a *Before needs its own *After, must not precede it and must be at least two minutes
    before now. With ``clamp_before`` (MWS) a later *Before is lowered to now minus two minutes
    and echoed, instead of refused.
    """
    created_after, created_before, updated_after, updated_before = names
    values = {name: request.param(name) for name in names}
    if values[created_after] and values[updated_after]:
        raise BadInput(f"{created_after} and {updated_after} cannot both be specified")
    if not values[created_after] and not values[updated_after]:
        raise BadInput(f"Either {created_after} or {updated_after} must be specified")
    by_created = bool(values[created_after])
    after_name, before_name = (
        (created_after, created_before) if by_created else (updated_after, updated_before)
    )
    other_before = updated_before if by_created else created_before
    if values[other_before]:
        raise BadInput(f"{other_before} cannot be specified together with {after_name}")
    after = parse_time(values[after_name] or "", after_name)
    # Whole seconds, like Amazon's dates: the bound echoed is exactly the bound applied.
    latest = (now - TWO_MINUTES).replace(microsecond=0)
    raw_before = values[before_name]
    if raw_before:
        before = parse_time(raw_before, before_name)
        if before > latest:
            if not clamp_before:
                raise BadInput(
                    f"{before_name} must be at least two minutes before the time of the request"
                )
            before = latest
    else:
        before = latest
    if after > latest:
        raise BadInput(f"{after_name} must be at least two minutes before the time of the request")
    if before < after:
        raise BadInput(f"{before_name} must be equal to or after {after_name}")
    return ListingWindow(by_created, after, before)


class SpApiOperations:
    """Base of the SP-API operation classes: the state, the limits, answers with their headers.

    Every SP-API answer carries ``x-amzn-RequestId`` and the bucket's
    ``x-amzn-RateLimit-Limit``, errors included.
    """

    def __init__(self, state: MarketState, limits: RateLimits) -> None:
        self._state = state
        self._limits = limits

    def _headers(self, bucket: str, request_id: str) -> list[tuple[str, str]]:
        return [("x-amzn-RequestId", request_id), self._limits.header(bucket)]

    def _answer(
        self, bucket: str, status: int, body: dict[str, Any], request_id: str
    ) -> SandboxResponse:
        return json_response(status, body, self._headers(bucket, request_id))

    def _error(
        self, bucket: str, status: int, code: str, message: str, request_id: str
    ) -> SandboxResponse:
        return spapi_error(status, code, message, headers=self._headers(bucket, request_id))

    def _find_order(
        self, bucket: str, order_id: str, request_id: str
    ) -> SimOrder | SandboxResponse:
        """The order a path names, or the answer instead: 400 for a malformed id, 404."""
        if not ORDER_ID_PATTERN.match(order_id):
            return self._error(bucket, 400, "InvalidInput", "Invalid orderId", request_id)
        order = self._state.find(order_id)
        if order is None:
            return self._error(bucket, 404, "NotFound", "Order not found", request_id)
        return order
