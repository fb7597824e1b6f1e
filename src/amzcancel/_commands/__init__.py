"""Subcommands of the ``amzcancel`` CLI, one module each with ``register(subparsers)``.

Each ``register`` adds its subparser and sets ``handler`` (a function taking the parsed
``argparse.Namespace`` and returning the exit status).
"""

from __future__ import annotations

from types import ModuleType

from amzcancel._commands import (
    _completion,
    accounts,
    ack,
    cancel,
    check,
    events,
    listen,
    notifications,
    parse,
    pending,
    reasons,
    record,
    sandbox,
    status,
    sync,
    worker,
)

COMMANDS: tuple[ModuleType, ...] = (
    parse,
    sync,
    pending,
    reasons,
    sandbox,
    cancel,
    record,
    accounts,
    worker,
    events,
    ack,
    status,
    notifications,
    listen,
    check,
    _completion,
)
