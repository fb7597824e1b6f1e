"""Multi-path sync: cover one window through several rate budgets at once.

How a window is covered (docs/multipath.md has the picture):

1. Orders 2026-01-01 ``searchOrders`` pages the whole window while its bucket has tokens. A
   window that fits the burst ends here: one path, as the single-path engine reads it.
2. When orders remain and the bucket is empty, v0 ``getOrders`` lists the rest of the window.
   Amazon does not document the order of searchOrders results; when the pages read came oldest
   first, the rest is the window from the last order seen, and only that is listed. Otherwise
   the whole window is listed (orders already fetched are skipped).
3. Listed orders go to a :class:`~amzcancel.sync._scheduler.WorkPool`: ``getOrder`` (2026)
   and ``getOrderItems`` (v0) workers take them one by one, oldest first, whichever bucket
   gives a token first; ``searchOrders`` claims the newest run of up to a page as a sub-window
   whenever its bucket refills. No claim overlaps what another path took.

Every fetched order goes through the engine's :class:`~amzcancel.sync._apply.Applier`; the
engine commits the cursor with the last batch, after the whole window is stored, so a kill at
any point loses and duplicates nothing. Faults, 429s and token expiry are handled by the
client's retries, pacing and LWA refresh as for the single path; a refused page token restarts
that listing (or gives a claim's remaining orders back to the pool).

Added in 0.1.0.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import datetime

from amzcancel.clock import Clock
from amzcancel.errors import ConfigError
from amzcancel.models import Order
from amzcancel.sync._apply import Applier
from amzcancel.sync._protocol import Store
from amzcancel.sync._result import SyncProgress
from amzcancel.sync._scheduler import ALL_PATHS, PATH_GET_ORDER, PATH_ORDER_ITEMS, PATH_SEARCH
from amzcancel.sync._sources import SpApiV0Source
from amzcancel.sync._window import Window
from amzcancel.transport import AsyncSpApiClient

__all__ = [
    "DEFAULT_ID_WORKERS",
    "MultiPathCoverer",
    "SearchUnavailableError",
    "resolve_paths",
]

_log = logging.getLogger("amzcancel.sync.multipath")

DEFAULT_ID_WORKERS = 4
"""Fetches in flight per per-id path; the buckets, not this, set the pace."""

DEFAULT_MAX_RESTARTS = 8
"""Refused listing tokens tolerated in one window before the run gives up."""

_ALIASES = {
    "search": PATH_SEARCH,
    "searchorders": PATH_SEARCH,
    "getorder": PATH_GET_ORDER,
    "get-order": PATH_GET_ORDER,
    "getorderitems": PATH_ORDER_ITEMS,
    "order-items": PATH_ORDER_ITEMS,
    "items": PATH_ORDER_ITEMS,
}


def resolve_paths(spec: str | Iterable[str]) -> tuple[str, ...]:
    """The paths named by ``spec``: ``auto`` (all), or names separated by commas.

    Names are ``searchOrders``, ``getOrder``, ``getOrderItems`` (any case; ``search``,
    ``get-order``, ``order-items`` also work).

    Raises:
        ConfigError: an unknown name, or none at all.

    Added in 0.1.0.
    """
    names = spec.split(",") if isinstance(spec, str) else list(spec)
    cleaned = [n.strip() for n in names if n.strip()]
    if [n.lower() for n in cleaned] in (["auto"], ["all"]):
        return ALL_PATHS
    chosen: set[str] = set()
    for name in cleaned:
        path = _ALIASES.get(name.lower())
        if path is None:
            raise ConfigError(
                f"unknown path {name!r}: use auto or a list of searchOrders, getOrder, "
                "getOrderItems"
            )
        chosen.add(path)
    if not chosen:
        raise ConfigError("no path given: use auto or a list of searchOrders, getOrder, ...")
    return tuple(p for p in ALL_PATHS if p in chosen)


class SearchUnavailableError(Exception):
    """searchOrders answered 403/404 to its first call: Orders 2026-01-01 is not enabled.

    The engine then falls back to its next source (v0). ``__cause__`` is Amazon's answer.

    Added in 0.1.0.
    """


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

    Attributes:
        deliveries: how often Amazon returned each order id (1 each when nothing changes
            during the run: every order fetched once).
        calls: ``(monotonic seconds, operation)`` of every answered call, for timelines.
        disabled: paths dropped because Amazon refused them (403 on first use).

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
    ) -> None:
        if not paths:
            raise ValueError("at least one path is needed")
        if id_workers < 1:
            raise ValueError("id_workers must be at least 1")
        self.client = client
        self.v0 = SpApiV0Source(client)
        self.store = store
        self.account = account
        self.enabled = [p for p in ALL_PATHS if p in paths]
        self.clock = clock
        self.id_workers = id_workers
        self.max_restarts = max_restarts
        self.deliveries: Counter[str] = Counter()
        self.calls: list[tuple[float, str]] = []
        self.disabled: list[str] = []
        self.confirmed: set[str] = set()

    @property
    def paths(self) -> tuple[str, ...]:
        """The paths still enabled (Amazon may have refused some)."""
        return tuple(self.enabled)

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
        from amzcancel.sync._multipath_cover import WindowCover

        progress.paths = self.paths
        cover = WindowCover(self, window, tuple(marketplace_ids), applier, progress, emit)
        return await cover.run()

    # -- used by WindowCover -----------------------------------------------------------------

    def disable(self, path: str, error: Exception) -> None:
        """Stop using ``path`` (Amazon refused it)."""
        if path in self.enabled:
            self.enabled.remove(path)
            self.disabled.append(path)
            _log.warning("%s is not available for this seller (%s); not using it", path, error)

    def record(self, operation: str) -> None:
        """Note one answered call, for timelines."""
        self.calls.append((self.clock.monotonic(), operation))

    def search_wait(self) -> float:
        """Seconds until the searchOrders bucket has a token (0.0 when it has one)."""
        return self.client.rate_limiter.time_until_token(
            self.client.credentials.partner_key, PATH_SEARCH
        )

    def new_or_changed(self, orders: Sequence[Order]) -> list[Order]:
        """The orders not stored, or stored with an earlier last-update time."""
        if not orders:
            return []
        stored = self.store.stored_update_dates(self.account, [o.amazon_order_id for o in orders])
        fresh: list[Order] = []
        for order in orders:
            known, listed = stored.get(order.amazon_order_id), order.last_update_date
            if known is None or listed is None or known < listed:
                fresh.append(order)
        return fresh
