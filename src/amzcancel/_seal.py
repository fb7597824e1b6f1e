"""Seals that prove an object was made by our own code in this process, unchanged since.

The guard's :class:`~amzcancel.policy.CancelDecision` and the feed builder's
:class:`~amzcancel.feeds.CancellationFeed` carry one: a keyed hash (HMAC-SHA256, with a key
drawn at import) of their contents. A copy with any field changed (``model_copy(update=...)``)
or an instance made by hand has no valid seal, so the feed builder and the submission refuse
it: nothing is cancelled without passing the guard.

Added in 0.1.0.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

__all__ = ["seal", "verify"]

_KEY = secrets.token_bytes(32)


def seal(content: str) -> str:
    """The seal of ``content`` (an object's JSON)."""
    return hmac.new(_KEY, content.encode("utf-8"), hashlib.sha256).hexdigest()


def verify(stamp: str | None, content: str) -> bool:
    """True when ``stamp`` is the seal of ``content``."""
    return stamp is not None and hmac.compare_digest(stamp, seal(content))
