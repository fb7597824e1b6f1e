"""``accounts check``: one cheap call per account, to find the credentials Amazon refuses.

Each account gets an access token from LWA (which checks the app's id and secret and the
seller's refresh token) and lists one order of a five-minute window that ended a few minutes
ago (which checks that the seller authorized the app for the Orders API). Nothing is stored.

Added in 0.2.0.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from amzcancel.clock import Clock, SystemClock
from amzcancel.errors import AmzCancelError, AuthError, ConfigError
from amzcancel.transport import AsyncMwsClient, AsyncSpApiClient, LwaCredentials
from amzcancel.workers._config import AccountConfig

__all__ = ["AccountCheck", "check_accounts"]

_WINDOW_END = timedelta(minutes=3)  # Amazon refuses a window ending less than 2 minutes ago
_WINDOW = timedelta(minutes=5)


@dataclass(frozen=True)
class AccountCheck:
    """The outcome of checking one account.

    Attributes:
        name: the account.
        ok: the token and the call went through.
        refused: Amazon (or LWA) refused the credentials (401/403, ``invalid_grant``...).
        error: what went wrong, in one line (never a secret).
        api: the API called.

    Added in 0.2.0.
    """

    name: str
    ok: bool
    refused: bool
    error: str | None
    api: str

    def to_json(self) -> dict[str, Any]:
        """The ``accounts check --json`` object."""
        return {
            "name": self.name,
            "ok": self.ok,
            "refused": self.refused,
            "error": self.error,
            "api": self.api,
        }


async def check_accounts(
    accounts: Sequence[AccountConfig],
    *,
    clock: Clock | None = None,
    concurrency: int = 8,
    client_options: dict[str, Any] | None = None,
    transport_for: Callable[[AccountConfig], Any] | None = None,
) -> list[AccountCheck]:
    """Check every account's credentials with one cheap call each, ``concurrency`` at a time.

    Args:
        accounts: the accounts to check.
        clock: for the window of the call.
        concurrency: accounts checked at once.
        client_options: further client options (default: 2 retries).
        transport_for: an httpx async transport per account (tests, the sandbox).

    Returns:
        One result per account, in the order given.

    Added in 0.2.0.
    """
    gate = asyncio.Semaphore(max(1, concurrency))
    options: dict[str, Any] = {"max_retries": 2, **(client_options or {}), "clock": clock}

    async def one(account: AccountConfig) -> AccountCheck:
        async with gate:
            transport = transport_for(account) if transport_for is not None else None
            return await _check(account, clock or SystemClock(), options, transport)

    return list(await asyncio.gather(*(one(a) for a in accounts)))


async def _check(
    account: AccountConfig, clock: Clock, options: dict[str, Any], transport: Any
) -> AccountCheck:
    api = {"mws": "mws", "v0": "spapi-v0"}.get(account.api, "spapi-2026")
    try:
        credentials = account.credentials()
    except ConfigError as exc:
        return AccountCheck(account.name, False, False, str(exc), api)
    before = clock.now() - _WINDOW_END
    after = before - _WINDOW
    common = {**options, "endpoint": account.endpoint, "transport": transport}
    if account.endpoint is None and account.region:
        common["region"] = account.region
    try:
        if isinstance(credentials, LwaCredentials):
            async with AsyncSpApiClient(
                credentials=credentials, lwa_endpoint=account.lwa_endpoint, **common
            ) as client:
                if api == "spapi-v0":
                    await client.orders_v0.get_orders(
                        marketplace_ids=account.marketplaces,
                        last_updated_after=after,
                        last_updated_before=before,
                        max_results_per_page=1,
                    )
                else:
                    await client.orders_2026.search_orders(
                        marketplace_ids=account.marketplaces,
                        last_updated_after=after,
                        last_updated_before=before,
                        max_results_per_page=1,
                    )
        else:
            async with AsyncMwsClient(credentials=credentials, **common) as mws:
                await mws.list_orders(
                    marketplace_ids=account.marketplaces,
                    last_updated_after=after,
                    last_updated_before=before,
                    max_results_per_page=1,
                )
    except AuthError as exc:
        return AccountCheck(account.name, False, True, _line(exc), api)
    except AmzCancelError as exc:
        return AccountCheck(account.name, False, False, _line(exc), api)
    return AccountCheck(account.name, True, False, None, api)


def _line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
