"""Keep secrets out of httpx's and httpcore's log lines.

httpx logs every request at INFO (``HTTP Request: PUT https://...?X-Amz-Signature=...``), and
a presigned feed or report document URL carries its signature, credential scope and session
token in the query: whoever reads the log can fetch or overwrite the document until the URL
expires. At DEBUG (``amzcancel -vvv``) httpcore logs every response's headers, and a server
may echo the access token there, under its own name or any other. A filter on those loggers
rewrites the finished message before any handler sees it, so the library stays safe under its
user's logging setup too:

- the values of signing query parameters and URL passwords;
- the values of credential headers (``x-amz-access-token``, ``authorization``, ``cookie``,
  ``set-cookie``...), in httpcore's ``(b'name', b'value')`` form, as ``name: value`` and as
  ``"name": "value"``;
- anything that looks like an LWA token (``Atza|...``, ``Atzr|...``), wherever it stands.

The rest (paths, order windows, page tokens, other headers) is kept because it is what a log
is read for.

Added in 0.1.0 (headers and LWA tokens since 0.2.0).
"""

from __future__ import annotations

import logging
import re

__all__ = [
    "REDACTED",
    "SECRET_HEADERS",
    "SECRET_QUERY_PARAMS",
    "SecretFilter",
    "install_log_redaction",
    "redact_secrets",
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

SECRET_HEADERS = (
    "x-amz-access-token",
    "x-amz-security-token",
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
)
"""Headers whose values never appear in a log line (names compared case-insensitively)."""

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
    # HTTP/2's header codec logs every header it encodes or decodes.
    "hpack",
    "hpack.hpack",
    "h2",
    "h2.connection",
)

_PARAM_RE = re.compile(
    r"(?P<head>(?:^|[?&;\s\"'(,])(?:"
    + "|".join(re.escape(name) for name in SECRET_QUERY_PARAMS)
    + r")=)(?P<value>[^&#;\s\"'<>)]*)",
    re.IGNORECASE,
)


# The password of ``scheme://user:password@host`` (an endpoint behind basic auth).
_USERINFO_RE = re.compile(r"(?P<head>://[^/?#@\s:'\"]*:)[^/?#@\s'\"]*@")


_NAMES = "|".join(re.escape(name) for name in SECRET_HEADERS)
# httpcore's repr of a header pair: (b'Set-Cookie', b'value') - the value runs to its quote.
_HEADER_PAIR_RE = re.compile(
    r"(?P<head>\(\s*b?(?P<q1>['\"])(?:" + _NAMES + r")(?P=q1)\s*,\s*b?(?P<q2>['\"]))"
    r"(?P<value>(?:\\.|(?!(?P=q2)).)*)",
    re.IGNORECASE,
)
# "name": "value" (JSON, a dict's repr).
_HEADER_ITEM_RE = re.compile(
    r"(?P<head>(?P<q1>['\"])(?:" + _NAMES + r")(?P=q1)\s*:\s*b?(?P<q2>['\"]))"
    r"(?P<value>(?:\\.|(?!(?P=q2)).)*)",
    re.IGNORECASE,
)
# name: value, to the end of the line.
_HEADER_LINE_RE = re.compile(
    r"(?P<head>(?:^|(?<=[\s,;{(]))(?:" + _NAMES + r")\s*:[ \t]*)(?P<value>[^\r\n]*)",
    re.IGNORECASE | re.MULTILINE,
)
# An LWA access or refresh token, under any name or none.
_LWA_TOKEN_RE = re.compile(r"(?P<head>Atz[ar]\|)(?P<value>[^\s'\",;)\]}<>&]+)")


def _keep_head(match: re.Match[str]) -> str:
    return match.group("head") + REDACTED


def redact_secrets(text: str) -> str:
    """``text`` with secret query values, URL passwords, credential header values and LWA
    tokens replaced by ``<redacted>``."""
    if "@" in text:
        text = _USERINFO_RE.sub(lambda m: m.group("head") + REDACTED + "@", text)
    if "=" in text:
        text = _PARAM_RE.sub(_keep_head, text)
    if "Atz" in text:
        text = _LWA_TOKEN_RE.sub(_keep_head, text)
    if ":" in text or "," in text:
        text = _HEADER_PAIR_RE.sub(_keep_head, text)
        text = _HEADER_ITEM_RE.sub(_keep_head, text)
        text = _HEADER_LINE_RE.sub(_keep_head, text)
    return text


class SecretFilter(logging.Filter):
    """Rewrites a record whose message shows a secret (never drops one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            return True
        redacted = redact_secrets(message)
        if redacted != message:
            record.msg = redacted
            record.args = ()
        return True


_FILTER = SecretFilter()


def install_log_redaction() -> None:
    """Add the filter to httpx's and httpcore's loggers (idempotent, cheap to repeat)."""
    for name in _LOGGERS:
        log = logging.getLogger(name)
        if not any(isinstance(existing, SecretFilter) for existing in log.filters):
            log.addFilter(_FILTER)
