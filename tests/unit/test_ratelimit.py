"""The rate limiter on a fake clock: documented rate and burst, corrections, throttles."""

from __future__ import annotations

import threading

import pytest

from amzcancel.clock import FakeClock
from amzcancel.transport import RateLimiter
from amzcancel.transport._constants import PACING_MARGIN_SECONDS
from amzcancel.transport._ratelimit import parse_rate_limit_header

# Each wait carries a millisecond of margin against float rounding; it never accumulates.
SLACK = 1.5 * PACING_MARGIN_SECONDS


def _send_times(limiter: RateLimiter, clock: FakeClock, operation: str, n: int) -> list[float]:
    times = []
    for _ in range(n):
        limiter.acquire("seller", operation)
        times.append(clock.monotonic())
    return times


@pytest.mark.parametrize(
    ("operation", "rate", "burst"),
    [
        pytest.param("getOrderItems", 0.5, 30, id="getOrderItems"),
        pytest.param("getOrders", 0.0167, 20, id="getOrders"),
        pytest.param("searchOrders", 0.0056, 20, id="searchOrders"),
        pytest.param("ListOrders", 1 / 60, 6, id="mws-ListOrders"),
    ],
)
def test_burst_then_documented_rate(operation: str, rate: float, burst: int) -> None:
    """The first `burst` calls go at once; each later call waits exactly 1/rate."""
    clock = FakeClock()
    limiter = RateLimiter(clock=clock)
    times = _send_times(limiter, clock, operation, burst + 10)
    assert times[:burst] == [0.0] * burst
    gaps = [b - a for a, b in zip(times[burst - 1 :], times[burst:], strict=False)]
    assert gaps == pytest.approx([1 / rate] * 10, abs=SLACK)


def test_mws_list_orders_buckets_are_shared() -> None:
    """ListOrders and ListOrdersByNextToken draw from one bucket of 6."""
    clock = FakeClock()
    limiter = RateLimiter(clock=clock)
    for _ in range(3):
        limiter.acquire("s", "ListOrders")
        limiter.acquire("s", "ListOrdersByNextToken")
    assert clock.monotonic() == 0.0
    limiter.acquire("s", "ListOrdersByNextToken")
    assert clock.monotonic() == pytest.approx(60.0, abs=SLACK)


def test_sellers_and_operations_have_separate_buckets() -> None:
    """Another seller, or another operation, does not wait for this one's bucket."""
    clock = FakeClock()
    limiter = RateLimiter(clock=clock)
    for _ in range(20):
        limiter.acquire("seller-a", "getOrders")
    assert limiter.acquire("seller-b", "getOrders") == 0.0
    assert limiter.acquire("seller-a", "getOrderItems") == 0.0
    assert limiter.acquire("seller-a", "getOrders") == pytest.approx(1 / 0.0167, abs=SLACK)


def test_header_correction_takes_effect() -> None:
    """A rate from x-amzn-RateLimit-Limit replaces the documented one for later waits."""
    clock = FakeClock()
    limiter = RateLimiter(clock=clock)
    for _ in range(30):
        limiter.acquire("s", "getOrderItems")
    limiter.observe_rate("s", "getOrderItems", 2.0)
    assert limiter.acquire("s", "getOrderItems") == pytest.approx(0.5, abs=SLACK)
    assert limiter.acquire("s", "getOrderItems") == pytest.approx(0.5, abs=SLACK)


def test_throttle_empties_the_bucket() -> None:
    """After a 429 the next call waits for a fresh token even if we thought we had some."""
    clock = FakeClock()
    limiter = RateLimiter(clock=clock)
    limiter.acquire("s", "getOrderItems")
    limiter.on_throttled("s", "getOrderItems")
    assert limiter.acquire("s", "getOrderItems") == pytest.approx(2.0, abs=SLACK)


def test_unknown_operation_is_not_paced() -> None:
    """Operations without a usage plan (and operation=None) are sent at once."""
    clock = FakeClock()
    limiter = RateLimiter(clock=clock)
    for _ in range(100):
        limiter.acquire("s", "someNewOperation")
        limiter.acquire("s", None)
    assert clock.monotonic() == 0.0


def test_concurrent_threads_get_distinct_slots() -> None:
    """Threads sharing a bucket each get their own slot: N calls end at (N - burst)/rate."""
    clock = FakeClock()
    limiter = RateLimiter(clock=clock)
    deadlines: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(10):
            deadline = limiter.reserve("s", "getOrderItems")
            with lock:
                deadlines.append(deadline)
            clock.sleep_until(deadline)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert clock.monotonic() == pytest.approx((80 - 30) / 0.5, abs=SLACK)
    later = sorted(deadlines)[30:]
    assert len(set(later)) == 50
    assert later[-1] == pytest.approx(100.0, abs=SLACK)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("0.5", 0.5, id="plain"),
        pytest.param(" 2 ", 2.0, id="spaces"),
        pytest.param("0", None, id="zero"),
        pytest.param("nan", None, id="nan"),
        pytest.param("inf", None, id="inf"),
        pytest.param("fast", None, id="text"),
        pytest.param(None, None, id="absent"),
        pytest.param("0.0056", 0.0056, id="slowest-documented-plan"),
        pytest.param("1e-300", None, id="tiny-would-sleep-for-ever"),
        pytest.param("0.0001", None, id="slower-than-one-an-hour"),
    ],
)
def test_parse_rate_limit_header(value: str | None, expected: float | None) -> None:
    """Only a positive finite number in the header changes a bucket."""
    assert parse_rate_limit_header(value) == expected


def test_the_first_answer_moves_the_refill_to_when_the_server_can_have_started_it() -> None:
    """Amazon's refill starts when the burst's first call arrives, not when it was sent.

    Sent at 0, answered at 0.3 (a slow first connection), the server's bucket may have
    opened at 0.3: the first call after the burst must not go before 0.3 + 1/rate, or it is
    the 429 every seller used to get once per backlog.
    """
    from amzcancel._bucket import TokenBucket

    clock = FakeClock()
    limiter = RateLimiter(clock=clock)
    rate = 0.5  # getOrderItems: burst 30
    waits = [limiter.acquire_slot("s", "getOrderItems") for _ in range(30)]
    assert waits[0] == (0.0, True)  # the take that opened the refill
    assert all(w == (0.0, False) for w in waits[1:])
    clock.advance(0.3)
    limiter.answered("s", "getOrderItems")
    server = TokenBucket(rate, 30, now=0.3)  # the worst case: the first call arrived at 0.3
    for _ in range(30):
        assert server.try_take(0.3)
    for _ in range(5):
        limiter.acquire("s", "getOrderItems")
        assert server.try_take(clock.monotonic()), clock.monotonic()


def test_a_call_queued_before_the_first_answer_waits_for_the_servers_token() -> None:
    """A call that reserved its slot after the burst, before the burst's first answer came,
    waits as long again as the answer took (here the answer arrives during its wait)."""

    class AnswerArrivesDuringTheWait(FakeClock):
        answer_at: float | None = 0.25

        def sleep_until(self, deadline: float) -> None:
            if self.answer_at is not None:
                self.advance(self.answer_at - self.monotonic())
                self.answer_at = None
                limiter.answered("s", "getOrderItems")
            super().sleep_until(deadline)

    clock = AnswerArrivesDuringTheWait()
    limiter = RateLimiter(clock=clock)
    for _ in range(30):
        limiter.acquire_slot("s", "getOrderItems")
    waited, opened = limiter.acquire_slot("s", "getOrderItems")
    assert not opened
    assert waited == pytest.approx(2.0 + 0.25 + PACING_MARGIN_SECONDS)


def test_a_fast_answer_costs_nothing() -> None:
    """Answered at once (a fake clock, a cached connection): the pacing is exact as before."""
    clock = FakeClock()
    limiter = RateLimiter(clock=clock)
    for _ in range(30):
        limiter.acquire_slot("s", "getOrderItems")
    limiter.answered("s", "getOrderItems")
    assert limiter.acquire("s", "getOrderItems") == pytest.approx(2.0 + PACING_MARGIN_SECONDS)


def test_past_the_burst_a_call_waits_for_a_late_first_answer() -> None:
    """The burst's first answer comes after the next slot's time (a starved machine, a slow
    first connection): the call past the burst waits for that answer, then for the token the
    server can have made since, never sending before Amazon's refill has begun."""

    class LateAnswer(FakeClock):
        def sleep(self, seconds: float) -> None:
            super().sleep(seconds)
            if self.monotonic() >= 2.5 and bucket.awaiting_answer():
                limiter.answered("s", "getOrderItems")  # arrives at 2.5 s

    clock = LateAnswer()
    limiter = RateLimiter(clock=clock)
    bucket = limiter.bucket("s", "getOrderItems")
    assert bucket is not None
    for _ in range(30):
        limiter.acquire_slot("s", "getOrderItems")
    waited, _ = limiter.acquire_slot("s", "getOrderItems")
    # Not before the answer (2.5 s), and one token's time after the refill's latest start:
    # 2.5 s + 1 / 0.5/s = 4.5 s.
    assert waited >= 2.5
    assert waited == pytest.approx(4.5, abs=0.05)


def test_callers_that_report_no_answers_are_paced_as_before() -> None:
    """acquire() (no answer reported) never waits for one: the bucket math alone."""
    clock = FakeClock()
    limiter = RateLimiter(clock=clock)
    for _ in range(30):
        assert limiter.acquire("s", "getOrderItems") == 0.0
    assert limiter.acquire("s", "getOrderItems") == pytest.approx(2.0 + PACING_MARGIN_SECONDS)
