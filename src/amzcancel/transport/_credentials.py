"""Credentials for SP-API (Login with Amazon) and MWS, from arguments or the environment.

Secrets are held as :class:`pydantic.SecretStr`, so a credentials object can be printed,
logged or put in an exception without giving anything away.

Added in 0.1.0.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from pydantic import SecretStr

from amzcancel.errors import ConfigError, MissingCredentialsError

__all__ = ["LWA_ENV_VARS", "MWS_ENV_VARS", "LwaCredentials", "MwsCredentials"]

LWA_ENV_VARS = ("LWA_APP_ID", "LWA_CLIENT_SECRET", "SP_API_REFRESH_TOKEN")
"""The environment variables :meth:`LwaCredentials.from_env` reads: client id, client secret,
the seller's refresh token (the names the Python SP-API ecosystem uses).

Added in 0.2.0."""

MWS_ENV_VARS = ("MWS_ACCESS_KEY", "MWS_SECRET_KEY", "MWS_SELLER_ID")
"""The environment variables :meth:`MwsCredentials.from_env` requires (``MWS_AUTH_TOKEN`` is
read too, when set).

Added in 0.2.0."""

ENV_MWS_AUTH_TOKEN = "MWS_AUTH_TOKEN"  # noqa: S105 - a variable name, not a secret


def _secret(value: str | SecretStr, name: str) -> SecretStr:
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{name} is missing or empty")
    return SecretStr(value.strip())


def _text(value: str, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{name} is missing or empty")
    return value.strip()


def _require_env(environ: Mapping[str, str], names: tuple[str, ...], what: str) -> list[str]:
    """The values of ``names``, or one error naming every one that is unset or blank."""
    missing = tuple(name for name in names if not environ.get(name, "").strip())
    if missing:
        raise MissingCredentialsError(
            f"missing environment variable(s) {', '.join(missing)} for the {what} "
            "credentials; set them or pass credentials",
            variables=missing,
            what=what,
        )
    return [environ[name] for name in names]


@dataclass(frozen=True, repr=False)
class LwaCredentials:
    """An SP-API application's Login with Amazon credentials for one selling partner.

    Args:
        client_id: the LWA client identifier (``amzn1.application-oa2-client...``); env
            ``LWA_APP_ID``.
        client_secret: the LWA client secret; env ``LWA_CLIENT_SECRET``.
        refresh_token: the selling partner's refresh token (``Atzr|...``); env
            ``SP_API_REFRESH_TOKEN``.
        selling_partner_id: optional seller id; names the rate-limit buckets when several
            sellers share one :class:`~amzcancel.transport.RateLimiter`.

    Raises:
        ConfigError: a value is missing or empty.

    Added in 0.1.0.
    """

    client_id: str
    client_secret: SecretStr
    refresh_token: SecretStr
    selling_partner_id: str | None = field(default=None)

    def __init__(
        self,
        client_id: str,
        client_secret: str | SecretStr,
        refresh_token: str | SecretStr,
        *,
        selling_partner_id: str | None = None,
    ) -> None:
        object.__setattr__(self, "client_id", _text(client_id, "client_id"))
        object.__setattr__(self, "client_secret", _secret(client_secret, "client_secret"))
        object.__setattr__(self, "refresh_token", _secret(refresh_token, "refresh_token"))
        object.__setattr__(self, "selling_partner_id", selling_partner_id or None)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> LwaCredentials:
        """Read ``LWA_APP_ID``, ``LWA_CLIENT_SECRET`` and ``SP_API_REFRESH_TOKEN``
        (:data:`LWA_ENV_VARS`).

        Raises:
            ConfigError: one error naming every variable that is unset or blank.
        """
        env = os.environ if environ is None else environ
        client_id, client_secret, refresh_token = _require_env(env, LWA_ENV_VARS, "SP-API")
        return cls(client_id, client_secret, refresh_token)

    @property
    def partner_key(self) -> str:
        """A stable, non-secret name for this selling partner (rate-limit bucket key)."""
        if self.selling_partner_id:
            return self.selling_partner_id
        # A truncated digest tells sellers apart without carrying the token itself.
        digest = hashlib.sha256(
            f"{self.client_id}\0{self.refresh_token.get_secret_value()}".encode()
        ).hexdigest()
        return f"lwa-{digest[:12]}"

    def __repr__(self) -> str:
        return (
            f"LwaCredentials(client_id={self.client_id!r}, client_secret='**********', "
            f"refresh_token='**********', selling_partner_id={self.selling_partner_id!r})"
        )


@dataclass(frozen=True, repr=False)
class MwsCredentials:
    """MWS developer keys and the seller they act for.

    Args:
        access_key: the AWS access key id (``AWSAccessKeyId``); env ``MWS_ACCESS_KEY``.
        secret_key: the secret key requests are signed with; env ``MWS_SECRET_KEY``.
        seller_id: the seller (merchant) id; env ``MWS_SELLER_ID``.
        auth_token: ``MWSAuthToken`` for third-party authorisations; env ``MWS_AUTH_TOKEN``.

    Raises:
        ConfigError: a required value is missing or empty.

    Added in 0.1.0.
    """

    access_key: str
    secret_key: SecretStr
    seller_id: str
    auth_token: SecretStr | None = field(default=None)

    def __init__(
        self,
        access_key: str,
        secret_key: str | SecretStr,
        seller_id: str,
        *,
        auth_token: str | SecretStr | None = None,
    ) -> None:
        object.__setattr__(self, "access_key", _text(access_key, "access_key"))
        object.__setattr__(self, "secret_key", _secret(secret_key, "secret_key"))
        object.__setattr__(self, "seller_id", _text(seller_id, "seller_id"))
        token = (
            None if auth_token is None or auth_token == "" else _secret(auth_token, "auth_token")
        )
        object.__setattr__(self, "auth_token", token)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> MwsCredentials:
        """Read ``MWS_ACCESS_KEY``, ``MWS_SECRET_KEY``, ``MWS_SELLER_ID`` (:data:`MWS_ENV_VARS`)
        and ``MWS_AUTH_TOKEN`` when it is set.

        Raises:
            ConfigError: one error naming every required variable that is unset or blank.
        """
        env = os.environ if environ is None else environ
        access_key, secret_key, seller_id = _require_env(env, MWS_ENV_VARS, "MWS")
        return cls(
            access_key,
            secret_key,
            seller_id,
            # Blank counts as unset, as for the required variables (not an "auth_token" error).
            auth_token=env.get(ENV_MWS_AUTH_TOKEN, "").strip() or None,
        )

    def __repr__(self) -> str:
        token = "'**********'" if self.auth_token else "None"
        return (
            f"MwsCredentials(access_key={self.access_key!r}, secret_key='**********', "
            f"seller_id={self.seller_id!r}, auth_token={token})"
        )
