"""The records of store protocol v2: set-aside orders, cancellations in flight, leases, status.

They are re-exported by :mod:`amzcancel.sync._protocol` and :mod:`amzcancel.sync`.

Added in 0.2.0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from amzcancel.errors import StoreError
from amzcancel.models import UtcDateTime

__all__ = [
    "AccountStatus",
    "CancellationRecord",
    "CancellationState",
    "Lease",
    "SetAside",
    "SetAsideOrder",
]

_RECORD_CONFIG = ConfigDict(frozen=True, strict=True, extra="forbid", use_attribute_docstrings=True)


@dataclass(frozen=True)
class SetAside:
    """An order the engine could not read, handed to :meth:`Store.apply` to keep for a retry.

    The cursor may then move past the order without losing it: later runs read the
    set-aside orders by id (:meth:`Store.set_aside_orders`).

    Attributes:
        amazon_order_id: the order that could not be read.
        error: why, in one line (never a secret).

    Added in 0.2.0.
    """

    amazon_order_id: str
    error: str

    def __post_init__(self) -> None:
        if not isinstance(self.amazon_order_id, str) or not self.amazon_order_id:
            raise StoreError("a set-aside order needs a non-empty amazon_order_id")
        if not isinstance(self.error, str):
            raise StoreError(f"a set-aside error must be text, got {self.error!r}")


class SetAsideOrder(BaseModel):
    """An order kept aside because it could not be read, as the store holds it.

    Added in 0.2.0.
    """

    model_config = _RECORD_CONFIG

    account: str
    """The account the order belongs to."""
    amazon_order_id: str
    """The order."""
    error: str
    """The last reason it could not be read."""
    first_seen: UtcDateTime
    """When it was first set aside."""
    last_seen: UtcDateTime
    """When it was last set aside."""
    attempts: int
    """How many times it has been set aside."""


class CancellationState(StrEnum):
    """Where a cancellation stands: ``prepared`` -> ``submitted`` -> ``done`` or ``failed``.

    Added in 0.2.0.
    """

    PREPARED = "prepared"
    """Recorded, feed not yet submitted: a rerun finds it and must not submit blindly."""
    SUBMITTED = "submitted"
    """The feed was submitted (``feed_id`` set); its outcome is not known yet."""
    DONE = "done"
    """Amazon processed the cancellation."""
    FAILED = "failed"
    """It did not happen (refused, or given up); ``detail`` says why."""

    @property
    def is_open(self) -> bool:
        """True while the outcome is not known (``prepared`` or ``submitted``)."""
        return self in (CancellationState.PREPARED, CancellationState.SUBMITTED)


# Which state may follow which: a final state never changes again.
ALLOWED_TRANSITIONS: dict[CancellationState, frozenset[CancellationState]] = {
    # prepared -> prepared: a note on the way (createFeed sent, its answer not back yet).
    CancellationState.PREPARED: frozenset(
        {
            CancellationState.PREPARED,
            CancellationState.SUBMITTED,
            CancellationState.DONE,
            CancellationState.FAILED,
        }
    ),
    CancellationState.SUBMITTED: frozenset(
        {CancellationState.SUBMITTED, CancellationState.DONE, CancellationState.FAILED}
    ),
    CancellationState.DONE: frozenset(),
    CancellationState.FAILED: frozenset(),
}


class CancellationRecord(BaseModel):
    """A cancellation the seller started, recorded before its feed is submitted.

    Added in 0.2.0.
    """

    model_config = _RECORD_CONFIG

    id: int
    """The record's id in the store."""
    account: str
    """The account the order belongs to."""
    amazon_order_id: str
    """The order being cancelled."""
    order_item_ids: tuple[str, ...]
    """The items being cancelled (empty: the whole order)."""
    reason: str
    """The cancel reason code sent to Amazon."""
    state: CancellationState
    """Where it stands."""
    feed_id: str | None
    """Amazon's feed id once submitted."""
    detail: str | None
    """Free text: the processing report's summary, or why it failed."""
    created_at: UtcDateTime
    """When it was recorded."""
    updated_at: UtcDateTime
    """When its state last changed."""


@dataclass(frozen=True)
class Lease:
    """A worker's claim on one account: only its holder syncs the account until it expires.

    ``epoch`` grows with every claim of the account, so a write fenced with an old lease
    (:meth:`Store.apply` with ``lease=``) is refused once another worker has claimed it.

    Attributes:
        account: the account claimed.
        worker: who holds it.
        epoch: the claim's number (the fencing token).
        expires_at: when the claim lapses unless renewed (the store's clock).

    Added in 0.2.0.
    """

    account: str
    worker: str
    epoch: int
    expires_at: datetime


class AccountStatus(BaseModel):
    """One account's state for ``amzcancel status``.

    Added in 0.2.0.
    """

    model_config = _RECORD_CONFIG

    name: str
    """The account."""
    interval_seconds: float | None
    """Its sync interval when registered (``None``: never registered)."""
    holder: str | None
    """The worker holding its lease, if any (possibly expired: see ``lease_until``)."""
    lease_until: UtcDateTime | None
    """When that lease lapses."""
    next_due: UtcDateTime | None
    """When it is due for its next sync (``None``: not registered for workers)."""
    last_run_at: UtcDateTime | None
    """When a sync of it last ended."""
    last_success_at: UtcDateTime | None
    """When a sync of it last succeeded."""
    last_error: str | None
    """Why the last sync failed, when it did (cleared by a success)."""
    last_error_at: UtcDateTime | None
    """When that was."""
    cursor: UtcDateTime | None
    """The latest cursor over its cursor keys (how far its orders are known)."""
    open_requests: int
    """Open buyer cancel requests on its seller-fulfilled orders."""
    unacked_events: int
    """Events in the outbox no consumer acknowledged yet."""
    set_aside: int
    """Orders set aside because they could not be read."""
