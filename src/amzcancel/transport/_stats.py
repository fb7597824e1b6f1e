"""Counters of what a client did: requests, throttles, retries and time spent pacing.

Added in 0.1.0.
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict

__all__ = ["TransportStats"]


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

    def record_wait(self, operation: str | None, seconds: float) -> None:
        """Add pacing time."""
        if seconds <= 0:
            return
        with self._lock:
            self._wait += seconds
            if operation:
                self._wait_by_operation[operation] += seconds

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
            }

    def __repr__(self) -> str:
        return (
            f"TransportStats(requests={self._requests}, throttled={self._throttled}, "
            f"retries={self._retries}, rate_limit_wait_seconds={self._wait:.3f})"
        )
