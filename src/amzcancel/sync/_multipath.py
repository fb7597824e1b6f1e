"""Multi-path sync: cover one window through several rate budgets at once.

How a window is covered (docs/multipath.md has the picture):

1. Orders 2026-01-01 ``searchOrders`` pages the whole window while its bucket has tokens. A
   window that fits the burst ends here: one path, as the single-path engine reads it.
2. When orders remain and the bucket is empty, v0 ``getOrders`` lists the rest of the window.
   Amazon does not document the order of searchOrders results; when the pages read came oldest
   first, the rest is the window from the last order seen, and only that is listed. Otherwise
   the whole window is listed (orders already fetched are skipped).
3. Listed orders go to a :class:`~amzcancel.sync._workpool.WorkPool`: ``getOrder`` (2026)
   and ``getOrderItems`` (v0) workers take them one by one, oldest first, whichever bucket
   gives a token first; ``searchOrders`` claims the newest run of up to a page as a sub-window
   whenever its bucket refills. No claim overlaps what another path took.

The parts, one job each: :mod:`~amzcancel.sync._paths` (names, which paths are enabled),
:mod:`~amzcancel.sync._workpool` (who fetches which order; pure),
:mod:`~amzcancel.sync._path_calls` (the calls), :mod:`~amzcancel.sync._window_cover` (one
window's phases and workers), and :class:`MultiPathCoverer` here, which keeps what outlives a
window (the paths Amazon refused, the call log) for one seller.

Every fetched order goes through the engine's :class:`~amzcancel.sync._apply.Applier`; the
engine commits the cursor with the last batch, after the whole window is stored, so a kill at
any point loses and duplicates nothing.

Added in 0.1.0.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from datetime import datetime

from amzcancel.clock import Clock
from amzcancel.errors import AmzCancelError, NotFoundError
from amzcancel.sync._apply import Applier
from amzcancel.sync._notified import NotifiedOrders
from amzcancel.sync._offload import off_loop
from amzcancel.sync._path_calls import PathCalls
from amzcancel.sync._paths import (
    ALL_PATHS,
    PATH_GET_ORDER,
    PathRefused,
    PathStates,
    SearchUnavailableError,
)
from amzcancel.sync._protocol import Store
from amzcancel.sync._result import SyncProgress
from amzcancel.sync._sources import SpApiV0Source
from amzcancel.sync._window import Window
from amzcancel.sync._window_cover import WindowCover
from amzcancel.transport import AsyncSpApiClient

__all__ = ["DEFAULT_ID_WORKERS", "DEFAULT_MAX_RESTARTS", "MultiPathCoverer"]

_log = logging.getLogger("amzcancel.sync")

DEFAULT_ID_WORKERS = 4
"""Fetches in flight per per-id path; the buckets, not this, set the pace."""

DEFAULT_MAX_RESTARTS = 8
"""Refused listing tokens tolerated in one window before the run gives up."""


class MultiPathCoverer:
    """Covers windows through the enabled paths of one seller's SP-API client.

    Args:
        client: the seller's async SP-API client (its rate limiter paces every call).
        store: the store, for "unchanged since stored" checks.
        account: the seller account in the store.
        paths: the enabled paths (``searchOrders``, ``getOrder``, ``getOrderItems``).
        clock: the client's clock.
        id_workers: fetches in flight per per-id path.
        max_restarts: refused listing tokens tolerated per window.
        notified: order ids ORDER_CHANGE notifications named (the push listener's): those in a
            window are fetched with ``getOrder`` while the window is paged, the newest first
            (added in 0.2.0; see :class:`~amzcancel.sync.NotifiedOrders`).

    Added in 0.1.0.
    """

    def __init__(
        self,
        *,
        client: AsyncSpApiClient,
        store: Store,
        account: str,
        paths: Collection[str] = ALL_PATHS,
        clock: Clock,
        id_workers: int = DEFAULT_ID_WORKERS,
        max_restarts: int = DEFAULT_MAX_RESTARTS,
        notified: NotifiedOrders | None = None,
    ) -> None:
        if id_workers < 1:
            raise ValueError("id_workers must be at least 1")
        self._states = PathStates(paths)
        self._calls = PathCalls(
            client=client, store=store, account=account, paths=self._states, clock=clock
        )
        self._id_workers = id_workers
        self._max_restarts = max_restarts
        self._notified = notified
        self._store = store
        self._account = account

    @property
    def paths(self) -> tuple[str, ...]:
        """The paths still enabled (Amazon may have refused some)."""
        return tuple(self._states.enabled)

    @property
    def disabled(self) -> tuple[str, ...]:
        """Paths dropped because Amazon refused them (403 on first use)."""
        return tuple(self._states.disabled)

    @property
    def deliveries(self) -> Counter[str]:
        """How often Amazon returned each order id (1 each when nothing changes during a run:
        every order fetched once)."""
        return self._calls.deliveries

    @property
    def calls(self) -> list[tuple[float, str]]:
        """``(monotonic seconds, operation)`` of every answered call, for timelines."""
        return self._calls.calls

    @property
    def v0(self) -> SpApiV0Source:
        """The v0 items source (it learns Amazon's getOrderItems page size)."""
        return self._calls.v0

    async def cover(
        self,
        window: Window,
        marketplace_ids: Sequence[str],
        applier: Applier,
        progress: SyncProgress,
        emit: Callable[[], None],
    ) -> datetime:
        """Fetch and apply every order updated in ``window``; return the bound reached.

        ``progress`` is updated as pages and fetches come in, and ``emit`` called after each.
        The caller flushes ``applier`` with the cursor set to the returned bound.

        Raises:
            SearchUnavailableError: searchOrders was refused on its first call.
            AmzCancelError: a call failed after the client's retries; nothing was committed.
        """
        progress.paths = self.paths
        cover = WindowCover(
            self._calls,
            window,
            tuple(marketplace_ids),
            applier,
            progress,
            emit,
            id_workers=self._id_workers,
            max_restarts=self._max_restarts,
        )
        side = None
        if self._notified is not None and PATH_GET_ORDER in self._states:
            noted = self._notified.in_window(self._account, window.after, window.before)
            if noted:
                side = asyncio.create_task(self._fetch_notified(noted, applier, progress, emit))
        try:
            bound = await cover.run()
        except BaseException as exc:
            if side is not None:
                side.cancel()  # the window failed: nothing of it is committed anyway
            if isinstance(exc, PathRefused):
                error = SearchUnavailableError("searchOrders is not available for this seller")
                raise error from exc.__cause__ or exc
            raise
        if side is not None:
            await side
        return bound

    async def _fetch_notified(
        self,
        noted: list[tuple[str, datetime | None]],
        applier: Applier,
        progress: SyncProgress,
        emit: Callable[[], None],
    ) -> None:
        """Fetch the notified orders not stored as fresh yet with getOrder, newest first.

        A failure here never fails the window: searchOrders pages every order anyway.
        """
        stored = await off_loop(
            self._store.stored_update_dates, self._account, [oid for oid, _ in noted]
        )
        done: list[str] = []
        for order_id, changed in noted:
            if PATH_GET_ORDER not in self._states:
                return
            have = stored.get(order_id)
            if order_id in self._calls.deliveries or (
                have is not None and changed is not None and have >= changed
            ):
                done.append(order_id)
                continue
            try:
                order = await self._calls.fetch(PATH_GET_ORDER, order_id, None)
            except PathRefused as refused:
                self._states.disable(PATH_GET_ORDER, refused.__cause__ or refused)
                return
            except NotFoundError:
                continue
            except AmzCancelError as exc:
                _log.warning("getOrder of notified order %s failed: %s", order_id, exc)
                continue
            progress.orders_changed += 1
            progress.items_seen += len(order.items)
            progress.orders_by_path[PATH_GET_ORDER] = (
                progress.orders_by_path.get(PATH_GET_ORDER, 0) + 1
            )
            await applier.add(order)
            emit()
            done.append(order_id)
        # Write the last of them now rather than with the next page (no cursor moves here).
        await applier.flush()
        emit()
        if self._notified is not None:
            self._notified.forget(self._account, done)
