"""``amzcancel completion bash|zsh|fish``: shell completion, through argcomplete.

argcomplete (the ``completion`` extra) completes from the parser itself, so every command, flag
and choice completes as soon as it exists, with nothing generated to keep in step. The shell
script it prints calls ``amzcancel`` with argcomplete's variables set; :func:`autocomplete`
answers that call before anything else runs.

Added in 0.2.0.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from amzcancel.errors import ConfigError

__all__ = ["SHELLS", "autocomplete", "register"]

SHELLS = ("bash", "zsh", "fish")
"""The shells ``amzcancel completion`` prints a script for."""

_MARKER = "_ARGCOMPLETE"  # set by argcomplete's shell script when the shell asks for candidates

_INSTALL = "shell completion needs argcomplete: pip install 'amzcancel[completion]'"


def autocomplete(parser: argparse.ArgumentParser) -> None:
    """Answer a shell's completion request (and exit); do nothing on an ordinary run."""
    if _MARKER not in os.environ:
        return
    try:
        import argcomplete
    except ImportError:  # the script was installed, the extra was removed since: no candidates
        sys.exit(0)
    argcomplete.autocomplete(parser)


def register(subparsers: Any) -> None:
    """Add ``completion`` to the CLI."""
    parser = subparsers.add_parser(
        "completion",
        help="print the shell completion script for bash, zsh or fish",
        description=(
            "Print a script that makes your shell complete amzcancel's commands, flags and "
            "choices. Load it from your shell's startup file: bash: "
            'eval "$(amzcancel completion bash)" in ~/.bashrc; zsh: eval "$(amzcancel '
            'completion zsh)" in ~/.zshrc; fish: amzcancel completion fish | source in '
            "~/.config/fish/config.fish. Needs argcomplete: pip install 'amzcancel[completion]'."
        ),
    )
    parser.add_argument("shell", choices=SHELLS, help="the shell to print the script for")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print the completion script for ``args.shell``."""
    sys.stdout.write(completion_script(args.shell))
    return 0


def completion_script(shell: str) -> str:
    """The script that makes ``shell`` complete ``amzcancel``.

    Raises:
        ConfigError: argcomplete is not installed, or ``shell`` is not one of :data:`SHELLS`.
    """
    if shell not in SHELLS:
        raise ConfigError(f"no completion for {shell!r}; use one of {', '.join(SHELLS)}")
    try:
        from argcomplete.shell_integration import shellcode
    except ImportError:
        raise ConfigError(_INSTALL) from None
    script: str = shellcode(["amzcancel"], shell=shell)
    return script if script.endswith("\n") else script + "\n"
