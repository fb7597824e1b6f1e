"""Durations as people write them in config files and flags: ``90s``, ``5m``, ``1h``.

Added in 0.2.0.
"""

from __future__ import annotations

import math
import re

from amzcancel.errors import ConfigError

__all__ = ["format_duration", "parse_duration"]

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION = re.compile(r"(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>ms|s|m|h|d)")


def parse_duration(text: str, *, what: str = "duration") -> float:
    """Seconds in ``text``: a number with a unit (``90s``, ``5m``, ``1.5h``, ``1h30m``).

    A bare number is refused: ``5`` could mean seconds or minutes, and a sync interval that is
    60 times too short burns a seller's rate budget.

    Args:
        text: the duration.
        what: how to name it in an error (``interval``, ``--every``).

    Returns:
        The duration in seconds, more than zero.

    Raises:
        ConfigError: not a duration, or not more than zero.

    Added in 0.2.0.
    """
    if not isinstance(text, str):
        raise ConfigError(f'{what} must be text such as "90s" or "5m", got {text!r}')
    compact = text.strip().lower()
    position, seconds = 0, 0.0
    for match in _DURATION.finditer(compact):
        if match.start() != position:
            break
        seconds += float(match.group("number")) * _UNITS[match.group("unit")]
        position = match.end()
    if not compact or position != len(compact):
        raise ConfigError(
            f"{what}: not a duration: {text!r} (use a number and a unit: 90s, 5m, 1h, 1h30m)"
        )
    if not math.isfinite(seconds) or seconds <= 0:
        raise ConfigError(f"{what} must be more than zero, got {text!r}")
    return seconds


def format_duration(seconds: float) -> str:
    """``seconds`` the way :func:`parse_duration` reads it (``300`` -> ``5m``, ``90`` -> ``90s``).

    Added in 0.2.0.
    """
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    if seconds == int(seconds):
        return f"{int(seconds)}s"
    return f"{seconds:g}s"
