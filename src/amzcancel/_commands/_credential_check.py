"""``amzcancel check``'s diagnosis: one cheap call, and which part of the setup is wrong.

A refused setup fails in one of a few places, and each has its own fix: a variable is not
set; LWA refuses the app's client id and secret (``invalid_client``) or the refresh token
(``invalid_grant``); LWA is fine but the Orders API refuses the call (a role the app lacks, or
a seller of another region); or the host cannot be reached at all. One orders call (a listing
of the last day, one result) goes through all of them in order, since it first fetches an
access token: its error says which step failed.

Added in 0.2.0.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import urlsplit

from amzcancel.errors import (
    AmzCancelError,
    APIError,
    AuthError,
    MissingCredentialsError,
    ThrottledError,
    TransportError,
)
from amzcancel.transport import LWA_ENV_VARS, MWS_ENV_VARS, MwsClient, SpApiClient

__all__ = ["ENV_SELLER_ID", "Check", "check_mws", "check_spapi", "merchant_check"]

ENV_SELLER_ID = "SP_API_SELLER_ID"
"""The merchant identifier ``amzcancel cancel`` puts in the feed header."""

State = Literal["ok", "fail", "skip", "note"]

_ROLE = "Inventory and Order Tracking"
# A day back: a computer clock a little ahead of Amazon's must not make the window invalid.
_LOOKBACK = timedelta(days=1)


@dataclass(frozen=True)
class Check:
    """One line of the diagnosis."""

    name: str
    state: State
    detail: str

    def to_json(self) -> dict[str, str]:
        """The check as a JSON object."""
        return {"name": self.name, "state": self.state, "detail": self.detail}


def _host(url: str | None) -> str:
    return urlsplit(url or "").netloc or "the host"


def check_spapi(
    make_client: Callable[[], SpApiClient],
    *,
    api: str,
    marketplaces: Sequence[str],
    now: datetime,
    credentials: str = f"{', '.join(LWA_ENV_VARS)} are set",
) -> list[Check]:
    """Diagnose SP-API access: credentials, LWA, then the orders role with one call."""
    try:
        client = make_client()
    except MissingCredentialsError as exc:
        return [
            Check(
                "credentials",
                "fail",
                f"not set: {', '.join(exc.variables)} (the end of `amzcancel check --help` "
                "says where each value comes from)",
            ),
            Check("LWA", "skip", "needs the credentials"),
            Check("orders", "skip", "needs the credentials"),
        ]
    with client:
        checks = [Check("credentials", "ok", credentials)]
        token_url = client.auth.token_url
        host = _host(client.endpoint)
        apis = ("2026", "v0") if api == "auto" else (api,)
        refused: list[str] = []
        for name in apis:
            try:
                count = _list_recent(client, name, marketplaces, now)
            except AmzCancelError as exc:
                lwa = _lwa_failure(exc, token_url)
                if lwa is not None:
                    return [*checks, lwa, Check("orders", "skip", "needs an access token")]
                if isinstance(exc, ThrottledError):
                    note = f"{_OPERATION[name]} was throttled, so the app and its role are accepted"
                    return [*checks, _lwa_ok(), Check("orders", "ok", note)]
                if isinstance(exc, APIError) and exc.status_code in (403, 404):
                    refused.append(
                        f"{_OPERATION[name]}: {exc.status_code} {exc.code or ''}".strip()
                    )
                    continue
                return [*checks, _lwa_ok(), Check("orders", "fail", _call_failure(exc, host))]
            detail = f"{_OPERATION[name]} answered ({_recent(count)})"
            if refused:
                detail += f"; {refused[0]} refused, so sync reads Orders v0"
            return [*checks, _lwa_ok(), Check("orders", "ok", detail)]
        why = "; ".join(refused)
        return [
            *checks,
            _lwa_ok(),
            Check(
                "orders",
                "fail",
                f"Amazon refused the orders call ({why}) at {host}: the app lacks the {_ROLE} "
                "role, or the seller is in another region (use --marketplace or --region); a "
                "role added to the app needs the app authorized again (a new refresh token)",
            ),
        ]


_OPERATION = {"2026": "searchOrders (Orders 2026-01-01)", "v0": "getOrders (Orders v0)"}


def _recent(count: int) -> str:
    return (
        "orders were updated in the last day" if count else "no order was updated in the last day"
    )


def _list_recent(client: SpApiClient, api: str, marketplaces: Sequence[str], now: datetime) -> int:
    since = now - _LOOKBACK
    if api == "2026":
        page = client.orders_2026.search_orders(
            last_updated_after=since, marketplace_ids=marketplaces, max_results_per_page=1
        )
    else:
        page = client.orders_v0.get_orders(
            last_updated_after=since, marketplace_ids=marketplaces, max_results_per_page=1
        )
    return len(page.orders) + (1 if page.next_token else 0)


def _lwa_ok() -> Check:
    return Check("LWA", "ok", "the app's client id and secret and the refresh token are accepted")


def _lwa_failure(exc: AmzCancelError, token_url: str) -> Check | None:
    """The LWA line when the token request is what failed, else ``None``."""
    url = getattr(exc, "url", None)
    from_lwa = url == token_url or "LWA token request" in str(exc) or str(exc).startswith("LWA ")
    if not from_lwa:
        return None
    if isinstance(exc, TransportError):
        return Check(
            "LWA", "fail", f"{exc}: check the network, a proxy (HTTPS_PROXY) or --lwa-endpoint"
        )
    code = getattr(exc, "code", None)
    if code == "invalid_client":
        return Check(
            "LWA",
            "fail",
            "LWA refused the app's client id or secret (invalid_client): set LWA_APP_ID and "
            "LWA_CLIENT_SECRET to the LWA credentials of one app, as Developer Central shows "
            "them; a rotated client secret replaces the old one",
        )
    if code == "invalid_grant":
        return Check(
            "LWA",
            "fail",
            "LWA refused the refresh token (invalid_grant): SP_API_REFRESH_TOKEN is mistyped, "
            "revoked, or belongs to another app; authorize the app again and copy the new token",
        )
    if isinstance(exc, AuthError):
        return Check("LWA", "fail", f"{exc} ({code or 'no code'})")
    return Check("LWA", "fail", f"{exc}: try again later")


def _call_failure(exc: AmzCancelError, host: str) -> str:
    if isinstance(exc, TransportError):
        return f"{exc}: check the network, a proxy (HTTPS_PROXY) or --endpoint"
    return f"Amazon answered {host} with an error: {exc}"


def check_mws(
    make_client: Callable[[], MwsClient], *, marketplaces: Sequence[str], now: datetime
) -> list[Check]:
    """Diagnose MWS access (an archive gateway): credentials, then one ListOrders call."""
    try:
        client = make_client()
    except MissingCredentialsError as exc:
        return [
            Check("credentials", "fail", f"not set: {', '.join(exc.variables)}"),
            Check("orders", "skip", "needs the credentials"),
        ]
    with client:
        checks = [Check("credentials", "ok", f"{', '.join(MWS_ENV_VARS)} are set")]
        try:
            page = client.list_orders(
                marketplace_ids=marketplaces,
                last_updated_after=now - _LOOKBACK,
                max_results_per_page=1,
            )
        except ThrottledError:
            return [
                *checks,
                Check("orders", "ok", "ListOrders was throttled, so the keys are accepted"),
            ]
        except AmzCancelError as exc:
            hint = _MWS_HINTS.get(getattr(exc, "code", None) or "", "")
            return [*checks, Check("orders", "fail", f"{exc}{hint}")]
        count = len(page.orders) + (1 if page.next_token else 0)
        return [
            *checks,
            Check("orders", "ok", f"ListOrders answered ({_recent(count)})"),
        ]


_MWS_HINTS = {
    "InvalidAccessKeyId": ": MWS_ACCESS_KEY is not a key the endpoint knows",
    "SignatureDoesNotMatch": ": MWS_SECRET_KEY does not belong to MWS_ACCESS_KEY",
    "AccessDenied": ": MWS_SELLER_ID (or MWS_AUTH_TOKEN) does not match the keys",
}


def merchant_check(given: str | None) -> Check:
    """Whether ``amzcancel cancel`` has the merchant identifier for the feed header."""
    if given or os.environ.get(ENV_SELLER_ID, "").strip():
        return Check(
            "merchant id", "ok", f"{ENV_SELLER_ID} is set (the cancellation feed's header)"
        )
    return Check(
        "merchant id",
        "note",
        f"{ENV_SELLER_ID} is not set: amzcancel cancel needs it, or --merchant-id (Seller "
        "Central: Settings > Account Info > Merchant Token)",
    )
