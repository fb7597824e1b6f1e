"""Subcommands of the ``amzcancel`` CLI, one module each with ``register(subparsers)``.

Each ``register`` adds its subparser and sets ``handler`` (a function taking the parsed
``argparse.Namespace`` and returning the exit status).
"""

from __future__ import annotations

from types import ModuleType

from amzcancel._commands import (
    _completion,
    cancel,
    check,
    parse,
    pending,
    reasons,
    record,
    sandbox,
    sync,
)

COMMANDS: tuple[ModuleType, ...] = (
    parse,
    sync,
    pending,
    reasons,
    sandbox,
    cancel,
    record,
    check,
    _completion,
)
