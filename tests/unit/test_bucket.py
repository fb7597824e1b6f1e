"""The token bucket both sides share: a client pacing exactly is never refused by it."""

from __future__ import annotations

import pytest

from amzcancel._bucket import TokenBucket


@pytest.mark.parametrize("rate", [0.0167, 0.5, 100.0, 0.0056 * 10, 0.5 * 200, 1 / 3])
def test_waiting_what_reserve_says_always_finds_the_token(rate: float) -> None:
    """Client reserve -> wait -> server try_take, 2,000 times: never a 429 from rounding."""
    client = TokenBucket(rate, 30, now=0.0)
    server = TokenBucket(rate, 30, now=0.0)
    now = 0.0
    refused = 0
    for _ in range(2000):
        now += client.reserve(now)
        refused += not server.try_take(now)
    assert refused == 0
    assert now == pytest.approx((2000 - 30) / rate)


def test_a_request_before_its_token_is_refused() -> None:
    """The rounding margin is a billionth of a token, not a free request."""
    bucket = TokenBucket(0.5, 1, now=0.0)
    assert bucket.try_take(0.0)
    assert not bucket.try_take(1.999)
    assert bucket.time_until_token(1.999) == pytest.approx(0.001)
    assert bucket.try_take(2.0)
