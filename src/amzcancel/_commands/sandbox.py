"""``amzcancel sandbox serve``: run the simulated marketplace on a real port.

    amzcancel sandbox serve [--port 8000] [--host 127.0.0.1] [--seed N] [--orders N]
                            [--speed X] [--faults P] [--live]
                            [--push-queue-url URL [--push-delay S] [--push-loss P]
                             [--push-duplicates P] [--push-envelope sqs|sns]]

Prints the base URL and the sandbox credentials as ``export`` lines (fake values that open
nothing but the sandbox), then serves until interrupted.
"""

from __future__ import annotations

import argparse
import sys
import threading
from typing import Any

from amzcancel._commands._serving import enter_server, quirks_from
from amzcancel._commands._stop import Terminated
from amzcancel.errors import ConfigError

__all__ = ["register"]


def _probability(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be within 0..1, got {text}")
    return value


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def _non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value >= 0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"must be zero or more, got {text}")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= _MAX_PORT:
        raise argparse.ArgumentTypeError(f"must be within 0..{_MAX_PORT}, got {text}")
    return value


_MAX_PORT = 65535


def _sellers(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= value <= 10_000:
        raise argparse.ArgumentTypeError(f"must be within 1..10000, got {text}")
    return value


def register(subparsers: Any) -> None:
    """Add ``sandbox`` (with ``serve``) to the ``amzcancel`` command."""
    parser = subparsers.add_parser(
        "sandbox",
        help="the simulated Amazon marketplace",
        description=(
            "The simulated Amazon marketplace. 'amzcancel sandbox serve' runs it on a real port "
            "for any HTTP client; the --sandbox flag of sync, cancel, record and check uses it "
            "in-process instead."
        ),
    )
    actions = parser.add_subparsers(dest="sandbox_command", metavar="ACTION")
    actions.required = True
    serve = actions.add_parser(
        "serve", help="serve the simulated marketplace on 127.0.0.1 until interrupted"
    )
    serve.add_argument("--port", type=_port, default=8000, help="port (0 picks a free one)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--seed", type=int, default=7, help="scenario seed (default 7)")
    serve.add_argument("--orders", type=int, default=200, help="orders to start with")
    serve.add_argument(
        "--speed",
        type=_positive,
        default=1.0,
        help="multiplies rate limits and the pace of live changes (default 1)",
    )
    serve.add_argument(
        "--faults",
        type=_probability,
        default=0.0,
        help="probability of a fault (5xx, HTML error, slow answer, dropped connection)",
    )
    serve.add_argument("--live", action="store_true", help="keep changing orders while serving")
    serve.add_argument(
        "--sellers",
        type=_sellers,
        default=0,
        metavar="N",
        help="serve N sellers (seeds SEED..SEED+N-1, each with its own refresh token, orders and "
        "rate budgets) and print, as shell lines, their tokens and an accounts file",
    )
    quirks = serve.add_argument_group(
        "quirks", "what the APIs bend on purpose, to test a client's handling of it"
    )
    quirks.add_argument(
        "--index-lag",
        type=_non_negative,
        default=0.0,
        metavar="SECONDS",
        help="listings select orders by the update time an index this far behind holds, while "
        "documents show the current state",
    )
    quirks.add_argument(
        "--repeat-page-tokens",
        choices=("same", "alternate"),
        default="",
        help="listing pages answer with the token they were asked with, or two tokens in turn",
    )
    quirks.add_argument(
        "--duplicates",
        type=_probability,
        default=0.0,
        metavar="SHARE",
        help="share of listing pages that repeat the previous page's last order",
    )
    quirks.add_argument(
        "--future-dated",
        type=_probability,
        default=0.0,
        metavar="SHARE",
        help="share of orders shown with a LastUpdateDate 400 days ahead until they change",
    )
    quirks.add_argument(
        "--malformed",
        type=_probability,
        default=0.0,
        metavar="SHARE",
        help="share of orders rendered without an item id until they change",
    )
    quirks.add_argument(
        "--drip",
        type=_probability,
        default=0.0,
        metavar="SHARE",
        help="share of answers sent one byte at a time (see --drip-seconds)",
    )
    quirks.add_argument(
        "--drip-seconds",
        type=_positive,
        default=2.0,
        metavar="SECONDS",
        help="pause between the bytes of a dripped answer (default 2)",
    )
    push = serve.add_argument_group(
        "push", "deliver ORDER_CHANGE notifications to an SQS queue on 127.0.0.1, as Amazon would"
    )
    push.add_argument(
        "--push-queue-url",
        metavar="URL",
        help="the local queue (e.g. moto's server); AWS keys and region from the environment",
    )
    push.add_argument(
        "--push-delay",
        type=_non_negative,
        default=1.0,
        metavar="SECONDS",
        help="mean delivery delay (each message 0.5x to 1.5x of it; default 1)",
    )
    push.add_argument(
        "--push-loss",
        type=_probability,
        default=0.0,
        metavar="SHARE",
        help="share of notifications never delivered",
    )
    push.add_argument(
        "--push-duplicates",
        type=_probability,
        default=0.0,
        metavar="SHARE",
        help="share of notifications delivered twice",
    )
    push.add_argument(
        "--push-envelope",
        choices=("sqs", "sns"),
        default="sqs",
        help="the notification as the message body (sqs, as Amazon sends) or in an SNS envelope",
    )
    serve.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace, *, stop: threading.Event | None = None) -> int:
    from amzcancel.sandbox import (
        SANDBOX_LWA_CLIENT_ID,
        SANDBOX_LWA_CLIENT_SECRET,
        SANDBOX_LWA_REFRESH_TOKEN,
        SANDBOX_MWS_ACCESS_KEY,
        SANDBOX_MWS_SECRET_KEY,
        SANDBOX_MWS_SELLER_ID,
        Marketplace,
        PushOptions,
    )

    if args.orders < 0:
        raise ConfigError(f"--orders must not be negative, got {args.orders}")
    if args.sellers:
        from amzcancel._commands._fleet import serve_fleet

        return serve_fleet(args, stop=stop)
    quirks = quirks_from(args)
    push = (
        None
        if not args.push_queue_url
        else PushOptions(
            args.push_queue_url,
            delay_seconds=args.push_delay,
            loss=args.push_loss,
            duplicates=args.push_duplicates,
            envelope=args.push_envelope,
        )
    )
    mp = Marketplace(
        seed=args.seed,
        orders=args.orders,
        speed=args.speed,
        faults=args.faults,
        live=args.live,
        quirks=quirks,
        push=push,
    )
    server = mp.serve(port=args.port, host=args.host)
    base_url = enter_server(server, args)
    try:
        lines = [
            f"amzcancel sandbox: serving {mp!r} at {base_url}",
            "# sandbox credentials (fake; they open nothing but this sandbox):",
            f"export LWA_APP_ID='{SANDBOX_LWA_CLIENT_ID}'",
            f"export LWA_CLIENT_SECRET='{SANDBOX_LWA_CLIENT_SECRET}'",
            f"export SP_API_REFRESH_TOKEN='{SANDBOX_LWA_REFRESH_TOKEN}'",
            f"export MWS_ACCESS_KEY='{SANDBOX_MWS_ACCESS_KEY}'",
            f"export MWS_SECRET_KEY='{SANDBOX_MWS_SECRET_KEY}'",
            f"export MWS_SELLER_ID='{SANDBOX_MWS_SELLER_ID}'",
            f"export SP_API_SELLER_ID='{SANDBOX_MWS_SELLER_ID}'",  # the cancel feed's merchant
            f"# amzcancel sync --endpoint {base_url} --lwa-endpoint {base_url}/auth/o2/token",
            "# press Ctrl+C to stop",
        ]
        if mp.pusher is not None:
            lines.insert(1, f"amzcancel sandbox: pushing ORDER_CHANGE to {args.push_queue_url}")
            mp.pusher.start(mp.catch_up)
        print("\n".join(lines), flush=True)
        (stop or threading.Event()).wait()
    except (KeyboardInterrupt, Terminated):
        print("amzcancel sandbox: stopped", file=sys.stderr)
    finally:
        if mp.pusher is not None:
            mp.pusher.stop()
        server.__exit__(None, None, None)
    return 0
