"""Wire protocols: one API's rules for building a request and reading an error answer.

A protocol knows how an attempt is authenticated (an LWA token header for SP-API, a Signature
V2 for MWS) and how an error answer is read. The sync and async senders (``_sender.py``) only
send, sleep and acquire.

Added in 0.1.0 (as ``_base.py``; renamed in 0.2.0).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC
from typing import Protocol
from urllib.parse import quote

import httpx

from amzcancel.clock import Clock
from amzcancel.errors import (
    APIError,
    AuthError,
    ParseError,
    ServerError,
    ThrottledError,
    make_api_error,
)
from amzcancel.transport._calls import RequestSpec, is_absolute, safe_url
from amzcancel.transport._constants import MWS_ORDERS_VERSION, USER_AGENT
from amzcancel.transport._credentials import MwsCredentials
from amzcancel.transport._retry import parse_retry_after
from amzcancel.transport._sigv2 import canonical_query, sign_v2
from amzcancel.wire import mws, spapi_v0

__all__ = ["MwsProtocol", "SpApiProtocol", "WireProtocol"]


def _finish_error(error: APIError, request: httpx.Request, response: httpx.Response) -> APIError:
    error.method = error.method or request.method
    error.url = error.url or safe_url(request)
    if error.status_code is None:
        error.status_code = response.status_code
    if isinstance(error, ThrottledError | ServerError) and error.retry_after is None:
        # RFC 9110 10.2.3: Retry-After belongs to 503 as much as to 429.
        error.retry_after = parse_retry_after(response.headers.get("retry-after"))
    return error


class WireProtocol(Protocol):
    """One API's request and response rules."""

    def build(self, spec: RequestSpec, token: str | None) -> httpx.Request:
        """The HTTP request of one attempt."""
        ...

    def error_for(self, response: httpx.Response) -> APIError | None:
        """The error an answer stands for, or ``None`` for a success."""
        ...

    def is_expired_token(self, error: APIError) -> bool:
        """True when the error says the access token expired."""
        ...


class SpApiProtocol:
    """SP-API: JSON over HTTPS with an LWA access token in ``x-amz-access-token``."""

    def __init__(self, endpoint: str, clock: Clock) -> None:
        self.endpoint = endpoint
        self._clock = clock
        own = httpx.URL(endpoint)
        self._origin = (own.scheme, own.host, own.port)

    def build(self, spec: RequestSpec, token: str | None) -> httpx.Request:
        headers = {"user-agent": USER_AGENT}
        if is_absolute(spec.path):
            url, own_host = spec.path, self._same_host(spec.path)
        else:
            url = self.endpoint + spec.path
            # "/..." cannot leave the endpoint's host; anything else ("@evil.example") might.
            own_host = spec.path.startswith("/") or self._same_host(url)
            headers["accept"] = "application/json"
            headers["x-amz-date"] = self._clock.now().astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        if token is not None and own_host:
            # Never to a foreign host (a presigned S3 URL, a URL from a response body): the
            # access token opens the seller's account for an hour.
            headers["x-amz-access-token"] = token
        if spec.headers:
            headers.update(spec.headers)
        return httpx.Request(
            spec.method,
            url,
            params=spec.params,
            json=spec.json,
            content=spec.content,
            headers=headers,
        )

    def _same_host(self, url: str) -> bool:
        target = httpx.URL(url)
        return (target.scheme, target.host, target.port) == self._origin

    def error_for(self, response: httpx.Response) -> APIError | None:
        if response.status_code < 400:
            return None
        request_id = response.headers.get("x-amzn-requestid")
        try:
            error = spapi_v0.parse_error_body(
                response.content, status_code=response.status_code, request_id=request_id
            )
        except ParseError:
            # No JSON error document (a bare 429 from a proxy, an S3 XML error): the status
            # still decides the class, so a 429 without a body is a 429, never an empty page.
            error = make_api_error(
                f"HTTP {response.status_code} {response.reason_phrase}".strip(),
                status_code=response.status_code,
                request_id=request_id,
            )
        if response.status_code == 429 and not isinstance(error, ThrottledError):
            error = ThrottledError(
                error.message,
                status_code=429,
                code=error.code,
                details=error.details,
                request_id=error.request_id,
                errors=error.errors,
            )
        return _finish_error(error, response.request, response)

    def is_expired_token(self, error: APIError) -> bool:
        return (
            isinstance(error, AuthError)
            and error.status_code == 403
            and error.code == "Unauthorized"
        )


def _mws_timestamp(clock: Clock) -> str:
    return clock.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class MwsProtocol:
    """MWS: form-encoded POSTs signed with AWS Signature Version 2 (HmacSHA256), XML answers."""

    def __init__(self, endpoint: str, credentials: MwsCredentials, clock: Clock) -> None:
        self.endpoint = endpoint
        self._credentials = credentials
        self._clock = clock

    def signed_params(self, url: httpx.URL, form: Mapping[str, str]) -> dict[str, str]:
        """Every parameter of one attempt, ``Signature`` included (fresh ``Timestamp``)."""
        creds = self._credentials
        params = {
            "AWSAccessKeyId": creds.access_key,
            "SellerId": creds.seller_id,
            "SignatureMethod": "HmacSHA256",
            "SignatureVersion": "2",
            "Timestamp": _mws_timestamp(self._clock),
            "Version": MWS_ORDERS_VERSION,
        }
        if creds.auth_token is not None:
            params["MWSAuthToken"] = creds.auth_token.get_secret_value()
        params.update(form)
        params["Signature"] = sign_v2(
            creds.secret_key.get_secret_value(), "POST", url.host, url.path or "/", params
        )
        return params

    def build(self, spec: RequestSpec, token: str | None) -> httpx.Request:
        url = httpx.URL(spec.path if is_absolute(spec.path) else self.endpoint + spec.path)
        params = self.signed_params(url, spec.form or {})
        # The body uses the same RFC 3986 encoding as the string that was signed.
        body = canonical_query(params) + "&Signature=" + quote(params["Signature"], safe="-_.~")
        headers = {
            "user-agent": USER_AGENT,
            "content-type": "application/x-www-form-urlencoded; charset=utf-8",
        }
        return httpx.Request("POST", url, content=body.encode("utf-8"), headers=headers)

    def error_for(self, response: httpx.Response) -> APIError | None:
        if response.status_code < 400:
            try:
                if not mws.is_error_response(response.content):
                    return None
            except ParseError:
                return None  # not an error document; the page parser reports what is wrong
        try:
            error = mws.parse_error_response(response.content, status_code=response.status_code)
        except ParseError:
            error = make_api_error(
                f"HTTP {response.status_code} {response.reason_phrase}".strip(),
                status_code=response.status_code,
            )
        return _finish_error(error, response.request, response)

    def is_expired_token(self, error: APIError) -> bool:
        return False
