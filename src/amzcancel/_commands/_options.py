"""Flags several commands share, defined once so they read the same everywhere.

Added in 0.1.0.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from amzcancel.errors import ConfigError

if TYPE_CHECKING:
    from amzcancel.sandbox import Marketplace

__all__ = [
    "DEFAULT_STORE",
    "ENV_STORE",
    "add_paths",
    "add_region",
    "add_since",
    "add_store",
    "refuse_endpoints_with_sandbox",
    "sandbox_marketplace",
    "store_target",
]

ENV_STORE = "AMZCANCEL_STORE"
"""The variable naming the store when ``--store`` is not given (a path or postgresql:// URL)."""

DEFAULT_STORE = "amzcancel.db"
"""The SQLite file in the current directory, when neither ``--store`` nor the variable says."""


def add_store(parser: argparse.ArgumentParser, what: str = "the store") -> None:
    """``--store PATH|URL``: a SQLite file or a ``postgresql://`` URL."""
    parser.add_argument(
        "--store",
        metavar="PATH|URL",
        help=(
            f"{what}: a SQLite file or a postgresql:// URL "
            f"(default: ${ENV_STORE}, else {DEFAULT_STORE})"
        ),
    )


def store_target(args: argparse.Namespace) -> str:
    """The store a command uses: ``--store``, else ``$AMZCANCEL_STORE``, else the default."""
    given: str | None = getattr(args, "store", None)
    return given or os.environ.get(ENV_STORE) or DEFAULT_STORE


def add_since(parser: argparse.ArgumentParser, help_text: str) -> None:
    """``--since ISO8601``: where a first sync starts (UTC when no offset is given)."""
    parser.add_argument("--since", type=_parse_since, metavar="ISO8601", help=help_text)


def _parse_since(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date/time: {text!r}") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def add_region(parser: argparse.ArgumentParser) -> None:
    """``--region na|eu|fe``: the SP-API (or MWS) region, by default that of ``--marketplace``."""
    parser.add_argument(
        "--region",
        type=str.lower,
        choices=("na", "eu", "fe"),
        help=(
            "Amazon region whose host to call (default: the region of --marketplace, "
            "else na); ignored with --endpoint and --sandbox"
        ),
    )


def add_paths(parser: argparse.ArgumentParser) -> None:
    """``--paths auto|LIST``: the paths a multi-path sync shares a backlog among."""
    parser.add_argument(
        "--paths",
        default="auto",
        metavar="auto|LIST",
        help=(
            "with --api auto, the paths a backlog is shared among, each with its own rate "
            "budget: auto (searchOrders, getOrder and v0 getOrderItems, as the app's roles "
            "allow) or a comma-separated list of those; --api 2026|v0|mws reads one API alone"
        ),
    )


def refuse_endpoints_with_sandbox(args: argparse.Namespace) -> None:
    """``--sandbox`` talks to the built-in marketplace: an endpoint beside it would be ignored.

    Raises:
        ConfigError: ``--endpoint`` or ``--lwa-endpoint`` was given with ``--sandbox``.
    """
    given = [
        flag
        for flag, value in (("--endpoint", args.endpoint), ("--lwa-endpoint", args.lwa_endpoint))
        if value
    ]
    if args.sandbox and given:
        raise ConfigError(
            f"--sandbox uses the built-in marketplace; {' and '.join(given)} cannot be used "
            "with it (serve one with 'amzcancel sandbox serve' and pass its URL instead)"
        )


@contextmanager
def sandbox_marketplace(
    store: str, *, marketplace_ids: Sequence[str] | None = None
) -> Iterator[Marketplace]:
    """The demo marketplace every ``--sandbox`` command on ``store`` shares (saved on exit).

    It is kept next to the store (``<store>.sandbox.json``), so ``cancel --sandbox`` and the
    next ``sync --sandbox`` see one marketplace: what was cancelled stays cancelled.
    """
    from amzcancel.sandbox import demo_session, demo_state_path

    with demo_session(demo_state_path(store), marketplace_ids=marketplace_ids) as market:
        yield market
