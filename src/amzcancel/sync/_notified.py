"""Order ids that ORDER_CHANGE notifications named: a second source of ids for ``getOrder``.

Without Orders v0 (retired 2027-03-27), ``searchOrders`` is the only way to list orders, at one
page per 180 seconds. The push listener notes every notified order here (id and the time of
its change); a backlog's multi-path sync then fetches those of its window with ``getOrder``
while ``searchOrders`` pages the window, so Orders 2026-01-01 keeps two rate budgets busy. The
window is still paged in full: notifications are not a complete listing (an order changed for
another reason sends none), so they only bring notified orders in sooner, never replace a page.

Added in 0.2.0.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import datetime

__all__ = ["DEFAULT_MAX_NOTED", "NotifiedOrders"]

DEFAULT_MAX_NOTED = 100_000
"""Ids kept per registry; the oldest notes go first beyond it (polling still reads them)."""


class NotifiedOrders:
    """A thread-safe record of notified orders per account (newest note of each order wins).

    Added in 0.2.0.
    """

    def __init__(self, *, max_noted: int = DEFAULT_MAX_NOTED) -> None:
        self._max = max_noted
        self._noted: OrderedDict[tuple[str, str], datetime | None] = OrderedDict()
        self._lock = threading.Lock()

    def note(self, account: str, order_id: str, changed: datetime | None) -> None:
        """Record that ``order_id`` of ``account`` changed at ``changed`` (``None``: unknown)."""
        key = (account, order_id)
        with self._lock:
            previous = self._noted.pop(key, None)
            if previous is not None and (changed is None or previous > changed):
                changed = previous
            self._noted[key] = changed
            while len(self._noted) > self._max:
                self._noted.popitem(last=False)

    def in_window(
        self, account: str, after: datetime, before: datetime
    ) -> list[tuple[str, datetime | None]]:
        """``(id, changed)`` of ``account``'s notes in ``(after, before]``, newest first.

        Undated notes are included: their order may belong to any window.
        """
        with self._lock:
            found = [
                (when, order_id)
                for (owner, order_id), when in self._noted.items()
                if owner == account and (when is None or after < when <= before)
            ]
        found.sort(key=lambda pair: (pair[0] is not None, pair[0]), reverse=True)
        return [(order_id, when) for when, order_id in found]

    def forget(self, account: str, order_ids: list[str]) -> None:
        """Drop these notes (their orders are stored)."""
        with self._lock:
            for order_id in order_ids:
                self._noted.pop((account, order_id), None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._noted)
