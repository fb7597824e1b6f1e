"""What the many-seller commands share: ``--config``, ``--account`` and opening a store to read.

Added in 0.2.0.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from amzcancel._commands._options import store_target
from amzcancel.errors import ConfigError, StoreError
from amzcancel.sync import Store, is_postgres_url, open_store
from amzcancel.workers import ENV_CONFIG, AccountsFile, config_path, load_accounts, parse_duration

__all__ = [
    "add_account",
    "add_config",
    "duration_arg",
    "load_config",
    "open_existing_store",
    "parse_event_id",
    "sqs_wait_arg",
]


def add_config(parser: argparse.ArgumentParser) -> None:
    """``--config PATH``: the accounts file (default ``$AMZCANCEL_CONFIG``)."""
    parser.add_argument(
        "--config",
        metavar="PATH",
        help=f"the accounts file (TOML, one [[accounts]] table per seller; default ${ENV_CONFIG})",
    )


def add_account(parser: argparse.ArgumentParser, what: str) -> None:
    """``--account NAME``: one account only."""
    parser.add_argument("--account", metavar="NAME", help=f"only this account's {what}")


def load_config(args: argparse.Namespace) -> AccountsFile:
    """The accounts file ``--config`` (or ``$AMZCANCEL_CONFIG``) names, read and checked."""
    return load_accounts(config_path(args.config))


def open_existing_store(args: argparse.Namespace, *, read_only: bool) -> Store:
    """The store ``--store`` names, which must exist already (reading never creates one)."""
    target = store_target(args)
    if not is_postgres_url(target) and not Path(target).is_file():
        raise StoreError(f"{target}: no such store (run `amzcancel sync` or a worker first)")
    return open_store(target, create=False, read_only=read_only)


def parse_event_id(text: str, *, minimum: int = 1) -> int:
    """An event id argument (ids start at 1; ``--after 0`` means from the start)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an event id: {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"must be {minimum} or more, got {text}")
    return value


def sqs_wait_arg(text: str) -> int:
    """An SQS long-poll wait argument: whole seconds, 0 to 20."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 0 <= value <= 20:
        raise argparse.ArgumentTypeError(f"must be 0 to 20, got {text}")
    return value


def duration_arg(text: str) -> float:
    """A duration argument (``90s``, ``5m``, ``1h``) in seconds."""
    try:
        return parse_duration(text)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("duration: ")) from None
