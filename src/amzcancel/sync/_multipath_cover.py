"""One window's multi-path cover: the phases and the workers that share its pool.

See :mod:`amzcancel.sync._multipath` for the plan; this module is its moving parts.

Added in 0.1.0.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from amzcancel.errors import AuthError, InvalidInputError, NotFoundError
from amzcancel.models import Order, OrdersPage
from amzcancel.sync._apply import Applier
from amzcancel.sync._result import SyncProgress
from amzcancel.sync._run import api_refused, first_error
from amzcancel.sync._scheduler import (
    ID_PATHS,
    LISTING_OPERATION,
    PATH_GET_ORDER,
    PATH_ORDER_ITEMS,
    PATH_SEARCH,
    SearchClaim,
    WorkPool,
)
from amzcancel.sync._sources import INCLUDED_DATA_2026
from amzcancel.sync._window import Window

if TYPE_CHECKING:
    from amzcancel.sync._multipath import MultiPathCoverer

__all__ = ["WindowCover"]

_log = logging.getLogger("amzcancel.sync.multipath")

_REFUSED = (AuthError, NotFoundError)

_DEFER_BATCH = 10


class _Unavailable(Exception):
    """An API answered 403/404 to its first call: the seller's app cannot use it."""


def _no_path(what: str) -> NotFoundError:
    return NotFoundError(f"no enabled path can {what}", code="NoPathAvailable")


class WindowCover:
    """Covers one window: phase 1 (searchOrders alone), then the paths sharing a pool."""

    def __init__(
        self,
        owner: MultiPathCoverer,
        window: Window,
        marketplace_ids: tuple[str, ...],
        applier: Applier,
        progress: SyncProgress,
        emit: Callable[[], None],
    ) -> None:
        self.o = owner
        self.window = window
        self.marketplace_ids = marketplace_ids
        self.applier = applier
        self.progress = progress
        self.emit = emit
        self.pool: WorkPool[Order] = WorkPool()
        self.echoes: list[datetime] = []
        self.resume_token: str | None = None
        self.deferred: list[Order] = []
        self.first_listing = asyncio.Event()
        self.seen: set[str] = set()
        self.changed = asyncio.Condition()
        self.done = asyncio.Event()

    def _has_id_path(self) -> bool:
        return any(p in self.o.enabled for p in ID_PATHS)

    async def run(self) -> datetime:
        rest: list[Window] = [self.window]
        if PATH_SEARCH in self.o.enabled:
            rest = await self._search_window()
        if rest:
            try:
                await self._share(rest)
            except _Unavailable:
                # The v0 listing was refused: searchOrders reads the window alone.
                if PATH_SEARCH not in self.o.enabled:
                    raise _no_path("list this window") from None
                await self._search_window(alone=True)
            else:
                if not self.pool.finished:
                    raise _no_path("fetch the listed orders")
        self._write_deferred()
        return min([*self.echoes, self.window.before])

    # -- phase 1 ---------------------------------------------------------------------------

    async def _search_window(self, *, alone: bool = False) -> list[Window]:
        """Page the whole window with searchOrders; return what is left for phase 2."""
        o, window = self.o, self.window
        # Phase 2 may hand the window back (v0 refused): go on from where phase 1 stopped.
        token, self.resume_token = self.resume_token, None
        ascending, last_seen = True, None
        restarts = 0
        while True:
            if token is not None and not alone and self._has_id_path() and o.search_wait() > 0:
                break
            try:
                page = await self._search(window.after, window.before, token)
            except InvalidInputError:
                if token is None or restarts >= o.max_restarts:
                    raise
                restarts += 1
                self.progress.restarts += 1
                token, ascending = None, False  # a fresh listing: its order is unknown
                continue
            except _Unavailable as exc:
                raise _search_unavailable(exc) from exc
            if page.last_updated_before is not None:
                self.echoes.append(page.last_updated_before)
            for order in page.orders:
                when = order.last_update_date
                if when is None or (last_seen is not None and when < last_seen):
                    ascending = False
                last_seen = when if when is not None else last_seen
            self._take_page(page, None, defer=not alone)
            if not page.next_token:
                self._write_deferred()
                return []
            token = page.next_token
        self.resume_token = token
        if ascending and last_seen is not None:
            # The pages came oldest first: the rest is at or after the last order seen.
            return [Window(max(last_seen, window.after), window.before)]
        return [window]

    # -- phase 2 ---------------------------------------------------------------------------

    async def _share(self, parts: list[Window]) -> None:
        o = self.o
        try:
            async with asyncio.TaskGroup() as tasks:
                tasks.create_task(self._list(parts))
                tasks.create_task(self._drain_deferred())
                for path in ID_PATHS:
                    if path in o.enabled:
                        for _ in range(o.id_workers):
                            tasks.create_task(self._fetch_worker(path))
                if PATH_SEARCH in o.enabled:
                    tasks.create_task(self._claim_worker())
        except BaseExceptionGroup as group:
            raise first_error(group) from None

    async def _notify(self) -> None:
        p = self.progress
        p.item_fetches_planned = p.item_fetches_done + self.pool.free + self.pool.in_flight
        if self.pool.finished:
            self.done.set()
        async with self.changed:
            self.changed.notify_all()
        self.emit()

    def _saw(self, orders: Sequence[Order]) -> None:
        self.seen.update(o.amazon_order_id for o in orders)
        self.progress.orders_seen = len(self.seen)

    async def _list(self, parts: list[Window]) -> None:
        """List ``parts`` with v0 getOrders and offer every order to the pool."""
        o = self.o
        for part in parts:
            restarts = 0
            token: str | None = None
            while True:
                try:
                    page = await o.client.orders_v0.get_orders(
                        marketplace_ids=list(self.marketplace_ids),
                        last_updated_after=part.after,
                        last_updated_before=part.before,
                        next_token=token,
                    )
                except InvalidInputError:
                    if token is None or restarts >= o.max_restarts:
                        raise
                    restarts += 1  # the NextToken was refused: list this part again
                    self.progress.restarts += 1
                    token = None
                    continue
                except _REFUSED as exc:
                    if LISTING_OPERATION in o.confirmed or not api_refused(exc):
                        raise
                    raise _Unavailable from exc
                o.confirmed.add(LISTING_OPERATION)
                o.record(LISTING_OPERATION)
                self.progress.pages += 1
                self._saw(page.orders)
                if page.last_updated_before is not None and part.before == self.window.before:
                    self.echoes.append(page.last_updated_before)
                fresh = {id(x) for x in o.new_or_changed(page.orders)}
                for order in page.orders:
                    self.pool.offer(
                        order.amazon_order_id,
                        order.last_update_date,
                        order,
                        changed=id(order) in fresh,
                    )
                self.first_listing.set()
                await self._notify()
                if not page.next_token:
                    break
                token = page.next_token
        self.pool.listing_complete = True
        self.first_listing.set()
        await self._notify()

    async def _fetch_worker(self, path: str) -> None:
        o, pool = self.o, self.pool
        while True:
            async with self.changed:
                await self.changed.wait_for(
                    lambda: pool.has_free or pool.finished or path not in o.enabled
                )
            if pool.finished or path not in o.enabled:
                return
            taken = pool.take_oldest(self._prefer(path))
            if taken is None:
                continue
            order_id, listed = taken
            try:
                order = await self._fetch_one(path, order_id, listed)
            except BaseException:
                pool.give_back(order_id)
                raise
            if order is None:  # this path was refused: the order is free again
                pool.give_back(order_id)
                await self._notify()
                if not self._has_id_path() and PATH_SEARCH not in o.enabled:
                    raise _no_path("fetch the listed orders")
                continue
            pool.complete(order_id, order.last_update_date)
            self._stored(order, path)
            self.progress.item_fetches_done += 1
            await self._notify()

    def _prefer(self, path: str) -> Callable[[Order | None], bool] | None:
        """For ``getOrderItems``, orders whose items fit one page, while ``getOrder`` runs.

        An order listed with more units than a ``getOrderItems`` page has held may need a second
        call there, and always takes one ``getOrder`` call.
        """
        o = self.o
        if path != PATH_ORDER_ITEMS or PATH_GET_ORDER not in o.enabled:
            return None

        def fits_one_page(listed: Order | None) -> bool:
            size = o.v0.items_page_size
            units = None if listed is None else listed.unit_count
            return size is None or units is None or units <= size

        return fits_one_page

    def _stored(self, order: Order, path: str) -> None:
        p = self.progress
        p.orders_changed += 1
        p.items_seen += len(order.items)
        p.orders_by_path[path] = p.orders_by_path.get(path, 0) + 1
        self.applier.add(order)

    async def _fetch_one(
        self, path: str, order_id: str, listed: Order | None, *, fallback: bool = True
    ) -> Order | None:
        """One order with items through ``path``; ``None`` when the path was just refused."""
        o = self.o
        try:
            if path == PATH_GET_ORDER:
                order = await o.client.orders_2026.get_order(
                    order_id, included_data=INCLUDED_DATA_2026
                )
            else:
                if listed is None:  # pragma: no cover - listed orders carry their header
                    raise NotFoundError(f"no order header for {order_id}", code="NotListed")
                order = listed.with_items(await o.v0.order_items(order_id))
        except AuthError as exc:
            if path in o.confirmed:
                raise
            o.disable(path, exc)
            return None
        except NotFoundError:
            # Listed by v0 but unknown to this path (yet): the other per-id path may read it.
            other = PATH_ORDER_ITEMS if path == PATH_GET_ORDER else PATH_GET_ORDER
            if not fallback or other not in o.enabled:
                raise
            _log.info("%s has no order %s; reading it through %s", path, order_id, other)
            return await self._fetch_one(other, order_id, listed, fallback=False)
        o.confirmed.add(path)
        o.record(path)
        o.deliveries[order_id] += 1
        return order

    async def _claim_worker(self) -> None:
        o, pool = self.o, self.pool

        # While per-id paths run, they wake this worker many times a second: claim at the first
        # wake-up with a token. Sleeping until the token instead would, on a simulated clock,
        # move time for every path at once.
        def ready() -> bool:
            if pool.finished:
                return True
            return pool.has_free and (o.search_wait() <= 0 or not self._has_id_path())

        while PATH_SEARCH in o.enabled:
            async with self.changed:
                await self.changed.wait_for(ready)
            if pool.finished:
                return
            await self._until_search_token()  # only waits when no per-id path is left
            if pool.finished:
                return
            claim = pool.claim()
            if claim is None:
                continue
            try:
                await self._serve(claim)
            finally:
                pool.finish(claim)
            await self._notify()

    async def _until_search_token(self) -> None:
        """Wait for a searchOrders token, or until the window is done."""
        wait = self.o.search_wait()
        if wait <= 0:
            return
        sleeper = asyncio.ensure_future(self.o.clock.asleep(wait))
        finished = asyncio.ensure_future(self.done.wait())
        try:
            await asyncio.wait({sleeper, finished}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            finished.cancel()

    async def _serve(self, claim: SearchClaim) -> None:
        """Read a claim's pages while the bucket has tokens; the rest goes back to the pool."""
        token: str | None = None
        while True:
            try:
                page = await self._search(claim.after, claim.before, token)
            except InvalidInputError:
                if token is None:
                    raise
                return  # the paginationToken was refused: its orders go back to the pool
            except _Unavailable as exc:  # pragma: no cover - phase 1 confirmed searchOrders
                self.o.disable(PATH_SEARCH, exc)
                return
            self._take_page(page, claim)
            await self._notify()
            if not page.next_token or self.o.search_wait() > 0:
                return
            token = page.next_token

    # -- searchOrders ----------------------------------------------------------------------

    async def _search(self, after: datetime, before: datetime, token: str | None) -> OrdersPage:
        o = self.o
        try:
            page = await o.client.orders_2026.search_orders(
                last_updated_after=after,
                last_updated_before=before,
                marketplace_ids=list(self.marketplace_ids),
                included_data=INCLUDED_DATA_2026,
                pagination_token=token,
            )
        except _REFUSED as exc:
            if PATH_SEARCH in o.confirmed or token is not None or not api_refused(exc):
                raise
            raise _Unavailable from exc
        o.confirmed.add(PATH_SEARCH)
        o.record(PATH_SEARCH)
        self.progress.pages += 1
        return page

    def _take_page(
        self, page: OrdersPage, claim: SearchClaim | None, *, defer: bool = False
    ) -> None:
        self._saw(page.orders)
        taken: list[Order] = []
        for order in page.orders:
            self.o.deliveries[order.amazon_order_id] += 1
            if self.pool.receive(order.amazon_order_id, order.last_update_date, claim):
                taken.append(order)
        if defer:
            # Phase 1 is the only time the per-id buckets sit idle (full, their refill lost):
            # store its pages later, while phase 2 waits on buckets. A kill before they are
            # written loses nothing: the cursor is committed only after them.
            self.deferred.extend(taken)
        else:
            self._store_new(taken)
        self.emit()

    def _store_new(self, orders: Sequence[Order]) -> None:
        for order in self.o.new_or_changed(orders):
            self._stored(order, PATH_SEARCH)

    def _write_deferred(self) -> None:
        orders, self.deferred = self.deferred, []
        if orders:
            self._store_new(orders)
            self.emit()  # the progress line counts them now, not only the summary

    async def _drain_deferred(self) -> None:
        """Store phase 1's pages a batch at a time, between the other tasks' steps."""
        # After the first listing page: the per-id paths have work and wait on their buckets.
        await self.first_listing.wait()
        while self.deferred:
            await asyncio.sleep(0)
            batch, self.deferred = self.deferred[:_DEFER_BATCH], self.deferred[_DEFER_BATCH:]
            self._store_new(batch)
            self.emit()


def _search_unavailable(cause: BaseException) -> Exception:
    from amzcancel.sync._multipath import SearchUnavailableError

    error = SearchUnavailableError("searchOrders is not available for this seller")
    error.__cause__ = cause.__cause__ or cause
    return error
