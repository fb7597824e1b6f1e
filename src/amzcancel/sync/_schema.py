"""The SQLite schema of :class:`~amzcancel.sync.store.SqliteStore`, as a list of migrations.

The schema version lives in ``PRAGMA user_version`` (part of the database header, so it
commits and rolls back with the migration that sets it). Migration ``n`` (1-based) takes a
database at version ``n - 1`` to ``n``; a database newer than :data:`SCHEMA_VERSION` was
written by a newer amzcancel and is refused rather than misread.

Every row carries the account, so sandbox data and a real seller's never mix in one file.
Datetimes are stored as fixed-width UTC text (``YYYY-MM-DDTHH:MM:SS.ffffffZ``), which sorts
like time.

Added in 0.1.0.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from amzcancel.errors import StoreError

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "check_version", "migrate", "schema_version"]

_V1: tuple[str, ...] = (
    """
    CREATE TABLE orders (
        account              TEXT NOT NULL,
        amazon_order_id      TEXT NOT NULL,
        marketplace_id       TEXT,
        status               TEXT,
        fulfillment_channel  TEXT,
        purchase_date        TEXT,
        last_update_date     TEXT,
        source               TEXT NOT NULL,
        has_items            INTEGER NOT NULL,
        doc                  TEXT NOT NULL,
        order_total_currency TEXT,
        order_total_amount   TEXT,
        stored_at            TEXT NOT NULL,
        PRIMARY KEY (account, amazon_order_id)
    ) WITHOUT ROWID
    """,
    "CREATE INDEX orders_by_update ON orders (account, last_update_date)",
    "CREATE INDEX orders_by_status ON orders (account, status)",
    """
    CREATE TABLE items (
        account                TEXT NOT NULL,
        amazon_order_id        TEXT NOT NULL,
        order_item_id          TEXT NOT NULL,
        position               INTEGER NOT NULL,
        seller_sku             TEXT,
        buyer_cancel_requested INTEGER NOT NULL,
        buyer_cancel_reason    TEXT,
        doc                    TEXT NOT NULL,
        item_price_currency    TEXT,
        item_price_amount      TEXT,
        PRIMARY KEY (account, amazon_order_id, order_item_id),
        FOREIGN KEY (account, amazon_order_id) REFERENCES orders (account, amazon_order_id)
    ) WITHOUT ROWID
    """,
    """
    CREATE INDEX items_requested ON items (account, amazon_order_id)
        WHERE buyer_cancel_requested = 1
    """,
    """
    CREATE TABLE cursors (
        account         TEXT NOT NULL,
        api             TEXT NOT NULL,
        marketplace_ids TEXT NOT NULL,
        value           TEXT NOT NULL,
        updated_at      TEXT NOT NULL,
        PRIMARY KEY (account, api, marketplace_ids)
    ) WITHOUT ROWID
    """,
    # AUTOINCREMENT: ids never go back, even if old events are ever pruned, so a consumer's
    # "last id seen" stays valid for the life of the file.
    """
    CREATE TABLE events (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        type            TEXT NOT NULL,
        account         TEXT NOT NULL,
        amazon_order_id TEXT NOT NULL,
        order_item_id   TEXT,
        reason          TEXT,
        occurred_at     TEXT NOT NULL,
        recorded_at     TEXT NOT NULL,
        acked_at        TEXT
    )
    """,
    "CREATE INDEX events_unacked ON events (id) WHERE acked_at IS NULL",
    "CREATE INDEX events_by_order ON events (account, amazon_order_id)",
)

# Version 2: an item Amazon cancelled (OrderItem.cancelled) has nothing left to cancel.
_V2: tuple[str, ...] = ("ALTER TABLE items ADD COLUMN cancelled INTEGER NOT NULL DEFAULT 0",)

# Version 3 (protocol v2): orders and items are read back from columns, not re-validated JSON
# (the doc columns go); an order's effective freshness; set-aside orders, dedupe keys,
# accounts with leases and run status, cancellations in flight.
_V3: tuple[str, ...] = (
    "ALTER TABLE orders ADD COLUMN freshness TEXT",
    # min() of two fixed-width UTC texts is the earlier time; NULL when undated.
    (
        "UPDATE orders SET freshness = min(last_update_date, stored_at)"
        " WHERE last_update_date IS NOT NULL"
    ),
    "ALTER TABLE items ADD COLUMN asin TEXT",
    "ALTER TABLE items ADD COLUMN title TEXT",
    "ALTER TABLE items ADD COLUMN quantity_ordered INTEGER",
    "ALTER TABLE items ADD COLUMN quantity_shipped INTEGER",
    """
    UPDATE items SET asin = json_extract(doc, '$.asin'), title = json_extract(doc, '$.title'),
        quantity_ordered = json_extract(doc, '$.quantity_ordered'),
        quantity_shipped = json_extract(doc, '$.quantity_shipped')
    """,
    "ALTER TABLE items DROP COLUMN doc",
    "ALTER TABLE orders DROP COLUMN doc",
    "CREATE INDEX events_by_account ON events (account, id)",
    """
    CREATE TABLE set_aside (
        account         TEXT NOT NULL,
        amazon_order_id TEXT NOT NULL,
        error           TEXT NOT NULL,
        first_seen      TEXT NOT NULL,
        last_seen       TEXT NOT NULL,
        attempts        INTEGER NOT NULL,
        PRIMARY KEY (account, amazon_order_id)
    ) WITHOUT ROWID
    """,
    """
    CREATE TABLE dedupe_keys (
        account     TEXT NOT NULL,
        key         TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        PRIMARY KEY (account, key)
    ) WITHOUT ROWID
    """,
    "CREATE INDEX dedupe_keys_by_age ON dedupe_keys (account, recorded_at)",
    """
    CREATE TABLE accounts (
        name             TEXT PRIMARY KEY,
        interval_seconds REAL,
        next_due         TEXT,
        holder           TEXT,
        lease_until      TEXT,
        epoch            INTEGER NOT NULL DEFAULT 0,
        last_run_at      TEXT,
        last_success_at  TEXT,
        last_error       TEXT,
        last_error_at    TEXT
    ) WITHOUT ROWID
    """,
    """
    CREATE TABLE cancellations (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        account         TEXT NOT NULL,
        amazon_order_id TEXT NOT NULL,
        order_item_ids  TEXT NOT NULL,
        reason          TEXT NOT NULL,
        state           TEXT NOT NULL,
        feed_id         TEXT,
        detail          TEXT,
        created_at      TEXT NOT NULL,
        updated_at      TEXT NOT NULL
    )
    """,
    # One open cancellation per order: a second `amzcancel cancel` cannot submit it twice.
    """
    CREATE UNIQUE INDEX cancellations_open ON cancellations (account, amazon_order_id)
        WHERE state IN ('prepared', 'submitted')
    """,
)

MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1, _V2, _V3)
"""Migration ``i`` (0-based) takes the schema from version ``i`` to ``i + 1``."""

SCHEMA_VERSION = len(MIGRATIONS)
"""The schema version this amzcancel writes."""


def schema_version(conn: sqlite3.Connection) -> int:
    """The schema version of the open database (0 for a new, empty file)."""
    row = conn.execute("PRAGMA user_version").fetchone()
    return int(row[0])


def check_version(version: int, latest: int, *, path: str) -> None:
    """Refuse a schema version this amzcancel cannot read.

    Raises:
        StoreError: a negative (foreign) version, or one newer than ``latest``.
    """
    if version < 0:
        raise StoreError(
            f"{path}: not an amzcancel store (schema version {version} is not one of ours); "
            "choose another --store"
        )
    if version > latest:
        raise StoreError(
            f"{path}: store schema version {version} is newer than this amzcancel supports "
            f"({latest}); upgrade amzcancel"
        )


def migrate(
    conn: sqlite3.Connection,
    *,
    path: str,
    migrations: Sequence[Sequence[str]] = MIGRATIONS,
) -> int:
    """Bring the database up to the newest schema; returns the version it started at.

    Each migration runs in its own ``BEGIN IMMEDIATE`` transaction together with the
    ``user_version`` bump, so a crash mid-migration leaves the previous version intact.
    ``conn`` must be in autocommit mode (``isolation_level=None``).

    Raises:
        StoreError: the file was written by a newer amzcancel (unknown schema version).
        sqlite3.Error: SQLite failed; the caller wraps it.
    """
    start = schema_version(conn)
    latest = len(migrations)
    check_version(start, latest, path=path)
    for version in range(start, latest):
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Re-read inside the write lock: another process may have migrated meanwhile.
            if schema_version(conn) != version:
                conn.execute("ROLLBACK")
                continue
            for statement in migrations[version]:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return start
