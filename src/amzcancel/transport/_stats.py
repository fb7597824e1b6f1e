"""Counters of what a client did: requests, throttles, retries and time spent pacing.

Pacing time is kept two ways. :attr:`TransportStats.rate_limit_wait_seconds` adds up every
call's wait: with 16 concurrent calls each waiting a minute it is 16 minutes, more than the
run took. :attr:`TransportStats.rate_limited_seconds` is the clock time during which at least
one call was waiting: what a person reads next to "the run took N seconds".

Added in 0.1.0.
"""

from __future__ import annotations

import bisect
import threading
from collections import Counter, defaultdict

__all__ = ["TransportStats", "WaitUnion"]

# Waits that ended this long before the latest one can no longer overlap a new wait (a call
# retries and paces for at most ``max_retry_seconds``, 900 s by default): they are added up
# and forgotten, so a client that runs for days keeps a short list.
_SETTLE_SECONDS = 3600.0


class WaitUnion:
    """The length of the union of time intervals, kept as disjoint sorted intervals.

    Added in 0.2.0.
    """

    def __init__(self) -> None:
        self._starts: list[float] = []
        self._ends: list[float] = []
        self._settled = 0.0

    @property
    def seconds(self) -> float:
        """The total length of the union."""
        return self._settled + sum(e - s for s, e in zip(self._starts, self._ends, strict=True))

    def add(self, start: float, end: float) -> None:
        """Add the interval ``[start, end]`` (nothing when it is empty)."""
        if end <= start:
            return
        # Every kept interval that overlaps or touches [start, end] is merged into it.
        first = bisect.bisect_left(self._ends, start)
        last = bisect.bisect_right(self._starts, end)
        if first < last:
            start = min(start, self._starts[first])
            end = max(end, self._ends[last - 1])
        self._starts[first:last] = [start]
        self._ends[first:last] = [end]
        self._settle()

    def _settle(self) -> None:
        horizon = self._ends[-1] - _SETTLE_SECONDS
        old = bisect.bisect_left(self._ends, horizon)
        if old:
            self._settled += sum(
                e - s for s, e in zip(self._starts[:old], self._ends[:old], strict=True)
            )
            del self._starts[:old], self._ends[:old]


class TransportStats:
    """Thread- and task-safe counters shared by every call of one client.

    Attributes are read-only snapshots; dictionaries are copies.

    Added in 0.1.0.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests = 0
        self._by_operation: Counter[str] = Counter()
        self._throttled = 0
        self._retries = 0
        self._token_refreshes = 0
        self._wait = 0.0
        self._wait_by_operation: defaultdict[str, float] = defaultdict(float)
        self._waiting = WaitUnion()
        self._waiting_by_operation: defaultdict[str, WaitUnion] = defaultdict(WaitUnion)

    @property
    def requests(self) -> int:
        """HTTP requests sent to the API (retries included, LWA token requests not)."""
        return self._requests

    @property
    def requests_by_operation(self) -> dict[str, int]:
        """Requests per Amazon operation name (``getOrders``, ``ListOrders``...)."""
        with self._lock:
            return dict(self._by_operation)

    @property
    def throttled(self) -> int:
        """429s and MWS throttling errors received."""
        return self._throttled

    @property
    def retries(self) -> int:
        """Attempts repeated after a transient fault."""
        return self._retries

    @property
    def token_refreshes(self) -> int:
        """LWA access tokens fetched."""
        return self._token_refreshes

    @property
    def rate_limit_wait_seconds(self) -> float:
        """Clock seconds spent waiting for a rate-limit token before sending."""
        return self._wait

    @property
    def rate_limit_wait_seconds_by_operation(self) -> dict[str, float]:
        """Pacing time per operation."""
        with self._lock:
            return dict(self._wait_by_operation)

    @property
    def rate_limited_seconds(self) -> float:
        """Clock seconds during which at least one call was waiting for a rate-limit token.

        Unlike :attr:`rate_limit_wait_seconds` it never exceeds the time the client ran.

        Added in 0.2.0.
        """
        with self._lock:
            return self._waiting.seconds

    @property
    def rate_limited_seconds_by_operation(self) -> dict[str, float]:
        """:attr:`rate_limited_seconds` per operation (each has its own bucket).

        Added in 0.2.0.
        """
        with self._lock:
            return {op: union.seconds for op, union in self._waiting_by_operation.items()}

    def record_request(self, operation: str | None) -> None:
        """Count one request sent."""
        with self._lock:
            self._requests += 1
            if operation:
                self._by_operation[operation] += 1

    def record_throttled(self) -> None:
        """Count one throttling answer."""
        with self._lock:
            self._throttled += 1

    def record_retry(self) -> None:
        """Count one retry."""
        with self._lock:
            self._retries += 1

    def record_token_refresh(self) -> None:
        """Count one LWA token fetched."""
        with self._lock:
            self._token_refreshes += 1

    def record_wait(
        self, operation: str | None, seconds: float, *, ended: float | None = None
    ) -> None:
        """Add pacing time: a wait of ``seconds`` that ended at ``ended`` (clock monotonic).

        Without ``ended`` the wait counts in the sum only, not in :attr:`rate_limited_seconds`.
        """
        if seconds <= 0:
            return
        with self._lock:
            self._wait += seconds
            if operation:
                self._wait_by_operation[operation] += seconds
            if ended is not None:
                self._waiting.add(ended - seconds, ended)
                if operation:
                    self._waiting_by_operation[operation].add(ended - seconds, ended)

    def as_dict(self) -> dict[str, object]:
        """All counters as a JSON-ready dictionary."""
        with self._lock:
            return {
                "requests": self._requests,
                "requests_by_operation": dict(self._by_operation),
                "throttled": self._throttled,
                "retries": self._retries,
                "token_refreshes": self._token_refreshes,
                "rate_limit_wait_seconds": self._wait,
                "rate_limit_wait_seconds_by_operation": dict(self._wait_by_operation),
                "rate_limited_seconds": self._waiting.seconds,
            }

    def __repr__(self) -> str:
        return (
            f"TransportStats(requests={self._requests}, throttled={self._throttled}, "
            f"retries={self._retries}, rate_limit_wait_seconds={self._wait:.3f})"
        )
