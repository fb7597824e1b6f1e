"""How a command is stopped: SIGTERM ends it like Ctrl-C, with a line on stderr.

Added in 0.2.0.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

__all__ = ["EXIT_TERMINATED", "Terminated", "raise_terminated", "received"]

received = threading.Event()
"""Set once SIGTERM arrived in this command (cleared when the command line starts)."""

EXIT_TERMINATED = 128 + signal.SIGTERM
"""What a shell reports for a process ended by SIGTERM (143); we say so in a line first."""


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived: end the command like Ctrl-C does, with a line on stderr.

    A KeyboardInterrupt, because that is what asyncio and the libraries under it let through
    wherever it lands (asyncio turns any other exception raised during a socket write into a
    "fatal write error" on that connection, and the call would be retried instead of ending).
    Every store write is one transaction, so ending anywhere loses nothing.
    """


def raise_terminated(signum: int, frame: FrameType | None) -> None:
    """The SIGTERM handler the command line installs.

    The exception lands wherever the main thread is; half-built library state may then fail
    with an error of its own (an asyncio transport interrupted in its constructor raises
    ``AttributeError`` while closing). :data:`received` lets the command line tell that
    apart from a real failure: the command was terminated either way.
    """
    received.set()
    raise Terminated
