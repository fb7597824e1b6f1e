"""``amzcancel parse PATH... [--format ...]``: print each order of each file as one JSON line.

Reports are streamed (a 1 GB report is never held in memory); other formats are read whole.
The first file that cannot be read ends the command with exit status 2 and one line on stderr
naming the file and what is wrong; orders of earlier files have already been printed.
"""

from __future__ import annotations

import argparse
import errno
import sys
from contextlib import ExitStack
from typing import IO, Any

from amzcancel.errors import AmzCancelError, ParseError
from amzcancel.wire.detect import FORMATS, iter_document

__all__ = ["register", "run"]

EXIT_OK = 0
EXIT_ERROR = 2
STDIN = "-"


def register(subparsers: Any) -> None:
    """Add the ``parse`` subcommand to the ``amzcancel`` parser."""
    parser = subparsers.add_parser(
        "parse",
        help="print the orders in MWS/SP-API/notification/report files as JSON lines",
        description=(
            "Read order documents (MWS XML, SP-API Orders v0 or 2026-01-01 JSON, ORDER_CHANGE "
            "notifications, flat-file order reports) and print one normalized order JSON per "
            "line. '-' reads standard input."
        ),
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files to read; '-' for stdin")
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="auto",
        help="the wire format of every PATH (default: detect per file)",
    )
    parser.add_argument(
        "--encoding",
        default=None,
        metavar="CHARSET",
        help="charset of flat-file reports, e.g. Cp1252 or Windows-31J (default: detect)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Parse every path in ``args.paths``; returns the exit status."""
    out = sys.stdout
    for path in args.paths:
        try:
            _print_orders(path, args.format, args.encoding, out)
        except _OutputFailed as exc:
            # Writing failed: not this file's fault. The CLI ends quietly when the reader went
            # away (``| head``), and with one line on anything else (a full disk).
            if isinstance(exc.error, BrokenPipeError):
                raise exc.error from None
            return _fail(f"cannot write output: {exc.error.strerror or type(exc.error).__name__}")
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            return _fail(f"{path}: cannot read: {reason}")
        except ParseError as exc:
            return _fail(str(exc.with_path(path)))
        except AmzCancelError as exc:
            kind = type(exc).__name__
            return _fail(f"{path}: {kind}: {exc}")
    return EXIT_OK


def _print_orders(path: str, format_name: str, encoding: str | None, out: IO[str]) -> None:
    with ExitStack() as stack:
        if path == STDIN:
            if sys.stdin is None:  # started with stdin closed (``<&-``)
                raise OSError(errno.EBADF, "standard input is closed")
            stream: IO[bytes] = sys.stdin.buffer
        else:
            stream = stack.enter_context(open(path, "rb"))
        for order in iter_document(stream, format=format_name, encoding=encoding):
            _write(out, order.to_json() + "\n")
    _write(out, "", flush=True)


class _OutputFailed(Exception):
    """Writing to stdout failed; carries the OSError so that it is not blamed on the input."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


def _write(out: IO[str], text: str, *, flush: bool = False) -> None:
    try:
        if text:
            out.write(text)
        if flush:
            out.flush()
    except OSError as exc:
        raise _OutputFailed(exc) from exc


def _fail(message: str) -> int:
    line = " ".join(message.split())
    print(f"amzcancel parse: error: {line}", file=sys.stderr)
    return EXIT_ERROR
