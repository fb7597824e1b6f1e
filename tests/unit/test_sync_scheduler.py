"""The multi-path scheduler: disjoint work for each path, and the bucket-math schedule."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from schedule_math import simulate_multipath, single_path_seconds

from amzcancel.errors import ConfigError
from amzcancel.sync._paths import (
    ALL_PATHS,
    PATH_GET_ORDER,
    PATH_ORDER_ITEMS,
    PATH_SEARCH,
    resolve_paths,
)
from amzcancel.sync._workpool import WorkPool

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def at(seconds: int) -> datetime:
    """A last-update time ``seconds`` after T0."""
    return T0 + timedelta(seconds=seconds)


def listed_pool(count: int, *, page_size: int = 100) -> WorkPool[None]:
    """A pool holding ``count`` changed orders, one per second."""
    pool: WorkPool[None] = WorkPool(page_size=page_size)
    for i in range(count):
        pool.offer(f"o{i:04d}", at(i), None, changed=True)
    return pool


def test_per_id_paths_take_the_oldest_and_search_claims_the_newest() -> None:
    """Per-id paths work from the old end and searchOrders from the new, so they meet once."""
    pool = listed_pool(10, page_size=4)
    assert pool.take_oldest() == ("o0000", None)
    claim = pool.claim()
    assert claim is not None
    assert (claim.after, claim.before) == (at(6), at(9))
    assert claim.expected == {"o0006", "o0007", "o0008", "o0009"}
    assert pool.free == 5


def test_a_path_takes_the_oldest_order_it_prefers_and_leaves_the_rest() -> None:
    """getOrderItems passes over orders that need two of its calls; they stay for getOrder."""
    pool: WorkPool[int] = WorkPool()
    for i, units in enumerate([12, 3, 15, 1]):
        pool.offer(f"o{i}", at(i), units, changed=True)

    def small(units: int | None) -> bool:
        return units is not None and units <= 10

    assert pool.take_oldest(small) == ("o1", 3)
    assert pool.take_oldest(small) == ("o3", 1)
    assert pool.free == 2
    # Nothing it prefers is left: the oldest rather than nothing (an idle bucket helps no one).
    assert pool.take_oldest(small) == ("o0", 12)
    assert pool.take_oldest() == ("o2", 15)
    assert pool.take_oldest(small) is None
    assert pool.free == 0


def test_a_claim_never_splits_orders_sharing_a_time() -> None:
    """Orders updated in the same second go to one claim or none (a bound cannot split them)."""
    pool: WorkPool[None] = WorkPool(page_size=3)
    for oid, second in [("a", 1), ("b", 2), ("c", 2), ("d", 3), ("e", 3)]:
        pool.offer(oid, at(second), None, changed=True)
    claim = pool.claim()
    assert claim is not None
    assert claim.expected == {"d", "e"}
    assert claim.after == at(3)


def test_a_claim_stops_below_an_order_a_per_id_path_holds() -> None:
    """A sub-window never contains an order another path is fetching."""
    pool: WorkPool[None] = WorkPool()
    pool.offer("late", at(9), None, changed=True)
    assert pool.take_oldest() == ("late", None)
    for i in range(5):
        pool.offer(f"o{i}", at(i), None, changed=True)
    claim = pool.claim()
    assert claim is not None
    assert claim.before < at(9)
    assert "late" not in claim.expected


def test_claims_never_overlap_even_after_orders_come_back() -> None:
    """A later claim never reaches into an earlier claim's sub-window."""
    pool = listed_pool(6, page_size=3)
    first = pool.claim()
    assert first is not None
    pool.finish(first)  # no page returned anything: all three are free again
    second = pool.claim()
    assert second is not None
    assert second.before < first.after or second.after > first.before
    # The freed orders of the first claim go to the per-id paths, not to another claim.
    taken = {pool.take_oldest() for _ in range(6)} - {None}
    assert {t[0] for t in taken if t} >= first.expected


def test_unchanged_orders_are_no_work_but_fit_in_a_claim() -> None:
    """An order stored unchanged needs no fetch; a claim may still span it."""
    pool: WorkPool[None] = WorkPool()
    pool.offer("old", at(1), None, changed=False)
    pool.offer("new", at(2), None, changed=True)
    pool.offer("newer", at(3), None, changed=True)
    assert pool.free == 2
    claim = pool.claim()
    assert claim is not None
    assert claim.after == at(1)
    assert claim.expected == {"new", "newer"}


def test_an_order_listed_inside_an_active_claim_is_left_to_it() -> None:
    """A late-listed order inside a claim's sub-window waits for the claim's pages."""
    pool = listed_pool(3)
    claim = pool.claim()
    assert claim is not None
    assert not pool.has_free
    pool.offer("between", at(1) + timedelta(milliseconds=500), None, changed=True)
    assert "between" in claim.expected  # it falls inside the active claim: the claim's work
    assert pool.take_oldest() is None
    assert pool.finish(claim) == sorted(claim.expected)  # nothing came back: all free again


def test_a_page_does_not_refetch_what_a_per_id_path_is_fetching() -> None:
    """receive() refuses an order a per-id fetch holds, an older copy and an unchanged one."""
    pool = listed_pool(2)
    order_id, _ = pool.take_oldest() or ("", None)
    assert not pool.receive(order_id, at(0), None)
    assert pool.receive("unlisted", at(5), None)
    assert pool.receive("unlisted", at(6), None)  # a later version is new work
    assert not pool.receive("unlisted", at(5), None)  # an older copy is not
    pool.offer("stored", at(7), None, changed=False)
    assert not pool.receive("stored", at(7), None)  # unchanged since stored: nothing to write


def test_a_second_copy_at_the_same_time_is_stored_too() -> None:
    """Two pages may carry one order twice at one time; the second copy may hold a request.

    The pool lets it through (the store merges the copies without withdrawing a request).
    """
    pool: WorkPool[None] = WorkPool()
    assert pool.receive("twice", at(5), None)
    assert pool.receive("twice", at(5), None)


def test_no_claim_reaches_past_the_window() -> None:
    """An order listed with a time past the window's end is never inside a claim.

    Listings return orders whose document is newer than the bound asked for; a claim ending at
    such an order's time would ask searchOrders past the window (a 400 from Amazon).
    """
    pool: WorkPool[None] = WorkPool(until=at(10))
    for i in (1, 2, 3):
        pool.offer(f"in-{i}", at(i), None, changed=True)
    pool.offer("past", at(500), None, changed=True)
    pool.listing_complete = True
    claim = pool.claim()
    assert claim is not None
    assert claim.before <= at(10)
    assert claim.expected == {"in-1", "in-2", "in-3"}
    assert pool.claim() is None  # the order past the window is left to a per-id path
    assert pool.take_oldest() == ("past", None)


def test_what_no_claim_may_reach_is_left_to_the_next_window() -> None:
    """With no per-id path left, orders past the window are dropped: the next window has them."""
    pool: WorkPool[None] = WorkPool(until=at(10))
    pool.offer("past", at(500), None, changed=True)
    pool.listing_complete = True
    assert not pool.finished
    assert pool.leave_beyond_window() == ["past"]
    assert pool.finished


def test_finished_needs_the_listing_to_end_and_every_fetch_to_complete() -> None:
    """The pool is finished only when nothing is listed, free or in flight."""
    pool = listed_pool(1)
    order_id, _ = pool.take_oldest() or ("", None)
    pool.listing_complete = True
    assert not pool.finished
    pool.give_back(order_id)
    assert pool.has_free
    assert pool.take_oldest() == (order_id, None)
    pool.complete(order_id)
    assert pool.finished


@settings(max_examples=60, deadline=None)
@given(
    seconds=st.lists(st.integers(0, 40), min_size=1, max_size=60),
    moves=st.lists(st.sampled_from(["take", "claim", "finish", "complete"]), max_size=80),
    page_size=st.integers(1, 8),
)
def test_every_order_goes_to_exactly_one_path(
    seconds: list[int], moves: list[str], page_size: int
) -> None:
    """Whatever the interleaving, each listed order is fetched once: by a claim or an id."""
    pool: WorkPool[None] = WorkPool(page_size=page_size)
    times = {f"o{i}": at(s) for i, s in enumerate(seconds)}
    for oid, when in times.items():
        pool.offer(oid, when, None, changed=True)
    pool.listing_complete = True
    fetched: list[str] = []
    held: list[str] = []
    claims = []
    for move in [*moves, *["finish"] * 10]:
        if move == "take" and (taken := pool.take_oldest()):
            held.append(taken[0])
        elif move == "complete" and held:
            oid = held.pop()
            pool.complete(oid)
            fetched.append(oid)
        elif move == "claim" and (claim := pool.claim()):
            claims.append(claim)
        elif move == "finish" and claims:
            claim = claims.pop(0)
            # The page returns every order whose time lies in the sub-window.
            for oid, when in times.items():
                if claim.covers(when) and pool.receive(oid, when, claim):
                    fetched.append(oid)
            pool.finish(claim)
    while (taken := pool.take_oldest()) or held:
        oid = taken[0] if taken else held.pop()
        pool.complete(oid)
        fetched.append(oid)
    assert sorted(fetched) == sorted(times)
    assert pool.finished


def test_the_simulated_schedule_uses_every_path_and_fetches_each_order_once() -> None:
    """On simulated time a 2,500-order backlog is shared by all three paths, once per order."""
    estimate = simulate_multipath(2500, speed=10.0)
    assert set(estimate.orders_by_path) == set(ALL_PATHS)
    assert all(n > 0 for n in estimate.orders_by_path.values())
    assert len(estimate.fetches) == 2500
    assert set(estimate.fetches.values()) == {1}


def test_the_simulated_schedule_beats_the_best_single_path_by_the_issue_target() -> None:
    """Sharing the buckets is at least 2.5 times faster than searchOrders alone at 2,500."""
    multi = simulate_multipath(2500, speed=10.0).seconds
    best_single = min(
        single_path_seconds(2500, PATH_SEARCH, speed=10.0),
        single_path_seconds(2500, PATH_ORDER_ITEMS, speed=10.0),
    )
    assert best_single / multi >= 2.5


def test_the_simulated_schedule_approaches_the_capacity_bound() -> None:
    """The schedule ends within 15% of the earliest time the buckets could possibly allow."""
    speed, orders = 1.0, 5000
    estimate = simulate_multipath(orders, speed=speed)
    bound = capacity_bound(orders, speed)
    assert bound <= estimate.seconds <= 1.15 * bound


def capacity_bound(orders: int, speed: float) -> float:
    """The least T at which bursts plus refills of the three fetch buckets could cover orders.

    Ignores which ids are listed when: a bound no schedule can beat.
    """
    search_rate, id_rate = 0.0056 * speed, 0.5 * speed
    t = 0.0
    while True:
        search = 100 * (20 + math.floor(search_rate * t + 1e-9))
        per_id = 2 * (30 + math.floor(id_rate * t + 1e-9))
        if search + per_id >= orders:
            return t
        t += 0.01 / speed


def test_a_window_within_the_burst_is_read_by_search_alone() -> None:
    """Fewer orders than searchOrders' burst covers need no listing and no per-id call."""
    estimate = simulate_multipath(1500, speed=1.0)
    assert estimate.calls == {PATH_SEARCH: 15}
    assert estimate.seconds == 0.0


def test_without_search_the_per_id_paths_share_the_listing() -> None:
    """With searchOrders off, getOrder and getOrderItems split the listed orders evenly."""
    estimate = simulate_multipath(400, speed=1.0, paths=(PATH_GET_ORDER, PATH_ORDER_ITEMS))
    assert estimate.orders_by_path == {PATH_GET_ORDER: 200, PATH_ORDER_ITEMS: 200}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param("auto", ALL_PATHS, id="auto"),
        pytest.param("getOrderItems,searchOrders", (PATH_SEARCH, PATH_ORDER_ITEMS), id="list"),
        pytest.param(["get-order"], (PATH_GET_ORDER,), id="alias"),
    ],
)
def test_paths_are_resolved_in_a_fixed_order(spec: str | list[str], expected: tuple[str]) -> None:
    """Path names resolve case-insensitively, with aliases, in the summary's order."""
    assert resolve_paths(spec) == expected


@pytest.mark.parametrize("spec", ["", "getOrders", "search,nope"])
def test_unknown_paths_are_a_config_error(spec: str) -> None:
    """An unknown or empty path list is refused with ConfigError, naming the choices."""
    with pytest.raises(ConfigError, match="searchOrders"):
        resolve_paths(spec)
