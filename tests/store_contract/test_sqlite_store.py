"""The SQLite store on its own: files, WAL, migrations, refusals, read-only use, kills."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import warnings
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from store_helpers import KEY, OID, T1, item, order

from amzcancel.clock import FakeClock
from amzcancel.errors import StoreError
from amzcancel.models import OrderStatus
from amzcancel.sync import CursorKey, SqliteStore
from amzcancel.sync._schema import MIGRATIONS, SCHEMA_VERSION, migrate


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 26, 12, 0, tzinfo=UTC))


@pytest.fixture
def store(clock: FakeClock) -> SqliteStore:
    return SqliteStore(":memory:", clock=clock)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "amzcancel.db"


# -- files, migrations and errors ------------------------------------------------------------


def test_new_file_gets_the_schema_in_wal_mode(db_path: Path) -> None:
    """A new file is created at the current schema version, in WAL mode."""
    SqliteStore(db_path).close()
    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()


def test_empty_existing_file_is_migrated_when_creating(db_path: Path) -> None:
    """A zero-byte file (touched by a deploy script) becomes a store when create is true."""
    db_path.touch()
    with SqliteStore(db_path) as store:
        store.apply("sandbox", [order()])
        assert store.get_order("sandbox", OID) == order()


@pytest.mark.parametrize("read_only", [False, True])
def test_empty_existing_file_is_not_a_store_for_readers(db_path: Path, read_only: bool) -> None:
    """Opened with create=False (as `amzcancel pending` does), an empty file is refused and
    stays empty: no schema is written into someone's file."""
    db_path.touch()
    with pytest.raises(StoreError, match=r"amzcancel\.db: not an amzcancel store"):
        SqliteStore(db_path, create=False, read_only=read_only)
    assert db_path.stat().st_size == 0


def test_reopening_keeps_data(db_path: Path) -> None:
    """Reopening a store runs no migration again and finds everything stored."""
    with SqliteStore(db_path) as store:
        store.apply("sandbox", [order()], cursor=(KEY, T1))
    with SqliteStore(db_path) as store:
        assert store.get_order("sandbox", OID) == order()
        assert store.get_cursor(KEY) == T1


def test_migrations_run_in_order_and_roll_back_on_failure(tmp_path: Path) -> None:
    """Each migration commits with its version; a failing one leaves the previous version."""
    conn = sqlite3.connect(tmp_path / "m.db", isolation_level=None)
    steps = [*MIGRATIONS, ("CREATE TABLE extra (x)",), ("CREATE TABLE extra (y)",)]
    with pytest.raises(sqlite3.OperationalError):
        migrate(conn, path="m.db", migrations=steps)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
    assert migrate(conn, path="m.db", migrations=steps[:-1]) == SCHEMA_VERSION + 1
    conn.close()


def test_newer_schema_version_is_refused(db_path: Path) -> None:
    """A file written by a newer amzcancel raises StoreError naming the file, untouched."""
    SqliteStore(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match=r"amzcancel\.db: store schema version \d+ is newer"):
        SqliteStore(db_path)


def test_not_a_database_is_a_store_error(db_path: Path) -> None:
    """A file that is not SQLite raises StoreError with the path, not sqlite3's exception."""
    db_path.write_bytes(b"this is not a database, just some text" * 100)
    with pytest.raises(StoreError, match=r"amzcancel\.db: open failed") as info:
        SqliteStore(db_path)
    assert isinstance(info.value.__cause__, sqlite3.DatabaseError)


def test_directory_path_is_a_store_error(tmp_path: Path) -> None:
    """A path that cannot hold a database raises StoreError."""
    with pytest.raises(StoreError, match="open failed"):
        SqliteStore(tmp_path)


def test_create_false_never_creates_a_file(db_path: Path) -> None:
    """Opening a missing store with create=False fails without leaving an empty file behind."""
    with pytest.raises(StoreError, match="no such store"):
        SqliteStore(db_path, create=False)
    assert not db_path.exists()


def test_closed_store_raises_store_error(store: SqliteStore) -> None:
    """Using a closed store raises StoreError; closing twice is harmless."""
    store.close()
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.events()
    with pytest.raises(StoreError, match="closed"):
        store.apply("sandbox", [order()])


def test_second_connection_sees_committed_state(db_path: Path, clock: FakeClock) -> None:
    """Two stores on one file (a sync and a reader): the reader sees each commit at once."""
    with SqliteStore(db_path, clock=clock) as writer, SqliteStore(db_path) as reader:
        writer.apply("sandbox", [order(items=[item(requested=True)])])
        assert [p.amazon_order_id for p in reader.pending_requests()] == [OID]
        assert reader.ack_through(10) == 1
        assert writer.events() == []


# -- crash safety ----------------------------------------------------------------------------

_CHILD = r"""
import sys
from datetime import UTC, datetime, timedelta
from amzcancel.models import BuyerCancel, Order, OrderItem, OrderStatus, Source
from amzcancel.sync import CursorKey, SqliteStore

BASE = datetime(2026, 1, 1, tzinfo=UTC)
KEY = CursorKey("crash", "spapi-v0", ("ATVPDKIKX0DER",))

def build(page, n, status):
    return Order(
        amazon_order_id=f"{page:03d}-{n:07d}-0000000",
        status=status,
        last_update_date=BASE + timedelta(minutes=page if status is OrderStatus.UNSHIPPED
                                          else page + 1),
        source=Source.SPAPI_V0,
        items=[OrderItem(order_item_id=f"{page}-{n}-{k}",
                         buyer_cancel=BuyerCancel(requested=(n % 2 == 0 and k == 0)))
               for k in range(1 + n % 3)],
    )

# Report from inside each page's write (orders written, items not yet), so the parent's
# SIGKILL lands while that page's transaction is open (the test's point), not between pages.
from amzcancel.sync import _sql_apply

_write_items = _sql_apply.write_items

def traced_write_items(tx, rows):
    print("writing", flush=True)
    _write_items(tx, rows)

_sql_apply.write_items = traced_write_items

def page_orders(page):
    orders = [build(page, n, OrderStatus.UNSHIPPED) for n in range(20)]
    if page > 1:
        orders += [build(page - 1, n, OrderStatus.SHIPPED) for n in range(20)]
    return orders

with SqliteStore(sys.argv[1]) as store:
    cursor = store.get_cursor(KEY)
    page = 0 if cursor is None else int((cursor - BASE) / timedelta(minutes=1))
    while True:
        page += 1
        store.apply("crash", page_orders(page), cursor=(KEY, BASE + timedelta(minutes=page)))
        print(page, flush=True)
"""


def _run_and_kill(path: Path, pages: int) -> int:
    """Run the child past ``pages`` commits, SIGKILL it mid-write; return its last commit."""
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    last, commits = 0, 0
    try:
        for line in child.stdout:
            if line.strip() == "writing":
                if commits >= pages:
                    break  # the child is inside apply(): kill it there
            else:
                last, commits = int(line), commits + 1
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    return last


def _assert_consistent(path: Path, at_least: int) -> None:
    with SqliteStore(path) as store:
        assert store._conn is not None
        assert store._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        cursor = store.get_cursor(CursorKey("crash", "spapi-v0", ("ATVPDKIKX0DER",)))
        assert cursor is not None
        last = int((cursor - datetime(2026, 1, 1, tzinfo=UTC)) / timedelta(minutes=1))
        assert last >= at_least
        expected: Counter[tuple[str, str, str | None]] = Counter()
        for page in range(1, last + 1):
            for n in range(20):
                stored = store.get_order("crash", f"{page:03d}-{n:07d}-0000000")
                assert stored is not None, (page, n)
                assert len(stored.items) == 1 + n % 3
                shipped = page < last
                assert stored.status is (OrderStatus.SHIPPED if shipped else OrderStatus.UNSHIPPED)
                oid = stored.amazon_order_id
                if n % 2 == 0:
                    expected[("buyer_cancel_requested", oid, f"{page}-{n}-0")] += 1
                if shipped:
                    expected[("order_shipped", oid, None)] += 1
        for n in range(20):
            assert store.get_order("crash", f"{last + 1:03d}-{n:07d}-0000000") is None
        events = store.events(include_acked=True)
        actual = Counter((e.type.value, e.amazon_order_id, e.order_item_id) for e in events)
        assert actual == expected


@pytest.mark.slow
def test_sigkill_mid_apply_leaves_a_consistent_store(db_path: Path) -> None:
    """A syncing process killed with SIGKILL, three times, leaves whole pages and exact events."""
    done = 0
    for pages in (3, 7, 5):
        done = max(done, _run_and_kill(db_path, pages))
        _assert_consistent(db_path, done)


# -- refusing what is not ours ---------------------------------------------------------------


@pytest.mark.parametrize("version", [-1, -(2**31)])
def test_negative_user_version_is_not_a_store(db_path: Path, version: int) -> None:
    """A foreign (negative) PRAGMA user_version is refused, naming the file, untouched."""
    conn = sqlite3.connect(db_path)
    conn.execute(f"PRAGMA user_version = {version}")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match=r"amzcancel\.db: not an amzcancel store \(schema version"):
        SqliteStore(db_path)
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
    conn.close()


def test_a_known_version_without_our_tables_is_not_a_store(db_path: Path) -> None:
    """Another application's file that happens to set user_version = 1 is refused."""
    conn = sqlite3.connect(db_path)
    conn.execute("CREATE TABLE invoices (id INTEGER)")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="not an amzcancel store"):
        SqliteStore(db_path)


def test_a_version_2_store_is_migrated_with_its_data(db_path: Path) -> None:
    """A store written by 0.1 (schema 2, JSON docs) reads back the same after migrating."""
    conn = sqlite3.connect(db_path, isolation_level=None)
    migrate(conn, path="old", migrations=MIGRATIONS[:2])
    conn.execute(
        "INSERT INTO orders VALUES ('a', ?, 'ATVPDKIKX0DER', 'Unshipped', 'MFN', NULL,"
        " '2026-11-20T08:00:00.000000Z', 'spapi-v0', 1, ?, NULL, NULL,"
        " '2026-11-21T08:00:00.000000Z')",
        (OID, order(items=[]).model_dump_json(exclude={"items"})),
    )
    requested = item(requested=True, reason="r", ordered=3, shipped=1)
    conn.execute(
        "INSERT INTO items VALUES ('a', ?, ?, 0, 'SKU-58', 1, 'r', ?, NULL, NULL, 0)",
        (OID, requested.order_item_id, requested.model_dump_json()),
    )
    conn.close()
    with SqliteStore(db_path) as store:
        loaded = store.get_order("a", OID)
        assert loaded is not None
        assert loaded.items == [requested]
        assert loaded.status.value == "Unshipped"  # type: ignore[union-attr]
        assert store.stored_update_dates("a", [OID]) == {OID: datetime(2026, 11, 20, 8, tzinfo=UTC)}
        assert [p.order_item_id for p in store.pending_requests()] == [requested.order_item_id]


# -- read-only use ---------------------------------------------------------------------------


def _read_as_another_user(path: Path) -> list[str]:
    """What a reader who cannot write ``path`` gets (run as nobody when we are root).

    Forked, not spawned: the interpreter may live where nobody cannot execute it.
    """
    read_end, write_end = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads (3.12+)
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        lines: list[str] = []
        try:
            os.close(read_end)
            if os.geteuid() == 0:
                nobody = pwd.getpwnam("nobody")
                os.setgid(nobody.pw_gid)
                os.setuid(nobody.pw_uid)
            with SqliteStore(path, create=False) as store:
                lines.append(f"{len(store.pending_requests())} {store.read_only}")
                try:
                    store.apply("a", [order("902-0000000-0000077")])
                except StoreError as exc:
                    lines.append(f"refused: {exc}")
        except BaseException as exc:
            lines.append(f"error: {exc!r}")
        finally:
            os.write(write_end, "\n".join(lines).encode())
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        output = pipe.read()
    os.waitpid(pid, 0)
    return output.splitlines()


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A directory another user can read (tmp_path is private to root's test run)."""
    folder = Path(tempfile.mkdtemp(prefix="amzcancel-ro-"))
    folder.chmod(0o755)
    yield folder
    folder.chmod(0o755)
    shutil.rmtree(folder)


@pytest.mark.parametrize("wal_left", [False, True], ids=["checkpointed", "wal-files-left"])
def test_a_store_in_a_read_only_directory_is_readable(shared_dir: Path, wal_left: bool) -> None:
    """`amzcancel pending` as a user who may not write the store or its directory: the
    requests are listed (read-only, immutable if need be) and a write is a StoreError."""
    path = shared_dir / "amzcancel.db"
    writer = SqliteStore(path)
    writer.apply("a", [order(items=[item(requested=True)])])
    if not wal_left:
        writer.close()
    for side in shared_dir.iterdir():
        side.chmod(0o444)
    shared_dir.chmod(0o555)
    try:
        lines = _read_as_another_user(path)
    finally:
        writer.close()
    assert lines[0] == "1 True", lines
    assert lines[1].startswith("refused:")
    assert "open read-only" in lines[1]
