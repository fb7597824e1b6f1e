"""``amzcancel sandbox serve --sellers N``: many sellers from one port, ready for workers.

It prints shell lines: the app's LWA id and secret and each seller's refresh token as
``export`` lines, then an accounts file written by a here-document and ``AMZCANCEL_CONFIG``
pointing at it, so ``amzcancel sandbox serve --sellers 50 > sandbox.sh`` then
``. ./sandbox.sh`` prepares a shell for ``amzcancel worker``.

Added in 0.2.0.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import threading

from amzcancel._commands._serving import enter_server, quirks_from
from amzcancel._commands._stop import Terminated

__all__ = ["ACCOUNTS_FILE", "serve_fleet"]

ACCOUNTS_FILE = "sandbox-accounts.toml"
"""The file name the printed lines write the accounts file to."""


def serve_fleet(args: argparse.Namespace, *, stop: threading.Event | None = None) -> int:
    """Serve ``args.sellers`` sellers until interrupted; returns the exit status."""
    from amzcancel.sandbox import SellerFleet

    quirks = quirks_from(args)
    fleet = SellerFleet(
        args.sellers,
        seed=args.seed,
        orders=args.orders,
        speed=args.speed,
        faults=args.faults,
        live=args.live,
        quirks=quirks,
    )
    server = fleet.serve(port=args.port, host=args.host)
    base_url = enter_server(server, args)
    try:
        lines = [
            f"# amzcancel sandbox: serving {len(fleet.sellers)} sellers at {base_url}",
            "# fake credentials: they open nothing but this sandbox",
            *(f"export {name}={shlex.quote(value)}" for name, value in fleet.environment().items()),
            f"cat > {ACCOUNTS_FILE} <<'TOML'",
            fleet.accounts_file(base_url).rstrip("\n"),
            "TOML",
            f"export AMZCANCEL_CONFIG={ACCOUNTS_FILE}",
            f"# ground truth per seller: {base_url}/_sandbox/truth?seller=NAME",
            "# then: amzcancel worker --store URL (twice), amzcancel status --store URL",
        ]
        print("\n".join(lines), flush=True)
        (stop or threading.Event()).wait()
    except (KeyboardInterrupt, Terminated):
        print("amzcancel sandbox: stopped", file=sys.stderr)
    finally:
        server.__exit__(None, None, None)
    return 0
