"""``amzcancel accounts [list|check]``: the accounts file's sellers, and whether Amazon takes
their credentials.

Added in 0.2.0.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from amzcancel._commands._shared import add_config, load_config
from amzcancel.workers import AccountConfig, check_accounts, format_duration

__all__ = ["register"]

EXIT_REFUSED = 2


def register(subparsers: Any) -> None:
    """Add ``accounts`` to the CLI."""
    parser = subparsers.add_parser(
        "accounts",
        help="list the accounts file's sellers, or check their credentials (accounts check)",
        description=(
            "List the seller accounts of the accounts file (no secrets: only where each one's "
            "come from), or with `check` make one cheap call per account (an LWA token and a "
            "one-order listing) and report which credentials Amazon refuses (exit 2 if any)."
        ),
    )
    parser.add_argument(
        "action",
        nargs="?",
        choices=("list", "check"),
        default="list",
        help="list (default) or check",
    )
    add_config(parser)
    parser.add_argument("--json", action="store_true", help="print JSON on stdout")
    parser.set_defaults(handler=run)


def account_row(account: AccountConfig) -> dict[str, Any]:
    """The JSON object ``accounts --json`` prints for one account (no secret)."""
    missing = account.missing_credentials()
    return {
        "name": account.name,
        "api": account.api,
        "marketplaces": list(account.marketplaces),
        "region": account.region,
        "interval": format_duration(account.interval_seconds),
        "interval_seconds": account.interval_seconds,
        "credentials": account.credential_source,
        "credentials_present": not missing,
        "problem": missing[0] if missing else None,
        "endpoint": account.endpoint,
        "lwa_endpoint": account.lwa_endpoint,
    }


def run(args: argparse.Namespace) -> int:
    """List or check the accounts; returns the exit status."""
    config = load_config(args)
    if args.action == "check":
        return _check(config.accounts, as_json=args.json)
    rows = [account_row(account) for account in config.accounts]
    if args.json:
        json.dump(rows, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    print(f"{len(rows)} accounts in {config.path}")
    for row in rows:
        where = row["region"] or ("endpoint " + row["endpoint"] if row["endpoint"] else "")
        state = "ok" if row["credentials_present"] else f"MISSING: {row['problem']}"
        print(
            f"{row['name']}\tapi {row['api']}\t{','.join(row['marketplaces'])}"
            f"{' ' + where if where else ''}\tevery {row['interval']}\t"
            f"credentials {row['credentials']} ({state})"
        )
    return 0


def _check(accounts: tuple[AccountConfig, ...], *, as_json: bool) -> int:
    results = asyncio.run(check_accounts(accounts))
    if as_json:
        json.dump([r.to_json() for r in results], sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for r in results:
            verdict = "ok" if r.ok else ("REFUSED" if r.refused else "FAILED")
            print(f"{r.name}\t{verdict}" + (f"\t{r.error}" if r.error else ""))
    bad = [r for r in results if not r.ok]
    if bad:
        refused = sum(1 for r in bad if r.refused)
        print(
            f"amzcancel accounts check: {len(bad)} of {len(results)} accounts failed "
            f"({refused} refused by Amazon)",
            file=sys.stderr,
        )
        return EXIT_REFUSED
    return 0
