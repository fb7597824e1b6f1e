"""What the command line adds to an error: the next step, in the command line's own words.

The library's messages say what is wrong in terms of its Python API (a ``credentials=``
argument, a host and the call that failed); a person at a shell needs the flag or command that
helps. ``amzcancel COMMAND: error: <message>; <hint>`` is one line on stderr.

Added in 0.2.0.
"""

from __future__ import annotations

import argparse

from amzcancel.errors import (
    AmzCancelError,
    AuthError,
    MissingCredentialsError,
    TransportError,
)

__all__ = ["CREDENTIAL_COMMANDS", "describe"]

CREDENTIAL_COMMANDS = frozenset({"sync", "cancel", "record", "check"})
"""The commands that talk to Amazon with the credentials of the environment."""

_SANDBOX_WORDS = {
    "sync": "add --sandbox to sync the built-in simulated marketplace instead",
    "cancel": "add --sandbox to cancel on the built-in simulated marketplace instead",
    "record": "add --sandbox to record the built-in simulated marketplace instead",
}

_WHERE = "`amzcancel check --help` says where each value comes from"


def describe(command: str, exc: AmzCancelError, args: argparse.Namespace) -> str:
    """The message of ``exc``, with the next step for someone running ``command``."""
    if isinstance(exc, MissingCredentialsError):
        return _missing(command, exc)
    message = str(exc)
    hint = _hint(command, exc, args)
    return f"{message}; {hint}" if hint else message


def _missing(command: str, exc: MissingCredentialsError) -> str:
    names = ", ".join(exc.variables)
    plural = "s" if len(exc.variables) > 1 else ""
    text = f"{exc.what} credentials missing: set the environment variable{plural} {names}"
    if exc.what == "MWS":
        # Amazon switched MWS off in 2024: only archives and MWS-shaped gateways remain.
        text += " of your MWS gateway, or leave out --api mws to use SP-API"
    else:
        text += f" ({_WHERE})"
    sandbox = _SANDBOX_WORDS.get(command)
    return f"{text}, or {sandbox}" if sandbox else text


def _hint(command: str, exc: AmzCancelError, args: argparse.Namespace) -> str | None:
    if getattr(args, "sandbox", False) or command not in CREDENTIAL_COMMANDS:
        return None
    if isinstance(exc, AuthError) and command != "check":
        return "run `amzcancel check` to see which credential or role Amazon refuses"
    if isinstance(exc, TransportError) and command != "check":
        return (
            "check the network (a proxy is taken from HTTPS_PROXY), or run `amzcancel check` "
            "to test the connection and the credentials"
        )
    return None
