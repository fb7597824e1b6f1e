"""One open transaction of a SQL store: what the shared store logic needs of a database.

The store logic (:mod:`amzcancel.sync._sql_orders` and its siblings) is written once, in the
SQL both SQLite (3.35+) and PostgreSQL speak: ``?`` placeholders, ``INSERT ... ON CONFLICT``,
``RETURNING``, row values. Each backend subclasses :class:`Tx` for what differs: how a
statement runs, how a datetime is stored, where "now" comes from for leases, and the locks
PostgreSQL needs where SQLite has a single writer.

Added in 0.2.0.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from amzcancel.errors import StoreError

__all__ = ["CHUNK_SIZE", "MAX_ID", "Row", "Tx", "check_id", "chunks", "marks"]

CHUNK_SIZE = 500
"""Values per ``IN (...)`` list: well below SQLite's oldest limit of 999 host parameters."""

MAX_ID = 2**63 - 1
"""The largest id a 64-bit integer column holds (events, cancellations)."""

Row = tuple[Any, ...]


def chunks(values: Sequence[Any], size: int = CHUNK_SIZE) -> Iterator[Sequence[Any]]:
    """``values`` in slices small enough for one ``IN (...)`` list."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def marks(count: int) -> str:
    """``?, ?, ...``: ``count`` placeholders for an ``IN`` list (never values)."""
    return ", ".join("?" * count)


class Tx(ABC):
    """An open transaction: run statements, convert datetimes, lock, read the lease clock.

    Subclasses wrap a DB-API connection; every statement is written with ``?`` placeholders
    and every value is a bound parameter.
    """

    read_only: bool = False
    """True when the store refuses writes (a read-only file or session)."""

    for_update: str = ""
    """``FOR UPDATE`` where the database locks selected rows (PostgreSQL), else empty."""

    skip_locked: str = ""
    """``FOR UPDATE SKIP LOCKED`` where supported (PostgreSQL), else empty."""

    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Run one statement; returns the driver's cursor."""

    @abstractmethod
    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement for each row of parameters."""

    @abstractmethod
    def ts(self, value: datetime) -> Any:
        """A datetime as the database stores it (naive datetimes are refused)."""

    @abstractmethod
    def dt(self, value: Any) -> datetime:
        """A stored datetime back as an aware UTC datetime."""

    @abstractmethod
    def amount(self, value: Decimal) -> Any:
        """A money amount as the database stores it, exactly."""

    @abstractmethod
    def lease_now(self) -> datetime:
        """The time leases are measured against (PostgreSQL: the server's clock)."""

    @abstractmethod
    def lock_account(self, account: str) -> None:
        """Serialise writers of one account's orders until this transaction ends."""

    @abstractmethod
    def lock_outbox(self) -> None:
        """Serialise appends to the outbox until this transaction ends (ids commit in order)."""

    @abstractmethod
    def notify_events(self) -> None:
        """Tell waiting readers that events were appended (delivered at commit)."""

    # -- conveniences over execute ----------------------------------------------------------

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Every row of a query."""
        return list(self.execute(sql, params).fetchall())

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """The first row of a query, or ``None``."""
        row = self.execute(sql, params).fetchone()
        return None if row is None else tuple(row)

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a write; returns how many rows it changed."""
        return int(self.execute(sql, params).rowcount)

    def ts_or_none(self, value: datetime | None) -> Any:
        """:meth:`ts`, passing ``None`` through."""
        return None if value is None else self.ts(value)

    def dt_or_none(self, value: Any) -> datetime | None:
        """:meth:`dt`, passing ``None`` through."""
        return None if value is None else self.dt(value)


def check_id(value: Any, what: str = "event id") -> int:
    """An id the database can hold, or :class:`StoreError` (``too large``)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise StoreError(f"{what} must be an integer, got {value!r}")
    if not -MAX_ID - 1 <= value <= MAX_ID:
        raise StoreError(f"{what} {value} is too large (ids are 64-bit integers)")
    return value
