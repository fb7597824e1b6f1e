"""What ``amzcancel sandbox serve`` shares between one marketplace and a fleet of sellers.

Added in 0.2.0.
"""

from __future__ import annotations

import argparse
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from amzcancel.errors import ConfigError

if TYPE_CHECKING:
    from amzcancel.sandbox import Quirks

__all__ = ["enter_server", "quirks_from"]


def quirks_from(args: argparse.Namespace) -> Quirks:
    """The :class:`~amzcancel.sandbox.Quirks` the serve flags ask for."""
    from amzcancel.sandbox import Quirks

    return Quirks(
        index_lag_seconds=args.index_lag,
        repeat_page_tokens=args.repeat_page_tokens,
        duplicate_share=args.duplicates,
        future_dated_share=args.future_dated,
        malformed_share=args.malformed,
        drip_share=args.drip,
        drip_seconds=args.drip_seconds,
    )


def enter_server(server: AbstractContextManager[str], args: argparse.Namespace) -> str:
    """Start serving (``server.__enter__()``); its base URL. A port that cannot be had is a
    :class:`ConfigError` naming it. The caller exits ``server`` when done."""
    try:
        return server.__enter__()
    except (OSError, OverflowError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else str(exc)
        raise ConfigError(f"cannot listen on {args.host}:{args.port}: {reason}") from exc
