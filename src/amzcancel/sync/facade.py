"""OrderSync: the one-screen API for ERP code.

::

    from amzcancel.sync import OrderSync
    from amzcancel.transport import LwaCredentials

    sync = OrderSync(store="amzcancel.db", credentials=LwaCredentials.from_env(),
                     marketplaces=["ATVPDKIKX0DER"])
    sync.run_once()
    for event in sync.events():
        erp.handle(event)
        sync.ack([event.id])

Added in 0.1.0.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import weakref
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Self

import httpx

from amzcancel.clock import Clock, SystemClock
from amzcancel.errors import ConfigError
from amzcancel.sync._connection import ClientHolder
from amzcancel.sync._multipath import MultiPathCoverer
from amzcancel.sync._notified import NotifiedOrders
from amzcancel.sync._open import open_store
from amzcancel.sync._paths import ALL_PATHS, PATH_SEARCH, resolve_paths
from amzcancel.sync._protocol import Event, Lease, PendingRequest, Store
from amzcancel.sync._result import SyncProgress, SyncResult
from amzcancel.sync._sources import (
    Api,
    MwsSource,
    OrderSource,
    SpApi2026Source,
    SpApiV0Source,
)
from amzcancel.sync._window import DEFAULT_OVERLAP, DEFAULT_SAFETY
from amzcancel.sync.engine import DEFAULT_CONCURRENCY, SyncEngine
from amzcancel.transport import (
    MARKETPLACE_REGIONS,
    AsyncMwsClient,
    AsyncSpApiClient,
    ClientOptions,
    LwaCredentials,
    MwsCredentials,
    RateLimiter,
    Region,
    region_for_marketplaces,
)

__all__ = [
    "DEFAULT_INTERVAL_SECONDS",
    "DEFAULT_MARKETPLACE",
    "Api",
    "OrderSync",
    "default_account",
]

_log = logging.getLogger("amzcancel.sync")

DEFAULT_MARKETPLACE = "ATVPDKIKX0DER"
"""amazon.com."""

DEFAULT_INTERVAL_SECONDS = 180.0
"""``run_forever``'s pause between runs: searchOrders restores one call per ~180 s."""


class OrderSync:
    """Keep a store in step with one seller's Amazon orders.

    Args:
        store: a :class:`~amzcancel.sync.Store`, a ``postgresql://`` URL, or a path for a SQLite
            store (opened here and closed by :meth:`close`).
        credentials: :class:`LwaCredentials` (SP-API) or :class:`MwsCredentials` (``api="mws"``);
            ``None`` reads ``LWA_APP_ID``, ``LWA_CLIENT_SECRET``, ``SP_API_REFRESH_TOKEN`` (MWS:
            ``MWS_ACCESS_KEY``, ``MWS_SECRET_KEY``, ``MWS_SELLER_ID``) at each run.
        marketplaces: marketplace ids read together in one listing (up to 50 per call).
        api: ``auto`` (Orders 2026-01-01, falling back to v0 when not enabled), ``2026``,
            ``v0`` or ``mws``. ``2026``, ``v0`` and ``mws`` pin one API and read it alone.
        paths: with ``api="auto"``, the paths a backlog is shared among, each with its own rate
            budget: ``"auto"`` (searchOrders, getOrder and v0 getOrderItems, as far as the
            app's roles allow) or a list of those names (docs/multipath.md). A window that
            fits searchOrders' burst is read by searchOrders alone either way.
        account: the name rows are stored under; default ``spapi:<hash of app id and refresh
            token>`` or ``mws:<seller id>``. Pass one to keep it stable across re-authorizations.
        since: where the first sync starts (default 7 days back); ignored once a cursor exists.
        endpoint: the SP-API (or MWS) base URL; default from ``region``.
        lwa_endpoint: the LWA token URL.
        region: ``na``, ``eu`` or ``fe``; by default the region that serves ``marketplaces``
            (one region per OrderSync: Amazon serves each from its own host). Ignored when
            ``endpoint`` is given.
        overlap, safety, concurrency: engine tuning, see :class:`~amzcancel.sync.SyncEngine`.
        clock: the clock for windows and pacing (tests: ``FakeClock``).
        transport: an httpx async transport (tests, the sandbox).
        on_progress: receives live counters during a run.
        client_options: further options of the client (``timeout``, ``request_deadline``,
            ``max_retries``, ``max_retry_seconds``, ``max_response_bytes``; see
            :class:`~amzcancel.transport.ClientOptions`). Added in 0.2.0.
        notified: order ids the push listener was notified of; a multi-path backlog fetches
            those of its window with ``getOrder`` while it pages (docs/multipath.md). Added in
            0.2.0.

    Added in 0.1.0.
    """

    def __init__(
        self,
        *,
        store: Store | str | os.PathLike[str] = "amzcancel.db",
        credentials: LwaCredentials | MwsCredentials | None = None,
        marketplaces: Sequence[str] = (DEFAULT_MARKETPLACE,),
        api: Api = "auto",
        paths: str | Sequence[str] = "auto",
        account: str | None = None,
        since: datetime | None = None,
        endpoint: str | None = None,
        lwa_endpoint: str | None = None,
        region: str | None = None,
        overlap: timedelta = DEFAULT_OVERLAP,
        safety: timedelta = DEFAULT_SAFETY,
        concurrency: int = DEFAULT_CONCURRENCY,
        clock: Clock | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        on_progress: Callable[[SyncProgress], None] | None = None,
        client_options: ClientOptions | None = None,
        notified: NotifiedOrders | None = None,
    ) -> None:
        if api not in ("auto", "2026", "v0", "mws"):
            raise ConfigError(f"unknown api {api!r}: use auto, 2026, v0 or mws")
        self._marketplaces = _checked_marketplaces(marketplaces)
        # A regional host serves only its own marketplaces: derive it (and refuse a mix) now,
        # before any file is created, rather than be refused by Amazon at the first call.
        self._region = None if endpoint else region_for_marketplaces(self._marketplaces, region)
        clock = clock or SystemClock()
        _check_since(since, clock)
        _check_margins(overlap=overlap, safety=safety, concurrency=concurrency)
        self._api: Api = api
        self._paths = resolve_paths(paths)
        if api != "auto" and self._paths != ALL_PATHS:
            raise ConfigError(f"paths apply to api 'auto'; api {api!r} reads one API alone")
        self._credentials = credentials
        # Resolve credentials before touching the store: a missing variable must not leave an
        # empty database file behind.
        self._credentials = self._resolved_credentials()
        if isinstance(store, str | os.PathLike):
            self._store: Store = open_store(store, clock=clock)
            self._owns_store = True
        else:
            self._store, self._owns_store = store, False
        self._account = account
        self._engine_options: dict[str, Any] = {
            "since": since,
            "overlap": overlap,
            "safety": safety,
            "concurrency": concurrency,
            "on_progress": on_progress,
        }
        self._endpoint = endpoint
        self._lwa_endpoint = lwa_endpoint
        self._clock: Clock = clock
        self._transport = transport
        options = dict(client_options or {})
        for owned in ("clock", "rate_limiter"):
            if owned in options:
                raise ConfigError(f"client_options cannot set {owned}: pass it to OrderSync")
        self._client_options = options
        self._notified = notified
        # One limiter for every run, so pacing carries over between runs of run_forever.
        self._limiter = RateLimiter(clock=self._clock)
        self._connection: ClientHolder[AsyncMwsClient | AsyncSpApiClient] = ClientHolder()
        # Dropped without close(): still end the client and the private loop.
        self._finalizer = weakref.finalize(self, self._connection.close)
        self._engine: SyncEngine | None = None
        self._multipath: MultiPathCoverer | None = None
        self._closed = False
        self.last_result: SyncResult | None = None
        """The summary of the last run, also of one that failed (its ``error`` says why, and
        its figures count what was stored before the failure)."""

    @property
    def store(self) -> Store:
        """The store this sync writes to."""
        return self._store

    @property
    def account(self) -> str:
        """The account name rows are stored under."""
        if self._account is None:
            self._account = default_account(self._resolved_credentials())
        return self._account

    def run_once(self, *, lease: Lease | None = None) -> SyncResult:
        """Run one sync and return its summary (blocking; see :meth:`arun_once` for asyncio).

        ``lease`` (added in 0.2.0): a worker's lease on the account; every write checks that it
        still holds (:class:`~amzcancel.errors.LeaseLost` otherwise).

        Every run of one OrderSync uses the same client: one access token (refreshed only when
        Amazon says it expired, about hourly), one connection pool, one set of rate-limit
        buckets. :meth:`close` (or the ``with`` block) ends them.

        Raises:
            ConfigError: called inside a running event loop (use ``await arun_once()``).
            AmzCancelError: configuration, Amazon or store failure. What the run fetched before
                it failed is stored (see :attr:`last_result`); the cursor did not move past it.
        """
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            raise ConfigError(
                "run_once() cannot run inside a running event loop; use 'await sync.arun_once()'"
            )
        if self._closed:
            raise ConfigError("this OrderSync is closed")
        # One loop for every blocking run: the client's connections belong to it.
        run = self.arun_once() if lease is None else self.arun_once(lease=lease)
        return self._connection.run(run)

    async def arun_once(self, *, lease: Lease | None = None) -> SyncResult:
        """Run one sync inside a running event loop (the same client every run, as above).

        ``lease`` (added in 0.2.0): as for :meth:`run_once`.

        A sync used from asyncio is closed with ``await sync.aclose()`` or ``async with``.
        """
        if self._closed:
            raise ConfigError("this OrderSync is closed")
        engine = await self._engine_for_this_loop()
        try:
            return await engine.run(lease=lease)
        finally:
            self.last_result = engine.last_result

    async def aclient(self) -> AsyncSpApiClient:
        """This sync's SP-API client in the running loop: the one its runs use.

        Calls made through it (the push listener's ``getOrder`` confirmations) draw from the
        same rate-limit buckets and the same access token as this sync's backlog paths.

        Raises:
            ConfigError: the sync reads MWS, or is closed.

        Added in 0.2.0.
        """
        if self._closed:
            raise ConfigError("this OrderSync is closed")
        await self._engine_for_this_loop()
        client = self._connection.client
        if not isinstance(client, AsyncSpApiClient):
            raise ConfigError("an MWS sync has no SP-API client")
        return client

    @property
    def multipath(self) -> MultiPathCoverer | None:
        """The multi-path coverer of this sync's SP-API client (``None`` when it reads one API)."""
        return self._multipath

    async def _engine_for_this_loop(self) -> SyncEngine:
        """The engine over this loop's client (made on first use in the loop, then kept)."""
        client, made = self._connection.client_for_running_loop(self._make_client)
        if made or self._engine is None:
            self._engine = self._make_engine(client)
        return self._engine

    def _make_client(self) -> AsyncMwsClient | AsyncSpApiClient:
        credentials = self._resolved_credentials()
        common: dict[str, Any] = {
            **self._client_options,
            "endpoint": self._endpoint,
            "region": self._region or Region.NA,
            "transport": self._transport,
            "clock": self._clock,
            "rate_limiter": self._limiter,
        }
        if isinstance(credentials, MwsCredentials):
            # A marketplace's own MWS host where it has one (mws.amazonservices.jp...).
            first = self._marketplaces[0]
            known = first in MARKETPLACE_REGIONS
            return AsyncMwsClient(
                credentials=credentials, marketplace_id=first if known else None, **common
            )
        return AsyncSpApiClient(credentials=credentials, lwa_endpoint=self._lwa_endpoint, **common)

    def _make_engine(self, client: AsyncMwsClient | AsyncSpApiClient) -> SyncEngine:
        sources: list[OrderSource]
        if isinstance(client, AsyncMwsClient):
            sources = [MwsSource(client)]
            self._multipath = None
        else:
            sources = self._spapi_sources(client)
            self._multipath = self._coverer(client, sources)
        return SyncEngine(
            store=self._store,
            sources=sources,
            account=self.account,
            marketplace_ids=self._marketplaces,
            clock=self._clock,
            stats=lambda: client.stats,
            multipath=self._multipath,
            **self._engine_options,
        )

    def _coverer(
        self, client: AsyncSpApiClient, sources: Sequence[OrderSource]
    ) -> MultiPathCoverer | None:
        if self._api != "auto" or sources[0].api != SpApi2026Source.api:
            return None
        if self._paths == (PATH_SEARCH,):
            return None  # searchOrders alone is the single-path engine
        return MultiPathCoverer(
            client=client,
            store=self._store,
            account=self.account,
            paths=self._paths,
            clock=self._clock,
            notified=self._notified,
        )

    def _spapi_sources(self, client: AsyncSpApiClient) -> list[OrderSource]:
        if self._api == "v0" or (self._api == "auto" and self._only_v0()):
            return [SpApiV0Source(client)]
        if self._api == "2026":
            return [SpApi2026Source(client)]
        return [SpApi2026Source(client), SpApiV0Source(client)]

    def _resolved_credentials(self) -> LwaCredentials | MwsCredentials:
        if self._credentials is not None:
            if self._api == "mws" and not isinstance(self._credentials, MwsCredentials):
                raise ConfigError("api 'mws' needs MwsCredentials")
            if self._api != "mws" and isinstance(self._credentials, MwsCredentials):
                raise ConfigError(f"api {self._api!r} needs LwaCredentials")
            return self._credentials
        self._credentials = (
            MwsCredentials.from_env() if self._api == "mws" else LwaCredentials.from_env()
        )
        return self._credentials

    def run_forever(
        self,
        *,
        interval: float | timedelta = DEFAULT_INTERVAL_SECONDS,
        max_runs: int | None = None,
        should_stop: Callable[[], bool] | None = None,
        on_result: Callable[[SyncResult], None] | None = None,
    ) -> int:
        """Sync, wait ``interval``, repeat; returns the number of runs made.

        A run that fails on the network or at Amazon (after the client's own retries) is logged
        and tried again at the next interval: nothing stored is lost, and the cursor has not
        moved past what failed. Configuration and store errors end the loop.

        Args:
            interval: the pause between runs (seconds or a timedelta), on this sync's clock.
            max_runs: stop after this many runs (``None``: until ``should_stop``).
            should_stop: checked before each run and during the pause.
            on_result: receives each successful run's summary.
        """
        from amzcancel.errors import APIError, AuthError, TransportError

        seconds = interval.total_seconds() if isinstance(interval, timedelta) else interval
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, int | float)
            or not math.isfinite(seconds)
            or seconds < 0
        ):
            raise ConfigError(f"interval must be zero or more seconds, got {interval!r}")
        if max_runs is not None and (
            isinstance(max_runs, bool) or not isinstance(max_runs, int) or max_runs < 0
        ):
            raise ConfigError(f"max_runs must be a whole number of zero or more, got {max_runs!r}")
        runs = 0
        while max_runs is None or runs < max_runs:
            if should_stop is not None and should_stop():
                break
            try:
                result = self.run_once()
            except AuthError:
                raise
            except (TransportError, APIError) as exc:
                _log.warning("sync run failed, retrying in %.0f s: %s", seconds, exc)
            else:
                if on_result is not None:
                    on_result(result)
            runs += 1
            if max_runs is not None and runs >= max_runs:
                break
            self._pause(seconds, should_stop)
        return runs

    def _pause(self, seconds: float, should_stop: Callable[[], bool] | None) -> None:
        deadline = self._clock.monotonic() + seconds
        while (remaining := deadline - self._clock.monotonic()) > 0:
            if should_stop is not None and should_stop():
                return
            self._clock.sleep(min(remaining, 1.0))

    def events(
        self, *, after_id: int = 0, include_acked: bool = False, limit: int | None = None
    ) -> list[Event]:
        """Outbox events (unacknowledged by default), oldest first."""
        return self._store.events(after_id=after_id, include_acked=include_acked, limit=limit)

    def ack(self, events: Iterable[Event | int]) -> int:
        """Acknowledge events (or event ids); returns how many were newly acknowledged.

        Raises:
            ConfigError: something that is neither an event nor an event id.
        """
        if isinstance(events, Event | int):
            events = [events]
        if not isinstance(events, Iterable) or isinstance(events, str | bytes):
            raise ConfigError(f"ack takes events or event ids, got {events!r}")
        ids = [e.id if isinstance(e, Event) else e for e in events]
        bad = [i for i in ids if isinstance(i, bool) or not isinstance(i, int)]
        if bad:
            raise ConfigError(f"ack takes events or event ids, got {bad[0]!r}")
        return self._store.ack(ids)

    def ack_through(self, event: Event | int) -> int:
        """Acknowledge every event up to ``event`` (or that id); returns how many changed.

        For a consumer that handles events in order and keeps only the last id it handled.
        """
        event_id = event.id if isinstance(event, Event) else event
        if isinstance(event_id, bool) or not isinstance(event_id, int):
            raise ConfigError(f"ack_through takes an event or an event id, got {event!r}")
        return self._store.ack_through(event_id)

    def pending(self) -> list[PendingRequest]:
        """Open buyer-cancel requests of this account (order neither shipped nor canceled)."""
        return self._store.pending_requests(account=self.account)

    def _only_v0(self) -> bool:
        """True once ``auto`` fell back to v0 (Orders 2026-01-01 refused) in an earlier client."""
        return self._engine is not None and self._engine.api == SpApiV0Source.api

    def close(self) -> None:
        """End the client (token, connections) and close the store if this sync opened it.

        After ``arun_once`` in your own event loop, use ``await sync.aclose()`` instead.
        """
        if self._closed:
            return
        self._closed = True
        try:
            self._finalizer()
        finally:
            if self._owns_store:
                self._store.close()

    async def aclose(self) -> None:
        """End the client and close the store if this sync opened it (asyncio)."""
        if self._closed:
            return
        self._closed = True
        try:
            await self._connection.aclose()
            self._finalizer.detach()
        finally:
            if self._owns_store:
                self._store.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def default_account(credentials: LwaCredentials | MwsCredentials) -> str:
    """The account name a sync of these credentials stores rows under, unless told another.

    ``mws:<seller id>``, or ``spapi:`` and the selling partner id when known, else a short
    hash naming one authorization (never the secret itself).

    Added in 0.2.0 (``_default_account`` before).
    """
    if isinstance(credentials, MwsCredentials):
        return f"mws:{credentials.seller_id}"
    # The partner key is the seller id when given, else a digest (never the secret itself).
    return f"spapi:{credentials.partner_key}"


def _checked_marketplaces(marketplaces: Sequence[str] | str) -> tuple[str, ...]:
    """The marketplace ids, each like Amazon's (``ATVPDKIKX0DER``); one string is one id."""
    ids = (marketplaces,) if isinstance(marketplaces, str) else tuple(marketplaces)
    if not ids:
        raise ConfigError("at least one marketplace id is needed")
    for value in ids:
        if (
            not isinstance(value, str)
            or not value
            or len(value) > 64
            or not all(c.isascii() and c.isalnum() for c in value)
        ):
            raise ConfigError(
                f"not a marketplace id: {value!r} (expected letters and digits, e.g. ATVPDKIKX0DER)"
            )
    return ids


def _check_since(since: datetime | None, clock: Clock) -> None:
    """A first sync starts at an aware time in the past."""
    if since is None:
        return
    if not isinstance(since, datetime):
        raise ConfigError(f"since must be a datetime, got {since!r}")
    if since.tzinfo is None:
        raise ConfigError(f"since must be timezone-aware (UTC), got {since.isoformat()}")
    if since > clock.now():
        raise ConfigError(
            f"since {since.isoformat()} is later than now ({clock.now().isoformat()}); "
            "a first sync starts in the past"
        )


def _check_margins(*, overlap: timedelta, safety: timedelta, concurrency: int) -> None:
    """The window's margins are durations of zero or more; at least one fetch runs at a time.

    A negative overlap would leave a gap between two windows (requests in it lost for good).
    """
    for name, value in (("overlap", overlap), ("safety", safety)):
        if not isinstance(value, timedelta) or value < timedelta(0):
            raise ConfigError(f"{name} must be a timedelta of zero or more, got {value!r}")
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ConfigError(f"concurrency must be a whole number of at least 1, got {concurrency!r}")
