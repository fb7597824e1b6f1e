"""Fixtures giving a fresh store of each backend: SQLite always, PostgreSQL when a server is set.

PostgreSQL tests read the server from ``AMZCANCEL_TEST_POSTGRES`` (a DSN allowed to create
databases). Without it they skip, saying how to start one: ``.ci/postgres.sh`` starts a
throwaway local server, as CI does. Each test session gets its own database; each test its
own schema in it.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from store_helpers import PG_DSN, PG_SKIP, real_now

from amzcancel.clock import FakeClock
from amzcancel.sync import PostgresStore, SqliteStore
from amzcancel.sync._sqlstore import SqlStore

_schemas = itertools.count(1)

StoreFactory = Callable[..., SqlStore]


@pytest.fixture(scope="session")
def pg_dsn() -> Iterator[str]:
    """A database of this test session's own on the test server (dropped at the end)."""
    if not PG_DSN:
        pytest.skip(PG_SKIP)
    import psycopg
    from psycopg.conninfo import make_conninfo

    name = f"amzcancel_test_{os.getpid()}"
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    if "://" in PG_DSN:
        parts = urlsplit(PG_DSN)
        yield urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))
    else:
        yield make_conninfo(PG_DSN, dbname=name)
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def clock() -> FakeClock:
    """A fake clock that starts at the real time (PostgreSQL leases use the server's clock)."""
    return FakeClock(real_now())


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    """Which store implementation the test runs on."""
    return str(request.param)


@pytest.fixture
def make_store(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock
) -> Iterator[StoreFactory]:
    """Opens stores on one fresh database of the backend (a second one sees the first's data)."""
    opened: list[SqlStore] = []
    if backend == "postgres":
        dsn = request.getfixturevalue("pg_dsn")
        schema = f"t{next(_schemas)}_{os.getpid()}"

        def factory(**kwargs: Any) -> SqlStore:
            kwargs.setdefault("clock", clock)
            store = PostgresStore(dsn, schema=schema, **kwargs)
            opened.append(store)
            return store
    else:
        path = tmp_path / "store.db"

        def factory(**kwargs: Any) -> SqlStore:
            kwargs.setdefault("clock", clock)
            store = SqliteStore(path, **kwargs)
            opened.append(store)
            return store

    yield factory
    for store in opened:
        store.close()


@pytest.fixture
def store(make_store: StoreFactory) -> SqlStore:
    """A fresh, empty store of the backend."""
    return make_store()
