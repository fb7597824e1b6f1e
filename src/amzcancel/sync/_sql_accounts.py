"""Accounts in a SQL store: registration, leases with fencing epochs, run status.

A lease is a row: ``holder``, ``lease_until`` and ``epoch``. Claiming takes due accounts whose
lease is free or expired and bumps the epoch in one statement (PostgreSQL: ``FOR UPDATE SKIP
LOCKED``, so concurrent claimers never take the same account; SQLite: inside ``BEGIN
IMMEDIATE``). Lease times come from :meth:`Tx.lease_now` (PostgreSQL: the server's clock), so
workers whose own clocks disagree still agree on who holds what. A dead worker's accounts are
free again at most ``lease_seconds`` after its last renewal.

Added in 0.2.0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from amzcancel.errors import StoreError
from amzcancel.sync._protocol import Lease
from amzcancel.sync._sql import Tx

__all__ = [
    "MAX_ERROR_CHARS",
    "account_rows",
    "claim_due",
    "known_accounts",
    "record_run",
    "register_accounts",
    "release",
    "renew",
]

MAX_ERROR_CHARS = 2000
"""A run's error text is kept up to this length (a traceback-sized message is cut)."""

_KNOWN = (
    "SELECT name FROM accounts UNION SELECT account FROM orders"
    " UNION SELECT account FROM cursors UNION SELECT account FROM set_aside"
)


def _name(value: Any, what: str = "account") -> str:
    if not isinstance(value, str) or not value:
        raise StoreError(f"{what} must be a non-empty string, got {value!r}")
    return value


def _seconds(value: Any, what: str, *, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise StoreError(f"{what} must be a finite number of seconds, got {value!r}")
    if value < 0 or (positive and value == 0):
        raise StoreError(f"{what} must be {'more than' if positive else 'at least'} 0, got {value}")
    return float(value)


def register_accounts(tx: Tx, accounts: Mapping[str, float]) -> None:
    """Upsert name -> interval; a new (or never registered) account is due at once."""
    rows = [
        (_name(name), _seconds(interval, f"interval of {name!r}", positive=True))
        for name, interval in accounts.items()
    ]
    now = tx.ts(tx.lease_now())
    tx.executemany(
        "INSERT INTO accounts (name, interval_seconds, next_due, epoch) VALUES (?, ?, ?, 0)"
        " ON CONFLICT (name) DO UPDATE SET interval_seconds = excluded.interval_seconds,"
        " next_due = COALESCE(accounts.next_due, excluded.next_due)",
        [(name, interval, now) for name, interval in rows],
    )


def claim_due(tx: Tx, worker: str, limit: int, lease_seconds: float) -> list[Lease]:
    """Take up to ``limit`` due accounts with a free or expired lease, in one statement."""
    _name(worker, "worker")
    seconds = _seconds(lease_seconds, "lease_seconds")
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise StoreError(f"limit must be a whole number >= 0, got {limit!r}")
    if limit == 0:
        return []
    now = tx.lease_now()
    stamp = tx.ts(now)
    # skip_locked is a constant clause of the backend; every value is a bound parameter.
    sql = (
        "UPDATE accounts SET holder = ?, lease_until = ?, epoch = epoch + 1"  # noqa: S608
        " WHERE name IN (SELECT name FROM accounts WHERE next_due IS NOT NULL"
        " AND next_due <= ? AND (holder IS NULL OR lease_until IS NULL OR lease_until <= ?)"
        f" ORDER BY next_due, name LIMIT ?{tx.skip_locked})"
        " RETURNING name, epoch, lease_until"
    )
    until = tx.ts(now + timedelta(seconds=seconds))
    rows = tx.rows(sql, (worker, until, stamp, stamp, limit))
    if tx.skip_locked and len(rows) < limit:
        # PostgreSQL: rows another worker claimed just after this statement's snapshot are
        # dropped when rechecked, after LIMIT counted them, so a claim racing another can come
        # back short or empty while accounts are due. Once more, with a fresh snapshot.
        rows += tx.rows(sql, (worker, until, stamp, stamp, limit - len(rows)))
    leases = [Lease(name, worker, int(epoch), tx.dt(until)) for name, epoch, until in rows]
    return sorted(leases, key=lambda lease: lease.account)


def renew(tx: Tx, lease: Lease, lease_seconds: float) -> Lease | None:
    """Extend ``lease`` from now, or ``None`` when another claim replaced it."""
    seconds = _seconds(lease_seconds, "lease_seconds")
    until = tx.lease_now() + timedelta(seconds=seconds)
    row = tx.one(
        "UPDATE accounts SET lease_until = ? WHERE name = ? AND holder = ? AND epoch = ?"
        " RETURNING lease_until",
        (tx.ts(until), lease.account, lease.worker, lease.epoch),
    )
    if row is None:
        return None
    return Lease(lease.account, lease.worker, lease.epoch, tx.dt(row[0]))


def release(tx: Tx, lease: Lease, next_due: datetime) -> None:
    """Free the account and set when it is due again, if ``lease`` still holds it."""
    tx.run(
        "UPDATE accounts SET holder = NULL, lease_until = NULL, next_due = ?"
        " WHERE name = ? AND holder = ? AND epoch = ?",
        (tx.ts(next_due), lease.account, lease.worker, lease.epoch),
    )


def record_run(tx: Tx, account: str, ok: bool, error: str | None, now: datetime) -> None:
    """Stamp the end of a run; an account never registered gets a row of its own."""
    _name(account)
    stamp = tx.ts(now)
    tx.run(
        "INSERT INTO accounts (name, epoch) VALUES (?, 0) ON CONFLICT (name) DO NOTHING",
        (account,),
    )
    if ok:
        tx.run(
            "UPDATE accounts SET last_run_at = ?, last_success_at = ?, last_error = NULL,"
            " last_error_at = NULL WHERE name = ?",
            (stamp, stamp, account),
        )
        return
    text = (error or "failed (no error text)")[:MAX_ERROR_CHARS]
    tx.run(
        "UPDATE accounts SET last_run_at = ?, last_error = ?, last_error_at = ? WHERE name = ?",
        (stamp, text, stamp, account),
    )


def known_accounts(tx: Tx) -> list[str]:
    """Every account the store knows of, sorted."""
    return sorted(str(row[0]) for row in tx.rows(_KNOWN))


def _counts(tx: Tx, sql: str, account: str | None) -> dict[str, Any]:
    params: list[Any] = []
    if account is not None:
        sql += " AND account = ?"
        params.append(account)
    return {str(row[0]): row[1] for row in tx.rows(sql + " GROUP BY account", params)}


def account_rows(tx: Tx, account: str | None) -> list[dict[str, Any]]:
    """The stored part of each account's status (everything but the open requests)."""
    names = known_accounts(tx)
    if account is not None:
        names = [name for name in names if name == account]
    if not names:
        return []
    rows = {
        str(row[0]): row[1:]
        for row in tx.rows(
            "SELECT name, interval_seconds, holder, lease_until, next_due, last_run_at,"
            " last_success_at, last_error, last_error_at FROM accounts"
        )
    }
    cursors = _counts(tx, "SELECT account, MAX(value) FROM cursors WHERE 1 = 1", account)
    unacked = _counts(tx, "SELECT account, COUNT(*) FROM events WHERE acked_at IS NULL", account)
    aside = _counts(tx, "SELECT account, COUNT(*) FROM set_aside WHERE 1 = 1", account)
    result = []
    for name in names:
        interval, holder, until, due, run, success, error, error_at = rows.get(name, (None,) * 8)
        result.append(
            {
                "name": name,
                "interval_seconds": None if interval is None else float(interval),
                "holder": holder,
                "lease_until": tx.dt_or_none(until),
                "next_due": tx.dt_or_none(due),
                "last_run_at": tx.dt_or_none(run),
                "last_success_at": tx.dt_or_none(success),
                "last_error": error,
                "last_error_at": tx.dt_or_none(error_at),
                "cursor": tx.dt_or_none(cursors.get(name)),
                "unacked_events": int(unacked.get(name, 0)),
                "set_aside": int(aside.get(name, 0)),
            }
        )
    return result
