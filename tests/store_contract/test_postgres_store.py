"""The PostgreSQL store on its own: concurrency, commit order, migrations, secrets, install."""

from __future__ import annotations

import importlib
import itertools
import os
import subprocess
import sys
import threading
from collections import defaultdict
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from store_helpers import PG_SKIP, T0, item, oid, order

from amzcancel.clock import FakeClock
from amzcancel.errors import ConfigError, StoreError
from amzcancel.sync import (
    EventType,
    PostgresStore,
    SqliteStore,
    _pg_schema,
    _postgres,
    open_store,
    redact_dsn,
)

_names = itertools.count(1)


@pytest.fixture
def schema() -> str:
    """A schema name of this test's own."""
    return f"pg{next(_names)}_{os.getpid()}"


@pytest.fixture
def stores(pg_dsn: str, schema: str) -> Iterator[list[PostgresStore]]:
    """Stores opened by the test, closed after it."""
    opened: list[PostgresStore] = []
    yield opened
    for store in opened:
        store.close()


def open_pg(dsn: str, schema: str, opened: list[PostgresStore], **kw: Any) -> PostgresStore:
    store = PostgresStore(dsn, schema=schema, clock=kw.pop("clock", FakeClock()), **kw)
    opened.append(store)
    return store


def run_threads(count: int, target: Any) -> None:
    """Run ``target(n)`` in ``count`` threads at once; re-raise the first failure."""
    errors: list[BaseException] = []
    start = threading.Barrier(count)

    def body(n: int) -> None:
        try:
            start.wait(timeout=60)
            target(n)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=body, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    if errors:
        raise errors[0]


# -- concurrency -----------------------------------------------------------------------------


@pytest.mark.slow
def test_concurrent_overlapping_applies_lose_and_duplicate_no_event(
    pg_dsn: str, schema: str, stores: list[PostgresStore]
) -> None:
    """Six writers (two stores, as two processes would be) apply overlapping orders whose
    flags flip, while a consumer reads after its last id: every committed event is returned
    by exactly one apply, each item's events alternate requested/withdrawn, the final state
    matches the last event, and the consumer saw every id (none skipped by commit order)."""
    first = open_pg(pg_dsn, schema, stores, max_size=8)
    second = open_pg(pg_dsn, schema, stores, max_size=8)
    returned: list[int] = []
    lock = threading.Lock()
    done = threading.Event()
    seen: list[int] = []

    def consume() -> None:
        last = 0
        while True:
            finished = done.is_set()
            for event in first.events(after_id=last, include_acked=True, limit=40):
                seen.append(event.id)
                last = event.id
            if finished and not first.events(after_id=last, include_acked=True):
                return

    def write(n: int) -> None:
        store = first if n % 2 else second
        for rnd in range(25):
            stamp = T0 + timedelta(minutes=rnd, seconds=n)
            batch = [
                order(oid(k), updated=stamp, items=[item("i", requested=(rnd + n + k) % 2 == 0)])
                for k in range(n % 3, 12, 2)
            ]
            events = store.apply("acct", batch)
            with lock:
                returned.extend(e.id for e in events)

    consumer = threading.Thread(target=consume)
    consumer.start()
    try:
        run_threads(6, write)
    finally:
        done.set()
        consumer.join(timeout=300)
    table = first.events(include_acked=True)
    ids = [e.id for e in table]
    assert sorted(returned) == ids
    assert len(set(ids)) == len(ids)
    assert seen == ids
    by_order: dict[str, list[EventType]] = defaultdict(list)
    for event in table:
        by_order[event.amazon_order_id].append(event.type)
    for order_id, types in by_order.items():
        expected = [
            EventType.BUYER_CANCEL_REQUESTED if i % 2 == 0 else EventType.BUYER_CANCEL_WITHDRAWN
            for i in range(len(types))
        ]
        assert types == expected, order_id
        stored = first.get_order("acct", order_id)
        assert stored is not None
        assert stored.items[0].buyer_cancel.requested is (types[-1] is expected[0])


def test_concurrent_applies_of_one_new_order_fire_its_event_once(
    pg_dsn: str, schema: str, stores: list[PostgresStore]
) -> None:
    """Eight threads apply the same new requested order at once: one event, not eight."""
    store = open_pg(pg_dsn, schema, stores, max_size=8)
    results: list[int] = []

    def write(_: int) -> None:
        results.append(len(store.apply("acct", [order(items=[item(requested=True)])])))

    run_threads(8, write)
    assert sorted(results) == [0] * 7 + [1]
    assert len(store.events()) == 1


def test_event_ids_become_visible_in_commit_order(
    pg_dsn: str, schema: str, stores: list[PostgresStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    """While one apply holds appended events uncommitted, another account's apply waits at the
    outbox lock, so a consumer can never see a later id before an earlier one commits."""
    store = open_pg(pg_dsn, schema, stores, max_size=4)
    paused, release = threading.Event(), threading.Event()
    real_notify = _postgres._PgTx.notify_events

    def slow_notify(self: Any) -> None:
        if threading.current_thread().name == "slow":
            paused.set()
            assert release.wait(timeout=120)
        real_notify(self)

    monkeypatch.setattr(_postgres._PgTx, "notify_events", slow_notify)
    outcome: dict[str, list[int]] = {}
    slow = threading.Thread(
        name="slow",
        target=lambda: outcome.__setitem__(
            "slow", [e.id for e in store.apply("a", [order(items=[item(requested=True)])])]
        ),
    )
    fast = threading.Thread(
        target=lambda: outcome.__setitem__(
            "fast", [e.id for e in store.apply("b", [order(items=[item(requested=True)])])]
        )
    )
    slow.start()
    try:
        assert paused.wait(timeout=120)
        fast.start()
        assert _wait_for_blocked_advisory_lock(pg_dsn)
        assert store.events() == []  # the slow one is uncommitted, the fast one waits
    finally:
        release.set()
        slow.join(timeout=120)
        if fast.is_alive() or fast.ident is not None:
            fast.join(timeout=120)
    assert outcome["slow"][0] < outcome["fast"][0]
    assert [e.id for e in store.events()] == [*outcome["slow"], *outcome["fast"]]


def _wait_for_blocked_advisory_lock(dsn: str) -> bool:
    """True once some session waits for an advisory lock (bounded: about a minute)."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        for _ in range(6000):
            row = conn.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            ).fetchone()
            if row is not None and row[0] > 0:
                return True
            conn.execute("SELECT pg_sleep(0.01)")
    return False


def test_concurrent_claimers_never_share_an_account(
    pg_dsn: str, schema: str, stores: list[PostgresStore]
) -> None:
    """Eight workers claiming at once from 60 due accounts: each account goes to one worker."""
    store = open_pg(pg_dsn, schema, stores, max_size=8)
    store.register_accounts({f"acct-{n:02d}": 60 for n in range(60)})
    claims: dict[str, list[str]] = defaultdict(list)
    lock = threading.Lock()

    def claim(n: int) -> None:
        while leases := store.claim_due(f"w{n}", limit=3, lease_seconds=600):
            with lock:
                for lease in leases:
                    claims[lease.account].append(lease.worker)

    run_threads(8, claim)
    assert sorted(claims) == [f"acct-{n:02d}" for n in range(60)]
    assert all(len(workers) == 1 for workers in claims.values())


# -- schema, migrations and refusals ---------------------------------------------------------


def test_two_stores_opening_a_new_schema_at_once_migrate_it_once(
    pg_dsn: str, schema: str, stores: list[PostgresStore]
) -> None:
    """Concurrent first opens agree on one schema at the current version."""
    lock = threading.Lock()

    def opener(_: int) -> None:
        store = PostgresStore(pg_dsn, schema=schema, clock=FakeClock())
        with lock:
            stores.append(store)

    run_threads(4, opener)
    with stores[0]._transaction("check", write=False) as tx:
        row = tx.one("SELECT value FROM amzcancel_meta WHERE key = 'schema_version'")
    assert row == (str(_pg_schema.SCHEMA_VERSION),)


def test_a_schema_with_other_tables_is_refused(pg_dsn: str, schema: str) -> None:
    """Tables present but no amzcancel_meta: someone else's schema, refused untouched."""
    import psycopg

    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
        conn.execute(f'CREATE TABLE "{schema}".invoices (id int)')
    with pytest.raises(StoreError, match=r"not an amzcancel store .*invoices"):
        PostgresStore(pg_dsn, schema=schema)


def test_a_newer_schema_version_is_refused(
    pg_dsn: str, schema: str, stores: list[PostgresStore]
) -> None:
    """A store written by a newer amzcancel raises StoreError rather than being misread."""
    store = open_pg(pg_dsn, schema, stores)
    with store._transaction("bump", write=True) as tx:
        tx.run("UPDATE amzcancel_meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="schema version 99 is newer"):
        PostgresStore(pg_dsn, schema=schema)


def test_each_migration_commits_with_its_version(
    pg_dsn: str, schema: str, stores: list[PostgresStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failing migration rolls back alone; the versions before it stay committed."""
    steps = [*_pg_schema.MIGRATIONS, ("CREATE TABLE extra (x int)",), ("CREATE TABLE extra (y)",)]
    monkeypatch.setattr(_pg_schema, "MIGRATIONS", tuple(steps))
    original = _pg_schema.migrate

    def migrate(conn: Any, **kw: Any) -> int:
        return original(conn, **{**kw, "migrations": steps})

    monkeypatch.setattr(_postgres, "migrate", migrate)
    with pytest.raises(StoreError, match=r"syntax error|type"):
        PostgresStore(pg_dsn, schema=schema)
    import psycopg

    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        row = conn.execute(
            f"SELECT value FROM \"{schema}\".amzcancel_meta WHERE key = 'schema_version'"
        ).fetchone()
    assert row == (str(len(steps) - 1),)


def test_create_false_and_read_only_need_an_existing_store(
    pg_dsn: str, schema: str, stores: list[PostgresStore]
) -> None:
    """Without create, an empty database is no store; read-only stores refuse writes."""
    with pytest.raises(StoreError, match="no such store"):
        PostgresStore(pg_dsn, schema=schema, create=False)
    with pytest.raises(StoreError, match="no such store"):
        PostgresStore(pg_dsn, schema=schema, read_only=True)
    writer = open_pg(pg_dsn, schema, stores)
    writer.apply("a", [order(items=[item(requested=True)])])
    reader = open_pg(pg_dsn, schema, stores, read_only=True)
    assert len(reader.pending_requests()) == 1
    assert "read_only=True" in repr(reader)
    with pytest.raises(StoreError, match="open read-only; apply needs to write"):
        reader.apply("a", [order()])


def test_closed_store_raises_store_error(pg_dsn: str, schema: str) -> None:
    """Using a closed store raises StoreError; closing twice is harmless."""
    store = PostgresStore(pg_dsn, schema=schema)
    store.close()
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.events()
    with pytest.raises(StoreError, match="closed"):
        store.wait_for_events(0, 1)


def test_text_postgresql_cannot_hold_is_a_store_error(
    pg_dsn: str, schema: str, stores: list[PostgresStore]
) -> None:
    """A NUL character (which PostgreSQL text refuses) is a StoreError, not a driver error."""
    store = open_pg(pg_dsn, schema, stores)
    with pytest.raises(StoreError, match="apply failed"):
        store.apply("a\0b", [order()])


# -- secrets, install, dispatch --------------------------------------------------------------


@pytest.mark.parametrize(
    ("dsn", "expected"),
    [
        pytest.param(
            "postgresql://app:s3cr%40t@db:5432/amz", "postgresql://app:***@db:5432/amz", id="url"
        ),
        pytest.param(
            "postgres://db/amz?user=app&password=s3cret&sslmode=require",
            "postgres://db/amz?user=app&password=***&sslmode=require",
            id="query",
        ),
        pytest.param(
            "host=db user=app password='s3 cret' dbname=amz",
            "host=db user=app password=*** dbname=amz",
            id="keyword",
        ),
        pytest.param("postgresql://app@db/amz", "postgresql://app@db/amz", id="no-password"),
    ],
)
def test_dsn_passwords_are_redacted(dsn: str, expected: str) -> None:
    """Every libpq form of a password is replaced by *** for logs, reprs and errors."""
    assert redact_dsn(dsn) == expected


def test_connection_failure_never_shows_the_password(caplog: pytest.LogCaptureFixture) -> None:
    """An unreachable server is a StoreError naming the redacted DSN; the password appears
    nowhere: not in the message, the repr of the error, or the log."""
    dsn = "postgresql://app:Sup3rSecretPw@127.0.0.1:1/amz?connect_timeout=1"
    with pytest.raises(StoreError) as info:
        PostgresStore(dsn, timeout_seconds=1)
    text = f"{info.value} {info.value!r} {caplog.text}"
    assert "Sup3rSecretPw" not in text
    assert "postgresql://app:***@127.0.0.1:1/amz" in str(info.value)


def test_missing_psycopg_is_a_config_error_with_the_install_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without psycopg, asking for a PostgreSQL store says how to install it."""
    real = importlib.import_module

    def no_psycopg(name: str, *args: Any) -> Any:
        if name.startswith("psycopg"):
            raise ImportError(f"No module named {name!r}")
        return real(name, *args)

    monkeypatch.setattr(importlib, "import_module", no_psycopg)
    with pytest.raises(ConfigError, match=r"pip install 'amzcancel\[postgres\]'"):
        open_store("postgresql://app@127.0.0.1/amz")


def test_importing_amzcancel_never_needs_psycopg() -> None:
    """The package, its sync module and SQLite stores work with psycopg absent."""
    code = (
        "import sys; sys.modules['psycopg'] = None; sys.modules['psycopg_pool'] = None\n"
        "import amzcancel, amzcancel.sync\n"
        "from amzcancel.sync import open_store\n"
        "open_store(':memory:').close()\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.stdout.strip() == "ok", result.stderr


def test_open_store_picks_the_backend_by_url(
    pg_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """postgresql:// and postgres:// URLs open PostgreSQL; anything else is a SQLite path."""
    with open_store(tmp_path / "a.db") as sqlite_store:
        assert isinstance(sqlite_store, SqliteStore)
    url = pg_dsn if "://" in pg_dsn else None
    if url is None:
        pytest.skip("the test server DSN is not a URL")
    with open_store(url) as pg_store:
        assert isinstance(pg_store, PostgresStore)
    with open_store("postgres://" + url.split("://", 1)[1]) as alias_store:
        assert isinstance(alias_store, PostgresStore)


def test_ci_runs_the_store_tests_against_a_real_postgres() -> None:
    """CI starts the throwaway server (exporting the DSN) before the README's test command and
    stops it on exit; the skip message names the same script."""
    root = Path(__file__).resolve().parents[2]
    ci = (root / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    start = ci.index('eval "$(bash .ci/postgres.sh start)"')
    trap = ci.index("trap 'bash .ci/postgres.sh stop' EXIT")
    test = next(i for i, line in enumerate(ci) if line.startswith("pip install -e"))
    assert trap < start < test
    script = (root / ".ci" / "postgres.sh").read_text(encoding="utf-8")
    assert "export AMZCANCEL_TEST_POSTGRES=" in script
    assert "runuser -u postgres" in script
    assert "apt-get install" in script
    assert ".ci/postgres.sh start" in PG_SKIP
