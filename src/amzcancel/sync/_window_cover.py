"""One window's multi-path cover: phase 1 (searchOrders alone), then the paths sharing a pool.

See :mod:`amzcancel.sync._multipath` for the plan. :class:`WindowCover` lives for one window:
it holds the window's :class:`~amzcancel.sync._workpool.WorkPool` and runs the workers that
share it; every call goes through :class:`~amzcancel.sync._path_calls.PathCalls`.

Added in 0.1.0.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from amzcancel.errors import InvalidInputError, NotFoundError, ParseError
from amzcancel.models import Order, OrdersPage
from amzcancel.sync._apply import Applier
from amzcancel.sync._listing import ListingGuard
from amzcancel.sync._path_calls import PathCalls
from amzcancel.sync._paths import (
    ID_PATHS,
    PATH_GET_ORDER,
    PATH_ORDER_ITEMS,
    PATH_SEARCH,
    PathRefused,
)
from amzcancel.sync._result import SyncProgress
from amzcancel.sync._run import first_error
from amzcancel.sync._set_aside import note_unreadable, set_aside_one
from amzcancel.sync._window import Window, reached_bound
from amzcancel.sync._workpool import SearchClaim, WorkPool

__all__ = ["WindowCover"]

_log = logging.getLogger("amzcancel.sync.multipath")

_DEFER_BATCH = 10


def _no_path(what: str) -> NotFoundError:
    return NotFoundError(f"no enabled path can {what}", code="NoPathAvailable")


class WindowCover:
    """Covers one window: phase 1 (searchOrders alone), then the paths sharing a pool.

    Args:
        calls: the seller's calls (and which paths are enabled).
        window: the window to cover.
        marketplace_ids: the marketplaces listed together.
        applier: where fetched orders go (the engine commits the cursor after).
        progress: live counters, updated as pages and fetches come in.
        emit: called after each update of ``progress``.
        id_workers: fetches in flight per per-id path.
        max_restarts: refused listing tokens tolerated in this window.
    """

    def __init__(
        self,
        calls: PathCalls,
        window: Window,
        marketplace_ids: tuple[str, ...],
        applier: Applier,
        progress: SyncProgress,
        emit: Callable[[], None],
        *,
        id_workers: int,
        max_restarts: int,
    ) -> None:
        self.calls = calls
        self.paths = calls.paths
        self.window = window
        self.marketplace_ids = marketplace_ids
        self.applier = applier
        self.progress = progress
        self.emit = emit
        self.id_workers = id_workers
        self.max_restarts = max_restarts
        self.pool: WorkPool[Order] = WorkPool(until=window.before)
        self.echoes: list[datetime] = []
        self.resume: tuple[str, ListingGuard] | None = None
        self.deferred: list[Order] = []
        self.first_listing = asyncio.Event()
        self.seen: set[str] = set()
        self.changed = asyncio.Condition()
        self.changes = 0
        """Counts the pool's changes (each :meth:`_notify`): a worker that found nothing to do
        waits for the next one instead of asking again at once."""
        self.done = asyncio.Event()

    async def run(self) -> datetime:
        """Fetch and apply every order of the window; return the bound reached.

        Raises:
            PathRefused: searchOrders was refused on its first call.
            AmzCancelError: a call failed after the client's retries.
        """
        try:
            await self._cover()
        except Exception:
            await self._write_deferred()  # what was fetched is stored; the cursor stays
            raise
        await self._write_deferred()
        return reached_bound(self.echoes, self.window)

    async def _cover(self) -> None:
        rest: list[Window] = [self.window]
        if PATH_SEARCH in self.paths:
            rest = await self._search_window()
        if not rest:
            return
        try:
            await self._share(rest)
        except PathRefused:
            # The v0 listing was refused: searchOrders reads the window alone. Phase 1's pages
            # need not wait for a listing any more: store them now, not with the window's end.
            if PATH_SEARCH not in self.paths:
                raise _no_path("list this window") from None
            await self._write_deferred()
            await self._search_window(alone=True)
        else:
            if not self.pool.finished:
                raise _no_path("fetch the listed orders")

    # -- phase 1 ---------------------------------------------------------------------------

    def _listing(self, what: str) -> ListingGuard:
        return ListingGuard(f"{what} {self.window.after.isoformat()}..{self.window.before}")

    async def _search_window(self, *, alone: bool = False) -> list[Window]:
        """Page the whole window with searchOrders; return what is left for phase 2.

        Raises:
            PathRefused: searchOrders refused on its first call.
        """
        window = self.window
        # Phase 2 may hand the window back (v0 refused): go on from where phase 1 stopped.
        token: str | None = None
        guard = self._listing("searchOrders")
        if self.resume is not None:
            (token, guard), self.resume = self.resume, None
        ascending, last_seen = True, None
        restarts = 0
        while True:
            if (
                token is not None
                and not alone
                and self.paths.has_id_path
                and self.calls.search_wait() > 0
            ):
                break
            try:
                page = await self._search(window.after, window.before, token)
            except InvalidInputError:
                if token is None or restarts >= self.max_restarts:
                    raise
                restarts += 1
                self.progress.restarts += 1
                # A fresh listing: its order is unknown, and its tokens are new.
                token, ascending, guard = None, False, self._listing("searchOrders")
                continue
            if page.last_updated_before is not None:
                self.echoes.append(page.last_updated_before)
            for order in page.orders:
                when = order.last_update_date
                if when is not None and when > window.before:
                    # Changed since the window's end: its time says nothing of where the
                    # listing stands (the index listed it by an older time).
                    continue
                if when is None or (last_seen is not None and when < last_seen):
                    ascending = False
                last_seen = when if when is not None else last_seen
            await self._take_page(page, None, defer=not alone)
            token = guard.next_token(page.orders, page.next_token)
            if token is None:
                await self._write_deferred()
                return []
        self.resume = (token, guard)
        if ascending and last_seen is not None:
            # The pages came oldest first: the rest is at or after the last order seen.
            return [Window(max(last_seen, window.after), window.before)]
        return [window]

    # -- phase 2 ---------------------------------------------------------------------------

    async def _share(self, parts: list[Window]) -> None:
        try:
            async with asyncio.TaskGroup() as tasks:
                tasks.create_task(self._list(parts))
                tasks.create_task(self._drain_deferred())
                for path in ID_PATHS:
                    if path in self.paths:
                        for _ in range(self.id_workers):
                            tasks.create_task(self._fetch_worker(path))
                if PATH_SEARCH in self.paths:
                    tasks.create_task(self._claim_worker())
        except BaseExceptionGroup as group:
            raise first_error(group) from None

    async def _notify(self) -> None:
        if not self.paths.has_id_path:
            # What only a per-id path could fetch is left to the next window, which covers it.
            dropped = self.pool.leave_beyond_window()
            if dropped:
                _log.info("%d orders listed past the window are left to the next", len(dropped))
        p = self.progress
        p.item_fetches_planned = p.item_fetches_done + self.pool.free + self.pool.in_flight
        if self.pool.finished:
            self.done.set()
        self.changes += 1
        async with self.changed:
            self.changed.notify_all()
        self.emit()

    def _saw(self, orders: Sequence[Order]) -> None:
        self.seen.update(o.amazon_order_id for o in orders)
        self.progress.orders_seen = len(self.seen)

    async def _list(self, parts: list[Window]) -> None:
        """List ``parts`` with v0 getOrders and offer every order to the pool."""
        for part in parts:
            restarts = 0
            token: str | None = None
            guard = self._listing("getOrders")
            while True:
                try:
                    page = await self.calls.list_v0(part, self.marketplace_ids, token)
                except InvalidInputError:
                    if token is None or restarts >= self.max_restarts:
                        raise
                    restarts += 1  # the NextToken was refused: list this part again
                    self.progress.restarts += 1
                    token, guard = None, self._listing("getOrders")
                    continue
                self.progress.pages += 1
                self._saw(page.orders)
                note_unreadable(page.unreadable, self.applier, self.progress)
                if page.last_updated_before is not None and part.before == self.window.before:
                    self.echoes.append(page.last_updated_before)
                fresh = {id(x) for x in await self.calls.new_or_changed(page.orders)}
                for order in page.orders:
                    self.pool.offer(
                        order.amazon_order_id,
                        order.last_update_date,
                        order,
                        changed=id(order) in fresh,
                    )
                self.first_listing.set()
                await self._notify()
                token = guard.next_token(page.orders, page.next_token)
                if token is None:
                    break
        self.pool.listing_complete = True
        self.first_listing.set()
        await self._notify()

    async def _fetch_worker(self, path: str) -> None:
        pool = self.pool
        while True:
            async with self.changed:
                await self.changed.wait_for(
                    lambda: pool.has_free or pool.finished or path not in self.paths
                )
            if pool.finished or path not in self.paths:
                return
            taken = pool.take_oldest(self._prefer(path))
            if taken is None:
                continue
            order_id, listed = taken
            try:
                order = await self._fetch_one(path, order_id, listed)
            except ParseError as exc:
                # Cannot be read: set aside for a later run, done for this window.
                set_aside_one(order_id, exc, self.applier, self.progress)
                pool.complete(order_id)
                await self._notify()
                continue
            except BaseException:
                pool.give_back(order_id)
                raise
            if order is None:  # this path was refused: the order is free again
                pool.give_back(order_id)
                await self._notify()
                if not self.paths.has_id_path and PATH_SEARCH not in self.paths:
                    raise _no_path("fetch the listed orders")
                continue
            pool.complete(order_id, order.last_update_date)
            await self._stored(order, path)
            self.progress.item_fetches_done += 1
            await self._notify()

    def _prefer(self, path: str) -> Callable[[Order | None], bool] | None:
        """For ``getOrderItems``, orders whose items fit one page, while ``getOrder`` runs.

        An order listed with more units than a ``getOrderItems`` page has held may need a second
        call there, and always takes one ``getOrder`` call.
        """
        if path != PATH_ORDER_ITEMS or PATH_GET_ORDER not in self.paths:
            return None
        v0 = self.calls.v0

        def fits_one_page(listed: Order | None) -> bool:
            size = v0.items_page_size
            units = None if listed is None else listed.unit_count
            return size is None or units is None or units <= size

        return fits_one_page

    async def _stored(self, order: Order, path: str) -> None:
        p = self.progress
        p.orders_changed += 1
        p.items_seen += len(order.items)
        p.orders_by_path[path] = p.orders_by_path.get(path, 0) + 1
        await self.applier.add(order)

    async def _fetch_one(self, path: str, order_id: str, listed: Order | None) -> Order | None:
        """One order with items through ``path``; ``None`` when the path was just refused."""
        try:
            return await self.calls.fetch(path, order_id, listed)
        except PathRefused as refused:
            self.paths.disable(path, refused.__cause__ or refused)
            return None
        except NotFoundError:
            # Listed by v0 but unknown to this path (yet): the other per-id path may read it.
            other = self.calls.other_id_path(path)
            if other is None:
                raise
            _log.info("%s has no order %s; reading it through %s", path, order_id, other)
            try:
                return await self.calls.fetch(other, order_id, listed)
            except PathRefused as refused:
                self.paths.disable(other, refused.__cause__ or refused)
                return None

    async def _claim_worker(self) -> None:
        pool = self.pool

        # While per-id paths run, they wake this worker many times a second: claim at the first
        # wake-up with a token. Sleeping until the token instead would, on a simulated clock,
        # move time for every path at once.
        def ready() -> bool:
            if pool.finished:
                return True
            return pool.has_free and (self.calls.search_wait() <= 0 or not self.paths.has_id_path)

        while PATH_SEARCH in self.paths:
            async with self.changed:
                await self.changed.wait_for(ready)
            if pool.finished:
                return
            await self._until_search_token()  # only waits when no per-id path is left
            if pool.finished:
                return
            seen = self.changes
            claim = pool.claim()
            if claim is None:
                if not self.paths.has_id_path:
                    await self._notify()  # leave what no claim may reach to the next window
                    continue
                # Free orders are there but none a claim may reach (listed past the window):
                # they are the per-id paths' work. Wait for the pool to change rather than ask
                # again at once (that spun without ever letting those paths run).
                await self._next_change(seen)
                continue
            try:
                await self._serve(claim)
            finally:
                pool.finish(claim)
            await self._notify()

    async def _next_change(self, seen: int) -> None:
        """Wait until the pool changed after ``seen`` (or the window is done)."""
        async with self.changed:
            await self.changed.wait_for(lambda: self.pool.finished or self.changes != seen)

    async def _until_search_token(self) -> None:
        """Wait for a searchOrders token, or until the window is done."""
        wait = self.calls.search_wait()
        if wait <= 0:
            return
        sleeper = asyncio.ensure_future(self.calls.clock.asleep(wait))
        finished = asyncio.ensure_future(self.done.wait())
        try:
            await asyncio.wait({sleeper, finished}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            finished.cancel()

    async def _serve(self, claim: SearchClaim) -> None:
        """Read a claim's pages while the bucket has tokens; the rest goes back to the pool."""
        token: str | None = None
        guard = ListingGuard(f"searchOrders {claim.after.isoformat()}..{claim.before}")
        while True:
            try:
                page = await self._search(claim.after, claim.before, token)
            except InvalidInputError:
                if token is None:
                    raise
                return  # the paginationToken was refused: its orders go back to the pool
            except PathRefused as refused:  # pragma: no cover - phase 1 confirmed searchOrders
                self.paths.disable(PATH_SEARCH, refused.__cause__ or refused)
                return
            await self._take_page(page, claim)
            await self._notify()
            token = guard.next_token(page.orders, page.next_token)
            if token is None or self.calls.search_wait() > 0:
                return

    # -- searchOrders ----------------------------------------------------------------------

    async def _search(self, after: datetime, before: datetime, token: str | None) -> OrdersPage:
        page = await self.calls.search(after, before, self.marketplace_ids, token)
        self.progress.pages += 1
        return page

    async def _take_page(
        self, page: OrdersPage, claim: SearchClaim | None, *, defer: bool = False
    ) -> None:
        self._saw(page.orders)
        note_unreadable(page.unreadable, self.applier, self.progress)
        taken = [
            order
            for order in page.orders
            if self.pool.receive(order.amazon_order_id, order.last_update_date, claim)
        ]
        if defer:
            # Phase 1 is the only time the per-id buckets sit idle (full, their refill lost):
            # store its pages later, while phase 2 waits on buckets. A kill before they are
            # written loses nothing: the cursor is committed only after them.
            self.deferred.extend(taken)
        else:
            await self._store_new(taken)
        self.emit()

    async def _store_new(self, orders: Sequence[Order]) -> None:
        """Store searchOrders' orders, except copies older than what is stored.

        A copy at the same time as the stored order is applied too (the store merges it without
        withdrawing a request; an identical copy writes nothing): one order may come twice at
        one time with different content, and a request on the second copy must not be lost.
        """
        fresh, same = await self.calls.sort_by_stored(orders)
        for order in fresh:
            await self._stored(order, PATH_SEARCH)
        for order in same:
            await self.applier.add(order)

    async def _write_deferred(self) -> None:
        orders, self.deferred = self.deferred, []
        if orders:
            await self._store_new(orders)
            self.emit()  # the progress line counts them now, not only the summary

    async def _drain_deferred(self) -> None:
        """Store phase 1's pages a batch at a time, between the other tasks' steps."""
        # After the first listing page: the per-id paths have work and wait on their buckets.
        await self.first_listing.wait()
        while self.deferred:
            await asyncio.sleep(0)
            batch, self.deferred = self.deferred[:_DEFER_BATCH], self.deferred[_DEFER_BATCH:]
            await self._store_new(batch)
            self.emit()
