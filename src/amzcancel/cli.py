"""The ``amzcancel`` command.

Each subcommand lives in its own module under :mod:`amzcancel._commands` and exposes
``register(subparsers)``. Errors from the :class:`~amzcancel.errors.AmzCancelError` hierarchy
end the command with a one-line message on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from amzcancel import __version__
from amzcancel._commands import COMMANDS
from amzcancel.errors import AmzCancelError

__all__ = ["EXIT_ERROR", "build_parser", "main"]

EXIT_ERROR = 2


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors are one line and exit 2 like every other bad input."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_ERROR, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``amzcancel`` command, with every subcommand."""
    parser = _Parser(
        prog="amzcancel",
        description="Keep Amazon orders in step and catch every buyer-requested cancellation.",
    )
    parser.add_argument("--version", action="version", version=f"amzcancel {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="log more (repeat for debug)"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    subparsers.required = True
    for module in COMMANDS:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING if args.verbose == 0 else logging.INFO
    if args.verbose > 1:
        level = logging.DEBUG
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        return int(args.handler(args))
    except AmzCancelError as exc:
        message = " ".join(str(exc).split())
        print(f"amzcancel {args.command}: error: {message}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print(f"amzcancel {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
