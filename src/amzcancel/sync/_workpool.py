"""Which path fetches which order of a window in a multi-path sync, so none is fetched twice.

Amazon meters every operation with its own token bucket, so a backlog drains fastest when the
paths that each yield an order with its items all run at once (docs/multipath.md):

- ``searchOrders`` (Orders 2026-01-01): a page of up to 100 orders with items per call, over a
  sub-window of last-update time;
- ``getOrder`` (Orders 2026-01-01): one order with items per call, by order id;
- ``getOrderItems`` (Orders v0): the items of one order listed by v0 ``getOrders``.

The per-id paths need order ids, which v0 ``getOrders`` lists cheaply (100 per call). The
:class:`WorkPool` holds every listed order on a timeline sorted by last-update time and hands
out disjoint work: per-id paths take the oldest free order one at a time; ``searchOrders``
claims a run of adjacent free orders (at most a page) as a closed sub-window
``[after, before]``. A claim never overlaps another claim, nor an order any path has taken, so
each order is fetched by exactly one path. Orders a claim was expected to return but did not
(updated since they were listed, or a page the claim gave up on) go back to the pool.

A claim never reaches past the window's end (``until``): listings return orders whose document
is newer than the bound asked for (the index and the document are not read at the same moment,
on Amazon as in the sandbox), and a searchOrders call asking past the window's end would be
refused ("lastUpdatedBefore must be at least two minutes before the time of the request"). Such
orders are left to the per-id paths; with none left, to the next window, which covers them.

The pool is pure (no I/O, no clock): the window cover (:mod:`amzcancel.sync._window_cover`) and
the schedule simulation in ``benchmarks/schedule_math.py`` drive the same decisions.

Added in 0.1.0.
"""

from __future__ import annotations

import bisect
import heapq
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from operator import itemgetter
from typing import Generic, TypeVar

__all__ = ["PREFER_SCAN", "SEARCH_PAGE_SIZE", "SearchClaim", "WorkPool"]

SEARCH_PAGE_SIZE = 100
"""searchOrders' largest (and default) ``maxResultsPerPage``."""
PREFER_SCAN = 64
"""Free orders :meth:`WorkPool.take_oldest` looks at for one its caller prefers."""

T = TypeVar("T")

_time_of = itemgetter(0)


class _State(Enum):
    FREE = "free"
    """Listed and new or changed since stored: waiting for a path."""
    SKIP = "skip"
    """Listed but unchanged since stored: no work (may sit inside a claim)."""
    TAKEN = "taken"
    """Taken by a per-id path; the fetch is in flight."""
    CLAIMED = "claimed"
    """Inside an active searchOrders claim."""
    DONE = "done"
    """Fetched (by any path) in this run."""


@dataclass(eq=False)
class _Entry(Generic[T]):
    order_id: str
    updated: datetime | None
    payload: T | None
    state: _State


@dataclass(eq=False)
class SearchClaim:
    """A sub-window ``[after, before]`` of last-update time that one searchOrders path covers.

    Added in 0.1.0.
    """

    after: datetime
    """``lastUpdatedAfter`` of the claim (inclusive, as Amazon applies it)."""
    before: datetime
    """``lastUpdatedBefore`` of the claim (inclusive)."""
    expected: set[str] = field(default_factory=set)
    """Listed order ids with work that fall inside the claim."""
    received: set[str] = field(default_factory=set)
    """Order ids the claim's pages returned so far."""

    def covers(self, when: datetime) -> bool:
        """True when ``when`` lies inside the claim."""
        return self.after <= when <= self.before


class WorkPool(Generic[T]):
    """The listed orders of one window and which path owns each.

    ``T`` is what the caller keeps with a listed order (the listed ``Order`` header).

    Args:
        page_size: the most listed orders one searchOrders claim takes.
        until: the window's end; no claim reaches past it (``None``: no limit).

    Added in 0.1.0.
    """

    def __init__(self, *, page_size: int = SEARCH_PAGE_SIZE, until: datetime | None = None) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self._page_size = page_size
        self._until = until
        self._entries: dict[str, _Entry[T]] = {}
        # Every timed entry ever seen, sorted by (last-update time, id): the claims' map.
        self._timeline: list[tuple[datetime, str]] = []
        # Candidates for the per-id paths, oldest first; stale items are skipped when popped.
        self._oldest: list[tuple[datetime, str]] = []
        self._untimed: deque[str] = deque()
        self._active: list[SearchClaim] = []
        # Every sub-window ever claimed: a new claim never overlaps one, so no order is
        # returned by two searchOrders pages.
        self._spans: list[tuple[datetime, datetime]] = []
        self._taken = 0
        self._free = 0
        self.listing_complete = False
        """Set by the caller when the window's listing has ended."""

    # -- listing -------------------------------------------------------------------------

    def offer(
        self, order_id: str, updated: datetime | None, payload: T | None, *, changed: bool
    ) -> bool:
        """Add a listed order; True when it became work for the per-id paths or a claim.

        ``changed`` says whether it is new or changed since stored (unchanged orders are no
        work). An order already known in this run is ignored unless listed with a later
        last-update time than it was fetched with.
        """
        known = self._entries.get(order_id)
        if known is not None:
            newer = updated is not None and known.updated is not None and updated > known.updated
            if not (newer and changed and known.state in (_State.DONE, _State.SKIP)):
                return False
            self._unplace(known)
        claim = None if updated is None else self._active_claim_at(updated)
        if not changed:
            state = _State.SKIP
        elif claim is not None:
            state = _State.CLAIMED
            claim.expected.add(order_id)
        else:
            state = _State.FREE
        entry = _Entry(order_id, updated, payload, state)
        self._entries[order_id] = entry
        self._place(entry)
        if state is _State.FREE:
            self._push_free(entry)
        return changed

    # -- per-id paths ----------------------------------------------------------------------

    def take_oldest(
        self, prefer: Callable[[T | None], bool] | None = None
    ) -> tuple[str, T | None] | None:
        """Give the oldest free order to a per-id path: ``(order id, payload)`` or ``None``.

        With ``prefer``, the oldest free order whose payload it accepts, among the
        ``PREFER_SCAN`` oldest; when it accepts none of them, the oldest. (A path that would
        need several calls for some orders leaves them to a path that needs one.)
        """
        while self._untimed:
            entry = self._entries[self._untimed.popleft()]
            if entry.state is _State.FREE:
                return self._take(entry)
        passed: list[tuple[datetime, str]] = []
        chosen: _Entry[T] | None = None
        while self._oldest and len(passed) < PREFER_SCAN:
            updated, order_id = heapq.heappop(self._oldest)
            entry = self._entries[order_id]
            if entry.state is not _State.FREE or entry.updated != updated:
                continue  # stale: taken, claimed or re-listed since it was pushed
            if prefer is None or prefer(entry.payload):
                chosen = entry
                break
            passed.append((updated, order_id))
        if chosen is None and passed:
            chosen = self._entries[passed.pop(0)[1]]
        for candidate in passed:
            heapq.heappush(self._oldest, candidate)
        return None if chosen is None else self._take(chosen)

    def complete(self, order_id: str, updated: datetime | None = None) -> None:
        """A per-id path fetched ``order_id`` (at last-update ``updated``, when known)."""
        entry = self._entries[order_id]
        if entry.state is _State.TAKEN:
            self._taken -= 1
        entry.state = _State.DONE
        if updated is not None and (entry.updated is None or updated > entry.updated):
            entry.updated = updated

    def give_back(self, order_id: str) -> None:
        """A per-id path could not fetch ``order_id``: it is free work again."""
        entry = self._entries[order_id]
        if entry.state is _State.TAKEN:
            self._taken -= 1
            entry.state = _State.FREE
            self._push_free(entry)

    # -- searchOrders ----------------------------------------------------------------------

    def claim(self) -> SearchClaim | None:
        """Claim the newest run of free orders (up to a page) as a sub-window, or ``None``."""
        top = len(self._timeline) - 1
        while top >= 0:
            claim, below = self._claim_from(top)
            if claim is not None:
                self._active.append(claim)
                self._spans.append((claim.after, claim.before))
                return claim
            top = below
        return None

    def receive(self, order_id: str, updated: datetime | None, claim: SearchClaim | None) -> bool:
        """A searchOrders page returned ``order_id``; True when it should be stored.

        False when a per-id fetch of it is in flight, when it was listed unchanged since stored
        and comes back at that time, or when this run already has it at a later last-update
        time. A second copy at the *same* time as one this run fetched is stored too: two
        listing pages may carry one order twice with different content (a buyer's request on
        one copy only), and the store merges them without withdrawing a request.
        """
        if claim is not None:
            claim.received.add(order_id)
        entry = self._entries.get(order_id)
        if entry is None:
            entry = _Entry[T](order_id, updated, None, _State.DONE)
            self._entries[order_id] = entry
            self._place(entry)
            return True
        if entry.state in (_State.FREE, _State.CLAIMED):
            if entry.state is _State.FREE:
                self._free -= 1
            entry.state = _State.DONE
            return True
        if entry.state is _State.TAKEN:
            return False
        if updated is not None and entry.updated is not None and updated < entry.updated:
            return False
        if entry.state is _State.SKIP and updated == entry.updated:
            return False
        if updated is not None:
            entry.updated = updated
        entry.state = _State.DONE
        return True

    def finish(self, claim: SearchClaim) -> list[str]:
        """End a claim; its expected orders that no page returned are free again (returned)."""
        if claim in self._active:
            self._active.remove(claim)
        freed: list[str] = []
        for order_id in sorted(claim.expected - claim.received):
            entry = self._entries[order_id]
            if entry.state is _State.CLAIMED:
                entry.state = _State.FREE
                self._push_free(entry)
                freed.append(order_id)
        return freed

    def leave_beyond_window(self) -> list[str]:
        """Drop free orders listed past the window's end (no per-id path is left to fetch them).

        Their documents are newer than the window; the next window covers them. Returns their
        ids.
        """
        dropped: list[str] = []
        for entry in self._entries.values():
            if (
                entry.state is _State.FREE
                and entry.updated is not None
                and self._beyond(entry.updated)
            ):
                entry.state = _State.SKIP
                self._free -= 1
                dropped.append(entry.order_id)
        return dropped

    # -- state -----------------------------------------------------------------------------

    @property
    def free(self) -> int:
        """Orders waiting for a path."""
        return self._free

    @property
    def has_free(self) -> bool:
        """True when some order waits for a path."""
        return self._free > 0

    @property
    def in_flight(self) -> int:
        """Per-id fetches and searchOrders claims not yet ended."""
        return self._taken + len(self._active)

    @property
    def finished(self) -> bool:
        """True when the listing has ended and every listed order with work was fetched."""
        return self.listing_complete and self.in_flight == 0 and not self.has_free

    # -- internals -------------------------------------------------------------------------

    def _take(self, entry: _Entry[T]) -> tuple[str, T | None]:
        entry.state = _State.TAKEN
        self._taken += 1
        self._free -= 1
        return entry.order_id, entry.payload

    def _push_free(self, entry: _Entry[T]) -> None:
        self._free += 1
        if entry.updated is None:
            self._untimed.append(entry.order_id)
        else:
            heapq.heappush(self._oldest, (entry.updated, entry.order_id))

    def _place(self, entry: _Entry[T]) -> None:
        if entry.updated is not None:
            bisect.insort(self._timeline, (entry.updated, entry.order_id))

    def _unplace(self, entry: _Entry[T]) -> None:
        if entry.updated is None:
            return
        index = bisect.bisect_left(self._timeline, (entry.updated, entry.order_id))
        if index < len(self._timeline) and self._timeline[index] == (
            entry.updated,
            entry.order_id,
        ):
            del self._timeline[index]

    def _beyond(self, when: datetime) -> bool:
        """True when ``when`` lies past the window's end, where no claim may reach."""
        return self._until is not None and when > self._until

    def _active_claim_at(self, when: datetime) -> SearchClaim | None:
        return next((c for c in self._active if c.covers(when)), None)

    def _in_span(self, low: datetime, high: datetime) -> bool:
        """True when ``[low, high]`` touches a sub-window claimed before."""
        return any(a <= high and low <= b for a, b in self._spans)

    def _group(self, index: int) -> tuple[int, int]:
        """The slice of the timeline sharing the time at ``index``."""
        when = self._timeline[index][0]
        low = bisect.bisect_left(self._timeline, when, key=_time_of)
        high = bisect.bisect_right(self._timeline, when, key=_time_of)
        return low, high

    def _claimable(self, low: int, high: int) -> bool:
        states = {self._entries[oid].state for _, oid in self._timeline[low:high]}
        return states <= {_State.FREE, _State.SKIP}

    def _claim_from(self, top: int) -> tuple[SearchClaim | None, int]:
        """Try a claim whose newest group holds a free order at or below ``top``.

        Returns the claim (or ``None``) and where to look next when there is none.
        """
        # The newest free order at or below ``top`` that a claim may reach.
        while top >= 0 and (
            self._entries[self._timeline[top][1]].state is not _State.FREE
            or self._beyond(self._timeline[top][0])
        ):
            top -= 1
        if top < 0:
            return None, -1
        low, high = self._group(top)
        before = self._timeline[top][0]
        if not self._claimable(low, high) or self._in_span(before, before):
            return None, low - 1
        after, count = before, high - low
        # Walk down whole groups (orders sharing a time cannot be split by a time bound).
        while low > 0:
            next_low, next_high = self._group(low - 1)
            when = self._timeline[next_low][0]
            if count + (next_high - next_low) > self._page_size:
                break
            if not self._claimable(next_low, next_high) or self._in_span(when, before):
                break
            after, count, low = when, count + (next_high - next_low), next_low
        claim = SearchClaim(after=after, before=before)
        for _, order_id in self._timeline[low:high]:
            entry = self._entries[order_id]
            if entry.state is _State.FREE:
                entry.state = _State.CLAIMED
                self._free -= 1
                claim.expected.add(order_id)
        return claim, low - 1
