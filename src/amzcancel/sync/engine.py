"""The incremental poller: bring the store up to date with Amazon, losing nothing.

One run, per group of marketplaces (at most 50, Amazon's limit per listing call):

1. The window is ``(cursor - overlap, now - 2 min - safety]`` (:mod:`amzcancel.sync._window`).
2. Listing pages are read in order (``NextToken`` / ``paginationToken``). Each listed order
   whose ``LastUpdateDate`` equals what the store holds is skipped: no item call, no write.
3. Changed orders get their items (v0, MWS) in concurrent tasks, bounded by ``concurrency`` and
   paced by the client's shared rate limiter; Orders 2026-01-01 carries them inline.
4. An order is written only together with its items, in small batches; the cursor (the upper
   bound Amazon echoed) is committed with the last batch, after everything the window covered
   is stored. A kill at any point leaves the old cursor: the rerun reads the window again and
   skips what is already stored; the store's diffing keeps events exactly-once. A run that
   fails writes what it had fetched before it raises (the cursor stays).
5. An expired page token restarts the window from the same lower bound, covering the first half
   first, so a backlog too long for one token's lifetime still makes durable progress.
6. A first run records where it starts before it reads anything, so a failed first run does not
   move the start of the next one forward (an order updated in between would be lost).

Added in 0.1.0.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from amzcancel.clock import Clock
from amzcancel.errors import AuthError, InvalidInputError, NotFoundError, ParseError
from amzcancel.models import Order, OrdersPage
from amzcancel.sync._apply import Applier
from amzcancel.sync._listing import ListingGuard
from amzcancel.sync._multipath import MultiPathCoverer
from amzcancel.sync._offload import off_loop
from amzcancel.sync._paths import SearchUnavailableError
from amzcancel.sync._protocol import CursorKey, Lease, Store
from amzcancel.sync._result import StatsLike, SyncProgress, SyncResult, WindowRecord
from amzcancel.sync._run import RunLedger, api_refused, bounds, first_error
from amzcancel.sync._set_aside import note_unreadable, retry_set_aside, set_aside_one
from amzcancel.sync._sources import API_SPAPI_2026, LISTING_SOURCES, OrderSource
from amzcancel.sync._window import (
    DEFAULT_OVERLAP,
    DEFAULT_SAFETY,
    Window,
    next_window,
    reached_bound,
)

__all__ = ["DEFAULT_CONCURRENCY", "MAX_MARKETPLACES_PER_CALL", "SyncEngine"]

_log = logging.getLogger("amzcancel.sync")

DEFAULT_CONCURRENCY = 20
"""Item fetches in flight at once; the rate limiter, not this, sets the pace."""

MAX_MARKETPLACES_PER_CALL = 50
"""``MarketplaceIds``/``marketplaceIds`` take at most 50 values (v0 and 2026-01-01 models)."""

DEFAULT_MAX_RESTARTS = 8
"""Expired-token restarts of one window before the run gives up."""

# Restart a little before Amazon's stated token lifetime rather than spend a call on a refusal.
_TOKEN_MARGIN = timedelta(minutes=10)


class _TokenExpiredError(Exception):
    """A listing page token expired; the window must be read again."""


class _SourceUnavailableError(Exception):
    """The preferred API answered 403/404 to its first listing call."""


class SyncEngine:
    """Polls Amazon by last-update time and writes orders and events through a store.

    Args:
        store: where orders, cursors and events live.
        sources: the APIs to read, most preferred first. ``--api auto`` passes Orders 2026-01-01
            then v0: when the first answers its first listing call with 403 or 404 (not enabled
            for the app's role), the engine falls back to the next and remembers it.
        account: the seller account name used in the store.
        marketplace_ids: marketplaces to read; more than 50 are read in groups of 50.
        clock: the clock for window bounds and token ages (a Marketplace's clock in sandbox).
        since: where the first run starts when no cursor is stored (default 7 days back).
        overlap: how far before the cursor each window starts.
        safety: margin beyond Amazon's two-minute rule.
        concurrency: item fetches in flight at once.
        on_progress: called with the live counters after each page and each item fetch.
        stats: returns the transport counters (``client.stats``), for requests, 429s, waits.
        multipath: when given, windows read through Orders 2026-01-01 are covered by every
            path it enables at once (searchOrders pages, getOrder, v0 getOrderItems), each
            with its own rate budget (:mod:`amzcancel.sync._multipath`).

    Added in 0.1.0.
    """

    def __init__(
        self,
        *,
        store: Store,
        sources: Sequence[OrderSource],
        account: str,
        marketplace_ids: Sequence[str],
        clock: Clock,
        since: datetime | None = None,
        overlap: timedelta = DEFAULT_OVERLAP,
        safety: timedelta = DEFAULT_SAFETY,
        concurrency: int = DEFAULT_CONCURRENCY,
        max_restarts: int = DEFAULT_MAX_RESTARTS,
        on_progress: Callable[[SyncProgress], None] | None = None,
        stats: Callable[[], StatsLike] | None = None,
        multipath: MultiPathCoverer | None = None,
    ) -> None:
        if not sources:
            raise ValueError("at least one source is needed")
        if not marketplace_ids:
            raise ValueError("at least one marketplace id is needed")
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self._store = store
        self._sources = list(sources)
        self._confirmed = False
        self._account = account
        self._marketplace_ids = tuple(dict.fromkeys(marketplace_ids))
        self._clock = clock
        self._since = since
        self._overlap = overlap
        self._safety = safety
        self._concurrency = concurrency
        self._max_restarts = max_restarts
        self._on_progress = on_progress
        self._stats = stats
        self._multipath = multipath
        self.last_result: SyncResult | None = None
        """The summary of the last run, also when it failed (``error`` says why)."""
        self._lease: Lease | None = None

    @property
    def api(self) -> str:
        """The API the next run reads (the fallback, once ``auto`` has fallen back)."""
        return self._sources[0].api

    async def run(self, *, lease: Lease | None = None) -> SyncResult:
        """Run one sync: every marketplace group, one window each, then the set-aside orders.

        Args:
            lease: a worker's lease on the account: every write checks it is still held
                (:class:`~amzcancel.errors.LeaseLost` otherwise), so a worker that lost its
                lease cannot move a cursor another worker owns now.

        Raises:
            AmzCancelError: a call failed after the client's retries, or the store failed.
                Whatever was stored before the failure stays; the cursor did not move past it.
        """
        run = RunLedger(
            account=self._account,
            marketplace_ids=self._marketplace_ids,
            api=self.api,
            stats=self._stats,
            on_progress=self._on_progress,
        )
        groups = [
            self._marketplace_ids[i : i + MAX_MARKETPLACES_PER_CALL]
            for i in range(0, len(self._marketplace_ids), MAX_MARKETPLACES_PER_CALL)
        ]
        self._lease = lease
        try:
            for group in groups:
                await self._sync_group(run, group)
            await self._retry_set_aside(run)
        except Exception as exc:
            self.last_result = run.result(await self._open_requests(failed=True), error=exc)
            raise
        self.last_result = run.result(await self._open_requests())
        return self.last_result

    async def _open_requests(self, *, failed: bool = False) -> int:
        """How many buyer requests are open for the account now (for the summary).

        After a failed run, a failing store must not hide the first error: 0 then.
        """
        try:
            status = await off_loop(self._store.account_status, self._account)
        except Exception:
            if not failed:
                raise
            _log.debug("could not count open requests after a failed run", exc_info=True)
            return 0
        return status[0].open_requests if status else 0

    async def _sync_group(self, run: RunLedger, marketplace_ids: tuple[str, ...]) -> None:
        while True:
            source = self._sources[0]
            run.progress.api = source.api
            key = CursorKey(self._account, source.api, marketplace_ids)
            cursor = await off_loop(self._cursor_for, key)
            window = next_window(
                cursor=cursor,
                now=self._clock.now(),
                since=self._since,
                overlap=self._overlap,
                safety=self._safety,
            )
            if cursor is None and not window.is_empty:
                # Where this first run starts, kept before anything is read: a rerun after a
                # failure starts here too instead of "7 days before its own now".
                await off_loop(
                    self._store.apply,
                    self._account,
                    [],
                    cursor=(key, window.after),
                    lease=self._lease,
                )
            if window.is_empty:
                run.windows.append(WindowRecord(source.api, marketplace_ids, *bounds(window), None))
                return
            try:
                await self._cover(run, source, key, window)
            except _SourceUnavailableError:
                dropped = self._sources.pop(0)
                _log.warning("%s is not available for this seller; using %s", dropped.api, self.api)
                continue
            self._confirmed = True
            return

    def _cursor_for(self, key: CursorKey) -> datetime | None:
        """The cursor of ``key``; after an API switch, the other APIs' cursors carry over.

        Every API lists by the same Amazon last-update time, so a cursor reached through one is
        as good for the next, and switching API does not re-read the whole lookback.
        """
        cursor = self._store.get_cursor(key)
        if cursor is not None:
            return cursor
        others = [
            self._store.get_cursor(CursorKey(key.account, api, key.marketplace_ids))
            for api in LISTING_SOURCES
            if api != key.api
        ]
        found = [c for c in others if c is not None]
        return max(found) if found else None

    async def _cover(
        self, run: RunLedger, source: OrderSource, key: CursorKey, window: Window
    ) -> None:
        """Cover ``window``, in parts when page tokens keep expiring."""
        span: timedelta | None = None
        restarts = 0
        lower = window.after
        while True:
            whole = Window(lower, window.before)
            part = whole if span is None else whole.first_part(span)
            try:
                reached = await self._cover_part(run, source, key, part)
            except _TokenExpiredError:
                restarts += 1
                run.progress.restarts += 1
                if restarts > self._max_restarts:
                    raise InvalidInputError(
                        f"page tokens expired {restarts} times while reading one window",
                        code="TokenExpired",
                    ) from None
                span = timedelta(seconds=max((part.before - part.after).total_seconds() // 2, 1))
                _log.warning("page token expired; reading the window again in smaller parts")
                continue
            run.windows.append(
                WindowRecord(source.api, key.marketplace_ids, *bounds(part), reached)
            )
            # Done when the whole window is covered. Amazon may echo an earlier bound than asked
            # for (it lowers a bound too close to its "now"); then go on from the echo, as long
            # as each part moves forward, and leave any rest to the next run.
            if reached >= window.before or reached <= lower:
                return
            lower = reached

    def _applier(self, run: RunLedger) -> Applier:
        return Applier(
            self._store,
            self._account,
            run.count_events,
            clock=self._clock,
            lease=self._lease,
            on_set_aside=run.note_set_aside,
        )

    async def _retry_set_aside(self, run: RunLedger) -> None:
        """Read the orders earlier runs set aside again; store those that read well now."""
        applier = self._applier(run)
        try:
            await retry_set_aside(
                self._store, self._account, self._sources[0], applier, run.progress
            )
        finally:
            await applier.flush()

    async def _cover_part(
        self, run: RunLedger, source: OrderSource, key: CursorKey, part: Window
    ) -> datetime:
        applier = self._applier(run)
        if self._multipath is not None and source.api == API_SPAPI_2026:
            return await self._cover_paths(self._multipath, run, key, part, applier)
        scheduled: dict[str, datetime | None] = {}
        echoes: list[datetime] = []
        expired = False
        try:
            expired = await self._read_pages(run, source, key, part, applier, scheduled, echoes)
        except BaseExceptionGroup as group:
            error = first_error(group)
            if isinstance(error, Exception):
                await applier.flush()  # what was fetched is kept; the cursor stays where it was
            raise error from None
        except Exception:
            await applier.flush()  # what was fetched is kept; the cursor stays where it was
            raise
        if expired:
            await applier.flush()
            raise _TokenExpiredError
        reached = reached_bound(echoes, part)
        await applier.flush(cursor=(key, await self._not_back(key, reached)))
        return reached

    async def _not_back(self, key: CursorKey, reached: datetime) -> datetime:
        """The cursor to commit: ``reached``, or the stored cursor if that is later."""
        stored = await off_loop(self._store.get_cursor, key)
        return reached if stored is None or reached >= stored else stored

    async def _cover_paths(
        self,
        multipath: MultiPathCoverer,
        run: RunLedger,
        key: CursorKey,
        part: Window,
        applier: Applier,
    ) -> datetime:
        """Cover ``part`` through every enabled path; commit the cursor with the last batch."""
        try:
            reached = await multipath.cover(
                part, key.marketplace_ids, applier, run.progress, run.emit
            )
        except SearchUnavailableError as exc:
            await applier.flush()
            if not self._confirmed and len(self._sources) > 1:
                raise _SourceUnavailableError from None
            raise exc.__cause__ or exc from None
        except Exception:
            await applier.flush()  # what was fetched is kept; the cursor stays where it was
            raise
        await applier.flush(cursor=(key, await self._not_back(key, reached)))
        return reached

    async def _read_pages(
        self,
        run: RunLedger,
        source: OrderSource,
        key: CursorKey,
        part: Window,
        applier: Applier,
        scheduled: dict[str, datetime | None],
        echoes: list[datetime],
    ) -> bool:
        """Read every page of ``part``; True when a page token expired on the way."""
        slots = asyncio.Semaphore(self._concurrency)
        expired = False
        guard = ListingGuard(f"{source.api} {part.after.isoformat()}..{part.before.isoformat()}")
        failure: Exception | None = None
        async with asyncio.TaskGroup() as tasks:
            token: str | None = None
            token_at = self._clock.now()
            try:
                while True:
                    page = await self._list_page(source, key, part, token, token_at)
                    received_at = self._clock.now()
                    if page is None:
                        expired = True
                        break
                    run.progress.pages += 1
                    run.progress.orders_seen += len(page.orders)
                    note_unreadable(page.unreadable, applier, run.progress)
                    if page.last_updated_before is not None:
                        echoes.append(page.last_updated_before)
                    changed = await self._changed(
                        page.orders, scheduled, inline=source.items_inline
                    )
                    for order in changed:
                        run.progress.orders_changed += 1
                        if source.items_inline:
                            run.progress.items_seen += len(order.items)
                            await applier.add(order)
                            continue
                        run.progress.item_fetches_planned += 1
                        await slots.acquire()
                        tasks.create_task(self._fetch(run, source, order, slots, applier))
                    run.emit()
                    token, token_at = guard.next_token(page.orders, page.next_token), received_at
                    if token is None:
                        break
            except Exception as exc:
                # The listing failed: let the item fetches already under way finish (they are
                # paid for, and what they bring is stored), then fail.
                failure = exc
        if failure is not None:
            raise failure
        return expired

    async def _list_page(
        self,
        source: OrderSource,
        key: CursorKey,
        part: Window,
        token: str | None,
        token_at: datetime,
    ) -> OrdersPage | None:
        """One listing page, or ``None`` when the page token has expired."""
        lifetime = source.token_lifetime
        if (
            token is not None
            and lifetime is not None
            and self._clock.now() - token_at >= lifetime - _TOKEN_MARGIN
        ):
            return None
        try:
            return await source.list_orders(part, key.marketplace_ids, token)
        except InvalidInputError:
            if token is None:
                raise
            return None
        except (NotFoundError, AuthError) as exc:
            first = token is None and not self._confirmed and len(self._sources) > 1
            if first and api_refused(exc):
                raise _SourceUnavailableError from None
            raise

    async def _changed(
        self, orders: Sequence[Order], scheduled: dict[str, datetime | None], *, inline: bool
    ) -> list[Order]:
        """The orders that are new or changed since stored (and not already taken this window).

        With items ``inline`` (nothing to fetch), a second copy at the same time as one already
        taken this window is taken too: one order may be listed twice at one time with different
        content (a buyer's request on one copy only); the store merges the copies without
        withdrawing a request, and an identical copy writes nothing.
        """
        ids = list(dict.fromkeys(o.amazon_order_id for o in orders))
        stored = await off_loop(self._store.stored_update_dates, self._account, ids) if ids else {}
        changed: list[Order] = []
        for order in orders:
            oid, listed = order.amazon_order_id, order.last_update_date
            if listed is not None:
                known = stored.get(oid)
                again = inline and oid in scheduled and scheduled[oid] == listed
                if known is not None and (known > listed or (known == listed and not again)):
                    continue
                if oid in scheduled and scheduled[oid] == listed and not inline:
                    continue
            scheduled[oid] = listed
            changed.append(order)
        return changed

    async def _fetch(
        self,
        run: RunLedger,
        source: OrderSource,
        order: Order,
        slots: asyncio.Semaphore,
        applier: Applier,
    ) -> None:
        try:
            items = await source.order_items(order.amazon_order_id)
        except ParseError as exc:
            set_aside_one(order.amazon_order_id, exc, applier, run.progress)
            return
        finally:
            slots.release()
        run.progress.item_fetches_done += 1
        run.progress.items_seen += len(items)
        await applier.add(order.with_items(items))
        run.emit()
