"""Many sellers, many machines: the accounts file and the workers that share the accounts.

::

    from amzcancel.sync import open_store
    from amzcancel.workers import Worker, load_accounts

    accounts = load_accounts("accounts.toml")
    with open_store("postgresql://amzcancel@db/amzcancel") as store:
        asyncio.run(Worker(store, accounts.accounts).run())

See ``docs/workers.md``.

Added in 0.2.0.
"""

from amzcancel.workers._check import AccountCheck, check_accounts
from amzcancel.workers._config import (
    DEFAULT_INTERVAL,
    ENV_CONFIG,
    AccountConfig,
    AccountsFile,
    config_path,
    load_accounts,
    read_secret_file,
)
from amzcancel.workers._duration import format_duration, parse_duration
from amzcancel.workers._worker import (
    DEFAULT_LEASE_SECONDS,
    DEFAULT_MAX_CONCURRENT,
    DEFAULT_RENEW_SECONDS,
    SyncFactory,
    Worker,
    WorkerTask,
)

__all__ = [
    "DEFAULT_INTERVAL",
    "DEFAULT_LEASE_SECONDS",
    "DEFAULT_MAX_CONCURRENT",
    "DEFAULT_RENEW_SECONDS",
    "ENV_CONFIG",
    "AccountCheck",
    "AccountConfig",
    "AccountsFile",
    "SyncFactory",
    "Worker",
    "WorkerTask",
    "check_accounts",
    "config_path",
    "format_duration",
    "load_accounts",
    "parse_duration",
    "read_secret_file",
]
