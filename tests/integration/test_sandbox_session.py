"""One sandbox across commands: what a command did, the next one still sees, and time moves on."""

from __future__ import annotations

import contextlib
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest

from amzcancel.cli import main
from amzcancel.clock import FakeClock
from amzcancel.errors import ConfigError
from amzcancel.models import OrderStatus
from amzcancel.sandbox import MIN_STEP_SECONDS, demo_session, demo_state_path


def run(*argv: str) -> tuple[int, str]:
    """Run the command line in-process; its exit status and stdout."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        status = main(list(argv))
    return status, out.getvalue()


def pending(store: Path) -> set[tuple[str, str]]:
    status, out = run("pending", "--store", str(store), "--json")
    assert status == 0
    return {(row["amazon_order_id"], row["order_item_id"]) for row in json.loads(out)}


def test_a_cancelled_order_stays_cancelled_for_the_next_commands(tmp_path: Path) -> None:
    """cancel --sandbox, then sync --sandbox: the order is stored cancelled, pending drops it,
    and the same cancel sends nothing the second time."""
    store = tmp_path / "amzcancel.db"
    assert run("sync", "--sandbox", "--store", str(store))[0] == 0
    before = pending(store)
    order_id, item_id = sorted(before)[0]
    cancel = ("cancel", order_id, "--item", item_id, "--reason", "BuyerCanceled", "--sandbox")
    status, out = run(*cancel, "--store", str(store))
    assert status == 0
    assert f"order {order_id} is now Canceled" in out
    assert demo_state_path(store).is_file()
    assert run("sync", "--sandbox", "--store", str(store))[0] == 0
    after = pending(store)
    assert (order_id, item_id) not in after
    assert after == {(o, i) for o, i in before if o != order_id}
    status, out = run(*cancel, "--store", str(store))
    assert status == 0
    assert out.startswith(f"order {order_id}: already cancelled by feed ")


def test_each_store_has_its_own_sandbox(tmp_path: Path) -> None:
    """A cancel on one store's sandbox leaves another store's sandbox alone."""
    first, second = tmp_path / "one.db", tmp_path / "two.db"
    for store in (first, second):
        assert run("sync", "--sandbox", "--store", str(store))[0] == 0
    order_id, item_id = sorted(pending(first))[0]
    argv = ("cancel", order_id, "--item", item_id, "--reason", "BuyerCanceled", "--sandbox")
    assert run(*argv, "--store", str(first))[0] == 0
    for store in (first, second):
        assert run("sync", "--sandbox", "--store", str(store))[0] == 0
    assert (order_id, item_id) not in pending(first)
    assert (order_id, item_id) in pending(second)


def test_time_moves_on_between_sessions(tmp_path: Path) -> None:
    """The clock goes on from where it stopped, by the real time between sessions and at least
    MIN_STEP_SECONDS; explicit changes are replayed at their own times."""
    path = tmp_path / "demo.json"
    wall = FakeClock()
    with demo_session(path, wall_clock=wall) as mp:
        start = mp.clock.now()
        order = next(o for o in mp.truth().orders if o.status is OrderStatus.UNSHIPPED and o.items)
        mp.advance(timedelta(minutes=3))
        mp.ship(order.amazon_order_id)
        shipped_at = mp.clock.now()
        mp.advance(timedelta(minutes=1))
    with demo_session(path, wall_clock=wall) as mp:  # no real time passed: the least step
        assert mp.clock.now() == start + timedelta(minutes=4, seconds=MIN_STEP_SECONDS)
        again = next(o for o in mp.truth().orders if o.amazon_order_id == order.amazon_order_id)
        assert again.status is OrderStatus.SHIPPED
        assert again.last_update_date == shipped_at.replace(microsecond=0)
        stopped = mp.clock.now()
    wall.advance(timedelta(hours=2))
    with demo_session(path, wall_clock=wall) as mp:  # two real hours later
        assert mp.clock.now() == stopped + timedelta(hours=2)


def test_a_saved_sandbox_of_other_marketplaces_is_refused(tmp_path: Path) -> None:
    """The saved demo is of the marketplaces it was made for; asking for others says so."""
    path = tmp_path / "demo.json"
    with demo_session(path, marketplace_ids=["ATVPDKIKX0DER"]):
        pass
    with (
        pytest.raises(
            ConfigError, match="is a marketplace of ATVPDKIKX0DER, not of A1PA6795UKMFR9"
        ),
        demo_session(path, marketplace_ids=["A1PA6795UKMFR9"]),
    ):
        pass  # pragma: no cover


def test_an_unreadable_state_file_is_a_clear_error(tmp_path: Path) -> None:
    """A damaged file names itself and how to start over, instead of a traceback."""
    path = tmp_path / "demo.json"
    path.write_text('{"amzcancel_sandbox": 99}', encoding="utf-8")
    refused = pytest.raises(ConfigError, match="not a saved sandbox this amzcancel can read")
    with refused, demo_session(path):
        pass  # pragma: no cover
    status = main(["sync", "--sandbox", "--store", str(tmp_path / "x.db")])
    assert status == 0  # another store, another file: unaffected


def test_two_sessions_at_once_keep_both_changes(tmp_path: Path) -> None:
    """Two processes that open one sandbox at once each save their changes; none is lost."""
    path = tmp_path / "demo.json"
    with demo_session(path):
        pass
    wall = FakeClock()
    with (
        demo_session(path, wall_clock=wall) as first,
        demo_session(path, wall_clock=wall) as second,
    ):
        unshipped = [
            o.amazon_order_id
            for o in first.truth().orders
            if o.status is OrderStatus.UNSHIPPED and o.items
        ]
        first.ship(unshipped[0])
        second.ship(unshipped[1])
    with demo_session(path, wall_clock=wall) as mp:
        statuses = {o.amazon_order_id: o.status for o in mp.truth().orders}
        assert statuses[unshipped[0]] is OrderStatus.SHIPPED
        assert statuses[unshipped[1]] is OrderStatus.SHIPPED


def test_postgres_store_keeps_its_sandbox_in_the_working_directory() -> None:
    """A postgresql:// store has no file to sit beside: ./amzcancel.sandbox.json."""
    assert demo_state_path("postgresql://u@h/db") == Path("amzcancel.sandbox.json")
    assert demo_state_path("shop.db") == Path("shop.db.sandbox.json")
