"""Incremental sync: the engine, the store and its event outbox.

Added in 0.1.0.
"""

from amzcancel.sync._protocol import CursorKey, Event, EventType, PendingRequest, Store
from amzcancel.sync._result import SyncProgress, SyncResult, WindowRecord
from amzcancel.sync.engine import SyncEngine
from amzcancel.sync.facade import DEFAULT_MARKETPLACE, Api, OrderSync
from amzcancel.sync.store import SqliteStore

__all__ = [
    "DEFAULT_MARKETPLACE",
    "Api",
    "CursorKey",
    "Event",
    "EventType",
    "OrderSync",
    "PendingRequest",
    "SqliteStore",
    "Store",
    "SyncEngine",
    "SyncProgress",
    "SyncResult",
    "WindowRecord",
]
