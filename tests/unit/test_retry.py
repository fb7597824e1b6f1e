"""The retry policy: what is retried, how long it waits, when it gives up."""

from __future__ import annotations

import itertools
import random
from typing import Any

import pytest

from amzcancel.clock import FakeClock
from amzcancel.errors import (
    APIError,
    AuthError,
    ConnectionFailed,
    InvalidInputError,
    NotFoundError,
    RequestTimeout,
    ServerError,
    ThrottledError,
)
from amzcancel.transport import RetryPolicy, TransportStats
from amzcancel.transport._constants import MAX_RETRY_AFTER_SECONDS
from amzcancel.transport._retry import is_retryable, parse_retry_after


@pytest.mark.parametrize(
    ("error", "retried"),
    [
        pytest.param(ThrottledError("slow down", status_code=429), True, id="429"),
        pytest.param(
            ThrottledError("mws", status_code=503, code="RequestThrottled"), True, id="mws"
        ),
        pytest.param(ServerError("x", status_code=500), True, id="500"),
        pytest.param(ServerError("x", status_code=502), True, id="502"),
        pytest.param(ServerError("x", status_code=503), True, id="503"),
        pytest.param(ServerError("x", status_code=504), True, id="504"),
        pytest.param(ServerError("x", status_code=501), False, id="501"),
        pytest.param(APIError("x", status_code=408), True, id="408"),
        pytest.param(RequestTimeout("t"), True, id="timeout"),
        pytest.param(ConnectionFailed("c"), True, id="dropped"),
        pytest.param(InvalidInputError("x", status_code=400), False, id="400"),
        pytest.param(AuthError("x", status_code=403), False, id="403"),
        pytest.param(NotFoundError("x", status_code=404), False, id="404"),
        pytest.param(ValueError("bug"), False, id="bug"),
    ],
)
def test_what_is_retried(error: BaseException, retried: bool) -> None:
    """Transient faults are retried; client errors and bugs are not."""
    assert is_retryable(error) is retried


def test_backoff_grows_with_jitter_and_a_cap() -> None:
    """Waits double per attempt within [base/2, base] and never exceed the cap."""
    policy = RetryPolicy(initial_backoff_seconds=1.0, max_backoff_seconds=8.0, rng=random.Random(1))
    for attempt, base in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (9, 8.0)]:
        for _ in range(20):
            wait = policy.backoff_seconds(attempt)
            assert base / 2 <= wait <= base


def test_retry_after_stretches_the_wait() -> None:
    """A throttle's Retry-After is honoured (up to the cap) when longer than the backoff."""
    policy = RetryPolicy(initial_backoff_seconds=1.0, rng=random.Random(1))
    assert policy.backoff_seconds(1, ThrottledError("x", retry_after=7.0)) == 7.0
    huge = ThrottledError("x", retry_after=10_000.0)
    assert policy.backoff_seconds(1, huge) == MAX_RETRY_AFTER_SECONDS


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        pytest.param("3", 3.0, id="seconds"),
        pytest.param("1.5", 1.5, id="fraction"),
        pytest.param("inf", None, id="inf"),
        pytest.param("nan", None, id="nan"),
        pytest.param("-1", None, id="negative"),
        pytest.param("Wed, 21 Oct 2015 07:28:00 GMT", None, id="http-date"),
        pytest.param("99999", MAX_RETRY_AFTER_SECONDS, id="capped"),
        pytest.param(None, None, id="absent"),
    ],
)
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    """Retry-After is read as bounded seconds; anything else is ignored."""
    assert parse_retry_after(header) == expected


def test_attempts_are_bounded_and_counted() -> None:
    """A call that keeps failing is tried max_retries + 1 times, then raises the last error."""
    clock = FakeClock()
    stats = TransportStats()
    policy = RetryPolicy(max_retries=3, rng=random.Random(0))
    calls = []

    def flaky() -> None:
        calls.append(clock.monotonic())
        raise ServerError("boom", status_code=503)

    with pytest.raises(ServerError):
        policy.retrying(clock=clock, stats=stats)(flaky)
    assert len(calls) == 4
    assert stats.retries == 3
    assert all(b > a for a, b in itertools.pairwise(calls))


def test_total_time_is_bounded() -> None:
    """A call stops retrying when the next wait would pass its time budget."""
    clock = FakeClock()
    policy = RetryPolicy(
        max_retries=100,
        max_retry_seconds=10.0,
        initial_backoff_seconds=4.0,
        max_backoff_seconds=4.0,
        rng=random.Random(0),
    )
    calls = []

    def slow_fail() -> None:
        calls.append(1)
        raise RequestTimeout("t")

    with pytest.raises(RequestTimeout):
        policy.retrying(clock=clock)(slow_fail)
    assert clock.monotonic() <= 10.0
    assert 2 <= len(calls) <= 6


def test_client_errors_are_not_retried() -> None:
    """A 400 raises at once, after exactly one attempt."""
    calls = []

    def bad() -> None:
        calls.append(1)
        raise InvalidInputError("bad", status_code=400)

    with pytest.raises(InvalidInputError):
        RetryPolicy().retrying(clock=FakeClock())(bad)
    assert calls == [1]


def test_retry_counters_belong_to_one_call() -> None:
    """Two calls each get their own attempt budget."""
    clock = FakeClock()
    policy = RetryPolicy(max_retries=2, rng=random.Random(0))
    attempts = {"a": 0, "b": 0}

    def fail_twice(name: str) -> str:
        attempts[name] += 1
        if attempts[name] <= 2:
            raise ServerError("x", status_code=500)
        return name

    assert policy.retrying(clock=clock)(fail_twice, "a") == "a"
    assert policy.retrying(clock=clock)(fail_twice, "b") == "b"
    assert attempts == {"a": 3, "b": 3}


def _failing(times: int, clock: FakeClock, spent: float = 0.0) -> tuple[list[float], Any]:
    """A call that fails ``times`` times (each try costing ``spent`` clock seconds), then works."""
    tries: list[float] = []

    def attempt(value: str) -> str:
        tries.append(clock.monotonic())
        clock.advance(spent)
        if len(tries) <= times:
            raise ServerError("busy", status_code=503)
        return value

    return tries, attempt


def test_call_waits_exactly_as_the_tenacity_controller_does() -> None:
    """call() (first try without a controller) retries with the same waits as retrying()."""
    waits = []
    for run in (
        lambda p, c, f: p.call(f, "ok", clock=c, stats=TransportStats()),
        lambda p, c, f: p.retrying(clock=c, stats=TransportStats())(f, "ok"),
    ):
        clock = FakeClock()
        policy = RetryPolicy(max_retries=3, rng=random.Random(7))
        tries, attempt = _failing(2, clock)
        assert run(policy, clock, attempt) == "ok"
        assert len(tries) == 3
        waits.append(clock.slept)
    assert waits[0] == waits[1]
    assert len(waits[0]) == 2


def test_call_counts_retries_and_gives_up_like_retrying() -> None:
    """Attempts stay bounded by max_retries; the first failure counts as attempt one."""
    clock, stats = FakeClock(), TransportStats()
    tries, attempt = _failing(10, clock)
    with pytest.raises(ServerError):
        RetryPolicy(max_retries=3, rng=random.Random(0)).call(
            attempt, "x", clock=clock, stats=stats
        )
    assert len(tries) == 4
    assert stats.retries == 3


def test_call_budget_counts_from_the_first_try() -> None:
    """Clock time spent in the first try counts against max_retry_seconds."""
    clock = FakeClock()
    tries, attempt = _failing(1, clock, spent=9.5)
    policy = RetryPolicy(max_retries=5, max_retry_seconds=10.0, initial_backoff_seconds=1.0)
    with pytest.raises(ServerError):
        policy.call(attempt, "x", clock=clock)
    assert len(tries) == 1


@pytest.mark.parametrize(
    ("error", "max_retries"),
    [
        pytest.param(InvalidInputError("bad", status_code=400), 5, id="not-retryable"),
        pytest.param(ServerError("busy", status_code=503), 0, id="retries-off"),
        pytest.param(ValueError("a bug"), 5, id="a-bug"),
    ],
)
def test_call_raises_at_once_when_no_retry_is_due(error: Exception, max_retries: int) -> None:
    """Errors that are not retried leave call() at once, unchanged and unwaited."""
    clock = FakeClock()
    tries = []

    def attempt(value: str) -> str:
        tries.append(value)
        raise error

    with pytest.raises(type(error)) as info:
        RetryPolicy(max_retries=max_retries).call(attempt, "x", clock=clock)
    assert info.value is error
    assert tries == ["x"]
    assert clock.slept == []


@pytest.mark.anyio
async def test_acall_retries_like_call() -> None:
    """The async twin retries a transient failure and returns the later success."""
    clock, stats = FakeClock(), TransportStats()
    tries: list[int] = []

    async def attempt(value: str) -> str:
        tries.append(1)
        if len(tries) == 1:
            raise ThrottledError("slow down", status_code=429, retry_after=3.0)
        return value

    assert await RetryPolicy().acall(attempt, "ok", clock=clock, stats=stats) == "ok"
    assert len(tries) == 2
    assert stats.retries == 1
    assert clock.slept[0] >= 3.0


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
