"""``amzcancel check``: are the credentials right, and if not, which one is wrong?

    amzcancel check [--api auto|2026|v0|mws] [--marketplace ID]... [--region na|eu|fe]
                    [--endpoint URL] [--lwa-endpoint URL] [--merchant-id ID] [--sandbox] [--json]

One cheap orders call (the orders updated in the last day, one per page) goes through every
step a sync needs: the variables are set, LWA accepts the app and the refresh token, the
Orders API accepts the app's role for this seller and region. Each step gets a line; the first
that fails says what to change (:mod:`amzcancel._commands._credential_check`).

Added in 0.2.0.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from typing import Any

from amzcancel._commands._credential_check import (
    ENV_SELLER_ID,
    Check,
    check_mws,
    check_spapi,
    merchant_check,
)
from amzcancel._commands._options import add_region
from amzcancel.errors import ConfigError
from amzcancel.transport import MwsClient, Region, SpApiClient, region_for_marketplaces

__all__ = ["WHERE_EACH_VALUE_COMES_FROM", "register", "run"]

WHERE_EACH_VALUE_COMES_FROM = f"""\
where each value comes from (Seller Central, signed in as the seller's primary user):
  LWA_APP_ID            Apps and Services > Develop Apps > your app > LWA credentials > View:
                        the Client identifier (amzn1.application-oa2-client.…)
  LWA_CLIENT_SECRET     the Client secret, on the same page
  SP_API_REFRESH_TOKEN  Develop Apps > your app > the arrow beside Edit App > Authorize >
                        Authorize app: the refresh token (Atzr|…), shown once
  {ENV_SELLER_ID:<20}  Settings > Account Info > Merchant Token (only amzcancel cancel needs it)
The app needs the role "Inventory and Order Tracking" (orders, and the feed that cancels).
Step by step: the credentials guide of the documentation (docs/getting-credentials.md)."""

_MARKS = {"ok": "ok", "fail": "FAIL", "skip": "-", "note": "note"}


def register(subparsers: Any) -> None:
    """Add ``check`` to the CLI."""
    parser = subparsers.add_parser(
        "check",
        help="check the credentials with one cheap call, and say which part is wrong",
        description=(
            "Check that amzcancel can talk to Amazon with the credentials in the environment: "
            "the variables are set, Login with Amazon accepts the app's client id and secret "
            "and the seller's refresh token, and the Orders API accepts the app's role for "
            "this seller and region. One orders call (the orders updated in the last day) "
            "does it; each step gets a line, and a failed one says what to change. Exit "
            "status 0 when everything works, 2 when a check failed."
        ),
        epilog=WHERE_EACH_VALUE_COMES_FROM,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--api",
        choices=("auto", "2026", "v0", "mws"),
        default="auto",
        help="orders API to check (default auto: Orders 2026-01-01, else v0, as sync reads)",
    )
    parser.add_argument(
        "--marketplace",
        action="append",
        dest="marketplaces",
        metavar="ID",
        help="marketplace id, repeatable (default ATVPDKIKX0DER); it picks the region's host",
    )
    add_region(parser)
    parser.add_argument("--endpoint", metavar="URL", help="SP-API (or MWS) base URL")
    parser.add_argument("--lwa-endpoint", metavar="URL", help="LWA token URL")
    parser.add_argument(
        "--merchant-id",
        metavar="ID",
        help=f"the merchant id cancel will use (default ${ENV_SELLER_ID})",
    )
    parser.add_argument(
        "--sandbox", action="store_true", help="check against the built-in simulated marketplace"
    )
    parser.add_argument("--json", action="store_true", help="print a JSON object on stdout")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run the checks and print them; exit 0 when all pass.

    Raises:
        ConfigError: a check failed (after the report is printed).
    """
    from amzcancel.sync import DEFAULT_MARKETPLACE

    marketplaces = args.marketplaces or [DEFAULT_MARKETPLACE]
    now = datetime.now(UTC)
    where, checks = _run_checks(args, marketplaces, now)
    checks.append(merchant_check(args.merchant_id))
    failed = [check.name for check in checks if check.state == "fail"]
    if args.json:
        body = {
            "ok": not failed,
            "api": args.api,
            "endpoint": where,
            "marketplaces": marketplaces,
            "checks": [check.to_json() for check in checks],
        }
        print(json.dumps(body))
    else:
        _print(where, checks, ok=not failed)
    if failed:
        raise ConfigError(f"{len(failed)} check(s) failed: {', '.join(failed)} (see above)")
    return 0


def _run_checks(
    args: argparse.Namespace, marketplaces: list[str], now: datetime
) -> tuple[str, list[Check]]:
    if args.sandbox:
        if args.endpoint or args.lwa_endpoint:
            raise ConfigError("--sandbox checks the built-in marketplace: leave out the endpoints")
        from amzcancel.sandbox import Marketplace

        market = Marketplace.demo()
        if args.api == "mws":
            return "the built-in sandbox (MWS)", check_mws(
                lambda: market.mws_client(max_retries=1),
                marketplaces=marketplaces,
                now=market.clock.now(),
            )
        return "the built-in sandbox", check_spapi(
            lambda: market.client(max_retries=1),
            api=args.api,
            marketplaces=marketplaces,
            now=market.clock.now(),
            credentials="the sandbox's fixed credentials (no variables needed)",
        )
    # The endpoint, when given, overrides the region (which is then not checked).
    region = Region.NA if args.endpoint else region_for_marketplaces(marketplaces, args.region)
    if args.api == "mws":

        def make_mws() -> MwsClient:
            return MwsClient(endpoint=args.endpoint, region=region, max_retries=1)

        where = args.endpoint or f"MWS, region {region.value}"
        return where, check_mws(make_mws, marketplaces=marketplaces, now=now)

    def make_spapi() -> SpApiClient:
        return SpApiClient(
            endpoint=args.endpoint, lwa_endpoint=args.lwa_endpoint, region=region, max_retries=1
        )

    where = args.endpoint or f"SP-API, region {region.value}"
    return where, check_spapi(make_spapi, api=args.api, marketplaces=marketplaces, now=now)


def _print(where: str, checks: list[Check], *, ok: bool) -> None:
    print(f"amzcancel check: {where}")
    width = max(len(check.name) for check in checks)
    for check in checks:
        print(f"  {_MARKS[check.state]:<4}  {check.name:<{width}}  {check.detail}")
    if ok:
        print("everything amzcancel needs works")
