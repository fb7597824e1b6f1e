"""The sending half: pace, authenticate, send, classify, retry. Sync and async drivers.

Everything that decides lives in :class:`SenderCore` (shared); the two drivers differ only in
how they wait and send. Order of one attempt: wait for a rate-limit token, take an access token,
send, read ``x-amzn-RateLimit-Limit``, classify. A 403 "Unauthorized" for a cached token causes
one refresh and one repeat inside the attempt; transient faults are retried by tenacity around
the attempt, and every retry waits for its own rate-limit token again.

Added in 0.1.0.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import httpx

from amzcancel.clock import Clock
from amzcancel.errors import APIError, InvalidInputError, ThrottledError
from amzcancel.transport._auth import LwaAuth
from amzcancel.transport._base import RequestSpec, WireProtocol, map_transport_error
from amzcancel.transport._log_redaction import install_log_redaction
from amzcancel.transport._ratelimit import RateLimiter, parse_rate_limit_header
from amzcancel.transport._retry import RetryPolicy
from amzcancel.transport._stats import TransportStats

__all__ = ["AsyncSender", "Sender", "SenderCore"]

logger = logging.getLogger("amzcancel.transport")


class SenderCore:
    """The decisions shared by both drivers (no I/O)."""

    def __init__(
        self,
        *,
        protocol: WireProtocol,
        limiter: RateLimiter,
        partner: str,
        policy: RetryPolicy,
        clock: Clock,
        stats: TransportStats,
        auth: LwaAuth | None,
        timeout: httpx.Timeout,
    ) -> None:
        self.protocol = protocol
        self.timeout = timeout
        self.limiter = limiter
        self.partner = partner
        self.policy = policy
        self.clock = clock
        self.stats = stats
        self.auth = auth
        # A token refused again right after it was fetched for a refusal: Amazon's 403
        # "Unauthorized" also means "no access" (a missing role, a marketplace not authorized),
        # and refreshing for it again on every call would double the traffic and hammer LWA.
        self.refused_fresh_token: str | None = None
        # httpx logs request URLs at INFO; presigned document URLs carry their signature.
        install_log_redaction()

    def label(self, spec: RequestSpec) -> str:
        return spec.operation or f"{spec.method} request"

    def build(self, spec: RequestSpec, token: str | None) -> httpx.Request:
        """The request of one attempt; a URL httpx cannot form is bad input, not a crash."""
        try:
            return self.protocol.build(spec, token)
        except httpx.InvalidURL as exc:
            # e.g. a 70 KB NextToken from a misbehaving gateway ("URL component 'query' too
            # long"); httpx's message names the part, never the URL's content.
            raise InvalidInputError(
                f"{self.label(spec)}: cannot build the request URL: {exc}", method=spec.method
            ) from exc

    def wants_token(self, spec: RequestSpec) -> bool:
        return spec.authenticate and self.auth is not None

    def inspect(self, spec: RequestSpec, response: httpx.Response) -> APIError | None:
        """Learn from an answer (rate header, throttling) and return its error, if any."""
        if spec.operation and response.status_code < 400:
            rate = parse_rate_limit_header(response.headers.get("x-amzn-ratelimit-limit"))
            if rate is not None:
                self.limiter.observe_rate(self.partner, spec.operation, rate)
        error = self.protocol.error_for(response)
        logger.debug("%s %s -> %d", response.request.method, self.label(spec), response.status_code)
        if isinstance(error, ThrottledError):
            self.stats.record_throttled()
            self.limiter.on_throttled(self.partner, spec.operation)
        return error

    def should_refresh(self, error: APIError | None, token: str | None, fresh: bool) -> bool:
        if error is None or token is None or fresh or token == self.refused_fresh_token:
            return False
        if self.protocol.is_expired_token(error):
            logger.info("access token refused as expired; refreshing it once")
            return True
        return False

    def pacing(self, spec: RequestSpec) -> Callable[[], float]:
        """The rate-limit wait a new attempt of ``spec`` would have now (for the time budget)."""

        return lambda: self.limiter.time_until_token(self.partner, spec.operation)

    def refreshed_and_refused(self, error: APIError | None, token: str | None) -> None:
        """After a refresh: the new token refused too, while our cache still holds it good,
        means the 403 was not about expiry. (A repeat held back by pacing past a short
        token life proves nothing: then the cache has let the token go as well.)"""
        if (
            error is not None
            and token is not None
            and self.protocol.is_expired_token(error)
            and self.auth is not None
            and self.auth.cached_token() == token
        ):
            logger.info("a freshly refreshed access token was refused too: not refreshing again")
            self.refused_fresh_token = token

    def record_wait(self, spec: RequestSpec, waited: float) -> None:
        self.stats.record_wait(spec.operation, waited)


class Sender:
    """Blocking driver over an :class:`httpx.Client`."""

    def __init__(self, core: SenderCore, http: httpx.Client) -> None:
        self.core = core
        self.http = http

    def send(self, spec: RequestSpec) -> httpx.Response:
        """Send one logical call with pacing, auth, retries and error mapping."""
        core = self.core
        retrying = core.policy.retrying(
            clock=core.clock, stats=core.stats, label=core.label(spec), pacing=core.pacing(spec)
        )
        return retrying(self._attempt, spec)

    def _attempt(self, spec: RequestSpec) -> httpx.Response:
        token, fresh = self._token(None) if self.core.wants_token(spec) else (None, False)
        response = self._send_once(spec, token)
        error = self.core.inspect(spec, response)
        if self.core.should_refresh(error, token, fresh):
            token, _ = self._token(token)
            response = self._send_once(spec, token)
            error = self.core.inspect(spec, response)
            self.core.refreshed_and_refused(error, token)
        if error is not None:
            raise error
        return response

    def _token(self, stale: str | None) -> tuple[str, bool]:
        assert self.core.auth is not None
        return self.core.auth.get_token(self._raw_send, stale=stale)

    def _raw_send(self, request: httpx.Request) -> httpx.Response:
        # A hand-built request carries no timeout unless told: without one it could hang.
        request.extensions.setdefault("timeout", self.core.timeout.as_dict())
        try:
            return self.http.send(request)
        except httpx.TransportError as exc:
            raise map_transport_error(exc, request) from exc

    def _send_once(self, spec: RequestSpec, token: str | None) -> httpx.Response:
        self.core.record_wait(spec, self.core.limiter.acquire(self.core.partner, spec.operation))
        request = self.core.build(spec, token)
        self.core.stats.record_request(spec.operation)
        return self._raw_send(request)


class AsyncSender:
    """Async driver over an :class:`httpx.AsyncClient`."""

    def __init__(self, core: SenderCore, http: httpx.AsyncClient) -> None:
        self.core = core
        self.http = http

    async def send(self, spec: RequestSpec) -> httpx.Response:
        """Send one logical call with pacing, auth, retries and error mapping."""
        core = self.core
        retrying = core.policy.async_retrying(
            clock=core.clock, stats=core.stats, label=core.label(spec), pacing=core.pacing(spec)
        )
        return await retrying(self._attempt, spec)

    async def _attempt(self, spec: RequestSpec) -> httpx.Response:
        token, fresh = await self._token(None) if self.core.wants_token(spec) else (None, False)
        response = await self._send_once(spec, token)
        error = self.core.inspect(spec, response)
        if self.core.should_refresh(error, token, fresh):
            token, _ = await self._token(token)
            response = await self._send_once(spec, token)
            error = self.core.inspect(spec, response)
            self.core.refreshed_and_refused(error, token)
        if error is not None:
            raise error
        return response

    async def _token(self, stale: str | None) -> tuple[str, bool]:
        assert self.core.auth is not None
        return await self.core.auth.aget_token(self._raw_send, stale=stale)

    async def _raw_send(self, request: httpx.Request) -> httpx.Response:
        request.extensions.setdefault("timeout", self.core.timeout.as_dict())
        try:
            return await self.http.send(request)
        except httpx.TransportError as exc:
            raise map_transport_error(exc, request) from exc

    async def _send_once(self, spec: RequestSpec, token: str | None) -> httpx.Response:
        waited = await self.core.limiter.async_acquire(self.core.partner, spec.operation)
        self.core.record_wait(spec, waited)
        request = self.core.build(spec, token)
        self.core.stats.record_request(spec.operation)
        return await self._raw_send(request)
