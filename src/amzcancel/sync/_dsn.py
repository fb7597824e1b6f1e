"""PostgreSQL connection strings: which targets are one, and how to show one without its password.

Added in 0.2.0.
"""

from __future__ import annotations

import os
import re
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

__all__ = ["POSTGRES_SCHEMES", "dsn_password", "is_postgres_url", "redact_dsn"]

POSTGRES_SCHEMES = ("postgresql://", "postgres://")
"""URL prefixes that name a PostgreSQL store; anything else is a SQLite path."""

_REDACTED = "***"
# key=value conninfo: password=secret or password='sec ret' (libpq quoting).
_KV_PASSWORD = re.compile(r"(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)


def is_postgres_url(target: str | os.PathLike[str]) -> bool:
    """Whether ``target`` names a PostgreSQL store (``postgresql://`` or ``postgres://``).

    Added in 0.2.0.
    """
    return isinstance(target, str) and target.lower().startswith(POSTGRES_SCHEMES)


def redact_dsn(dsn: str) -> str:
    """``dsn`` with its password replaced by ``***``, for logs, reprs and errors.

    Handles URLs (``postgresql://user:secret@host/db``, ``?password=secret``) and libpq
    ``key=value`` strings (``password=secret``).

    Added in 0.2.0.
    """
    if "://" not in dsn:
        return _KV_PASSWORD.sub(lambda m: m.group(1) + _REDACTED, dsn)
    try:
        parts = urlsplit(dsn)
    except ValueError:
        return _REDACTED  # unparseable: show nothing rather than risk the secret
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostinfo = netloc.rpartition("@")
        if ":" in userinfo:
            user = userinfo.split(":", 1)[0]
            netloc = f"{user}:{_REDACTED}@{hostinfo}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(key.lower() == "password" for key, _ in pairs):
            query = urlencode(
                [(k, _REDACTED if k.lower() == "password" else v) for k, v in pairs],
                safe="*",
                quote_via=quote,
            )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def dsn_password(dsn: str) -> str | None:
    """The password written in ``dsn``, if any (to scrub it from driver messages)."""
    if "://" not in dsn:
        match = _KV_PASSWORD.search(dsn)
        return None if match is None else match.group(2).strip("'")
    try:
        parts = urlsplit(dsn)
    except ValueError:
        return None
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key.lower() == "password":
            return value
    return parts.password
