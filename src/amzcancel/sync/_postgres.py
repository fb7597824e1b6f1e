"""The PostgreSQL store: one database shared by workers on many machines.

::

    from amzcancel.sync import PostgresStore

    with PostgresStore("postgresql://amzcancel@db.internal/amzcancel") as store:
        leases = store.claim_due("worker-1", limit=4, lease_seconds=120)

psycopg 3 with a :class:`psycopg_pool.ConnectionPool`, installed by the optional extra
``pip install 'amzcancel[postgres]'``; importing amzcancel never needs it. Semantics are those
of :class:`~amzcancel.sync.SqliteStore` (the same code in ``_sql_*``); what PostgreSQL needs
on top, because many writers commit at once:

- ``apply`` takes a per-account advisory lock, so two writers of one account merge in turn
  and never both fire one event;
- event appends take one outbox advisory lock held until commit, so event ids become visible
  in increasing order and an ``after_id`` consumer never skips one;
- leases are claimed with ``FOR UPDATE SKIP LOCKED`` and timed by the server's clock;
- ``wait_for_events`` sleeps on ``LISTEN``/``NOTIFY`` instead of polling.

Added in 0.2.0.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import re
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from amzcancel.clock import Clock, SystemClock
from amzcancel.errors import ConfigError, StoreError
from amzcancel.sync._dsn import dsn_password, redact_dsn
from amzcancel.sync._pg_schema import check_readable, migrate
from amzcancel.sync._sql import Tx, check_id
from amzcancel.sync._sqlstore import SqlStore

if TYPE_CHECKING:
    import psycopg
    import psycopg_pool

__all__ = ["PostgresStore"]

_log = logging.getLogger("amzcancel.sync.store")

_INSTALL = "PostgreSQL stores need psycopg: pip install 'amzcancel[postgres]'"
_SCHEMA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


@lru_cache(maxsize=512)
def _pg_sql(sql: str) -> str:
    """The shared ``?`` SQL in psycopg's ``%s`` style (a literal ``%`` doubled)."""
    return sql.replace("%", "%%").replace("?", "%s")


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise StoreError(f"datetime {value.isoformat()} must be timezone-aware")
    return value.astimezone(UTC)


class _PgTx(Tx):
    """A transaction on one pooled connection; locks are advisory, held until commit."""

    for_update = " FOR UPDATE"
    skip_locked = " FOR UPDATE SKIP LOCKED"

    def __init__(self, conn: psycopg.Connection[Any], store: PostgresStore) -> None:
        self._conn = conn
        self._store = store
        self.read_only = store.read_only

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._conn.execute(_pg_sql(sql), params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        batch = list(rows)
        if batch:
            with self._conn.cursor() as cursor:
                cursor.executemany(_pg_sql(sql), batch)

    def ts(self, value: datetime) -> Any:
        return _utc(value)

    def dt(self, value: Any) -> datetime:
        return _utc(value)

    def amount(self, value: Decimal) -> Any:
        return value

    def lease_now(self) -> datetime:
        # The server's clock: workers on machines whose clocks disagree agree on leases.
        row = self._conn.execute("SELECT clock_timestamp()").fetchone()
        if row is None:  # pragma: no cover - a SELECT of one value returns one row
            raise StoreError("the server returned no time")
        return _utc(row[0])

    def lock_account(self, account: str) -> None:
        self._conn.execute(
            "SELECT pg_advisory_xact_lock(%s)", (self._store.lock_key("account", account),)
        )

    def lock_outbox(self) -> None:
        self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (self._store.lock_key("outbox"),))

    def notify_events(self) -> None:
        self._conn.execute("SELECT pg_notify(%s, '')", (self._store.channel,))


class PostgresStore(SqlStore):
    """A :class:`~amzcancel.sync.Store` in PostgreSQL (10 or later), shared by many workers.

    Args:
        dsn: a libpq connection string or URL (``postgresql://user@host:5432/db``). Its
            password never appears in ``repr``, logs or errors.
        create: create the tables (and ``schema``) when missing; otherwise a database without
            them raises :class:`StoreError`.
        read_only: refuse writes (``pending``, ``events`` and ``status`` read only).
        clock: the clock for ``recorded_at`` and run stamps. Leases use the server's clock.
        min_size: connections the pool keeps open.
        max_size: connections the pool opens at most (threads beyond wait for one).
        schema: a PostgreSQL schema to keep the tables in (created if missing); default the
            connection's ``search_path`` (usually ``public``).
        timeout_seconds: how long to wait for the server, or for a free pooled connection.

    Raises:
        ConfigError: psycopg is not installed, or ``schema`` is not a plain identifier.
        StoreError: the server cannot be reached, the schema is not an amzcancel store, or it
            was written by a newer amzcancel.

    Added in 0.2.0.
    """

    waits_on_network = True
    """Every call is a round trip to the server: the sync engine makes them from a thread, so
    its event loop keeps serving other sellers meanwhile (:mod:`amzcancel.sync._offload`)."""

    def __init__(
        self,
        dsn: str,
        *,
        create: bool = True,
        read_only: bool = False,
        clock: Clock | None = None,
        min_size: int = 1,
        max_size: int = 10,
        schema: str | None = None,
        timeout_seconds: float = 30.0,
    ) -> None:
        super().__init__()
        self._psycopg, pool_module = _import_psycopg()
        if schema is not None and not _SCHEMA_NAME.match(schema):
            raise ConfigError(f"schema must be a plain identifier, got {schema!r}")
        self._dsn = dsn
        self._secret = dsn_password(dsn)
        self.label = redact_dsn(dsn) + (f" (schema {schema})" if schema else "")
        self._clock = clock or SystemClock()
        self.read_only = read_only
        self.schema = schema
        self._timeout = timeout_seconds
        self._namespace = schema or ""
        self.channel = "amzcancel_events_" + self._digest("channel")[:16]
        self._listen_lock = threading.Lock()
        self._listener: psycopg.Connection[Any] | None = None
        self._pool: psycopg_pool.ConnectionPool[Any] | None = None
        with self._wrap("open"):
            if schema is not None and create and not read_only:
                self._create_schema(schema)
            pool = pool_module.ConnectionPool(
                dsn,
                min_size=min_size,
                max_size=max_size,
                kwargs={"autocommit": True},
                configure=self._configure,
                open=False,
                timeout=timeout_seconds,
                name="amzcancel",
            )
            try:
                pool.open(wait=True, timeout=timeout_seconds)
                with pool.connection() as conn:
                    if read_only:
                        check_readable(conn, self.label)
                    else:
                        start = migrate(
                            conn, label=self.label, create=create, lock=self._migration_lock
                        )
                        if start == 0:
                            _log.info("created store schema in %s", self.label)
            except BaseException:
                pool.close()
                raise
        self._pool = pool

    def __repr__(self) -> str:
        mode = ", read_only=True" if self.read_only else ""
        return f"PostgresStore({self.label!r}{mode})"

    # -- plumbing ---------------------------------------------------------------------------

    def _digest(self, *parts: str) -> str:
        return hashlib.blake2b(
            "\0".join((self._namespace, *parts)).encode(), digest_size=8
        ).hexdigest()

    def lock_key(self, *parts: str) -> int:
        """The advisory lock key of ``parts`` in this store's schema (a signed 64-bit int)."""
        return int.from_bytes(bytes.fromhex(self._digest("lock", *parts)), "big", signed=True)

    def _migration_lock(self, conn: psycopg.Connection[Any]) -> None:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (self.lock_key("migrate"),))

    def _configure(self, conn: psycopg.Connection[Any]) -> None:
        """Every pooled connection: UTC times, this store's schema, read-only when asked."""
        conn.execute("SELECT set_config('TimeZone', 'UTC', false)")
        if self.schema is not None:
            conn.execute("SELECT set_config('search_path', %s, false)", (self._quoted_schema(),))
        if self.read_only:
            conn.execute("SELECT set_config('default_transaction_read_only', 'on', false)")

    def _quoted_schema(self) -> str:
        return '"' + (self.schema or "") + '"'

    def _create_schema(self, schema: str) -> None:
        timeout = max(int(self._timeout), 1)
        with (
            self._psycopg.connect(self._dsn, autocommit=True, connect_timeout=timeout) as conn,
            conn.transaction(),
        ):
            # IF NOT EXISTS alone still races another process creating it: lock first.
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (self.lock_key("schema"),))
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {self._quoted_schema()}")

    def _scrub(self, text: str) -> str:
        if self._secret:
            text = text.replace(self._secret, "***")
        return text

    @contextmanager
    def _wrap(self, action: str) -> Iterator[None]:
        try:
            yield
        except StoreError:
            raise
        except self._psycopg.Error as exc:
            message = self._scrub(str(exc).strip() or type(exc).__name__)
            raise StoreError(f"{self.label}: {action} failed: {message}") from None
        except Exception as exc:
            if type(exc).__module__.startswith("psycopg_pool"):
                message = self._scrub(str(exc).strip() or type(exc).__name__)
                raise StoreError(f"{self.label}: {action} failed: {message}") from None
            raise

    @contextmanager
    def _transaction(self, action: str, *, write: bool) -> Iterator[Tx]:
        if write and self.read_only:
            raise StoreError(f"{self.label}: the store is open read-only; {action} needs to write")
        pool = self._pool
        if pool is None:
            raise StoreError(f"{self.label}: the store is closed")
        with self._wrap(action), pool.connection() as conn, conn.transaction():
            if not write:
                # One snapshot for the whole read: an order and its items from one commit.
                conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield _PgTx(conn, self)

    def close(self) -> None:
        """Close the pool (and the LISTEN connection); later calls raise :class:`StoreError`."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()
        with self._listen_lock:
            listener, self._listener = self._listener, None
            if listener is not None:
                listener.close()

    # -- waiting for events -----------------------------------------------------------------

    def wait_for_events(self, after_id: int, timeout_seconds: float) -> bool:
        """Wait on ``LISTEN`` until an event with an id above ``after_id`` exists.

        Waits in real time (the server pushes the notification), at most ``timeout_seconds``.
        """
        check_id(after_id, "after_id")
        deadline = time.monotonic() + max(float(timeout_seconds), 0.0)
        with self._listen_lock, self._wrap("wait_for_events"):
            listener = self._listening()
            while True:
                # LISTEN came first, so a commit after this check is queued for notifies().
                if self._latest_event_id() > after_id:
                    return True
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                for _ in listener.notifies(timeout=remaining, stop_after=1):
                    pass

    def _listening(self) -> psycopg.Connection[Any]:
        if self._pool is None:
            raise StoreError(f"{self.label}: the store is closed")
        if self._listener is None or self._listener.closed:
            conn = self._psycopg.connect(self._dsn, autocommit=True)
            conn.execute(f'LISTEN "{self.channel}"')
            self._listener = conn
        return self._listener


def _import_psycopg() -> tuple[Any, Any]:
    """psycopg and psycopg_pool, or :class:`ConfigError` saying how to install them."""
    try:
        return importlib.import_module("psycopg"), importlib.import_module("psycopg_pool")
    except ImportError as exc:
        raise ConfigError(_INSTALL) from exc
