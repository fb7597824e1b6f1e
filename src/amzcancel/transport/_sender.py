"""The sending half: pace, authenticate, send, read, classify, retry. Sync and async drivers.

Everything that decides lives in :class:`SenderCore` (shared); the two drivers differ only in
how they wait, send and read. Order of one attempt: wait for a rate-limit token, take an access
token, send, read the body, learn ``x-amzn-RateLimit-Limit``, classify. A 403 "Unauthorized"
for a cached token causes one refresh and one repeat inside the attempt; transient faults are
retried by tenacity around the attempt, and every retry waits for its own rate-limit token
again. Each HTTP request (token requests included) is sent under the request deadline and
read up to the body bound (``_deadline.py``, ``_answers.py``).

Added in 0.1.0.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import httpx

from amzcancel.errors import APIError, InvalidInputError, ThrottledError, TransportError
from amzcancel.transport._answers import (
    LWA_TOKEN_REQUEST,
    declared_length,
    decoded_response,
    is_plain,
    too_large,
    transport_error,
)
from amzcancel.transport._auth import LwaAuth
from amzcancel.transport._calls import RequestSpec
from amzcancel.transport._deadline import attempt_deadline, deadline_passed
from amzcancel.transport._log_redaction import install_log_redaction
from amzcancel.transport._ratelimit import parse_rate_limit_header
from amzcancel.transport._settings import ClientSettings
from amzcancel.transport._stats import TransportStats
from amzcancel.transport._wire_protocols import WireProtocol

__all__ = ["AsyncSender", "Sender", "SenderCore"]

logger = logging.getLogger("amzcancel.transport")


class SenderCore:
    """The decisions shared by both drivers (no I/O)."""

    def __init__(
        self,
        *,
        protocol: WireProtocol,
        settings: ClientSettings,
        stats: TransportStats,
        partner: str,
        auth: LwaAuth | None,
    ) -> None:
        self.protocol = protocol
        self.settings = settings
        self.limiter = settings.rate_limiter
        self.clock = settings.clock
        self.policy = settings.policy
        self.partner = partner
        self.stats = stats
        self.auth = auth
        # Grantless tokens by scope, made on first use from the seller's credentials: they
        # belong to the application and are cached apart from the seller's token.
        self._grantless: dict[str, LwaAuth] = {}
        self.timeouts = settings.timeout.as_dict()
        self.deadline_seconds = settings.request_deadline_seconds
        self.max_response_bytes = settings.max_response_bytes
        # A token refused again right after it was fetched for a refusal: Amazon's 403
        # "Unauthorized" also means "no access" (a missing role, a marketplace not authorized),
        # and refreshing for it again on every call would double the traffic and hammer LWA.
        self.refused_fresh_token: str | None = None
        # httpx logs request URLs at INFO; presigned document URLs carry their signature.
        install_log_redaction()

    def build(self, spec: RequestSpec, token: str | None) -> httpx.Request:
        """The request of one attempt; a URL httpx cannot form is bad input, not a crash."""
        try:
            request = self.protocol.build(spec, token)
        except httpx.InvalidURL as exc:
            # e.g. a 70 KB NextToken from a misbehaving gateway ("URL component 'query' too
            # long"); httpx's message names the part, never the URL's content.
            raise InvalidInputError(
                f"{spec.label}: cannot build the request URL: {exc}", method=spec.method
            ) from exc
        return request

    def prepare(self, request: httpx.Request) -> None:
        """Give a request the client's timeouts (a hand-built request has none: it could hang)."""
        request.extensions.setdefault("timeout", self.timeouts)

    def failure(
        self, exc: httpx.TransportError, request: httpx.Request, label: str, deadline: float
    ) -> TransportError:
        """Our error for an httpx failure, the deadline named when it is what ended it."""
        passed = self.deadline_seconds if deadline_passed(deadline) else None
        return transport_error(exc, request, label=label, deadline_seconds=passed)

    def check_declared(self, response: httpx.Response, label: str) -> bool:
        """Refuse a declared body over the bound; True when it can be read in one go.

        One go: a declared length on the wire that is also the size once read (no content
        coding); h11 never reads past a declared length.
        """
        declared = declared_length(response)
        if declared is not None and declared > self.max_response_bytes:
            raise too_large(
                response.request, label=label, limit=self.max_response_bytes, declared=declared
            )
        return declared is not None and is_plain(response)

    def add_chunk(self, response: httpx.Response, label: str, size: int) -> None:
        """Refuse a body that has grown to ``size`` bytes past the bound."""
        if size > self.max_response_bytes:
            raise too_large(response.request, label=label, limit=self.max_response_bytes)

    def wants_token(self, spec: RequestSpec) -> bool:
        return spec.authenticate and self.auth is not None

    def auth_for(self, spec: RequestSpec) -> LwaAuth:
        """The token source of ``spec``: the seller's, or the grantless one of its scope."""
        auth = self.auth
        assert auth is not None
        if spec.scope is None:
            return auth
        found = self._grantless.get(spec.scope)
        if found is None:
            found = self._grantless[spec.scope] = auth.grantless(spec.scope)
        return found

    def inspect(self, spec: RequestSpec, response: httpx.Response) -> APIError | None:
        """Learn from an answer (rate header, throttling) and return its error, if any."""
        if spec.operation and response.status_code < 400:
            rate = parse_rate_limit_header(response.headers.get("x-amzn-ratelimit-limit"))
            if rate is not None:
                self.limiter.observe_rate(self.partner, spec.operation, rate)
        error = self.protocol.error_for(response)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("%s %s -> %d", response.request.method, spec.label, response.status_code)
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

    def refreshed_and_refused(
        self, error: APIError | None, token: str | None, auth: LwaAuth | None
    ) -> None:
        """After a refresh: the new token refused too, while our cache still holds it good,
        means the 403 was not about expiry. (A repeat held back by pacing past a short
        token life proves nothing: then the cache has let the token go as well.)"""
        if (
            error is not None
            and token is not None
            and self.protocol.is_expired_token(error)
            and auth is not None
            and auth.cached_token() == token
        ):
            logger.info("a freshly refreshed access token was refused too: not refreshing again")
            self.refused_fresh_token = token

    def record_wait(self, spec: RequestSpec, waited: float, started: float) -> None:
        # Recorded as the interval [started, started + waited] on the limiter's clock, so
        # concurrent waits count once in time (not "when the task resumed": on a fake clock
        # other tasks may have moved it on by then).
        self.stats.record_wait(spec.operation, waited, ended=started + waited)


class Sender:
    """Blocking driver over an :class:`httpx.Client`."""

    def __init__(self, core: SenderCore, http: httpx.Client) -> None:
        self.core = core
        self.http = http

    def send(self, spec: RequestSpec) -> httpx.Response:
        """Send one logical call with pacing, auth, retries and error mapping."""
        core = self.core
        return core.policy.call(
            self._attempt,
            spec,
            clock=core.clock,
            stats=core.stats,
            label=spec.label,
            pacing=core.pacing(spec),
        )

    def _attempt(self, spec: RequestSpec) -> httpx.Response:
        auth = self.core.auth_for(spec) if self.core.wants_token(spec) else None
        token, fresh = self._token(auth, None) if auth is not None else (None, False)
        response = self._send_once(spec, token)
        error = self.core.inspect(spec, response)
        if auth is not None and self.core.should_refresh(error, token, fresh):
            token, _ = self._token(auth, token)
            response = self._send_once(spec, token)
            error = self.core.inspect(spec, response)
            self.core.refreshed_and_refused(error, token, auth)
        if error is not None:
            raise error
        return response

    def _token(self, auth: LwaAuth, stale: str | None) -> tuple[str, bool]:
        return auth.get_token(self._send_token_request, stale=stale)

    def _send_token_request(self, request: httpx.Request) -> httpx.Response:
        return self.send_request(request, LWA_TOKEN_REQUEST)

    def send_request(self, request: httpx.Request, label: str) -> httpx.Response:
        """Send one HTTP request under the deadline and read its body within the bound."""
        core = self.core
        core.prepare(request)
        with attempt_deadline(core.deadline_seconds) as deadline:
            try:
                response = self.http.send(request, stream=True)
                try:
                    return self._read(response, label)
                finally:
                    response.close()
            except httpx.TransportError as exc:
                raise core.failure(exc, request, label, deadline) from exc

    def _read(self, response: httpx.Response, label: str) -> httpx.Response:
        if self.core.check_declared(response, label):
            response.read()
            return response
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            self.core.add_chunk(response, label, size)
            chunks.append(chunk)
        return decoded_response(response, b"".join(chunks))

    def _send_once(self, spec: RequestSpec, token: str | None) -> httpx.Response:
        limiter = self.core.limiter
        started = limiter.clock.monotonic()
        waited, opened = limiter.acquire_slot(self.core.partner, spec.operation)
        try:
            self.core.record_wait(spec, waited, started)
            request = self.core.build(spec, token)
            self.core.stats.record_request(spec.operation)
            return self.send_request(request, spec.label)
        finally:
            if opened:
                limiter.answered(self.core.partner, spec.operation)


class AsyncSender:
    """Async driver over an :class:`httpx.AsyncClient`."""

    def __init__(self, core: SenderCore, http: httpx.AsyncClient) -> None:
        self.core = core
        self.http = http

    async def send(self, spec: RequestSpec) -> httpx.Response:
        """Send one logical call with pacing, auth, retries and error mapping."""
        core = self.core
        return await core.policy.acall(
            self._attempt,
            spec,
            clock=core.clock,
            stats=core.stats,
            label=spec.label,
            pacing=core.pacing(spec),
        )

    async def _attempt(self, spec: RequestSpec) -> httpx.Response:
        auth = self.core.auth_for(spec) if self.core.wants_token(spec) else None
        token, fresh = await self._token(auth, None) if auth is not None else (None, False)
        response = await self._send_once(spec, token)
        error = self.core.inspect(spec, response)
        if auth is not None and self.core.should_refresh(error, token, fresh):
            token, _ = await self._token(auth, token)
            response = await self._send_once(spec, token)
            error = self.core.inspect(spec, response)
            self.core.refreshed_and_refused(error, token, auth)
        if error is not None:
            raise error
        return response

    async def _token(self, auth: LwaAuth, stale: str | None) -> tuple[str, bool]:
        return await auth.aget_token(self._send_token_request, stale=stale)

    async def _send_token_request(self, request: httpx.Request) -> httpx.Response:
        return await self.send_request(request, LWA_TOKEN_REQUEST)

    async def send_request(self, request: httpx.Request, label: str) -> httpx.Response:
        """Send one HTTP request under the deadline and read its body within the bound."""
        core = self.core
        core.prepare(request)
        with attempt_deadline(core.deadline_seconds) as deadline:
            try:
                response = await self.http.send(request, stream=True)
                try:
                    return await self._read(response, label)
                finally:
                    await response.aclose()
            except httpx.TransportError as exc:
                raise core.failure(exc, request, label, deadline) from exc

    async def _read(self, response: httpx.Response, label: str) -> httpx.Response:
        if self.core.check_declared(response, label):
            await response.aread()
            return response
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            self.core.add_chunk(response, label, size)
            chunks.append(chunk)
        return decoded_response(response, b"".join(chunks))

    async def _send_once(self, spec: RequestSpec, token: str | None) -> httpx.Response:
        limiter = self.core.limiter
        started = limiter.clock.monotonic()
        waited, opened = await limiter.async_acquire_slot(self.core.partner, spec.operation)
        try:
            self.core.record_wait(spec, waited, started)
            request = self.core.build(spec, token)
            self.core.stats.record_request(spec.operation)
            return await self.send_request(request, spec.label)
        finally:
            if opened:
                limiter.answered(self.core.partner, spec.operation)
