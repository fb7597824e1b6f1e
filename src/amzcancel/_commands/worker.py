"""``amzcancel worker``: keep every account of the accounts file in step, until stopped.

Added in 0.2.0.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any

from amzcancel._commands._options import add_store, store_target
from amzcancel._commands._shared import add_config, duration_arg, load_config, sqs_wait_arg
from amzcancel.sync import Store, open_store
from amzcancel.workers import (
    DEFAULT_LEASE_SECONDS,
    DEFAULT_MAX_CONCURRENT,
    DEFAULT_RENEW_SECONDS,
    AccountConfig,
    Worker,
    WorkerTask,
    format_duration,
)

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add ``worker`` to the CLI."""
    parser = subparsers.add_parser(
        "worker",
        help="keep every account of the accounts file in step until SIGTERM/SIGINT",
        description=(
            "Claim due accounts from the store, sync each on its interval, and share them with "
            "every other worker of the same store (PostgreSQL for several machines). Stops "
            "cleanly on SIGTERM or Ctrl+C (exit 0): runs in progress are cancelled without "
            "moving a cursor past what was stored, and their accounts given back."
        ),
    )
    add_config(parser)
    add_store(parser, "the store the workers share")
    parser.add_argument("--name", help="this worker's name in the store (default host:pid:random)")
    parser.add_argument(
        "--concurrency",
        type=_count,
        default=DEFAULT_MAX_CONCURRENT,
        metavar="N",
        help=f"accounts synced at once (default {DEFAULT_MAX_CONCURRENT})",
    )
    parser.add_argument(
        "--lease",
        type=duration_arg,
        default=DEFAULT_LEASE_SECONDS,
        metavar="DURATION",
        help=f"how long a claim lasts unrenewed: the most a dead worker's accounts wait "
        f"(default {format_duration(DEFAULT_LEASE_SECONDS)})",
    )
    parser.add_argument(
        "--renew",
        type=duration_arg,
        default=DEFAULT_RENEW_SECONDS,
        metavar="DURATION",
        help=f"how often leases are renewed, at most half of --lease "
        f"(default {format_duration(DEFAULT_RENEW_SECONDS)})",
    )
    parser.add_argument(
        "--queue-url",
        metavar="URL",
        help="also consume ORDER_CHANGE notifications from this SQS queue, routed to the "
        "accounts by their seller_id (needs amzcancel[sqs])",
    )
    parser.add_argument(
        "--wait-seconds",
        type=sqs_wait_arg,
        default=20,
        metavar="N",
        help="the SQS long-poll wait, 0 to 20 (default 20)",
    )
    parser.set_defaults(handler=run)


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {text}")
    return value


def run(args: argparse.Namespace) -> int:
    """Serve until SIGTERM/SIGINT; returns the exit status (0 after a clean stop)."""
    config = load_config(args)
    target = store_target(args)
    with open_store(target) as store:
        tasks = [] if args.queue_url is None else [_listener_task(args, store, config.accounts)]
        worker = Worker(
            store,
            config.accounts,
            name=args.name,
            lease_seconds=args.lease,
            renew_seconds=args.renew,
            max_concurrent=args.concurrency,
            tasks=tasks,
        )
        serving = (
            f"amzcancel worker {worker.name} (pid {os.getpid()}): serving "
            f"{len(config.accounts)} accounts of "
            f"{config.path} (lease {format_duration(args.lease)}, renewed every "
            f"{format_duration(args.renew)})"
            + ("" if args.queue_url is None else f", notifications from {args.queue_url}")
            + "; stop with Ctrl+C or SIGTERM"
        )
        asyncio.run(_serve(worker, serving))
    print(
        f"amzcancel worker {worker.name}: stopped after {worker.runs_ok + worker.runs_failed} "
        f"runs ({worker.runs_failed} failed, {worker.leases_lost} leases lost); "
        "accounts given back",
        file=sys.stderr,
    )
    return 0


def _listener_task(
    args: argparse.Namespace, store: Store, accounts: Sequence[AccountConfig]
) -> WorkerTask:
    """The worker's notification listener: applies each seller's notifications to its account.

    Notified orders are not confirmed with ``getOrder`` here: the account's calls belong to
    the worker holding its lease (two clients for one seller would share its rate budget
    unknowingly), and that worker's next run reads the orders in full.
    """
    from amzcancel.push import Listener, PushAccount, SqsQueue

    listener = Listener(
        queue=SqsQueue(args.queue_url, wait_seconds=args.wait_seconds),
        store=store,
        accounts=[PushAccount(a.name, seller_id=a.seller_id) for a in accounts],
        confirm=False,
        reconcile_seconds=None,
    )

    async def listen(worker: Worker) -> None:
        await listener.run(asyncio.Event())  # ends when the worker cancels it

    return listen


async def _serve(worker: Worker, serving: str) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGTERM, signal.SIGINT)
    # In the main thread the signals set the stop event, so the worker stops between steps
    # (an embedding application's own thread keeps its own signal handling).
    installed = threading.current_thread() is threading.main_thread()
    if installed:
        for signum in signals:
            loop.add_signal_handler(signum, stop.set)
    # Said once the signals stop it cleanly: a supervisor may wait for this line.
    print(serving, file=sys.stderr, flush=True)
    try:
        await worker.run(stop)
    finally:
        if installed:
            for signum in signals:
                loop.remove_signal_handler(signum)
