"""``amzcancel record``: record one sync's traffic, redacted, into a replayable fixture file.

    amzcancel record --out FIXTURE [--api auto|2026|v0|mws] [--sandbox [--seed N] [--orders N]]
                     [--endpoint URL]
                     [--lwa-endpoint URL] [--since ISO8601] [--marketplace ID]...
                     [--store PATH] [--note TEXT] [--json]

It runs exactly what ``amzcancel sync`` runs (same engine, same calls), with a recording
transport injected, against a throw-away store unless ``--store`` is given, so recording never
moves a real cursor. Secrets and buyer PII are redacted before anything is written.

Added in 0.1.0.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from amzcancel._commands._options import (
    add_paths,
    add_region,
    add_since,
    sandbox_marketplace,
)
from amzcancel.errors import ConfigError

if TYPE_CHECKING:
    from amzcancel.sandbox import Marketplace

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add ``record`` to the CLI."""
    parser = subparsers.add_parser(
        "record",
        help="record one sync's traffic (redacted) into a fixture file for offline tests",
        description=(
            "Run one sync with every HTTP exchange recorded, secrets and buyer PII redacted, "
            "into a JSON fixture that amzcancel.testing replays. Credentials as for sync: "
            "LWA_APP_ID, LWA_CLIENT_SECRET, SP_API_REFRESH_TOKEN (MWS: MWS_ACCESS_KEY, "
            "MWS_SECRET_KEY, MWS_SELLER_ID)."
        ),
    )
    parser.add_argument("--out", required=True, metavar="FIXTURE", help="fixture file to write")
    parser.add_argument(
        "--api",
        choices=("auto", "2026", "v0", "mws"),
        default="auto",
        help="orders API (default auto: Orders 2026-01-01, else v0)",
    )
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="record against the built-in sandbox (in-process, or at --endpoint if given)",
    )
    parser.add_argument(
        "--seed", type=int, default=None, help="sandbox scenario seed (in-process --sandbox)"
    )
    parser.add_argument(
        "--orders", type=int, default=None, help="sandbox orders to start with (default 300)"
    )
    add_paths(parser)
    add_region(parser)
    parser.add_argument("--endpoint", metavar="URL", help="SP-API (or MWS) base URL")
    parser.add_argument("--lwa-endpoint", metavar="URL", help="LWA token URL")
    add_since(parser, "where the recorded sync starts (default 7 days back; UTC if no offset)")
    parser.add_argument(
        "--marketplace",
        action="append",
        dest="marketplaces",
        metavar="ID",
        help="marketplace id, repeatable (default ATVPDKIKX0DER)",
    )
    parser.add_argument(
        "--store", metavar="PATH", help="SQLite store to sync into (default: a temporary one)"
    )
    parser.add_argument("--note", default="", help="free text stored in the fixture")
    parser.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Record one sync with the parsed arguments; returns the exit status."""
    out = Path(args.out)
    # Checked first: the fixture is written only after the whole sync has run.
    if out.is_dir():
        raise ConfigError(f"--out {args.out}: is a directory; name the fixture file to write")
    if not out.parent.is_dir():
        raise ConfigError(
            f"--out {args.out}: there is no directory {out.parent}; create it first "
            "(amzcancel record writes one file, it makes no directories)"
        )
    custom = (args.seed, args.orders) != (None, None)
    if custom and not args.sandbox:
        raise ConfigError("--seed and --orders shape the built-in sandbox: add --sandbox")
    if args.sandbox and args.endpoint is None and not custom and args.store is not None:
        # Syncing into a store: the marketplace its other --sandbox commands saw and changed.
        with sandbox_marketplace(args.store) as saved:
            return _record(args, saved)
    if args.sandbox and args.endpoint is None and custom:
        from amzcancel.sandbox import Marketplace

        options = {k: v for k, v in (("seed", args.seed), ("orders", args.orders)) if v is not None}
        return _record(args, Marketplace.demo(**options))
    return _record(args, None)


def _record(args: argparse.Namespace, marketplace: Marketplace | None) -> int:
    from amzcancel.testing import record_sync

    result = record_sync(
        args.out,
        sandbox=args.sandbox,
        marketplace=marketplace,
        api=args.api,
        endpoint=args.endpoint,
        lwa_endpoint=args.lwa_endpoint,
        since=args.since,
        marketplaces=args.marketplaces,
        paths=args.paths,
        region=args.region,
        store=args.store,
        note=args.note,
    )
    if args.json:
        print(json.dumps(result.to_json()))
    else:
        print(
            f"recorded {result.exchanges} exchanges ({result.sync.orders_seen} orders, "
            f"{result.sync.buyer_cancel_requests} open buyer cancel requests, "
            f"api {result.sync.api}) to {result.path}",
            file=sys.stderr,
        )
    return 0
