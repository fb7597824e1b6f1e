"""The fake clock that every pacing and sync test runs on."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from amzcancel.clock import Clock, FakeClock, SystemClock


def test_both_clocks_satisfy_the_protocol() -> None:
    """SystemClock and FakeClock can be passed wherever a Clock is expected."""
    assert isinstance(SystemClock(), Clock)
    assert isinstance(FakeClock(), Clock)


def test_sleep_advances_wall_and_monotonic_time() -> None:
    """Sleeping on the fake clock moves both readings by the same amount at once."""
    clock = FakeClock()
    start = clock.now()
    clock.sleep(90)
    assert clock.monotonic() == 90
    assert clock.now() - start == timedelta(seconds=90)
    assert clock.slept == [90]


def test_concurrent_sleep_until_ends_at_the_latest_deadline() -> None:
    """Tasks waiting for their own slots end at the last slot, not the sum of waits."""
    clock = FakeClock()

    async def main() -> None:
        await asyncio.gather(*(clock.asleep_until(t) for t in (2.0, 4.0, 6.0)))

    asyncio.run(main())
    assert clock.monotonic() == 6.0


def test_sleep_until_in_the_past_does_not_move_the_clock() -> None:
    """A deadline already passed returns at once."""
    clock = FakeClock()
    clock.advance(10)
    clock.sleep_until(5)
    assert clock.monotonic() == 10


def test_the_clock_cannot_go_back() -> None:
    """advance() refuses negative time."""
    with pytest.raises(ValueError):
        FakeClock().advance(-1)
