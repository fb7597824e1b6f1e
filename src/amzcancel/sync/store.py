"""The SQLite store: orders, items, cursors and the event outbox in one crash-safe file.

Usage::

    from amzcancel.sync import SqliteStore

    with SqliteStore("amzcancel.db") as store:
        for event in store.events():
            handle(event)                 # the ERP's own, idempotent, processing
            store.ack([event.id])

Durability: WAL journal with ``synchronous=FULL``, one ``BEGIN IMMEDIATE`` transaction per
:meth:`SqliteStore.apply`, so a process killed at any point leaves the old state or the new
one, never a mix, and a committed event survives a power cut (``NORMAL`` could lose the last
commits there, and a lost event id would be handed out again to a different event).

Added in 0.1.0.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from amzcancel.clock import Clock, SystemClock
from amzcancel.errors import StoreError
from amzcancel.sync._rows import parse_ts, ts
from amzcancel.sync._schema import SCHEMA_VERSION, check_version, migrate, schema_version
from amzcancel.sync._sql import Tx
from amzcancel.sync._sqlstore import SqlStore

__all__ = ["DEFAULT_STORE_PATH", "MIN_SQLITE_VERSION", "SqliteStore"]

_log = logging.getLogger("amzcancel.sync.store")

DEFAULT_STORE_PATH = "amzcancel.db"
"""Where the CLI and :class:`SqliteStore` keep the store unless told otherwise."""

MIN_SQLITE_VERSION = (3, 35, 0)
"""``RETURNING`` and ``ALTER TABLE ... DROP COLUMN`` arrived in SQLite 3.35 (2021)."""


class _SqliteTx(Tx):
    """A transaction on the store's one connection; datetimes as fixed-width UTC text."""

    def __init__(self, conn: sqlite3.Connection, clock: Clock, *, read_only: bool) -> None:
        self._conn = conn
        self._clock = clock
        self.read_only = read_only

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._conn.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self._conn.executemany(sql, rows)

    def ts(self, value: datetime) -> Any:
        return ts(value)

    def dt(self, value: Any) -> datetime:
        return parse_ts(value)

    def amount(self, value: Decimal) -> Any:
        return str(value)

    def lease_now(self) -> datetime:
        # One process-wide writer lock (BEGIN IMMEDIATE) makes the store's clock enough here.
        return self._clock.now()

    # BEGIN IMMEDIATE already admits one writer at a time, so ids commit in order and two
    # writers of one account never interleave: no further locks.
    def lock_account(self, account: str) -> None:
        return None

    def lock_outbox(self) -> None:
        return None

    def notify_events(self) -> None:
        return None  # readers poll (wait_for_events)


class SqliteStore(SqlStore):
    """The default :class:`~amzcancel.sync.Store`: one SQLite file (or ``":memory:"``).

    Args:
        path: the database file; created (with the schema) if missing and ``create`` is true.
        create: when false, a missing or empty file raises :class:`StoreError` instead of
            becoming a store (reading commands never create one).
        read_only: open for reading only; writes raise :class:`StoreError`. A store whose
            file or directory this user cannot write is opened read-only by itself.
        clock: the clock for ``recorded_at`` stamps and leases; :class:`SystemClock` by
            default.
        timeout_seconds: how long to wait for another process's write lock (busy timeout).

    Raises:
        StoreError: the file cannot be opened, is not an amzcancel store, or was written by a
            newer amzcancel. Every SQLite failure later on is raised as :class:`StoreError` too.

    Added in 0.1.0; ``read_only`` in 0.2.0.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] = DEFAULT_STORE_PATH,
        *,
        create: bool = True,
        read_only: bool = False,
        clock: Clock | None = None,
        timeout_seconds: float = 5.0,
    ) -> None:
        super().__init__()
        self.path = os.fspath(path)
        self._clock = clock or SystemClock()
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        if sqlite3.sqlite_version_info < MIN_SQLITE_VERSION:
            raise StoreError(
                f"SQLite {sqlite3.sqlite_version} is too old for amzcancel's store "
                f"(needs {'.'.join(map(str, MIN_SQLITE_VERSION))} or later)"
            )
        memory = self.path == ":memory:"
        self.read_only = read_only and not memory
        if not memory:
            self._check_file(create=create)
        with self._wrap("open"):
            conn = self._connect(memory, create, timeout_seconds)
            try:
                _refuse_foreign_database(conn, self.path)
                if self.read_only:
                    self._check_readable_version(conn)
                    start = SCHEMA_VERSION
                else:
                    start = self._prepare(conn, memory)
            except BaseException:
                conn.close()
                raise
        if start == 0:
            _log.info("created store schema in %s", self.path)
        self._conn = conn

    def __repr__(self) -> str:
        mode = ", read_only=True" if self.read_only else ""
        return f"SqliteStore(path={self.path!r}{mode})"

    # -- opening ----------------------------------------------------------------------------

    def _check_file(self, *, create: bool) -> None:
        file = Path(self.path)
        if not file.exists():
            if not create or self.read_only:
                raise StoreError(f"{self.path}: no such store")
            return
        if file.is_file() and file.stat().st_size == 0 and (not create or self.read_only):
            # A reading command must not turn someone's empty file into a database.
            raise StoreError(f"{self.path}: not an amzcancel store (the file is empty)")
        if not self.read_only and file.is_file() and not _writable(file):
            _log.info("%s: not writable by this user; opened read-only", self.path)
            self.read_only = True

    def _connect(self, memory: bool, create: bool, timeout: float) -> sqlite3.Connection:
        if memory:
            target = ":memory:"
        elif self.read_only:
            target = f"{Path(self.path).absolute().as_uri()}?mode=ro"
        else:
            target = f"{Path(self.path).absolute().as_uri()}?mode={'rwc' if create else 'rw'}"
        # check_same_thread=False: the RLock serialises use, so a store may be handed to a
        # worker thread (an async engine running blocking calls in a thread pool).
        conn = sqlite3.connect(
            target, uri=not memory, timeout=timeout, isolation_level=None, check_same_thread=False
        )
        if not self.read_only:
            return conn
        try:
            schema_version(conn)
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError:
            # A WAL file in a directory we cannot write: SQLite cannot create the shared-memory
            # file it needs. Read the database file as it stands (immutable) instead.
            conn.close()
            _log.info("%s: read-only directory; reading the file as immutable", self.path)
            target = f"{Path(self.path).absolute().as_uri()}?mode=ro&immutable=1"
            conn = sqlite3.connect(
                target, uri=True, timeout=timeout, isolation_level=None, check_same_thread=False
            )
        return conn

    def _prepare(self, conn: sqlite3.Connection, memory: bool) -> int:
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if not memory and mode != "wal":
            # Still transactional, but readers now block the writer: say so.
            _log.warning("%s: WAL unavailable, journal mode is %s", self.path, mode)
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        return migrate(conn, path=self.path)

    def _check_readable_version(self, conn: sqlite3.Connection) -> None:
        version = schema_version(conn)
        check_version(version, SCHEMA_VERSION, path=self.path)
        if version == 0:
            raise StoreError(f"{self.path}: not an amzcancel store (no schema)")
        if version < SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: store schema version {version} needs an upgrade to "
                f"{SCHEMA_VERSION}, which a read-only store cannot do; run a writing command "
                "(amzcancel sync) on it once"
            )

    # -- plumbing ---------------------------------------------------------------------------

    @contextmanager
    def _wrap(self, action: str) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: {action} failed: {exc}") from exc
        except OverflowError as exc:  # an int beyond SQLite's 64 bits
            raise StoreError(f"{self.path}: {action} failed: {exc} (too large)") from exc

    @contextmanager
    def _transaction(self, action: str, *, write: bool) -> Iterator[Tx]:
        if write and self.read_only:
            raise StoreError(f"{self.path}: the store is open read-only; {action} needs to write")
        with self._lock, self._wrap(action):
            conn = self._conn
            if conn is None:
                raise StoreError(f"{self.path}: the store is closed")
            # BEGIN IMMEDIATE takes the write lock up front: one writer at a time, in order.
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield _SqliteTx(conn, self._clock, read_only=self.read_only)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def close(self) -> None:
        """Close the database; later calls raise :class:`StoreError`. Safe to call twice."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


def _writable(file: Path) -> bool:
    """Whether this user may write the file and create side files (WAL) next to it."""
    return os.access(file, os.W_OK) and os.access(file.parent, os.W_OK | os.X_OK)


def _refuse_foreign_database(conn: sqlite3.Connection, path: str) -> None:
    """Refuse another application's SQLite file (a mistyped ``--store erp.db``).

    Checked before anything is written: opening it as a store would switch its journal mode
    and add our tables to it, even from a read-only command such as ``amzcancel pending``.
    """
    version = schema_version(conn)
    check_version(version, SCHEMA_VERSION, path=path)
    names = {
        str(name)
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'"
        ).fetchall()
    }
    if version == 0 and names:
        listed = ", ".join(sorted(names)[:5])
        raise StoreError(
            f"{path}: not an amzcancel store (it holds other tables: {listed}); "
            "choose another --store"
        )
    if version > 0 and not {"orders", "items", "events", "cursors"} <= names:
        raise StoreError(
            f"{path}: not an amzcancel store (schema version {version} without amzcancel's "
            "tables); choose another --store"
        )
