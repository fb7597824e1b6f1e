"""Bucket math: how long a backlog takes through one path, and through all at once.

A discrete-event simulation on simulated time with zero latency: every operation is a
:class:`~amzcancel._bucket.TokenBucket` at Amazon's default rate (times ``speed``, as the
sandbox runs it) and burst, and each call happens the moment its bucket has a token and there
is work for it. The multi-path simulation drives the same :class:`~amzcancel.sync._workpool.
WorkPool` decisions and the same phases as the real orchestrator, so its finish time is the
limit the orchestrator can approach (only latency separates them). Orders are listed and paged
oldest first, as the sandbox does.

Added in 0.1.0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from amzcancel.sync._paths import ALL_PATHS, ID_PATHS, LISTING_OPERATION, PATH_SEARCH
from amzcancel.sync._workpool import SEARCH_PAGE_SIZE, WorkPool
from amzcancel.transport import SPAPI_RATE_LIMITS, TokenBucket

__all__ = ["ScheduleEstimate", "simulate_multipath", "single_path_seconds"]

_OPERATIONS = (LISTING_OPERATION, *ALL_PATHS)
_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class ScheduleEstimate:
    """The outcome of a simulated schedule.

    Added in 0.1.0.
    """

    seconds: float
    """Simulated time until the last order is fetched and the listing has ended."""
    orders_by_path: dict[str, int] = field(default_factory=dict)
    """Orders fetched through each path."""
    calls: dict[str, int] = field(default_factory=dict)
    """Calls per operation."""
    timeline: list[tuple[float, str]] = field(default_factory=list)
    """``(seconds, operation)`` of every call, for charts."""
    fetches: dict[str, int] = field(default_factory=dict)
    """How often each order id was fetched (every value is 1 in a correct schedule)."""


class _Sim:
    def __init__(self, speed: float) -> None:
        self.now = 0.0
        self.buckets = {
            op: TokenBucket(SPAPI_RATE_LIMITS[op].rate * speed, SPAPI_RATE_LIMITS[op].burst, now=0)
            for op in _OPERATIONS
        }
        self.estimate = ScheduleEstimate(seconds=0.0)

    def ready_at(self, operation: str) -> float:
        return self.now + self.buckets[operation].time_until_token(self.now)

    def call(self, operation: str, at: float) -> None:
        self.now = max(self.now, at)
        # time_until_token rounds to the instant the token appears; never miss it by a hair.
        while not self.buckets[operation].try_take(self.now):
            self.now += 1e-9
        self.estimate.calls[operation] = self.estimate.calls.get(operation, 0) + 1
        self.estimate.timeline.append((self.now, operation))

    def fetched(self, path: str, order_id: str) -> None:
        est = self.estimate
        est.orders_by_path[path] = est.orders_by_path.get(path, 0) + 1
        est.fetches[order_id] = est.fetches.get(order_id, 0) + 1


def _times(orders: int) -> list[datetime]:
    return [_EPOCH + timedelta(seconds=i) for i in range(orders)]


def single_path_seconds(orders: int, path: str, *, speed: float = 1.0) -> float:
    """The least time one path needs for ``orders`` orders.

    Args:
        orders: orders updated in the window.
        path: ``searchOrders`` (Orders 2026-01-01 pages) or ``getOrderItems`` (v0 getOrders
            listing, then one getOrderItems call per order).
        speed: multiplies every rate (the sandbox's speed factor).
    """
    sim = _Sim(speed)
    pages = math.ceil(orders / SEARCH_PAGE_SIZE)
    if path == PATH_SEARCH:
        for _ in range(pages):
            sim.call(PATH_SEARCH, sim.ready_at(PATH_SEARCH))
        return sim.now
    listed_at: list[float] = []
    for _ in range(pages):
        sim.call(LISTING_OPERATION, sim.ready_at(LISTING_OPERATION))
        listed_at.append(sim.now)
    finish = listed_at[-1] if listed_at else 0.0
    items = sim.buckets[path]
    now = 0.0
    for i in range(orders):
        now = max(now, listed_at[i // SEARCH_PAGE_SIZE])
        now += items.time_until_token(now)
        while not items.try_take(now):
            now += 1e-9
    return max(finish, now)


def simulate_multipath(
    orders: int, *, paths: tuple[str, ...] = ALL_PATHS, speed: float = 1.0
) -> ScheduleEstimate:
    """Simulate the multi-path schedule of ``orders`` new orders on a fresh quota.

    Phase 1 pages the whole window with searchOrders while its bucket has tokens; if orders
    remain, phase 2 lists the rest of the window (from the last order seen) with v0 getOrders
    and shares the listed orders among ``paths``.
    """
    sim = _Sim(speed)
    times = _times(orders)
    pool: WorkPool[None] = WorkPool()
    ids = [f"order-{i:06d}" for i in range(orders)]
    seen = 0
    id_paths = [p for p in ID_PATHS if p in paths]
    if PATH_SEARCH in paths:
        while seen < orders:
            if seen and id_paths and sim.ready_at(PATH_SEARCH) > sim.now:
                break
            sim.call(PATH_SEARCH, sim.ready_at(PATH_SEARCH))
            for i in range(seen, min(seen + SEARCH_PAGE_SIZE, orders)):
                pool.receive(ids[i], times[i], None)
                sim.fetched(PATH_SEARCH, ids[i])
            seen = min(seen + SEARCH_PAGE_SIZE, orders)
    if seen < orders and not id_paths:
        raise ValueError("orders remain but no path can fetch them")
    # Phase 2 lists from the last order seen to the end of the window; the pages came oldest
    # first, so the start of the window needs no second listing (see amzcancel.sync._multipath).
    rest = list(range(max(seen - 1, 0), orders)) if seen < orders else []
    pages = [rest[i : i + SEARCH_PAGE_SIZE] for i in range(0, len(rest), SEARCH_PAGE_SIZE)]
    pool.listing_complete = not pages
    while not pool.finished:
        options: list[tuple[float, int, str]] = []
        if pages:
            options.append((sim.ready_at(LISTING_OPERATION), 0, LISTING_OPERATION))
        if pool.has_free:
            options += [(sim.ready_at(p), 1, p) for p in id_paths]
            if PATH_SEARCH in paths:
                options.append((sim.ready_at(PATH_SEARCH), 2, PATH_SEARCH))
        at, _, operation = min(options)
        sim.call(operation, at)
        if operation == LISTING_OPERATION:
            for i in pages.pop(0):
                pool.offer(ids[i], times[i], None, changed=True)
            pool.listing_complete = not pages
        elif operation == PATH_SEARCH:
            claim = pool.claim()
            if claim is None:
                continue
            first = int((claim.after - _EPOCH).total_seconds())
            last = int((claim.before - _EPOCH).total_seconds())
            for i in range(first, last + 1):
                if pool.receive(ids[i], times[i], claim):
                    sim.fetched(PATH_SEARCH, ids[i])
            pool.finish(claim)
        else:
            taken = pool.take_oldest()
            if taken is not None:
                pool.complete(taken[0])
                sim.fetched(operation, taken[0])
    sim.estimate.seconds = sim.now
    return sim.estimate
