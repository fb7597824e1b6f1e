"""Open a store by what the user typed: a PostgreSQL URL or a SQLite path.

::

    from amzcancel.sync import open_store

    with open_store("postgresql://amzcancel@db.internal/amzcancel") as store:
        ...
    with open_store("amzcancel.db", create=False, read_only=True) as store:
        ...

Added in 0.2.0.
"""

from __future__ import annotations

import os

from amzcancel.clock import Clock
from amzcancel.sync._dsn import is_postgres_url
from amzcancel.sync._postgres import PostgresStore
from amzcancel.sync._protocol import Store
from amzcancel.sync.store import SqliteStore

__all__ = ["open_store"]


def open_store(
    target: str | os.PathLike[str],
    *,
    create: bool = True,
    read_only: bool = False,
    clock: Clock | None = None,
) -> Store:
    """The store ``target`` names: a ``postgresql://`` URL, else a SQLite file path.

    Args:
        target: ``postgresql://user@host:5432/db`` (or ``postgres://``), or a path.
        create: create the store (schema, or file) when it does not exist yet.
        read_only: refuse writes; a reading command (``pending``, ``events``) passes it.
        clock: the store's clock (tests).

    Raises:
        ConfigError: a PostgreSQL URL without psycopg installed
            (``pip install 'amzcancel[postgres]'``).
        StoreError: the store cannot be opened, or is not an amzcancel store.

    Added in 0.2.0.
    """
    if is_postgres_url(target):
        return PostgresStore(os.fspath(target), create=create, read_only=read_only, clock=clock)
    return SqliteStore(target, create=create, read_only=read_only, clock=clock)
