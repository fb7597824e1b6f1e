"""Workers: share many sellers' accounts among processes through the store's leases.

The database is the scheduler. Each account is a row with a sync interval, a ``next_due`` time
and a lease (holder, expiry, fencing epoch). A worker claims due accounts whose lease is free
or expired (PostgreSQL: ``FOR UPDATE SKIP LOCKED``), syncs each with its own long-lived
:class:`~amzcancel.sync.OrderSync` in one event loop, renews the leases while it syncs, and
gives each account back due again one interval later. A worker that dies stops renewing: its
accounts are free again when their leases expire, and another worker goes on from the stored
cursor. See ``docs/workers.md``.

Added in 0.2.0.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import secrets
import socket
from collections.abc import Callable, Coroutine, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Any, TypeVar

from amzcancel.clock import Clock, SystemClock
from amzcancel.errors import AmzCancelError, AuthError, ConfigError, LeaseLost, StoreError
from amzcancel.sync import Lease, OrderSync, Store
from amzcancel.workers._config import AccountConfig

__all__ = [
    "DEFAULT_LEASE_SECONDS",
    "DEFAULT_MAX_CONCURRENT",
    "DEFAULT_RENEW_SECONDS",
    "SyncFactory",
    "Worker",
    "WorkerTask",
]

_log = logging.getLogger("amzcancel.workers")

T = TypeVar("T")

DEFAULT_LEASE_SECONDS = 60.0
"""How long a claim lasts without renewal: the most a dead worker's accounts wait."""

DEFAULT_RENEW_SECONDS = 20.0
"""How often a worker renews its leases (a third of the lease: two renewals may fail)."""

DEFAULT_MAX_CONCURRENT = 100
"""Accounts one worker syncs at once (most of a sync is waiting for rate-limit tokens)."""

DEFAULT_CLAIM_BATCH = 10
"""Accounts a worker claims at one go (see ``Worker(claim_batch=...)``)."""

DEFAULT_CLAIM_PAUSE_SECONDS = 0.25
"""The pause between two batches of claims while due accounts remain."""

SyncFactory = Callable[[AccountConfig], OrderSync]
"""Makes the long-lived :class:`~amzcancel.sync.OrderSync` of one account."""

WorkerTask = Callable[["Worker"], Coroutine[Any, Any, None]]
"""An extra coroutine a worker runs beside its syncs (e.g. a notification listener)."""


@dataclass
class _Held:
    """One claimed account while the worker holds it."""

    account: AccountConfig
    lease: Lease
    renewed_at: float
    fence_at: float
    task: asyncio.Task[None] | None = None
    lost: bool = False
    released: bool = False
    errors: list[str] = field(default_factory=list)


class Worker:
    """Keeps the accounts of an accounts file in step, sharing them with other workers.

    Args:
        store: the shared store (PostgreSQL for several workers; SQLite for one machine).
        accounts: the accounts to serve (every worker of one store should serve the same).
        name: this worker's name in the store (default ``host:pid:random``).
        lease_seconds: how long a claim lasts without renewal.
        renew_seconds: how often leases are renewed; at most half of ``lease_seconds``.
        max_concurrent: accounts synced at once.
        poll_seconds: how often the worker looks for due accounts when it has nothing to do.
        clock: gives ``next_due`` times and measures leases (tests: ``FakeClock``).
        sync_factory: makes each account's :class:`OrderSync` (default:
            :meth:`AccountConfig.order_sync` on ``store``).
        tasks: extra coroutines to run beside the syncs, each called with the worker; they are
            cancelled when the worker stops, and one that fails stops the worker.
        store_threads: threads for the worker's own (blocking) store calls.
        claim_batch: the most accounts claimed at one go; while due accounts remain the
            worker claims again after ``claim_pause_seconds``, so workers started together
            share the due accounts instead of the first one taking them all.
        claim_pause_seconds: the pause between two batches of claims.

    A run is cancelled at once when its lease is lost, or when the lease could not be renewed
    until ``lease_seconds - renew_seconds`` after its last renewal: the worker stops calling
    Amazon for an account well before another worker can claim it.

    Added in 0.2.0.
    """

    def __init__(
        self,
        store: Store,
        accounts: Sequence[AccountConfig],
        *,
        name: str | None = None,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        renew_seconds: float = DEFAULT_RENEW_SECONDS,
        max_concurrent: int = DEFAULT_MAX_CONCURRENT,
        poll_seconds: float = 1.0,
        clock: Clock | None = None,
        sync_factory: SyncFactory | None = None,
        tasks: Sequence[WorkerTask] = (),
        store_threads: int = 4,
        claim_batch: int = DEFAULT_CLAIM_BATCH,
        claim_pause_seconds: float = DEFAULT_CLAIM_PAUSE_SECONDS,
    ) -> None:
        for what, value in (
            ("lease_seconds", lease_seconds),
            ("renew_seconds", renew_seconds),
            ("poll_seconds", poll_seconds),
            ("claim_pause_seconds", claim_pause_seconds),
        ):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigError(f"{what} must be a number of seconds, got {value!r}")
            if not math.isfinite(value) or value <= 0:
                raise ConfigError(f"{what} must be more than zero, got {value!r}")
        if renew_seconds * 2 > lease_seconds:
            raise ConfigError(
                f"renew_seconds ({renew_seconds:g}) must be at most half of lease_seconds "
                f"({lease_seconds:g}), so a lease is renewed well before it runs out"
            )
        for what, count in (
            ("max_concurrent", max_concurrent),
            ("store_threads", store_threads),
            ("claim_batch", claim_batch),
        ):
            if isinstance(count, bool) or not isinstance(count, int) or count < 1:
                raise ConfigError(f"{what} must be a whole number of at least 1, got {count!r}")
        self._accounts: dict[str, AccountConfig] = {}
        for account in accounts:
            if account.name in self._accounts:
                raise ConfigError(f"account {account.name!r} is given twice")
            self._accounts[account.name] = account
        if not self._accounts:
            raise ConfigError("a worker needs at least one account")
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self._store = store
        self._lease_seconds = float(lease_seconds)
        self._renew_seconds = float(renew_seconds)
        self._max = max_concurrent
        self._poll = float(poll_seconds)
        self._claim_batch = claim_batch
        self._claim_pause = float(claim_pause_seconds)
        self._clock: Clock = clock or SystemClock()
        self._factory: SyncFactory = sync_factory or (
            lambda account: account.order_sync(store, clock=self._clock)
        )
        self._tasks = tuple(tasks)
        self._threads = store_threads
        self._executor: ThreadPoolExecutor | None = None
        self._held: dict[str, _Held] = {}
        self._syncs: dict[str, OrderSync] = {}
        self._warned: set[str] = set()
        self._wake: asyncio.Event | None = None
        self._stopping = False
        self.runs_ok = 0
        """Runs that ended well."""
        self.runs_failed = 0
        """Runs that ended with an error (recorded in the store's run status)."""
        self.leases_lost = 0
        """Runs cancelled because their lease was lost or could not be renewed in time."""

    def __repr__(self) -> str:
        return f"Worker(name={self.name!r}, accounts={len(self._accounts)}, held={len(self._held)})"

    @property
    def accounts(self) -> Mapping[str, AccountConfig]:
        """The accounts this worker serves, by name."""
        return dict(self._accounts)

    @property
    def held(self) -> dict[str, Lease]:
        """The leases this worker holds now, by account."""
        return {name: held.lease for name, held in self._held.items() if not held.lost}

    def sync_of(self, account: str) -> OrderSync | None:
        """The long-lived :class:`OrderSync` of ``account``, once it has run here."""
        return self._syncs.get(account)

    # -- the loop ---------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Serve until ``stop`` is set (or the task is cancelled), then stop cleanly.

        Stopping claims nothing more, cancels the runs in progress (each store write is one
        transaction, so no cursor moves past what was stored), gives their accounts back due
        at once, and closes every account's client.
        """
        stop = stop or asyncio.Event()
        self._wake = asyncio.Event()
        extras = [
            asyncio.create_task(task(self), name=f"worker task {i}")
            for i, task in enumerate(self._tasks)
        ]
        renewer = asyncio.create_task(self._renew_forever(), name="worker lease renewal")
        try:
            await self.register()
            while not stop.is_set():
                claimed = await self.claim(limit=self._claim_batch)
                self._wake.clear()
                waits = [asyncio.create_task(stop.wait()), asyncio.create_task(self._wake.wait())]
                # A full batch: more may be due; claim again soon, leaving a turn to the others.
                pause = self._claim_pause if len(claimed) >= self._claim_batch else self._poll
                try:
                    await asyncio.wait(
                        [*waits, renewer, *extras],
                        timeout=pause,
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                finally:
                    for wait in waits:
                        wait.cancel()
                if renewer.done():
                    renewer.result()  # it only ends by failing
                for task in [t for t in extras if t.done()]:
                    extras.remove(task)
                    task.result()  # a failed extra task stops the worker with its error
        finally:
            renewer.cancel()
            for task in extras:
                task.cancel()
            await asyncio.gather(renewer, *extras, return_exceptions=True)
            await self.shutdown()

    async def register(self) -> None:
        """Register the accounts and their intervals in the store (new ones are due at once)."""
        await self._call(
            self._store.register_accounts,
            {name: a.interval_seconds for name, a in self._accounts.items()},
        )

    async def claim(self, *, limit: int | None = None) -> list[str]:
        """Claim due accounts up to the free slots (and ``limit``) and start syncing them;
        returns their names."""
        free = self._max - len(self._held)
        if limit is not None:
            free = min(free, limit)
        if free <= 0 or self._stopping:
            return []
        started_at = self._clock.monotonic()
        leases = await self._call(
            self._store.claim_due, self.name, limit=free, lease_seconds=self._lease_seconds
        )
        started = []
        for lease in leases:
            account = self._accounts.get(lease.account)
            if account is None:
                await self._put_back_unknown(lease)
                continue
            held = _Held(account, lease, renewed_at=started_at, fence_at=self._fence(started_at))
            held.task = asyncio.create_task(self._serve(held), name=f"sync {lease.account}")
            held.task.add_done_callback(partial(self._done, held))
            self._held[lease.account] = held
            started.append(lease.account)
        return started

    async def renew(self, *, force: bool = False) -> None:
        """Renew the leases due for it (all with ``force``), then enforce the fences."""
        for held in list(self._held.values()):
            if held.lost or held.released or (held.task is not None and held.task.done()):
                continue
            started = self._clock.monotonic()
            if not force and started - held.renewed_at < self._renew_seconds:
                continue
            try:
                lease = await self._call(
                    self._store.renew, held.lease, lease_seconds=self._lease_seconds
                )
            except StoreError as exc:
                _log.warning("cannot renew the lease of %s: %s", held.account.name, exc)
                continue
            if lease is None:
                if not (held.released or (held.task is not None and held.task.done())):
                    # Not a run that just gave its account back meanwhile: really lost.
                    self._lose(held, "another worker holds its lease now")
                continue
            held.lease, held.renewed_at, held.fence_at = lease, started, self._fence(started)
        self.check_fences()

    def check_fences(self) -> None:
        """Cancel every run whose lease was not renewed in time (it may lapse any moment)."""
        now = self._clock.monotonic()
        for held in list(self._held.values()):
            if not held.lost and not held.released and now >= held.fence_at:
                self._lose(held, "its lease could not be renewed in time")

    async def wait_idle(self) -> None:
        """Wait until every run started so far has ended (tests, and a graceful drain)."""
        tasks = [held.task for held in self._held.values() if held.task is not None]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    async def shutdown(self) -> None:
        """Cancel the runs, give their accounts back due now, close every client."""
        self._stopping = True
        remaining = list(self._held.values())
        for held in remaining:
            if held.task is not None:
                held.task.cancel()
        await asyncio.gather(*(h.task for h in remaining if h.task), return_exceptions=True)
        now = self._clock.now()
        for held in remaining:
            if not (held.lost or held.released):
                try:
                    await self._call(self._store.release, held.lease, next_due=now)
                except StoreError as exc:
                    _log.warning("cannot give back %s: %s", held.account.name, exc)
                held.released = True
        syncs, self._syncs = list(self._syncs.values()), {}
        for sync in syncs:
            await _quietly_close(sync)
        if self._executor is not None:
            self._executor.shutdown(wait=False)
            self._executor = None

    # -- one account ------------------------------------------------------------------------

    async def _serve(self, held: _Held) -> None:
        name = held.account.name
        try:
            error = await self._sync_once(held)
        except asyncio.CancelledError:
            if held.lost:
                _log.warning("%s: run cancelled: %s", name, held.errors[-1])
                return
            raise
        if held.lost:
            return
        if error is None:
            self.runs_ok += 1
        else:
            self.runs_failed += 1
            _log.warning(
                "%s: sync failed, next try in %.0f s: %s",
                name,
                held.account.interval_seconds,
                error,
            )
        next_due = self._clock.now() + timedelta(seconds=held.account.interval_seconds)
        try:
            await self._call(self._store.record_run, name, ok=error is None, error=error)
            await self._call(self._store.release, held.lease, next_due=next_due)
        except StoreError as exc:
            # The lease lapses by itself; the next holder syncs from the stored cursor.
            _log.warning("%s: cannot record the run or give the account back: %s", name, exc)
        held.released = True

    async def _sync_once(self, held: _Held) -> str | None:
        """One run of the account; ``None`` when it went well, else the error's one line."""
        name = held.account.name
        try:
            sync = self._syncs.get(name)
            if sync is None:
                sync = self._syncs[name] = self._factory(held.account)
            result = await sync.arun_once(lease=held.lease)
        except LeaseLost as exc:
            self._lose(held, str(exc), cancel=False)
            return None
        except AmzCancelError as exc:
            if isinstance(exc, ConfigError | AuthError):
                # Credentials may be fixed (a rotated token file): read them again next time.
                await self._drop_sync(name)
            return " ".join(str(exc).split()) or type(exc).__name__
        except Exception as exc:
            _log.exception("%s: the sync failed unexpectedly", name)
            await self._drop_sync(name)
            return f"unexpected {type(exc).__name__}: {exc}"
        _log.info(
            "%s: synced %d orders (%d changed), %d events, %d requests, %d throttled",
            name,
            result.orders_seen,
            result.orders_changed,
            result.events,
            result.requests,
            result.throttled,
        )
        return None

    def _lose(self, held: _Held, why: str, *, cancel: bool = True) -> None:
        if held.lost:
            return
        held.lost = True
        held.errors.append(why)
        self.leases_lost += 1
        _log.warning("%s: lease lost (%s); this worker stops syncing it", held.account.name, why)
        if cancel and held.task is not None:
            held.task.cancel()

    def _done(self, held: _Held, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            _log.error(
                "%s: the run ended with an error", held.account.name, exc_info=task.exception()
            )
        if self._held.get(held.account.name) is held:
            del self._held[held.account.name]
        if self._wake is not None:
            self._wake.set()

    def _fence(self, renewed_at: float) -> float:
        # Stop a renewal period before the lease can lapse: another worker can claim the
        # account only after the store's expiry, by which time this one has been silent for
        # renew_seconds (a request still in flight has that long to end).
        return renewed_at + self._lease_seconds - self._renew_seconds

    async def _put_back_unknown(self, lease: Lease) -> None:
        if lease.account not in self._warned:
            self._warned.add(lease.account)
            _log.warning(
                "account %s is registered in the store but not in this worker's accounts file; "
                "giving it back (every worker of a store should share one accounts file)",
                lease.account,
            )
        # Not at once: this worker would claim it again on its next look.
        due = self._clock.now() + timedelta(seconds=self._lease_seconds)
        await self._call(self._store.release, lease, next_due=due)

    async def _drop_sync(self, name: str) -> None:
        sync = self._syncs.pop(name, None)
        if sync is not None:
            await _quietly_close(sync)

    async def _renew_forever(self) -> None:
        tick = min(self._poll, self._renew_seconds / 4)
        while True:
            await asyncio.sleep(tick)
            await self.renew()

    async def _call(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """A blocking store call on the worker's threads, so the loop keeps serving."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self._threads, thread_name_prefix="amzcancel-store")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, partial(function, *args, **kwargs))


async def _quietly_close(sync: OrderSync) -> None:
    try:
        await sync.aclose()
    except Exception:  # closing a client must never stop a worker from stopping
        _log.debug("closing a sync failed", exc_info=True)
