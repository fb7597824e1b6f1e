"""Keep signing secrets out of httpx's and httpcore's log lines.

httpx logs every request at INFO (``HTTP Request: PUT https://...?X-Amz-Signature=...``), and
a presigned feed or report document URL carries its signature, credential scope and session
token in the query: whoever reads the log can fetch or overwrite the document until the URL
expires. ``amzcancel -v`` turns INFO on, and so does any application that logs at INFO. A
filter on those loggers rewrites the finished message before any handler sees it, so the
library stays safe under its user's logging setup too; the rest of the URL (paths, order
windows, page tokens) is kept because it is what a log is read for.

Added in 0.1.0.
"""

from __future__ import annotations

import logging
import re

__all__ = [
    "REDACTED",
    "SECRET_QUERY_PARAMS",
    "SecretParamFilter",
    "install_log_redaction",
    "redact_secret_params",
]

REDACTED = "<redacted>"

SECRET_QUERY_PARAMS = (
    # AWS Signature V4 presigned URLs (feed and report documents on S3).
    "X-Amz-Signature",
    "X-Amz-Credential",
    "X-Amz-Security-Token",
    # AWS Signature V2 (MWS) and its third-party token.
    "Signature",
    "AWSAccessKeyId",
    "MWSAuthToken",
    # OAuth / Login with Amazon values, should one ever travel in a query.
    "access_token",
    "refresh_token",
    "client_secret",
    "code",
)
"""Query parameters whose values never appear in a log line (names compared case-insensitively)."""

# Loggers that print request URLs or headers. Filters on a logger see only its own records,
# not its children's, so httpcore's modules are named one by one.
_LOGGERS = (
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)

_PARAM_RE = re.compile(
    r"(?P<head>(?:^|[?&;\s\"'(,])(?:"
    + "|".join(re.escape(name) for name in SECRET_QUERY_PARAMS)
    + r")=)(?P<value>[^&#;\s\"'<>)]*)",
    re.IGNORECASE,
)


# The password of ``scheme://user:password@host`` (an endpoint behind basic auth).
_USERINFO_RE = re.compile(r"(?P<head>://[^/?#@\s:'\"]*:)[^/?#@\s'\"]*@")


def redact_secret_params(text: str) -> str:
    """``text`` with secret query values and URL passwords replaced by ``<redacted>``."""
    if "@" in text:
        text = _USERINFO_RE.sub(lambda m: m.group("head") + REDACTED + "@", text)
    if "=" not in text:
        return text
    return _PARAM_RE.sub(lambda m: m.group("head") + REDACTED, text)


class SecretParamFilter(logging.Filter):
    """Rewrites a record whose message shows a secret query parameter (never drops one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            return True
        redacted = redact_secret_params(message)
        if redacted != message:
            record.msg = redacted
            record.args = ()
        return True


_FILTER = SecretParamFilter()


def install_log_redaction() -> None:
    """Add the filter to httpx's and httpcore's loggers (idempotent, cheap to repeat)."""
    for name in _LOGGERS:
        log = logging.getLogger(name)
        if not any(isinstance(existing, SecretParamFilter) for existing in log.filters):
            log.addFilter(_FILTER)
