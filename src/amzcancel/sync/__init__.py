"""Incremental sync: the engine, the store and its event outbox.

Added in 0.1.0.
"""

from amzcancel.sync._protocol import CursorKey, Event, EventType, PendingRequest, Store
from amzcancel.sync.store import SqliteStore

__all__ = [
    "CursorKey",
    "Event",
    "EventType",
    "PendingRequest",
    "SqliteStore",
    "Store",
]
