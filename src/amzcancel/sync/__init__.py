"""Incremental sync: the engine, the stores and their event outbox.

Added in 0.1.0.
"""

from amzcancel.sync._dsn import is_postgres_url, redact_dsn
from amzcancel.sync._notified import NotifiedOrders
from amzcancel.sync._open import open_store
from amzcancel.sync._postgres import PostgresStore
from amzcancel.sync._protocol import (
    AccountStatus,
    CancellationRecord,
    CancellationState,
    CursorKey,
    Event,
    EventType,
    Lease,
    PendingRequest,
    SetAside,
    SetAsideOrder,
    Store,
)
from amzcancel.sync._result import SyncProgress, SyncResult, WindowRecord
from amzcancel.sync.engine import SyncEngine
from amzcancel.sync.facade import DEFAULT_MARKETPLACE, Api, OrderSync, default_account
from amzcancel.sync.store import SqliteStore

__all__ = [
    "DEFAULT_MARKETPLACE",
    "AccountStatus",
    "Api",
    "CancellationRecord",
    "CancellationState",
    "CursorKey",
    "Event",
    "EventType",
    "Lease",
    "NotifiedOrders",
    "OrderSync",
    "PendingRequest",
    "PostgresStore",
    "SetAside",
    "SetAsideOrder",
    "SqliteStore",
    "Store",
    "SyncEngine",
    "SyncProgress",
    "SyncResult",
    "WindowRecord",
    "default_account",
    "is_postgres_url",
    "open_store",
    "redact_dsn",
]
