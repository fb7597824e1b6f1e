"""The one exception hierarchy of amzcancel.

Everything the library raises on purpose derives from :class:`AmzCancelError`, so a caller can
catch that one class and know it never swallows a programming error::

    AmzCancelError
    ├── ConfigError            missing/invalid credentials, region, endpoint
    │   └── MissingCredentialsError  credential variables unset in the environment
    ├── ParseError             a wire document that cannot be read (source, location, fragment)
    │   └── UnsafeXMLError     XML with a DTD, entities or other constructs we refuse
    ├── TransportError         the request never got an HTTP answer
    │   ├── RequestTimeout
    │   └── ConnectionFailed
    ├── APIError               Amazon answered with an error (status, code, message, request id)
    │   ├── AuthError          401/403, MWS AccessDenied/SignatureDoesNotMatch
    │   ├── InvalidInputError  400
    │   ├── NotFoundError      404
    │   ├── ServerError        5xx
    │   └── ThrottledError     429, MWS RequestThrottled/QuotaExceeded
    ├── StoreError             SQLite / PostgreSQL / migrations
    │   └── LeaseLost          a fenced write whose account lease another worker holds now
    ├── QueueError             the message queue (Amazon SQS) refused or could not be reached
    └── PolicyViolation        a cancel reason the policy forbids

Messages never contain secrets: credentials are redacted before they reach an exception. Nor
do they carry a server's escape sequences to a terminal: text that came from a server (Amazon's
messages, details and codes, an HTML page's reason phrase, an MWS error document, a socket
error) is shown with its control characters escaped (``\\x1b``) and cut to a few hundred
characters (:func:`printable`).

Added in 0.1.0.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = [
    "MAX_TEXT_CHARS",
    "APIError",
    "AmzCancelError",
    "AuthError",
    "ConfigError",
    "ConnectionFailed",
    "InvalidInputError",
    "LeaseLost",
    "MissingCredentialsError",
    "NotFoundError",
    "ParseError",
    "PolicyViolation",
    "QueueError",
    "RequestTimeout",
    "ServerError",
    "StoreError",
    "ThrottledError",
    "TransportError",
    "UnsafeXMLError",
    "printable",
]

_FRAGMENT_CHARS = 120

MAX_TEXT_CHARS = 500
"""How much of one server-supplied text an error keeps (an error page can be 200 KB)."""

_SHORT_TEXT_CHARS = 120  # codes and request ids

# C0 and C1 controls and DEL (a terminal acts on ESC, BEL, CR, CSI...), line and paragraph
# separators, and the bidirectional overrides that reorder what a terminal shows.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    """``text`` safe to print: control characters shown escaped, at most ``limit`` characters.

    ``"\\x1b[31mred"`` becomes ``"\\\\x1b[31mred"``; a longer text is cut and says how much was
    left out. A plain space is kept as it is.

    Added in 0.2.0.
    """
    if len(text) > limit:
        text = f"{text[:limit]}... ({len(text) - limit} more characters)"
    return _UNPRINTABLE.sub(_escape, text)


def _printable_or_none(text: str | None, limit: int = MAX_TEXT_CHARS) -> str | None:
    return None if text is None else printable(str(text), limit)


class AmzCancelError(Exception):
    """Base class of every error amzcancel raises on purpose."""


class ConfigError(AmzCancelError):
    """Missing or invalid configuration: credentials, region, endpoint, options."""


class MissingCredentialsError(ConfigError):
    """Credentials were to come from the environment, and some variables are unset or blank.

    Attributes:
        variables: every variable that is missing, in the order they are read.
        what: whose credentials (``SP-API`` or ``MWS``).

    A command line (or any other front end) can say in its own words what to do about it;
    the message itself only names the variables, never a value.

    Added in 0.2.0.
    """

    def __init__(self, message: str, *, variables: tuple[str, ...], what: str) -> None:
        self.variables = variables
        self.what = what
        super().__init__(message)


class ParseError(AmzCancelError):
    """A wire document could not be turned into domain models.

    Attributes:
        source: the wire format being read (``mws``, ``spapi-v0``, ``spapi-2026``,
            ``notification``, ``report``).
        location: where in the input it failed (a JSON path, XML path, or ``line N``).
        fragment: a short excerpt of the offending input, if any.
        path: the file being read, when known.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str,
        location: str | None = None,
        fragment: str | None = None,
        path: str | None = None,
    ) -> None:
        self.message = printable(message)
        self.source = source
        self.location = _printable_or_none(location)
        self.fragment = None if fragment is None else fragment[:_FRAGMENT_CHARS]
        self.path = path
        super().__init__(self.message)

    def with_path(self, path: str) -> ParseError:
        """Return the same error, now naming the file it came from."""
        self.path = path
        return self

    def __str__(self) -> str:
        parts = []
        if self.path:
            parts.append(f"{self.path}:")
        parts.append(f"{self.source}:")
        if self.location:
            parts.append(f"at {self.location}:")
        parts.append(self.message)
        text = " ".join(parts)
        if self.fragment:
            text += f" (got {self.fragment!r})"
        return text


class UnsafeXMLError(ParseError):
    """XML that uses DTDs, entity declarations or external references; refused unread."""


class TransportError(AmzCancelError):
    """The request did not get an HTTP answer (timeout, refused or dropped connection)."""

    def __init__(self, message: str, *, method: str | None = None, url: str | None = None) -> None:
        self.method = method
        self.url = url
        # Names a host and often quotes the socket error or the server's broken answer.
        super().__init__(printable(message))


class RequestTimeout(TransportError):
    """No answer within the timeout."""


class ConnectionFailed(TransportError):
    """The connection could not be made or was dropped."""


class APIError(AmzCancelError):
    """Amazon (or an Amazon-shaped endpoint) answered with an error.

    Attributes:
        status_code: the HTTP status, when there was one.
        code: Amazon's error code (``InvalidInput``, ``QuotaExceeded``, ``RequestThrottled``...).
        message: Amazon's message.
        details: Amazon's details text, if any.
        request_id: ``x-amzn-RequestId`` (SP-API) or ``RequestId`` (MWS).
        method, url: the request that failed (secrets removed).
        errors: every error object of the answer, as sent.

    The texts that come from the server (``message``, ``details``, ``code``, ``request_id``) are
    kept :func:`printable`: control characters escaped, length capped.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        code: str | None = None,
        details: str | None = None,
        request_id: str | None = None,
        method: str | None = None,
        url: str | None = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        self.message = printable(message)
        self.status_code = status_code
        self.code = _printable_or_none(code, _SHORT_TEXT_CHARS)
        self.details = _printable_or_none(details)
        self.request_id = _printable_or_none(request_id, _SHORT_TEXT_CHARS)
        self.method = method
        self.url = url
        self.errors = errors or []
        super().__init__(self.message)

    def __str__(self) -> str:
        head = f"{self.status_code} " if self.status_code is not None else ""
        code = f"{self.code}: " if self.code else ""
        text = f"{head}{code}{self.message}"
        if self.details:
            text += f" ({self.details})"
        if self.request_id:
            text += f" [request id {self.request_id}]"
        return text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(method={self.method!r}, url={self.url!r}, "
            f"status_code={self.status_code!r}, code={self.code!r}, "
            f"request_id={self.request_id!r})"
        )


class AuthError(APIError):
    """401/403: the credentials or access token were refused."""


class InvalidInputError(APIError):
    """400: the request had missing or invalid parameters."""


class NotFoundError(APIError):
    """404: the resource does not exist."""


class ServerError(APIError):
    """5xx other than throttling: Amazon failed; worth a retry."""

    retry_after: float | None = None
    """Seconds the server asked us to wait (``Retry-After`` on a 503), if it said so."""


class ThrottledError(APIError):
    """429 (SP-API) or 503 RequestThrottled/QuotaExceeded (MWS).

    Attributes:
        retry_after: seconds Amazon asked us to wait, if it said so.
    """

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)

    def __repr__(self) -> str:
        return super().__repr__()[:-1] + f", retry_after={self.retry_after!r})"


class StoreError(AmzCancelError):
    """The store failed (SQLite or PostgreSQL error, unknown schema version, corrupt row)."""


class LeaseLost(StoreError):
    """A write fenced with a lease found the account's lease no longer held by that lease.

    Another worker claimed the account (its lease had expired), so nothing was written: the
    worker must stop syncing that account.

    Added in 0.2.0.
    """


class QueueError(AmzCancelError):
    """The message queue (Amazon SQS or a compatible server) refused a call or was unreachable.

    Raised by :mod:`amzcancel.push` for missing AWS credentials or region, a queue that does
    not exist, an access denied, or a queue server that cannot be reached; the message names
    the queue and the SDK's error code, never a credential.

    Attributes:
        code: the SDK's error code (``AWS.SimpleQueueService.NonExistentQueue``,
            ``AccessDenied``...) when there is one.

    Added in 0.2.0.
    """

    def __init__(self, message: str, *, code: str | None = None) -> None:
        self.code = None if code is None else printable(code, _SHORT_TEXT_CHARS)
        super().__init__(printable(message))


class PolicyViolation(AmzCancelError):
    """A cancel reason the policy does not allow for this order or item.

    Attributes:
        reason: the reason code that was refused.
        why: the policy's sentence of why.
    """

    def __init__(self, message: str, *, reason: str, why: str) -> None:
        self.reason = reason
        self.why = why
        super().__init__(message)


_STATUS_CLASSES: dict[int, type[APIError]] = {
    400: InvalidInputError,
    401: AuthError,
    403: AuthError,
    404: NotFoundError,
    429: ThrottledError,
}

# MWS signals most failures with error codes; these decide the class before the status does.
# Codes per the MWS developer guide's error table (see shared reference, section 1.6).
_CODE_CLASSES: dict[str, type[APIError]] = {
    "RequestThrottled": ThrottledError,
    "QuotaExceeded": ThrottledError,
    "AccessDenied": AuthError,
    "InvalidAccessKeyId": AuthError,
    "SignatureDoesNotMatch": AuthError,
    "InvalidClientTokenId": AuthError,
    "Unauthorized": AuthError,
    "InvalidParameterValue": InvalidInputError,
    "InvalidInput": InvalidInputError,
    "MissingParameter": InvalidInputError,
    "InputStreamDisconnected": InvalidInputError,
    "InternalError": ServerError,
    "ServiceUnavailable": ServerError,
}


def error_class_for(status_code: int | None, code: str | None = None) -> type[APIError]:
    """Pick the :class:`APIError` subclass for an HTTP status and an Amazon error code."""
    if code and code in _CODE_CLASSES:
        return _CODE_CLASSES[code]
    if status_code is not None:
        if status_code in _STATUS_CLASSES:
            return _STATUS_CLASSES[status_code]
        if status_code >= 500:
            return ServerError
    return APIError


def make_api_error(
    message: str,
    *,
    status_code: int | None = None,
    code: str | None = None,
    retry_after: float | None = None,
    **kwargs: Any,
) -> APIError:
    """Build the right :class:`APIError` subclass for a status and code."""
    cls = error_class_for(status_code, code)
    if cls is ThrottledError:
        return ThrottledError(
            message, retry_after=retry_after, status_code=status_code, code=code, **kwargs
        )
    return cls(message, status_code=status_code, code=code, **kwargs)
