"""The accounts file: one ``[[accounts]]`` table per seller, credentials by reference.

::

    [[accounts]]
    name = "acme-us"                      # stable: the store's account name and --account
    api = "auto"                          # auto | 2026 | v0 | mws (default auto)
    marketplaces = ["ATVPDKIKX0DER"]
    region = "na"                         # optional: by default the marketplaces' region
    refresh_token_env = "ACME_US_REFRESH_TOKEN"   # or refresh_token_file = "/etc/..."
    interval = "5m"                       # optional, default 5m
    # endpoint = "...", lwa_endpoint = "..."     (optional overrides)

Secrets never sit in the file (nor in the store): an account names the environment variable
holding its refresh token, or a file only its owner can read. ``LWA_APP_ID`` and
``LWA_CLIENT_SECRET`` (the application's) come from the environment for every account. A bad
file is refused with one line naming the file, the account and the key.

Added in 0.2.0.
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

from amzcancel.errors import ConfigError
from amzcancel.sync import Api, OrderSync, Store
from amzcancel.transport import LwaCredentials, MwsCredentials, region_for_marketplaces
from amzcancel.workers._duration import parse_duration

__all__ = [
    "DEFAULT_INTERVAL",
    "ENV_CONFIG",
    "AccountConfig",
    "AccountsFile",
    "config_path",
    "load_accounts",
    "read_secret_file",
]

ENV_CONFIG = "AMZCANCEL_CONFIG"
"""The variable naming the accounts file when ``--config`` is not given."""

DEFAULT_INTERVAL = "5m"
"""An account's sync interval when its table names none."""

_APP_ENV = ("LWA_APP_ID", "LWA_CLIENT_SECRET")
_MWS_DEFAULT_ENV = ("MWS_ACCESS_KEY", "MWS_SECRET_KEY")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@+-]{0,99}")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
_MARKETPLACE = re.compile(r"[A-Za-z0-9]{1,64}")
_KEYS = frozenset(
    {
        "name",
        "api",
        "marketplaces",
        "region",
        "refresh_token_env",
        "refresh_token_file",
        "interval",
        "endpoint",
        "lwa_endpoint",
        "seller_id",
        "mws_access_key_env",
        "mws_secret_key_env",
    }
)
_APIS: tuple[str, ...] = get_args(Api)


@dataclass(frozen=True)
class AccountConfig:
    """One seller account of the accounts file (no secret: only where to find it).

    Attributes:
        name: the stable account name (the store's, and ``--account``).
        api: ``auto``, ``2026``, ``v0`` or ``mws``.
        marketplaces: the marketplace ids synced together.
        interval_seconds: the pause between two syncs of the account.
        region: ``na``, ``eu`` or ``fe`` when given.
        refresh_token_env: the variable holding the seller's refresh token.
        refresh_token_file: a file (readable by its owner only) holding it instead.
        endpoint: the SP-API (or MWS) base URL override.
        lwa_endpoint: the LWA token URL override.
        seller_id: the seller id (merchant token): required for ``api = "mws"``; for an
            SP-API account, the ``SellerId`` its ORDER_CHANGE notifications carry (needed by
            ``amzcancel worker --queue-url`` when the file has several accounts).
        mws_access_key_env: the variable of the MWS access key (``api = "mws"``).
        mws_secret_key_env: the variable of the MWS secret key (``api = "mws"``).
        source: the file the account was read from (for error messages).

    Added in 0.2.0.
    """

    name: str
    api: Api
    marketplaces: tuple[str, ...]
    interval_seconds: float
    region: str | None = None
    refresh_token_env: str | None = None
    refresh_token_file: Path | None = None
    endpoint: str | None = None
    lwa_endpoint: str | None = None
    seller_id: str | None = None
    mws_access_key_env: str | None = None
    mws_secret_key_env: str | None = None
    source: Path | None = None

    @property
    def credential_source(self) -> str:
        """Where the seller's secret comes from, for listings (never the secret)."""
        if self.api == "mws":
            return f"${self.mws_access_key_env}, ${self.mws_secret_key_env}"
        if self.refresh_token_file is not None:
            return f"file {self.refresh_token_file}"
        return f"${self.refresh_token_env}"

    def missing_credentials(self, environ: Mapping[str, str] | None = None) -> list[str]:
        """What of this account's credentials is not there (variable names, file problems)."""
        try:
            self.credentials(environ)
        except ConfigError as exc:
            return [str(exc)]
        return []

    def credentials(
        self, environ: Mapping[str, str] | None = None
    ) -> LwaCredentials | MwsCredentials:
        """The account's credentials, read now from the environment or the token file.

        Raises:
            ConfigError: a variable is unset or blank, or the token file is missing, empty or
                readable by others; the message names the account and where it looked.
        """
        env = os.environ if environ is None else environ
        where = f"{self.source}: account {self.name!r}" if self.source else f"account {self.name!r}"
        if self.api == "mws":
            names = (self.mws_access_key_env or "", self.mws_secret_key_env or "")
            access, secret = _require(env, names, where)
            return MwsCredentials(access, secret, self.seller_id or "")
        client_id, client_secret = _require(env, _APP_ENV, where)
        if self.refresh_token_file is not None:
            token = read_secret_file(self.refresh_token_file, where=where)
        else:
            (token,) = _require(env, (self.refresh_token_env or "",), where)
        return LwaCredentials(client_id, client_secret, token)

    def order_sync(self, store: Store, **options: Any) -> OrderSync:
        """An :class:`~amzcancel.sync.OrderSync` of this account writing to ``store``.

        Credentials are read now (:meth:`credentials`). ``options`` are further
        :class:`~amzcancel.sync.OrderSync` arguments (``clock``, ``transport``,
        ``client_options``...).

        Raises:
            ConfigError: as for :meth:`credentials`.
        """
        return OrderSync(
            store=store,
            credentials=self.credentials(),
            marketplaces=self.marketplaces,
            api=self.api,
            account=self.name,
            endpoint=self.endpoint,
            lwa_endpoint=self.lwa_endpoint,
            region=None if self.endpoint else self.region,
            **options,
        )


@dataclass(frozen=True)
class AccountsFile:
    """The accounts of one file, in file order.

    Added in 0.2.0.
    """

    path: Path
    accounts: tuple[AccountConfig, ...]

    def get(self, name: str) -> AccountConfig:
        """The account called ``name``.

        Raises:
            ConfigError: the file has no such account.
        """
        for account in self.accounts:
            if account.name == name:
                return account
        known = ", ".join(a.name for a in self.accounts)
        raise ConfigError(f"{self.path}: no account {name!r} (accounts: {known})")


def config_path(given: str | os.PathLike[str] | None) -> Path:
    """The accounts file: ``given`` (``--config``), else ``$AMZCANCEL_CONFIG``.

    Raises:
        ConfigError: neither names one.

    Added in 0.2.0.
    """
    chosen = os.fspath(given) if given else os.environ.get(ENV_CONFIG)
    if not chosen:
        raise ConfigError(f"no accounts file: pass --config PATH or set {ENV_CONFIG}")
    return Path(chosen)


def load_accounts(path: str | os.PathLike[str]) -> AccountsFile:
    """Read and check an accounts file (secrets are not read here: see
    :meth:`AccountConfig.credentials`).

    Raises:
        ConfigError: the file cannot be read, is not TOML, or an account is wrong; one line
            naming the file, the account and the key.

    Added in 0.2.0.
    """
    file = Path(path)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read the accounts file: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{file}: the accounts file is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from None
    unknown = sorted(set(data) - {"accounts"})
    if unknown:
        raise ConfigError(f"{file}: unknown top-level key {unknown[0]!r} (expected [[accounts]])")
    tables = data.get("accounts")
    if not isinstance(tables, list) or not tables:
        raise ConfigError(f"{file}: no [[accounts]] tables: list at least one seller account")
    accounts: list[AccountConfig] = []
    seen: set[str] = set()
    for index, table in enumerate(tables, start=1):
        account = _account(file, index, table)
        if account.name in seen:
            raise ConfigError(f"{file}: account {account.name!r}: key 'name': used twice")
        seen.add(account.name)
        accounts.append(account)
    return AccountsFile(file, tuple(accounts))


def read_secret_file(path: Path, *, where: str) -> str:
    """The secret in ``path``, refusing a file others could read.

    Raises:
        ConfigError: missing, unreadable, empty, or readable by its group or others.

    Added in 0.2.0.
    """
    try:
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise ConfigError(
                f"{where}: refresh_token_file {path} can be read by other users "
                f"(mode {stat.S_IMODE(mode):04o}); make it readable by its owner only: "
                f"chmod 600 {path}"
            )
        text = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"{where}: refresh_token_file {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{where}: refresh_token_file {path} is not UTF-8 text") from None
    if not text:
        raise ConfigError(f"{where}: refresh_token_file {path} is empty")
    return text


def _require(env: Mapping[str, str], names: Sequence[str], where: str) -> list[str]:
    values = [env.get(name, "").strip() for name in names]
    missing = [name for name, value in zip(names, values, strict=True) if not value]
    if missing:
        raise ConfigError(f"{where}: environment variable {', '.join(missing)} is not set")
    return values


class _Table:
    """One ``[[accounts]]`` table, read key by key with errors that say where."""

    def __init__(self, file: Path, index: int, table: Mapping[str, Any]) -> None:
        self.file, self.table = file, table
        name = table.get("name")
        self.label = f"account {name!r}" if isinstance(name, str) and name else f"accounts[{index}]"

    def fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.file}: {self.label}: key {key!r}: {problem}")

    def text(self, key: str, *, pattern: re.Pattern[str] | None = None) -> str | None:
        value = self.table.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, f"must be non-empty text, got {value!r}")
        if pattern is not None and not pattern.fullmatch(value):
            raise self.fail(key, f"not allowed: {value!r}")
        return value


def _account(file: Path, index: int, table: Any) -> AccountConfig:
    if not isinstance(table, dict):
        raise ConfigError(f"{file}: accounts[{index}] must be a table")
    t = _Table(file, index, table)
    extra = sorted(set(table) - _KEYS)
    if extra:
        raise t.fail(extra[0], f"unknown key (known: {', '.join(sorted(_KEYS))})")
    name = t.text("name", pattern=_NAME)
    if name is None:
        raise t.fail("name", "missing (a stable name: letters, digits and ._:@+-)")
    api = table.get("api", "auto")
    if api not in _APIS:
        raise t.fail("api", f"must be one of {', '.join(_APIS)}, got {api!r}")
    marketplaces = _marketplaces(t)
    region = t.text("region")
    endpoint, lwa_endpoint = t.text("endpoint"), t.text("lwa_endpoint")
    if endpoint is None:
        try:
            region_for_marketplaces(marketplaces, region)
        except ConfigError as exc:
            raise t.fail("region" if region else "marketplaces", str(exc)) from None
    try:
        interval = parse_duration(table.get("interval", DEFAULT_INTERVAL), what="interval")
    except ConfigError as exc:
        raise t.fail("interval", str(exc).removeprefix("interval: ")) from None
    common: dict[str, Any] = {
        "name": name,
        "api": api,
        "marketplaces": marketplaces,
        "interval_seconds": interval,
        "region": region,
        "endpoint": endpoint,
        "lwa_endpoint": lwa_endpoint,
        "source": file,
    }
    if api == "mws":
        return _mws_account(t, common)
    for key in ("mws_access_key_env", "mws_secret_key_env"):
        if key in table:
            raise t.fail(key, 'only for api = "mws"')
    common["seller_id"] = t.text("seller_id", pattern=_MARKETPLACE)
    token_env = t.text("refresh_token_env", pattern=_ENV_NAME)
    token_file = t.text("refresh_token_file")
    if (token_env is None) == (token_file is None):
        raise t.fail(
            "refresh_token_env",
            "give exactly one of refresh_token_env (a variable name) and refresh_token_file",
        )
    return AccountConfig(
        **common,
        refresh_token_env=token_env,
        refresh_token_file=None if token_file is None else _relative_to(file, token_file),
    )


def _mws_account(t: _Table, common: dict[str, Any]) -> AccountConfig:
    for key in ("refresh_token_env", "refresh_token_file"):
        if key in t.table:
            raise t.fail(key, 'api = "mws" signs with MWS keys: use mws_access_key_env')
    seller_id = t.text("seller_id", pattern=_MARKETPLACE)
    if seller_id is None:
        raise t.fail("seller_id", "missing (the MWS seller id, e.g. A1EXAMPLE)")
    access = t.text("mws_access_key_env", pattern=_ENV_NAME) or _MWS_DEFAULT_ENV[0]
    secret = t.text("mws_secret_key_env", pattern=_ENV_NAME) or _MWS_DEFAULT_ENV[1]
    return AccountConfig(
        **common, seller_id=seller_id, mws_access_key_env=access, mws_secret_key_env=secret
    )


def _marketplaces(t: _Table) -> tuple[str, ...]:
    value = t.table.get("marketplaces")
    if value is None:
        raise t.fail("marketplaces", 'missing (a list of marketplace ids, e.g. ["ATVPDKIKX0DER"])')
    if not isinstance(value, list) or not value:
        raise t.fail("marketplaces", f"must be a non-empty list of ids, got {value!r}")
    for item in value:
        if not isinstance(item, str) or not _MARKETPLACE.fullmatch(item):
            raise t.fail("marketplaces", f"not a marketplace id: {item!r}")
    return tuple(dict.fromkeys(value))


def _relative_to(file: Path, value: str) -> Path:
    """A relative token file is found next to the accounts file, not the current directory."""
    path = Path(value).expanduser()
    return path if path.is_absolute() else file.parent / path
