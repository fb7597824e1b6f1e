"""Subcommands of the ``amzcancel`` CLI, one module each with ``register(subparsers)``.

Each ``register`` adds its subparser and sets ``handler`` (a function taking the parsed
``argparse.Namespace`` and returning the exit status).
"""

from __future__ import annotations

from types import ModuleType

COMMANDS: tuple[ModuleType, ...] = ()
