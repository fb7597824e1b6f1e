"""``python -m amzcancel``: the same command as ``amzcancel`` (for a venv without scripts on PATH).

Added in 0.2.0.
"""

from __future__ import annotations

from amzcancel.cli import main

if __name__ == "__main__":  # pragma: no branch - run as a module only
    raise SystemExit(main())
