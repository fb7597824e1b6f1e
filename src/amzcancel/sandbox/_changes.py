"""What happens to a marketplace from outside: explicit changes and feeds, as a replayable log.

A demo marketplace is generated from its seed and its clock's start, so what makes one
marketplace differ from a freshly generated one is only what was done to it since: a buyer's
request, a shipment, a cancellation (:class:`ExplicitChanges`), and every cancellation feed a
client created. :class:`ChangeLog` keeps those, each with the clock time it happened at, so
another process can build the same marketplace and replay them
(:mod:`amzcancel.sandbox._session`).

Added in 0.2.0.
"""

from __future__ import annotations

import base64
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from amzcancel.clock import Clock
from amzcancel.sandbox._core import MarketState
from amzcancel.sandbox._feeds import CreatedFeed
from amzcancel.sandbox._state import SandboxStateError, SimOrder, whole_seconds

__all__ = ["Change", "ChangeLog", "ExplicitChanges", "feed_change", "feed_of"]


@dataclass(frozen=True)
class Change:
    """One thing done to the marketplace, at ``at`` seconds of its clock's monotonic time."""

    kind: str
    """``feed`` or the name of an :class:`ExplicitChanges` method."""
    at: float
    args: dict[str, Any]
    """The arguments, as JSON values."""
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    """Tells a change apart when two processes' logs are merged."""

    def to_json(self) -> dict[str, Any]:
        """The change as a JSON object."""
        return {"id": self.id, "kind": self.kind, "at": self.at, "args": self.args}


class ChangeLog:
    """The changes made to one marketplace, in the order they were made."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._changes: list[Change] = []
        self.paused = False
        """True while changes are replayed (they are in the log already)."""

    def record(self, kind: str, at: float, **args: Any) -> None:
        """Add a change (nothing while replaying)."""
        self.record_change(Change(kind, at, args))

    def record_change(self, change: Change) -> None:
        """Add a change made elsewhere (nothing while replaying)."""
        if self.paused:
            return
        with self._lock:
            self._changes.append(change)

    def changes(self) -> list[Change]:
        """A copy of the log, oldest first."""
        with self._lock:
            return list(self._changes)


def feed_change(created: CreatedFeed, at: float) -> Change:
    """The log entry of a feed created at ``at``."""
    args = {
        "feed_id": created.feed_id,
        "document_id": created.document_id,
        "content_type": created.content_type,
        "content": base64.b64encode(created.content).decode("ascii"),
        "marketplace_ids": list(created.marketplace_ids),
        "created": created.created.isoformat(),
    }
    return Change("feed", at, args)


def feed_of(change: Change) -> CreatedFeed:
    """The feed a ``feed`` entry records."""
    args = change.args
    return CreatedFeed(
        feed_id=str(args["feed_id"]),
        document_id=str(args["document_id"]),
        content_type=str(args["content_type"]),
        content=base64.b64decode(str(args["content"])),
        marketplace_ids=tuple(str(m) for m in args["marketplace_ids"]),
        created=datetime.fromisoformat(str(args["created"])),
    )


class ExplicitChanges:
    """The changes a test or a demo makes to the marketplace by hand, each one logged.

    Mixed into :class:`~amzcancel.sandbox.Marketplace`.
    """

    clock: Clock
    _state: MarketState
    _changes: ChangeLog

    def _order(self, order_id: str) -> SimOrder:
        order = self._state.find(order_id)
        if order is None:
            raise SandboxStateError(f"no order {order_id}")
        return order

    def _log(self, kind: str, **args: Any) -> None:
        self._changes.record(kind, self.clock.monotonic(), **args)

    def request_cancel(self, order_id: str, item_id: str, reason: str) -> None:
        """A buyer formally requests cancellation of an unshipped item, now.

        Added in 0.1.0.
        """
        with self._state.lock:
            self._order(order_id).request_cancel(item_id, reason, self.clock.now())
            self._log("request_cancel", order_id=order_id, item_id=item_id, reason=reason)

    def ship(self, order_id: str, item_ids: list[str] | None = None) -> None:
        """The order (or the named items) ships now.

        Added in 0.1.0.
        """
        with self._state.lock:
            self._order(order_id).ship(self.clock.now(), item_ids)
            self._log("ship", order_id=order_id, item_ids=item_ids)

    def cancel(self, order_id: str, *, reason: str = "BuyerCanceled", by: str = "BUYER") -> None:
        """The order is cancelled now (by the buyer, by default).

        Added in 0.1.0.
        """
        with self._state.lock:
            self._order(order_id).cancel(self.clock.now(), by=by, reason=reason)
            self._log("cancel", order_id=order_id, reason=reason, by=by)

    def misdate(self, order_id: str, shown: datetime) -> None:
        """Show ``shown`` as the order's ``LastUpdateDate`` until its next real change.

        Added in 0.2.0.
        """
        with self._state.lock:
            self._order(order_id).shown_update_date = whole_seconds(shown)
            self._log("misdate", order_id=order_id, shown=shown.isoformat())

    def garble(self, order_id: str) -> None:
        """Render the order without its first item's id until its next real change.

        Added in 0.2.0.
        """
        with self._state.lock:
            self._order(order_id).garbled = True
            self._log("garble", order_id=order_id)

    def _apply(self, change: Change) -> None:
        """Make a logged explicit change again (replay)."""
        args = change.args
        if change.kind == "request_cancel":
            self.request_cancel(args["order_id"], args["item_id"], args["reason"])
        elif change.kind == "ship":
            self.ship(args["order_id"], args["item_ids"])
        elif change.kind == "cancel":
            self.cancel(args["order_id"], reason=args["reason"], by=args["by"])
        elif change.kind == "misdate":
            self.misdate(args["order_id"], datetime.fromisoformat(args["shown"]))
        elif change.kind == "garble":
            self.garble(args["order_id"])
        else:
            raise SandboxStateError(f"unknown change {change.kind!r}")
