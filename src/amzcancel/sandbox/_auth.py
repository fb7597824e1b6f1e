"""Login with Amazon, simulated: the token endpoint and access-token checks.

``POST /auth/o2/token`` with ``grant_type=refresh_token`` (or a grantless
``client_credentials`` with a scope) issues an access token that really expires after
``token_ttl_seconds`` on the marketplace's clock. Wrong credentials are refused with LWA's own
bodies. SP-API calls then need that token in ``x-amz-access-token``.

Added in 0.1.0.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from amzcancel.clock import Clock
from amzcancel.sandbox._http import (
    SandboxRequest,
    SandboxResponse,
    json_response,
    spapi_error,
)

__all__ = [
    "SANDBOX_LWA_CLIENT_ID",
    "SANDBOX_LWA_CLIENT_SECRET",
    "SANDBOX_LWA_REFRESH_TOKEN",
    "SANDBOX_MWS_ACCESS_KEY",
    "SANDBOX_MWS_SECRET_KEY",
    "SANDBOX_MWS_SELLER_ID",
    "LwaTokens",
    "SandboxLwaCredentials",
]

# Fixed, documented and obviously fake: they open nothing but the sandbox.
SANDBOX_LWA_CLIENT_ID = "amzn1.application-oa2-client.sandbox0000000000000000000000"
SANDBOX_LWA_CLIENT_SECRET = "amzn1.oa2-cs.v1.sandbox-client-secret-not-a-real-secret"  # noqa: S105 - a documented fake
SANDBOX_LWA_REFRESH_TOKEN = "Atzr|sandbox-refresh-token-not-a-real-token"  # noqa: S105 - a documented fake
SANDBOX_MWS_ACCESS_KEY = "AKIASANDBOXEXAMPLE00"
SANDBOX_MWS_SECRET_KEY = "sandbox/mws/secret/key/not-a-real-secret0"  # noqa: S105 - a documented fake
SANDBOX_MWS_SELLER_ID = "A1SANDBOXSELLER"


@dataclass(frozen=True)
class SandboxLwaCredentials:
    """The sandbox's LWA credentials as plain strings (secrets hidden from ``repr``).

    Added in 0.1.0.
    """

    client_id: str
    client_secret: str
    refresh_token: str

    def __repr__(self) -> str:
        return (
            f"SandboxLwaCredentials(client_id={self.client_id!r}, "
            "client_secret='**********', refresh_token='**********')"
        )


_DENIED = "Access to requested resource is denied."
_EXPIRED = "The security token included in the request is expired"


class LwaTokens:
    """Issues access tokens and checks them.

    Args:
        clock: the marketplace's clock; expiry is measured on it.
        ttl_seconds: lifetime of an access token (LWA's is 3600).
        credentials: the one client and refresh token that are accepted.

    Added in 0.1.0.
    """

    def __init__(
        self, clock: Clock, *, ttl_seconds: float, credentials: SandboxLwaCredentials
    ) -> None:
        self._clock = clock
        self._ttl = ttl_seconds
        self._credentials = credentials
        # token -> (expiry, grantless scope or None for a seller's token)
        self._expiry: dict[str, tuple[datetime, str | None]] = {}
        self._lock = threading.Lock()
        self.issued = 0
        """How many access tokens were issued."""

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        """``POST /auth/o2/token``."""
        form = dict(request.form())
        grant = form.get("grant_type", "")
        if request.method != "POST":
            return _lwa_error(400, "invalid_request", "The request method must be POST")
        if not grant:
            return _lwa_error(
                400, "invalid_request", "The request is missing a required parameter : grant_type"
            )
        if grant not in ("refresh_token", "client_credentials"):
            return _lwa_error(
                400,
                "unsupported_grant_type",
                "The authorization grant type is not supported by the authorization server",
            )
        if not _same(form.get("client_id", ""), self._credentials.client_id) or not _same(
            form.get("client_secret", ""), self._credentials.client_secret
        ):
            return _lwa_error(401, "invalid_client", "Client authentication failed")
        if grant == "refresh_token":
            if "refresh_token" not in form:
                return _lwa_error(
                    400,
                    "invalid_request",
                    "The request is missing a required parameter : refresh_token",
                )
            if not _same(form["refresh_token"], self._credentials.refresh_token):
                return _lwa_error(
                    400,
                    "invalid_grant",
                    "The request has an invalid grant parameter : refresh_token",
                )
        elif not form.get("scope"):
            return _lwa_error(400, "invalid_scope", "The request has an invalid parameter : scope")
        token = "Atza|" + secrets.token_urlsafe(48)
        with self._lock:
            scope = None if grant == "refresh_token" else form["scope"]
            self._expiry[token] = (self._clock.now() + timedelta(seconds=self._ttl), scope)
            self.issued += 1
        body: dict[str, object] = {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": int(self._ttl),
        }
        if grant == "refresh_token":
            body["refresh_token"] = self._credentials.refresh_token
        return json_response(200, body, [("Cache-Control", "no-store")])

    def check(
        self, request: SandboxRequest, request_id: str, *, scope: str | None = None
    ) -> SandboxResponse | None:
        """None when the request carries a valid access token, else the 403 to answer.

        ``scope`` names the grantless scope the operation needs; ``None`` asks for a seller's
        token (refresh-token grant). A token of the other kind is refused, as Amazon does.
        """
        token = request.headers.get("x-amz-access-token", "")
        with self._lock:
            found = self._expiry.get(token)
        headers = [("x-amzn-RequestId", request_id)]
        if found is None or found[1] != scope:
            return spapi_error(403, "Unauthorized", _DENIED, headers=headers)
        expiry = found[0]
        if self._clock.now() >= expiry:
            return spapi_error(403, "Unauthorized", _EXPIRED, headers=headers)
        return None


def _same(given: str, expected: str) -> bool:
    """Constant-time equality; as bytes, since compare_digest refuses non-ASCII text."""
    return secrets.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def _lwa_error(status: int, error: str, description: str) -> SandboxResponse:
    return json_response(
        status, {"error": error, "error_description": description}, [("Cache-Control", "no-store")]
    )
