"""The ``amzcancel`` command (also ``python -m amzcancel``).

Each subcommand lives in its own module under :mod:`amzcancel._commands` and exposes
``register(subparsers)``. Errors from the :class:`~amzcancel.errors.AmzCancelError` hierarchy
end the command with a one-line message on stderr and exit status 2, never a traceback; the
command line adds the next step to take (:mod:`amzcancel._commands._hints`).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence

from amzcancel import __version__
from amzcancel._commands import COMMANDS, _stop
from amzcancel._commands._completion import autocomplete
from amzcancel._commands._hints import describe
from amzcancel._commands._stop import EXIT_TERMINATED, Terminated, raise_terminated
from amzcancel.errors import AmzCancelError

__all__ = ["EXIT_ERROR", "EXIT_TERMINATED", "Terminated", "build_parser", "main"]

EXIT_ERROR = 2

_VERBOSE_HELP = "log more: -v requests, -vv debug, -vvv HTTP internals"
_VERBOSE_AFTER = "verbose_after"  # -v given after the command: added to the one before it


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
    parser.add_argument("-v", "--verbose", action="count", default=0, help=_VERBOSE_HELP)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    subparsers.required = True
    for module in COMMANDS:
        module.register(subparsers)
    _accept_verbose_after(subparsers)
    return parser


def _accept_verbose_after(subparsers: argparse._SubParsersAction[_Parser]) -> None:
    """``amzcancel sync -v`` works like ``amzcancel -v sync``: every command takes ``-v`` too.

    It counts into its own destination (a subcommand's parser would otherwise reset the count
    given before the command); :func:`main` adds the two.
    """
    for sub in subparsers.choices.values():
        sub.add_argument(
            "-v",
            "--verbose",
            action="count",
            dest=_VERBOSE_AFTER,
            default=argparse.SUPPRESS,
            help=_VERBOSE_HELP,
        )
        nested = [a for a in sub._actions if isinstance(a, argparse._SubParsersAction)]
        for action in nested:
            _accept_verbose_after(action)


def _configure_logging(verbose: int) -> None:
    """``-v``: our INFO and one line per HTTP request; ``-vv``: our DEBUG; ``-vvv``: all DEBUG.

    httpcore's DEBUG is a dozen lines per request (connect, send headers, receive body...):
    only ``-vvv`` asks for that.
    """
    level = (logging.WARNING, logging.INFO)[verbose] if verbose < 2 else logging.DEBUG
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )
    quiet = 0 < verbose < 3  # otherwise inherit the root's level
    logging.getLogger("httpx").setLevel(logging.INFO if quiet else logging.NOTSET)
    logging.getLogger("httpcore").setLevel(logging.WARNING if quiet else logging.NOTSET)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    autocomplete(parser)  # answers a shell's completion request and exits; else nothing
    args = parser.parse_args(argv)
    args.verbose += getattr(args, _VERBOSE_AFTER, 0)
    _configure_logging(args.verbose)
    if sys.stdout is None:
        # Started with stdout closed (``>&-``): every command writes there, so say so up front
        # rather than fail half-way with an AttributeError traceback.
        return _fail(args.command, "standard output is closed")
    if threading.current_thread() is not threading.main_thread():
        return _run(args)  # signals reach the main thread only (an embedding application's)
    _stop.received.clear()
    previous = signal.signal(signal.SIGTERM, raise_terminated)
    try:
        return _run(args)
    except Exception:
        if _stop.received.is_set():
            # SIGTERM interrupted library code half-way and it failed on its own half-built
            # state: the command was still terminated, and says so (no traceback).
            return _stopped(args.command, Terminated())
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run(args: argparse.Namespace) -> int:
    try:
        return _handle(args)
    except BaseExceptionGroup as group:
        # A stop that arrived inside a task group (anyio's, in a connection attempt) comes
        # wrapped; it is still a stop, said in one line.
        for stop in (Terminated, KeyboardInterrupt):
            found = group.subgroup(stop)
            if found is not None:
                return _stopped(args.command, found.exceptions[0])
        raise


def _stopped(command: str, reason: BaseException) -> int:
    if isinstance(reason, Terminated):
        print(f"amzcancel {command}: terminated (SIGTERM)", file=sys.stderr)
        # Objects the signal interrupted half-built (an asyncio transport in its constructor)
        # fail again when collected, "Exception ignored in ..." after our line: the command
        # is over and has said why, so that noise is not printed.
        if _stop.received.is_set():  # a real signal, so this process is about to end
            sys.unraisablehook = _ignore_unraisable
        return EXIT_TERMINATED
    print(f"amzcancel {command}: interrupted", file=sys.stderr)
    return 130


def _ignore_unraisable(unraisable: sys.UnraisableHookArgs) -> None:
    return None


def _handle(args: argparse.Namespace) -> int:
    try:
        return int(args.handler(args))
    except AmzCancelError as exc:
        return _fail(args.command, describe(args.command, exc, args))
    except (KeyboardInterrupt, Terminated) as stop:
        return _stopped(args.command, stop)
    except BrokenPipeError:
        # The reader went away (``| head -1``): end quietly, and point stdout at /dev/null so
        # that the interpreter's final flush of unwritten output does not fail again.
        _silence_stdout()
        return 0
    except OSError as exc:
        # Whatever a command reads or writes outside our hierarchy (a full disk under
        # stdout, an unwritable output file) still ends on one line, never a traceback.
        where = f"{exc.filename}: " if exc.filename is not None else ""
        return _fail(args.command, f"{where}{exc.strerror or type(exc).__name__}")


def _fail(command: str, message: str) -> int:
    line = " ".join(message.split())
    print(f"amzcancel {command}: error: {line}", file=sys.stderr)
    return EXIT_ERROR


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass  # stdout is not a real file (tests capture it): nothing will be flushed to a pipe


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
