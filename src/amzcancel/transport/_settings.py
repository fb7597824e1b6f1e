"""The options every client takes, typed once, and what they resolve to.

The shared keyword arguments are listed in :class:`ClientOptions`; each API extends it with its
own (``SpApiOptions``: credentials, endpoint, region...), and each constructor takes them as
``**options: Unpack[...]``, so ``SpApiClient(timeout=10)`` is checked by mypy and completed by
IDEs while the list is written down once. :class:`ClientSettings` is what the shared options
resolve to: checked, defaults filled in, frozen.

Added in 0.2.0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypedDict

import httpx

from amzcancel.clock import Clock, SystemClock
from amzcancel.errors import ConfigError
from amzcancel.transport._constants import (
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_MAX_RETRIES,
    DEFAULT_MAX_RETRY_SECONDS,
    DEFAULT_REQUEST_DEADLINE_SECONDS,
    DEFAULT_TIMEOUT_SECONDS,
)
from amzcancel.transport._ratelimit import RateLimiter
from amzcancel.transport._retry import RetryPolicy

__all__ = ["ClientOptions", "ClientSettings", "Seconds", "Timeout", "resolve_timeout"]

Timeout = float | timedelta | httpx.Timeout
Seconds = float | timedelta


class ClientOptions(TypedDict, total=False):
    """The keyword arguments every client takes (all optional).

    Added in 0.2.0.
    """

    clock: Clock | None
    """The clock pacing and backoff wait on (tests pass a ``FakeClock``); the system clock by
    default."""
    rate_limiter: RateLimiter | None
    """Token buckets shared by the clients of one seller; one of its own by default."""
    timeout: Timeout
    """Seconds for each step of a request (connect, each read or write); default 30."""
    request_deadline: Seconds
    """Seconds one request attempt may take from connecting to its last byte, on real time;
    default 120."""
    max_retries: int
    """Retries of transient faults per call; default 5."""
    max_retry_seconds: float
    """Clock seconds one call may spend retrying and pacing after failures; default 900."""
    max_response_bytes: int
    """The largest answer body read (after decoding); default 64 MiB."""


def _seconds(value: object, name: str) -> float:
    """A positive, finite number of seconds (``None``, ``inf`` or zero would never end)."""
    if isinstance(value, timedelta):
        value = value.total_seconds()
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ConfigError(f"{name} must be a positive, finite number of seconds, got {value!r}")
    return float(value)


def resolve_timeout(value: object) -> httpx.Timeout:
    """A finite :class:`httpx.Timeout` from seconds, a timedelta or an ``httpx.Timeout``."""
    if isinstance(value, httpx.Timeout):
        for part in (value.connect, value.read, value.write, value.pool):
            _seconds(part, "every part of timeout")
        return value
    return httpx.Timeout(_seconds(value, "timeout"))


@dataclass(frozen=True)
class ClientSettings:
    """The shared options, checked and resolved (defaults filled in).

    Attributes:
        clock: the clock pacing and backoff wait on.
        rate_limiter: the token buckets the client paces itself with.
        timeout: the timeout of each step of a request.
        request_deadline_seconds: the bound of one request attempt as a whole (real time).
        max_response_bytes: the largest answer body read, after decoding.
        policy: how calls are retried (``max_retries``, ``max_retry_seconds``).

    Added in 0.2.0.
    """

    clock: Clock
    rate_limiter: RateLimiter
    timeout: httpx.Timeout
    request_deadline_seconds: float
    max_response_bytes: int
    policy: RetryPolicy

    @classmethod
    def resolve(cls, options: Mapping[str, Any]) -> ClientSettings:
        """Check ``options`` (a :class:`ClientOptions`) and fill in the defaults.

        Raises:
            ConfigError: an option out of its range.
        """
        max_retries = options.get("max_retries", DEFAULT_MAX_RETRIES)
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise ConfigError(f"max_retries must be a whole number >= 0, got {max_retries!r}")
        limit = options.get("max_response_bytes", DEFAULT_MAX_RESPONSE_BYTES)
        if isinstance(limit, bool) or not isinstance(limit, int) or limit <= 0:
            raise ConfigError(f"max_response_bytes must be a positive whole number, got {limit!r}")
        clock = options.get("clock") or SystemClock()
        retry_seconds = _seconds(
            options.get("max_retry_seconds", DEFAULT_MAX_RETRY_SECONDS), "max_retry_seconds"
        )
        return cls(
            clock=clock,
            rate_limiter=options.get("rate_limiter") or RateLimiter(clock=clock),
            timeout=resolve_timeout(options.get("timeout", DEFAULT_TIMEOUT_SECONDS)),
            request_deadline_seconds=_seconds(
                options.get("request_deadline", DEFAULT_REQUEST_DEADLINE_SECONDS),
                "request_deadline",
            ),
            max_response_bytes=limit,
            policy=RetryPolicy(max_retries=max_retries, max_retry_seconds=retry_seconds),
        )
