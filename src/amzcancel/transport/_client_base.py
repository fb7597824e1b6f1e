"""What every client shares: options, timeouts, the engine core, closing.

Added in 0.1.0.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from amzcancel._clock import Clock, SystemClock
from amzcancel.errors import ConfigError
from amzcancel.transport._ratelimit import RateLimiter
from amzcancel.transport._retry import RetryPolicy
from amzcancel.transport._stats import TransportStats

__all__ = ["ClientOptions", "resolve_timeout"]

Timeout = float | timedelta | httpx.Timeout


def resolve_timeout(value: Timeout | None) -> httpx.Timeout:
    """A finite timeout: ``None`` or a non-positive value would let a call hang for ever."""
    if isinstance(value, httpx.Timeout):
        parts = (value.connect, value.read, value.write, value.pool)
        if any(part is None or part <= 0 for part in parts):
            raise ConfigError("every part of timeout must be a positive number of seconds")
        return value
    if isinstance(value, timedelta):
        value = value.total_seconds()
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigError(f"timeout must be a positive number of seconds, got {value!r}")
    return httpx.Timeout(float(value))


class ClientOptions:
    """Constructor arguments kept for :meth:`with_options`, plus what they resolve to."""

    def __init__(
        self,
        arguments: dict[str, Any],
        *,
        clock: Clock | None,
        rate_limiter: RateLimiter | None,
        timeout: Timeout | None,
        max_retries: int,
        max_retry_seconds: float,
    ) -> None:
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise ConfigError(f"max_retries must be a whole number >= 0, got {max_retries!r}")
        if max_retry_seconds <= 0:
            raise ConfigError("max_retry_seconds must be positive")
        self.arguments = arguments
        self.clock: Clock = clock or SystemClock()
        self.rate_limiter = rate_limiter or RateLimiter(clock=self.clock)
        self.timeout = resolve_timeout(timeout)
        self.policy = RetryPolicy(max_retries=max_retries, max_retry_seconds=max_retry_seconds)
        self.stats = TransportStats()

    def merged(self, overrides: dict[str, Any]) -> dict[str, Any]:
        """Arguments for a copy: the same seller's limiter unless one is given."""
        merged = dict(self.arguments)
        merged.setdefault("rate_limiter", None)
        if merged["rate_limiter"] is None:
            merged["rate_limiter"] = self.rate_limiter
        merged.update(overrides)
        return merged
