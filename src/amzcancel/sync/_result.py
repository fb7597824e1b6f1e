"""What a sync run reports: live progress while it runs, and a summary when it ends.

Added in 0.1.0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from amzcancel.models import format_utc

__all__ = ["StatsLike", "SyncProgress", "SyncResult", "WindowRecord"]


class StatsLike(Protocol):
    """The transport counters the engine reads (``TransportStats`` has them).

    Added in 0.1.0.
    """

    @property
    def requests(self) -> int: ...
    @property
    def throttled(self) -> int: ...
    @property
    def rate_limit_wait_seconds(self) -> float: ...
    @property
    def requests_by_operation(self) -> Mapping[str, int]: ...


@dataclass
class SyncProgress:
    """Counters of a run in progress, handed to the ``on_progress`` callback.

    Added in 0.1.0.
    """

    api: str = ""
    """The API being read (``spapi-2026``, ``spapi-v0``, ``mws``)."""
    pages: int = 0
    """Listing pages read."""
    orders_seen: int = 0
    """Orders listed (an order listed twice counts twice)."""
    orders_changed: int = 0
    """Listed orders that were new or changed since stored, and so were (re)stored."""
    items_seen: int = 0
    """Items read, inline or by item calls."""
    item_fetches_planned: int = 0
    """Orders whose items must be fetched (v0, MWS)."""
    item_fetches_done: int = 0
    """Orders whose items have been fetched."""
    requests: int = 0
    """HTTP requests sent so far (retries included)."""
    throttled: int = 0
    """429s (and MWS throttles) received so far."""
    rate_limit_wait_seconds: float = 0.0
    """Time spent pacing before sending, so far, added up over calls (concurrent calls each
    count: it can exceed the run's time; see :attr:`rate_limited_seconds`)."""
    rate_limited_seconds: float = 0.0
    """Clock time so far during which at least one call was waiting for its rate limit.

    Added in 0.2.0."""
    restarts: int = 0
    """Window restarts after an expired page token."""
    paths: tuple[str, ...] = ()
    """The paths a multi-path run shares the work among (empty for a single-path run)."""
    orders_by_path: dict[str, int] = field(default_factory=dict)
    """Orders stored through each path of a multi-path run (``searchOrders``, ``getOrder``,
    ``getOrderItems``)."""
    rate_limit_wait_seconds_by_operation: dict[str, float] = field(default_factory=dict)
    """Time spent pacing before sending, per operation (each has its own bucket)."""
    rate_limited_seconds_by_operation: dict[str, float] = field(default_factory=dict)
    """:attr:`rate_limited_seconds` per operation.

    Added in 0.2.0."""
    set_aside: int = 0
    """Orders set aside because they could not be read (retried on later runs)."""
    set_aside_recovered: int = 0
    """Orders set aside before that read well now and were stored."""
    unreadable_without_id: int = 0
    """Listed orders that could not be read and carry no readable order id (not retried)."""


@dataclass(frozen=True)
class WindowRecord:
    """One window a run covered, and the cursor it committed.

    Added in 0.1.0.
    """

    api: str
    marketplace_ids: tuple[str, ...]
    after: datetime
    before: datetime
    cursor: datetime | None
    """The committed cursor (Amazon's echoed upper bound); ``None`` if nothing was due."""

    def to_json(self) -> dict[str, Any]:
        """This record as JSON-ready values."""
        return {
            "api": self.api,
            "marketplace_ids": list(self.marketplace_ids),
            "after": format_utc(self.after),
            "before": format_utc(self.before),
            "cursor": None if self.cursor is None else format_utc(self.cursor),
        }


@dataclass(frozen=True)
class SyncResult:
    """The summary of one sync run.

    Added in 0.1.0.
    """

    account: str
    api: str
    """The API that was read (after ``auto`` chose one)."""
    marketplace_ids: tuple[str, ...]
    windows: tuple[WindowRecord, ...]
    pages: int
    orders_seen: int
    orders_changed: int
    items_seen: int
    item_fetches: int
    """Orders whose items were fetched by an item call (0 with Orders 2026-01-01)."""
    events: int
    """Events appended to the outbox by this run."""
    events_by_type: Mapping[str, int]
    buyer_cancel_requests: int
    """Open buyer-cancel requests in the store for this account after the run."""
    requests: int
    requests_by_operation: Mapping[str, int]
    throttled: int
    rate_limit_wait_seconds: float
    """Pacing time added up over calls (concurrent waits each count)."""
    restarts: int
    seconds: float
    """Wall time of the run."""
    paths: tuple[str, ...] = ()
    """The paths of a multi-path run (empty for a single-path run)."""
    orders_by_path: Mapping[str, int] = field(default_factory=dict)
    """Orders stored through each path of a multi-path run."""
    rate_limit_wait_seconds_by_operation: Mapping[str, float] = field(default_factory=dict)
    """Pacing time per operation."""
    rate_limited_seconds: float = 0.0
    """Clock time during which at least one call waited for its rate limit (never more than
    the run took on the client's clock).

    Added in 0.2.0."""
    set_aside: tuple[tuple[str, str], ...] = ()
    """``(order id, why)`` of the orders set aside in this run because they could not be read;
    later runs read them again (``amzcancel status`` lists every set-aside order)."""
    set_aside_recovered: int = 0
    """Orders set aside earlier that read well in this run and were stored."""
    unreadable_without_id: int = 0
    """Listed orders that could not be read and carry no readable order id (not retried)."""
    error: str | None = None
    """Why the run failed, or ``None`` when it succeeded. A failed run's figures count what it
    read and stored before the failure (the store keeps it; the cursor did not move past it)."""

    @property
    def ok(self) -> bool:
        """True when the run succeeded."""
        return self.error is None

    def to_json(self) -> dict[str, Any]:
        """The ``amzcancel sync --json`` summary object."""
        return {
            "account": self.account,
            "api": self.api,
            "marketplaces": list(self.marketplace_ids),
            "window": [w.to_json() for w in self.windows],
            "pages": self.pages,
            "orders_seen": self.orders_seen,
            "orders_changed": self.orders_changed,
            "items_seen": self.items_seen,
            "item_fetches": self.item_fetches,
            "events": self.events,
            "events_by_type": dict(self.events_by_type),
            "buyer_cancel_requests": self.buyer_cancel_requests,
            "requests": self.requests,
            "requests_by_operation": dict(self.requests_by_operation),
            "throttled": self.throttled,
            "rate_limit_wait_seconds": round(self.rate_limit_wait_seconds, 3),
            "rate_limited_seconds": round(self.rate_limited_seconds, 3),
            "restarts": self.restarts,
            "seconds": round(self.seconds, 3),
            "paths": list(self.paths),
            "orders_by_path": dict(self.orders_by_path),
            "rate_limit_wait_seconds_by_operation": {
                op: round(s, 3) for op, s in self.rate_limit_wait_seconds_by_operation.items()
            },
            "set_aside": [{"amazon_order_id": oid, "error": why} for oid, why in self.set_aside],
            "set_aside_recovered": self.set_aside_recovered,
            "unreadable_without_id": self.unreadable_without_id,
            "error": self.error,
        }
