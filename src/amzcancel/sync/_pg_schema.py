"""The PostgreSQL schema of :class:`~amzcancel.sync.PostgresStore`, as a list of migrations.

The version lives in the table ``amzcancel_meta`` (key ``schema_version``), written in the
same transaction as the migration it records. Each migration runs in its own transaction
under an advisory lock, so two processes opening a new database at once migrate it once. A
schema holding tables but no ``amzcancel_meta`` belongs to someone else and is refused; a
version newer than :data:`SCHEMA_VERSION` was written by a newer amzcancel and is refused.

Column types: ``timestamptz`` for every time, ``numeric`` for money, ``boolean`` flags,
``bigint`` identity ids (never reused, in commit order: see ``_sql_outbox``).

Added in 0.2.0.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from amzcancel.errors import StoreError

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "migrate"]

_V1: tuple[str, ...] = (
    "CREATE TABLE amzcancel_meta (key text PRIMARY KEY, value text NOT NULL)",
    """
    CREATE TABLE orders (
        account              text NOT NULL,
        amazon_order_id      text NOT NULL,
        marketplace_id       text,
        status               text,
        fulfillment_channel  text,
        purchase_date        timestamptz,
        last_update_date     timestamptz,
        source               text NOT NULL,
        has_items            boolean NOT NULL,
        order_total_currency text,
        order_total_amount   numeric,
        stored_at            timestamptz NOT NULL,
        freshness            timestamptz,
        PRIMARY KEY (account, amazon_order_id)
    )
    """,
    "CREATE INDEX orders_by_update ON orders (account, last_update_date)",
    "CREATE INDEX orders_by_status ON orders (account, status)",
    """
    CREATE TABLE items (
        account                text NOT NULL,
        amazon_order_id        text NOT NULL,
        order_item_id          text NOT NULL,
        position               integer NOT NULL,
        asin                   text,
        seller_sku             text,
        title                  text,
        quantity_ordered       bigint,
        quantity_shipped       bigint,
        buyer_cancel_requested boolean NOT NULL,
        buyer_cancel_reason    text,
        item_price_currency    text,
        item_price_amount      numeric,
        cancelled              boolean NOT NULL DEFAULT false,
        PRIMARY KEY (account, amazon_order_id, order_item_id),
        FOREIGN KEY (account, amazon_order_id) REFERENCES orders (account, amazon_order_id)
    )
    """,
    """
    CREATE INDEX items_requested ON items (account, amazon_order_id)
        WHERE buyer_cancel_requested
    """,
    """
    CREATE TABLE cursors (
        account         text NOT NULL,
        api             text NOT NULL,
        marketplace_ids text NOT NULL,
        value           timestamptz NOT NULL,
        updated_at      timestamptz NOT NULL,
        PRIMARY KEY (account, api, marketplace_ids)
    )
    """,
    """
    CREATE TABLE events (
        id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        type            text NOT NULL,
        account         text NOT NULL,
        amazon_order_id text NOT NULL,
        order_item_id   text,
        reason          text,
        occurred_at     timestamptz NOT NULL,
        recorded_at     timestamptz NOT NULL,
        acked_at        timestamptz
    )
    """,
    "CREATE INDEX events_unacked ON events (id) WHERE acked_at IS NULL",
    "CREATE INDEX events_by_order ON events (account, amazon_order_id)",
    "CREATE INDEX events_by_account ON events (account, id)",
    """
    CREATE TABLE set_aside (
        account         text NOT NULL,
        amazon_order_id text NOT NULL,
        error           text NOT NULL,
        first_seen      timestamptz NOT NULL,
        last_seen       timestamptz NOT NULL,
        attempts        integer NOT NULL,
        PRIMARY KEY (account, amazon_order_id)
    )
    """,
    """
    CREATE TABLE dedupe_keys (
        account     text NOT NULL,
        key         text NOT NULL,
        recorded_at timestamptz NOT NULL,
        PRIMARY KEY (account, key)
    )
    """,
    "CREATE INDEX dedupe_keys_by_age ON dedupe_keys (account, recorded_at)",
    """
    CREATE TABLE accounts (
        name             text PRIMARY KEY,
        interval_seconds double precision,
        next_due         timestamptz,
        holder           text,
        lease_until      timestamptz,
        epoch            bigint NOT NULL DEFAULT 0,
        last_run_at      timestamptz,
        last_success_at  timestamptz,
        last_error       text,
        last_error_at    timestamptz
    )
    """,
    """
    CREATE TABLE cancellations (
        id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        account         text NOT NULL,
        amazon_order_id text NOT NULL,
        order_item_ids  text NOT NULL,
        reason          text NOT NULL,
        state           text NOT NULL,
        feed_id         text,
        detail          text,
        created_at      timestamptz NOT NULL,
        updated_at      timestamptz NOT NULL
    )
    """,
    """
    CREATE UNIQUE INDEX cancellations_open ON cancellations (account, amazon_order_id)
        WHERE state IN ('prepared', 'submitted')
    """,
)

MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1,)
"""Migration ``i`` (0-based) takes the schema from version ``i`` to ``i + 1``."""

SCHEMA_VERSION = len(MIGRATIONS)
"""The schema version this amzcancel writes."""

# The statements below name only constant tables; values are bound parameters.
_META = "SELECT value FROM amzcancel_meta WHERE key = 'schema_version'"
_OWN_TABLES = (
    "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
    " ORDER BY table_name"
)


def _version(conn: Any, label: str) -> int:
    """The schema version of the current schema (0: empty); refuses someone else's tables."""
    # information_schema reads the catalog through this statement's snapshot; to_regclass()
    # could answer from a cache that has not seen another process's just-committed tables.
    tables = [row[0] for row in conn.execute(_OWN_TABLES).fetchall()]
    if "amzcancel_meta" not in tables:
        if tables:
            raise StoreError(
                f"{label}: not an amzcancel store (it holds other tables: "
                f"{', '.join(tables[:5])}); choose another database or schema"
            )
        return 0
    row = conn.execute(_META).fetchone()
    try:
        return int(row[0]) if row is not None else -1
    except ValueError:
        return -1


def migrate(
    conn: Any,
    *,
    label: str,
    create: bool,
    lock: Callable[[Any], None],
    migrations: Sequence[Sequence[str]] = MIGRATIONS,
) -> int:
    """Bring the schema up to date; returns the version it started at.

    Args:
        conn: a psycopg connection in autocommit mode, its ``search_path`` on the schema.
        label: how to name the store in errors (a redacted DSN).
        create: whether an empty schema may become a store.
        lock: takes the migration advisory lock inside the open transaction.
        migrations: the migrations to apply (tests pass extra ones).

    Raises:
        StoreError: not an amzcancel schema, a newer version, or nothing there and not
            ``create``.
    """
    latest = len(migrations)
    with conn.transaction():
        # Under the lock: another process may be creating the tables this very moment.
        lock(conn)
        start = _check(conn, label, latest)
    if start == 0 and not create:
        raise StoreError(f"{label}: no such store (no amzcancel tables)")
    for version in range(start, latest):
        with conn.transaction():
            lock(conn)
            # Re-read under the lock: another process may have migrated meanwhile.
            if _check(conn, label, latest) != version:
                continue
            for statement in migrations[version]:
                conn.execute(statement)
            conn.execute(
                "INSERT INTO amzcancel_meta (key, value) VALUES ('schema_version', %s)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (str(version + 1),),
            )
    return start


def _check(conn: Any, label: str, latest: int) -> int:
    version = _version(conn, label)
    if version < 0:
        raise StoreError(f"{label}: not an amzcancel store (unreadable schema version)")
    if version > latest:
        raise StoreError(
            f"{label}: store schema version {version} is newer than this amzcancel supports "
            f"({latest}); upgrade amzcancel"
        )
    return version


def check_readable(conn: Any, label: str) -> None:
    """Refuse a schema a read-only store cannot use as it is (missing or out of date)."""
    version = _check(conn, label, SCHEMA_VERSION)
    if version == 0:
        raise StoreError(f"{label}: no such store (no amzcancel tables)")
    if version < SCHEMA_VERSION:
        raise StoreError(
            f"{label}: store schema version {version} needs an upgrade to {SCHEMA_VERSION}, "
            "which a read-only store cannot do; open it writable once"
        )
