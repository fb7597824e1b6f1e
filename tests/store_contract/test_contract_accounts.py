"""Store contract, both backends: accounts, leases with fencing, run status."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from store_helpers import KEY, T1, item, oid, order, real_now

from amzcancel.clock import FakeClock
from amzcancel.errors import LeaseLost, StoreError
from amzcancel.models import FulfillmentChannel
from amzcancel.sync import SetAside
from amzcancel.sync._sqlstore import SqlStore

HOUR = timedelta(hours=1)


def test_new_accounts_are_due_at_once_and_claimed_once(store: SqlStore) -> None:
    """Registered accounts are due at once; a claim takes each once, up to the limit."""
    store.register_accounts({"a": 60, "b": 90, "c": 300})
    first = store.claim_due("w1", limit=2, lease_seconds=600)
    second = store.claim_due("w2", limit=5, lease_seconds=600)
    assert [lease.account for lease in first] == ["a", "b"]
    assert [lease.account for lease in second] == ["c"]
    assert {lease.worker for lease in first} == {"w1"}
    assert all(lease.epoch == 1 for lease in first + second)
    assert store.claim_due("w3", limit=5, lease_seconds=600) == []
    assert store.claim_due("w3", limit=0, lease_seconds=600) == []


def test_release_sets_when_the_account_is_due_again(store: SqlStore) -> None:
    """A released account is claimable only once its next_due has come."""
    store.register_accounts({"a": 60, "b": 60})
    lease_a, lease_b = store.claim_due("w1", limit=2, lease_seconds=600)
    store.release(lease_a, next_due=real_now() + HOUR)
    store.release(lease_b, next_due=real_now() - HOUR)
    (again,) = store.claim_due("w2", limit=5, lease_seconds=600)
    assert (again.account, again.worker, again.epoch) == ("b", "w2", 2)
    [status_a] = store.account_status("a")
    assert status_a.holder is None
    assert status_a.next_due is not None
    assert status_a.next_due > real_now()


def test_an_expired_lease_is_claimed_and_fences_its_old_holder(store: SqlStore) -> None:
    """A lease past its time goes to the next claimer with a new epoch; the old holder's
    renew, release and fenced writes then fail without writing anything."""
    store.register_accounts({"a": 60})
    (old,) = store.claim_due("w1", limit=1, lease_seconds=0)  # expires at once
    (new,) = store.claim_due("w2", limit=1, lease_seconds=600)
    assert (new.worker, new.epoch) == ("w2", old.epoch + 1)
    assert store.renew(old, lease_seconds=600) is None
    with pytest.raises(LeaseLost, match="'w1' was lost"):
        store.apply(
            "a",
            [order(items=[item(requested=True)])],
            cursor=(KEY, T1),
            set_aside=[SetAside(oid(1), "x")],
            lease=old,
        )
    assert store.get_order("a", order().amazon_order_id) is None
    assert store.events() == []
    assert store.set_aside_orders() == []
    store.release(old, next_due=real_now() - HOUR)  # not the holder: nothing happens
    [status] = store.account_status("a")
    assert status.holder == "w2"
    assert len(store.apply("a", [order(items=[item(requested=True)])], lease=new)) == 1


def test_renew_extends_the_lease_and_keeps_the_epoch(store: SqlStore) -> None:
    """Renewing moves expires_at forward from now; a held lease is not claimable."""
    store.register_accounts({"a": 60})
    (lease,) = store.claim_due("w1", limit=1, lease_seconds=60)
    renewed = store.renew(lease, lease_seconds=3600)
    assert renewed is not None
    assert (renewed.account, renewed.worker, renewed.epoch) == ("a", "w1", lease.epoch)
    assert renewed.expires_at > lease.expires_at
    assert store.claim_due("w2", limit=1, lease_seconds=60) == []


def test_a_lease_of_another_account_cannot_fence_a_write(store: SqlStore) -> None:
    """Passing account b's lease to a write of account a is a StoreError, not a write."""
    store.register_accounts({"b": 60})
    (lease,) = store.claim_due("w1", limit=1, lease_seconds=600)
    with pytest.raises(StoreError, match="lease of 'b' used to write account 'a'"):
        store.apply("a", [order()], lease=lease)


def test_unregistered_accounts_have_no_lease(store: SqlStore) -> None:
    """A write fenced by a lease of an account never registered raises LeaseLost."""
    store.register_accounts({"a": 60})
    (lease,) = store.claim_due("w1", limit=1, lease_seconds=600)
    forged = type(lease)("x", "w1", lease.epoch, lease.expires_at)
    with pytest.raises(LeaseLost):
        store.apply("x", [order()], lease=forged)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        pytest.param(lambda s: s.register_accounts({"a": 0}), "more than 0", id="zero-interval"),
        pytest.param(lambda s: s.register_accounts({"": 60}), "non-empty", id="empty-name"),
        pytest.param(
            lambda s: s.claim_due("w", limit=-1, lease_seconds=60), "limit", id="negative-limit"
        ),
        pytest.param(
            lambda s: s.claim_due("w", limit=1, lease_seconds=float("nan")),
            "finite",
            id="nan-lease",
        ),
        pytest.param(
            lambda s: s.claim_due("", limit=1, lease_seconds=60), "worker", id="no-worker"
        ),
    ],
)
def test_bad_account_arguments_are_store_errors(
    store: SqlStore, call: Callable[[SqlStore], object], message: str
) -> None:
    """Bad intervals, limits, lease lengths and names are refused with StoreError."""
    with pytest.raises(StoreError, match=message):
        call(store)


def test_registering_again_changes_the_interval_not_the_schedule(store: SqlStore) -> None:
    """Re-registering updates the interval but keeps the account's due time and lease."""
    store.register_accounts({"a": 60})
    (lease,) = store.claim_due("w1", limit=1, lease_seconds=600)
    store.release(lease, next_due=real_now() + HOUR)
    store.register_accounts({"a": 120})
    [status] = store.account_status("a")
    assert status.interval_seconds == 120
    assert status.next_due is not None
    assert status.next_due > real_now()
    assert store.claim_due("w1", limit=1, lease_seconds=600) == []


def test_run_status_records_success_and_failure(store: SqlStore, clock: FakeClock) -> None:
    """record_run works for unregistered accounts; a success clears the last error."""
    store.record_run("solo", ok=False, error="503 ServiceUnavailable")
    [failed] = store.account_status("solo")
    assert (failed.last_error, failed.last_error_at, failed.last_run_at) == (
        "503 ServiceUnavailable",
        clock.now(),
        clock.now(),
    )
    assert (failed.last_success_at, failed.next_due, failed.interval_seconds) == (None, None, None)
    clock.advance(60)
    store.record_run("solo", ok=True)
    [ok] = store.account_status("solo")
    assert (ok.last_error, ok.last_error_at) == (None, None)
    assert ok.last_success_at == ok.last_run_at == clock.now()
    assert store.claim_due("w1", limit=5, lease_seconds=60) == []  # never registered


def test_account_status_counts_what_each_account_has(store: SqlStore) -> None:
    """Cursor, open MFN requests, unacked events and set-asides, per account; accounts appear
    when registered, run, or holding orders or cursors; unknown ones are absent."""
    afn = FulfillmentChannel.AFN
    store.apply(
        "a",
        [
            order(oid(1), items=[item(requested=True)]),
            order(oid(2), channel=afn, items=[item(requested=True)]),
        ],
        cursor=(KEY.__class__("a", "spapi-v0", ("ATVPDKIKX0DER",)), T1),
        set_aside=[SetAside(oid(3), "x")],
    )
    store.apply("a", [], cursor=(KEY.__class__("a", "spapi-2026", ("ATVPDKIKX0DER",)), T1 + HOUR))
    store.ack_through(store.events()[0].id)
    store.register_accounts({"r": 60})
    store.record_run("run-only", ok=True)
    assert store.known_accounts() == ["a", "r", "run-only"]
    status = {s.name: s for s in store.account_status()}
    assert list(status) == ["a", "r", "run-only"]
    a = status["a"]
    assert (a.cursor, a.open_requests, a.unacked_events, a.set_aside) == (T1 + HOUR, 1, 1, 1)
    assert (status["r"].holder, status["r"].cursor, status["r"].open_requests) == (None, None, 0)
    assert store.account_status("nobody") == []
