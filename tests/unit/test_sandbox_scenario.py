"""The sandbox's seeded scenario, live mode and explicit changes."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from amzcancel.clock import FakeClock
from amzcancel.errors import ConfigError
from amzcancel.models import FulfillmentChannel, OrderStatus
from amzcancel.sandbox import BUYER_CANCEL_REASONS, Marketplace, SandboxStateError


def test_same_seed_same_marketplace() -> None:
    """Two marketplaces with one seed and clock start hold identical orders."""
    first = Marketplace(seed=42, orders=100, clock=FakeClock()).truth()
    second = Marketplace(seed=42, orders=100, clock=FakeClock()).truth()
    other = Marketplace(seed=43, orders=100, clock=FakeClock()).truth()
    assert first.orders == second.orders
    assert first.buyer_cancel_requests == second.buyer_cancel_requests
    assert first.orders != other.orders


def test_scenario_covers_statuses_channels_and_item_counts() -> None:
    """500 orders span every main status, both channels, 1 to 12+ items and real-looking ids."""
    truth = Marketplace(seed=1, orders=500, clock=FakeClock()).truth()
    statuses = {o.status for o in truth.orders}
    assert {
        OrderStatus.PENDING,
        OrderStatus.UNSHIPPED,
        OrderStatus.PARTIALLY_SHIPPED,
        OrderStatus.SHIPPED,
        OrderStatus.CANCELED,
    } <= statuses
    assert {o.fulfillment_channel for o in truth.orders} == set(FulfillmentChannel)
    counts = [len(o.items) for o in truth.orders]
    assert min(counts) == 1
    assert max(counts) >= 12
    assert all(re.fullmatch(r"\d{3}-\d{7}-\d{7}", o.amazon_order_id) for o in truth.orders)
    items = [i for o in truth.orders for i in o.items]
    assert all(re.fullmatch(r"\d{14}", i.order_item_id) for i in items)
    assert all(i.asin and re.fullmatch(r"B0[A-Z0-9]{8}", i.asin) for i in items)
    assert len({i.order_item_id for i in items}) == len(items)
    assert 10 <= len(truth.buyer_cancel_requests) <= 150
    assert set(truth.buyer_cancel_requests.values()) <= set(BUYER_CANCEL_REASONS)


def test_quantities_match_status() -> None:
    """Shipped quantities agree with every order's status."""
    mp = Marketplace(seed=8, orders=400, clock=FakeClock())
    for order in mp.orders():
        live = [i for i in order.items if not i.is_cancelled]
        shipped = [i.quantity_shipped == i.quantity_ordered for i in live]
        if order.status in (OrderStatus.PENDING, OrderStatus.UNSHIPPED):
            assert order.items_shipped == 0
        elif order.status is OrderStatus.PARTIALLY_SHIPPED:
            assert any(shipped)
            assert not all(shipped)
        elif order.status in (OrderStatus.SHIPPED, OrderStatus.INVOICE_UNCONFIRMED):
            assert all(shipped)
            assert order.items_unshipped == 0
        elif order.status is OrderStatus.CANCELED:
            assert not live
            assert order.items_shipped == 0
        assert order.last_update_date >= order.purchase_date


def test_buyer_request_moves_last_update_date() -> None:
    """request_cancel records the request and stamps LastUpdateDate with the request time."""
    clock = FakeClock()
    mp = Marketplace(seed=2, orders=60, clock=clock)
    order = next(
        o
        for o in mp.orders()
        if o.status is OrderStatus.UNSHIPPED
        and o.channel is FulfillmentChannel.MFN
        and not o.open_requests()
    )
    clock.advance(600)
    mp.request_cancel(order.amazon_order_id, order.items[0].order_item_id, "Delivery time too long")
    truth = mp.truth()
    key = (order.amazon_order_id, order.items[0].order_item_id)
    assert truth.buyer_cancel_requests[key] == "Delivery time too long"
    assert truth.order(order.amazon_order_id).last_update_date == clock.now()
    mp.ship(order.amazon_order_id)
    assert key not in mp.truth().buyer_cancel_requests
    assert mp.truth().order(order.amazon_order_id).status is OrderStatus.SHIPPED
    with pytest.raises(SandboxStateError):
        mp.cancel(order.amazon_order_id)


def test_live_mode_changes_orders_deterministically() -> None:
    """Live mode applies new orders, requests and shipments as the fake clock advances."""

    def run() -> list[tuple[str, int, int]]:
        mp = Marketplace(seed=5, orders=50, clock=FakeClock(), live=True, speed=10)
        snapshots = []
        for _ in range(6):
            mp.advance(600)
            truth = mp.truth()
            snapshots.append(
                (
                    str(max(o.last_update_date for o in mp.orders())),
                    len(truth.orders),
                    len(truth.buyer_cancel_requests),
                )
            )
        return snapshots

    first = run()
    assert first == run()
    assert first[-1][1] > 50  # new orders arrived
    assert len({s[0] for s in first}) == 6  # something changed in every interval


def test_speed_multiplies_live_pace() -> None:
    """At speed 10 ten times as many changes happen in the same clock time (about)."""

    def events(speed: float) -> int:
        mp = Marketplace(seed=3, orders=20, clock=FakeClock(), live=True, speed=speed)
        mp.advance(3600)
        return mp._live.applied.__len__() if mp._live else 0

    slow, fast = events(1), events(10)
    assert 60 <= slow <= 180
    assert 6 * slow <= fast <= 14 * slow


def test_live_changes_never_land_in_the_future() -> None:
    """A live change is never stamped later than the clock at which it becomes visible."""
    clock = FakeClock()
    mp = Marketplace(seed=4, orders=10, clock=clock, live=True, speed=50)
    for _ in range(20):
        mp.advance(7)
        assert max(o.last_update_date for o in mp.orders()) <= clock.now()


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"speed": 0}, id="speed"),
        pytest.param({"faults": 1.5}, id="faults"),
        pytest.param({"orders": -1}, id="orders"),
        pytest.param({"marketplace_ids": ("NOPE",)}, id="marketplace"),
    ],
)
def test_bad_settings_raise_config_error(kwargs: dict[str, object]) -> None:
    """Impossible settings raise ConfigError, not a traceback from deep inside."""
    with pytest.raises(ConfigError):
        Marketplace(clock=FakeClock(), **kwargs)  # type: ignore[arg-type]


def test_advance_needs_fake_clock() -> None:
    """advance() refuses to move a real clock."""
    with pytest.raises(ConfigError):
        Marketplace(orders=1).advance(1)


def test_several_marketplaces() -> None:
    """Orders spread over every configured marketplace, in its currency."""
    mp = Marketplace(
        seed=1, orders=60, clock=FakeClock(), marketplace_ids=("ATVPDKIKX0DER", "A1PA6795UKMFR9")
    )
    by_market = {o.marketplace_id for o in mp.orders()}
    assert by_market == {"ATVPDKIKX0DER", "A1PA6795UKMFR9"}
    assert {o.currency for o in mp.orders() if o.marketplace_id == "A1PA6795UKMFR9"} == {"EUR"}


def test_truth_json_has_no_secrets() -> None:
    """The truth JSON lists requests and counts and never an LWA or MWS secret."""
    from amzcancel.sandbox import SANDBOX_LWA_CLIENT_SECRET, SANDBOX_MWS_SECRET_KEY

    mp = Marketplace(seed=1, orders=20, clock=FakeClock())
    text = str(mp.truth().to_json()) + repr(mp)
    assert SANDBOX_LWA_CLIENT_SECRET not in text
    assert SANDBOX_MWS_SECRET_KEY not in text
    assert "buyer_cancel_requests" in mp.truth().to_json()
    assert timedelta(0) <= mp.clock.now() - mp.orders()[0].last_update_date
