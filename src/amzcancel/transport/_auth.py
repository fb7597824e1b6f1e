"""Login with Amazon: seller or grantless tokens, each cached, one refresh in flight.

``POST https://api.amazon.com/auth/o2/token`` with ``grant_type=refresh_token`` answers
``{"access_token", "token_type": "bearer", "expires_in": 3600, "refresh_token"}``; the token is
sent to SP-API as ``x-amz-access-token`` (SP-API developer guide, "Connecting to the Selling
Partner API", step 1). The token is reused until shortly before it expires. However many
threads (or tasks) need a token at once, one of them fetches it while the others wait for its
result; a token Amazon calls expired is replaced once, by whoever sees the refusal first.

Grantless operations (the Notifications API's destinations, for example) take a token of the
``client_credentials`` grant with a ``scope`` instead (``sellingpartnerapi::notifications``);
refresh token and scope are mutually exclusive. Such a token belongs to the application, not
to a seller, so an :class:`LwaAuth` made with ``scope=`` caches it apart from the seller's.

Added in 0.1.0.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import threading
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from amzcancel.clock import Clock, SystemClock
from amzcancel.errors import AuthError, ConfigError, make_api_error
from amzcancel.transport._constants import (
    LWA_TOKEN_URL,
    TOKEN_REFRESH_MARGIN_SECONDS,
    USER_AGENT,
)
from amzcancel.transport._credentials import LwaCredentials
from amzcancel.transport._stats import TransportStats

__all__ = ["LwaAuth"]

logger = logging.getLogger("amzcancel.transport.auth")

SyncSend = Callable[[httpx.Request], httpx.Response]
AsyncSend = Callable[[httpx.Request], Awaitable[httpx.Response]]


@dataclass(frozen=True)
class _Token:
    value: str = field(repr=False)  # a bearer credential: never in a repr or a log
    expires_at: float  # monotonic seconds


class LwaAuth:
    """Access tokens for one set of :class:`LwaCredentials`.

    The HTTP request is sent by the caller's client (``send``), so tokens travel over the same
    transport, timeouts and retries as API calls.

    Args:
        credentials: the LWA application and refresh token.
        token_url: the LWA token endpoint (override for sandboxes and proxies).
        clock: the clock expiry is measured on.
        refresh_margin_seconds: refresh this long before Amazon's ``expires_in`` runs out.
        scope: a grantless scope (``sellingpartnerapi::notifications``): tokens come from the
            ``client_credentials`` grant and the refresh token is never sent.

    Added in 0.1.0 (``scope`` in 0.2.0).
    """

    def __init__(
        self,
        credentials: LwaCredentials,
        *,
        token_url: str = LWA_TOKEN_URL,
        clock: Clock | None = None,
        refresh_margin_seconds: float = TOKEN_REFRESH_MARGIN_SECONDS,
        stats: TransportStats | None = None,
        scope: str | None = None,
    ) -> None:
        if scope is not None and not scope.strip():
            raise ConfigError("a grantless scope must not be empty")
        self._credentials = credentials
        self._scope = scope
        self._token_url = token_url
        self._clock: Clock = clock or SystemClock()
        self._margin = refresh_margin_seconds
        self._stats = stats
        self._token: _Token | None = None
        self._thread_lock = threading.Lock()
        # One asyncio.Lock per event loop: a lock is bound to the loop it first waits in.
        self._task_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        self._task_lock_guard = threading.Lock()

    @property
    def token_url(self) -> str:
        """The LWA token endpoint."""
        return self._token_url

    @property
    def scope(self) -> str | None:
        """The grantless scope, or ``None`` for the seller's refresh-token grant.

        Added in 0.2.0.
        """
        return self._scope

    def grantless(self, scope: str) -> LwaAuth:
        """An :class:`LwaAuth` for the grantless ``scope``, on the same application, endpoint,
        clock and stats (its token cached apart from this one's).

        Added in 0.2.0.
        """
        return LwaAuth(
            self._credentials,
            token_url=self._token_url,
            clock=self._clock,
            refresh_margin_seconds=self._margin,
            stats=self._stats,
            scope=scope,
        )

    def cached_token(self) -> str | None:
        """The cached access token, if it is still good for more than the margin."""
        token = self._token
        if token is None or self._clock.monotonic() >= token.expires_at:
            return None
        return token.value

    def _usable(self, stale: str | None) -> str | None:
        cached = self.cached_token()
        return cached if cached is not None and cached != stale else None

    def build_token_request(self) -> httpx.Request:
        """The token request (its body holds secrets: never log it).

        The refresh-token grant, or with a ``scope`` the grantless ``client_credentials``
        grant, which sends no refresh token (Amazon refuses both together).
        """
        creds = self._credentials
        data = (
            {"grant_type": "refresh_token", "refresh_token": creds.refresh_token.get_secret_value()}
            if self._scope is None
            else {"grant_type": "client_credentials", "scope": self._scope}
        )
        data["client_id"] = creds.client_id
        data["client_secret"] = creds.client_secret.get_secret_value()
        return httpx.Request(
            "POST",
            self._token_url,
            data=data,
            headers={"user-agent": USER_AGENT, "accept": "application/json"},
        )

    def accept_token_response(self, response: httpx.Response) -> str:
        """Cache the token of a successful response, or raise the matching error."""
        try:
            body = json.loads(response.content) if response.content else {}
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        if response.status_code >= 400 or "access_token" not in body:
            raise self._error(response, body)
        value = body["access_token"]
        if not isinstance(value, str) or not value:
            raise AuthError("LWA answered without an access token", status_code=200)
        lifetime = _lifetime(body.get("expires_in"), self._margin)
        self._token = _Token(value, self._clock.monotonic() + lifetime)
        if self._stats is not None:
            self._stats.record_token_refresh()
        logger.info(
            "LWA %s token refreshed; good for %.0fs",
            "access" if self._scope is None else f"grantless ({self._scope})",
            lifetime,
        )
        return value

    def _error(self, response: httpx.Response, body: dict[str, object]) -> Exception:
        code = body.get("error")
        code_text = code if isinstance(code, str) else None
        description = body.get("error_description")
        text = description if isinstance(description, str) else "no description"
        for secret in (
            self._credentials.client_secret.get_secret_value(),
            self._credentials.refresh_token.get_secret_value(),
        ):
            text = text.replace(secret, "**********")
        status = response.status_code
        if status < 400 or status in (400, 401, 403):  # a 200 carrying an error is a refusal too
            return AuthError(
                f"LWA refused the token request: {text}",
                status_code=status,
                code=code_text,
                url=self._token_url,
                method="POST",
            )
        return make_api_error(
            f"LWA token request failed: {text}",
            status_code=status,
            code=code_text,
            url=self._token_url,
            method="POST",
        )

    def get_token(self, send: SyncSend, *, stale: str | None = None) -> tuple[str, bool]:
        """A usable access token and whether it was fetched by this call.

        ``stale`` is a token Amazon just refused: it is never returned again.
        """
        token = self._usable(stale)
        if token is not None:
            return token, False
        with self._thread_lock:
            token = self._usable(stale)
            if token is not None:
                return token, False
            return self.accept_token_response(send(self.build_token_request())), True

    def _async_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        with self._task_lock_guard:
            lock = self._task_locks.get(loop)
            if lock is None:
                lock = self._task_locks[loop] = asyncio.Lock()
            return lock

    async def aget_token(self, send: AsyncSend, *, stale: str | None = None) -> tuple[str, bool]:
        """The async twin of :meth:`get_token` (one refresh in flight across tasks)."""
        token = self._usable(stale)
        if token is not None:
            return token, False
        async with self._async_lock():
            token = self._usable(stale)
            if token is not None:
                return token, False
            response = await send(self.build_token_request())
            return self.accept_token_response(response), True

    def __repr__(self) -> str:
        scope = "" if self._scope is None else f", scope={self._scope!r}"
        return (
            f"LwaAuth(client_id={self._credentials.client_id!r}, "
            f"token_url={self._token_url!r}{scope})"
        )


_DEFAULT_LIFETIME = 3600.0
"""LWA's documented ``expires_in`` (one hour), used when the answer's is unusable."""
_MIN_LIFETIME = 60.0


def _lifetime(expires_in: object, margin: float) -> float:
    """Seconds to keep a token: ``expires_in`` less the margin, within sane bounds.

    A missing, non-numeric or non-finite ``expires_in`` counts as LWA's hour (``inf`` would
    cache a token for ever). A short one is kept for half its life rather than not at all, so
    that it cannot turn into one LWA request per API call; zero or less is taken at its word
    (the token is used once and not cached).
    """
    if isinstance(expires_in, bool):
        expires_in = None
    try:
        seconds = float(expires_in)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        seconds = _DEFAULT_LIFETIME
    if not math.isfinite(seconds) or seconds > _DEFAULT_LIFETIME * 24:
        seconds = _DEFAULT_LIFETIME
    if seconds <= 0:
        return 0.0
    return max(seconds - margin, min(seconds / 2, _MIN_LIFETIME))
