"""The bookkeeping of one sync run: live counters, transport deltas, the final summary.

Added in 0.1.0.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from amzcancel.errors import APIError
from amzcancel.sync._protocol import SetAside
from amzcancel.sync._result import StatsLike, SyncProgress, SyncResult, WindowRecord
from amzcancel.sync._window import Window

__all__ = ["RunLedger", "api_refused", "bounds", "first_error"]


def api_refused(exc: APIError) -> bool:
    """403/404 from an API: the app's role lacks it (a reason to use another API).

    Not LWA refusing the credentials (400/401 on the token request): that fails every API.
    """
    return exc.status_code in (403, 404)


def first_error(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The error that broke a task group (not the cancellations it caused)."""
    for error in group.exceptions:
        if isinstance(error, BaseExceptionGroup):
            return first_error(error)
        if not isinstance(error, asyncio.CancelledError):
            return error
    return group.exceptions[0]


def bounds(window: Window) -> tuple[datetime, datetime]:
    """A window's bounds, for a :class:`WindowRecord`."""
    return window.after, window.before


class RunLedger:
    """The counters of one run.

    Transport counters are reported as differences from the run's start, so a client (or a
    rate limiter) shared between runs does not inflate a run's figures.
    """

    def __init__(
        self,
        *,
        account: str,
        marketplace_ids: tuple[str, ...],
        api: str,
        stats: Callable[[], StatsLike] | None,
        on_progress: Callable[[SyncProgress], None] | None,
    ) -> None:
        self._account = account
        self._marketplace_ids = marketplace_ids
        self._stats = stats
        self._on_progress = on_progress
        self.started = time.perf_counter()
        self.progress = SyncProgress(api=api)
        self.windows: list[WindowRecord] = []
        self.events: Counter[str] = Counter()
        self.set_aside: dict[str, str] = {}
        base = stats() if stats else None
        self._base_requests = base.requests if base else 0
        self._base_throttled = base.throttled if base else 0
        self._base_wait = base.rate_limit_wait_seconds if base else 0.0
        self._base_limited = _limited(base)
        self._base_ops = dict(base.requests_by_operation) if base else {}
        self._base_waits = _waits(base)
        self._base_limited_ops = _waits(base, "rate_limited_seconds_by_operation")

    def note_set_aside(self, entries: Sequence[SetAside]) -> None:
        """Remember the orders this run set aside, for the summary."""
        for entry in entries:
            self.set_aside[entry.amazon_order_id] = entry.error

    def count_events(self, events: Sequence[object]) -> None:
        """Count the events one store write appended, by type."""
        for event in events:
            kind = getattr(event, "type", "unknown")
            self.events[str(getattr(kind, "value", kind))] += 1

    def _refresh(self) -> dict[str, int]:
        if self._stats is None:
            return {}
        stats = self._stats()
        self.progress.requests = stats.requests - self._base_requests
        self.progress.throttled = stats.throttled - self._base_throttled
        self.progress.rate_limit_wait_seconds = stats.rate_limit_wait_seconds - self._base_wait
        ops = {
            op: count - self._base_ops.get(op, 0)
            for op, count in stats.requests_by_operation.items()
        }
        base_waits = self._base_waits
        waits = {op: s - base_waits.get(op, 0.0) for op, s in _waits(stats).items()}
        self.progress.rate_limit_wait_seconds_by_operation = {
            op: s for op, s in sorted(waits.items()) if s > 0
        }
        self.progress.rate_limited_seconds = _limited(stats) - self._base_limited
        base_limited = self._base_limited_ops
        limited = {
            op: s - base_limited.get(op, 0.0)
            for op, s in _waits(stats, "rate_limited_seconds_by_operation").items()
        }
        self.progress.rate_limited_seconds_by_operation = {
            op: s for op, s in sorted(limited.items()) if s > 0
        }
        return {op: n for op, n in sorted(ops.items()) if n}

    def emit(self) -> None:
        """Hand the current counters to the progress callback, if any."""
        if self._on_progress is not None:
            self._refresh()
            self._on_progress(self.progress)

    def result(self, open_requests: int, *, error: BaseException | None = None) -> SyncResult:
        """The run's summary; ``open_requests``: the account's open requests after the run.

        ``error`` is what ended a failed run: the summary then counts what was stored before.
        """
        ops = self._refresh()
        p = self.progress
        return SyncResult(
            account=self._account,
            api=p.api,
            marketplace_ids=self._marketplace_ids,
            windows=tuple(self.windows),
            pages=p.pages,
            orders_seen=p.orders_seen,
            orders_changed=p.orders_changed,
            items_seen=p.items_seen,
            item_fetches=p.item_fetches_done,
            events=sum(self.events.values()),
            events_by_type=dict(self.events),
            buyer_cancel_requests=open_requests,
            requests=p.requests,
            requests_by_operation=ops,
            throttled=p.throttled,
            rate_limit_wait_seconds=p.rate_limit_wait_seconds,
            restarts=p.restarts,
            seconds=time.perf_counter() - self.started,
            paths=p.paths,
            orders_by_path=dict(p.orders_by_path),
            rate_limit_wait_seconds_by_operation=dict(p.rate_limit_wait_seconds_by_operation),
            rate_limited_seconds=p.rate_limited_seconds,
            set_aside=tuple(sorted(self.set_aside.items())),
            set_aside_recovered=p.set_aside_recovered,
            unreadable_without_id=p.unreadable_without_id,
            error=None if error is None else (str(error) or type(error).__name__),
        )


def _waits(
    stats: StatsLike | None, name: str = "rate_limit_wait_seconds_by_operation"
) -> dict[str, float]:
    """Pacing time per operation, when the stats object keeps it (``TransportStats`` does)."""
    found = getattr(stats, name, None)
    return dict(found) if isinstance(found, Mapping) else {}


def _limited(stats: StatsLike | None) -> float:
    """Clock time with a call waiting, when the stats object keeps it (``TransportStats`` does)."""
    found = getattr(stats, "rate_limited_seconds", None)
    return float(found) if isinstance(found, int | float) else 0.0
