"""The recorded-fixture file: a versioned, human-readable JSON document of HTTP exchanges.

One object per exchange, in the order they happened. Bodies are stored the way a reviewer reads
them: parsed JSON when the body is JSON, key/value pairs for forms, text for XML and reports, and
base64 only for bytes that are not text. The file is written with sorted top-level keys and a
two-space indent so that a re-recording shows up as a readable diff.

Added in 0.1.0.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from amzcancel.errors import AmzCancelError

__all__ = [
    "FIXTURE_VERSION",
    "Body",
    "Exchange",
    "Fixture",
    "FixtureError",
    "RecordedRequest",
    "RecordedResponse",
    "decode_body",
    "encode_body",
    "form_pairs",
    "form_value",
    "load_fixture",
]

FIXTURE_VERSION = 1
"""The fixture format version written by this release; readers refuse newer ones."""

_FORM_TYPE = "application/x-www-form-urlencoded"
_GZIP_MAGIC = b"\x1f\x8b"

Body = dict[str, Any] | None
"""A stored body: ``None`` (empty) or one of ``{"json": ...}``, ``{"form": [[k, v], ...]}``,
``{"text": "...", "charset"?: "..."}``, ``{"base64": "..."}``; ``"gzip": true`` marks a body
that travelled gzip-compressed."""


class FixtureError(AmzCancelError):
    """A fixture file that cannot be read: missing, not JSON, or not in a known format.

    Added in 0.1.0.
    """


@dataclass(frozen=True)
class RecordedRequest:
    """One request as stored in a fixture (secrets and PII already redacted).

    Added in 0.1.0.
    """

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: Body = None


@dataclass(frozen=True)
class RecordedResponse:
    """One response as stored in a fixture, or the transport error that took its place.

    ``error`` names an :mod:`httpx` transport exception (``ReadTimeout``, ``ConnectError``...)
    raised instead of answering; then ``status`` is 0.

    Added in 0.1.0.
    """

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Body = None
    error: str | None = None


@dataclass(frozen=True)
class Exchange:
    """A request and what came back.

    Added in 0.1.0.
    """

    request: RecordedRequest
    response: RecordedResponse


@dataclass
class Fixture:
    """A whole recording: when it was made and its exchanges, in order.

    Attributes:
        exchanges: the recorded exchanges.
        recorded_at: the recording clock's time when recording started (aware UTC); replays
            can start a fake clock there so time-derived query parameters line up.
        note: free text for humans (what was recorded, against what).

    Added in 0.1.0.
    """

    exchanges: list[Exchange] = field(default_factory=list)
    recorded_at: datetime | None = None
    note: str = ""

    def to_json(self) -> str:
        """The fixture as the text written to disk."""
        doc: dict[str, Any] = {
            "amzcancel_fixture": FIXTURE_VERSION,
            "recorded_at": None if self.recorded_at is None else _iso(self.recorded_at),
            "note": self.note,
            "exchanges": [_exchange_to_dict(exchange) for exchange in self.exchanges],
        }
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the fixture to ``path`` (parents created; replaced atomically)."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        partial.write_text(self.to_json(), encoding="utf-8")
        partial.replace(target)
        return target


def load_fixture(path: str | os.PathLike[str]) -> Fixture:
    """Read a fixture file written by :class:`~amzcancel.testing.RecordingTransport`.

    Raises:
        FixtureError: the file is missing, not JSON, or not a fixture this release can read.

    Added in 0.1.0.
    """
    source = Path(path)
    try:
        doc = json.loads(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FixtureError(f"{source}: cannot read fixture: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise FixtureError(f"{source}: fixture is not valid JSON: {exc}") from exc
    return fixture_from_dict(doc, origin=str(source))


def fixture_from_dict(doc: Any, *, origin: str = "fixture") -> Fixture:
    """Build a :class:`Fixture` from its decoded JSON document."""
    if not isinstance(doc, dict) or "amzcancel_fixture" not in doc:
        raise FixtureError(f"{origin}: not an amzcancel fixture (no 'amzcancel_fixture' field)")
    version = doc["amzcancel_fixture"]
    if not isinstance(version, int) or isinstance(version, bool) or version > FIXTURE_VERSION:
        raise FixtureError(
            f"{origin}: fixture version {version!r} is not supported "
            f"(this amzcancel reads up to {FIXTURE_VERSION})"
        )
    raw_exchanges = doc.get("exchanges")
    if not isinstance(raw_exchanges, list):
        raise FixtureError(f"{origin}: 'exchanges' must be a list")
    exchanges = [
        _exchange_from_dict(item, origin=f"{origin}: exchange #{index}")
        for index, item in enumerate(raw_exchanges)
    ]
    recorded_at = doc.get("recorded_at")
    when: datetime | None = None
    if isinstance(recorded_at, str):
        try:
            when = datetime.fromisoformat(recorded_at)
        except ValueError as exc:
            raise FixtureError(f"{origin}: bad recorded_at {recorded_at!r}") from exc
    note = doc.get("note")
    text = note if isinstance(note, str) else ""
    return Fixture(exchanges=exchanges, recorded_at=when, note=text)


def encode_body(content: bytes, content_type: str | None) -> Body:
    """Store ``content`` in the most readable faithful form for its content type."""
    if not content:
        return None
    if content[:2] == _GZIP_MAGIC:
        # Report documents may come gzipped; store them readable (and redactable), re-zip on replay.
        try:
            unzipped = gzip.decompress(content)
        except (OSError, EOFError):
            unzipped = None
        if unzipped is not None:
            inner = encode_body(unzipped, content_type)
            if inner is not None and "base64" not in inner:
                return {**inner, "gzip": True}
    media = (content_type or "").split(";")[0].strip().lower()
    charset = _charset(content_type)
    if media == _FORM_TYPE:
        try:
            pairs = parse_qsl(content.decode("ascii"), keep_blank_values=True, strict_parsing=True)
        except (UnicodeDecodeError, ValueError):
            pairs = None
        if pairs is not None:
            return {"form": form_value(pairs)}
    try:
        text = content.decode(charset or "utf-8")
    except (UnicodeDecodeError, LookupError):
        return {"base64": base64.b64encode(content).decode("ascii")}
    if "json" in media or (not media and text.lstrip()[:1] in ("{", "[")):
        try:
            return {"json": json.loads(text)}
        except ValueError:
            pass
    body: dict[str, Any] = {"text": text}
    if charset and charset.replace("_", "-") not in ("utf-8", "utf8"):
        body["charset"] = charset
    return body


def decode_body(body: Body) -> bytes:
    """The bytes a stored body stands for (the inverse of :func:`encode_body`)."""
    if body is None:
        return b""
    if body.get("gzip"):
        return gzip.compress(decode_body({k: v for k, v in body.items() if k != "gzip"}), mtime=0)
    if "json" in body:
        return json.dumps(body["json"], ensure_ascii=False).encode("utf-8")
    if "form" in body:
        return urlencode(form_pairs(body)).encode("ascii")
    if "text" in body:
        return str(body["text"]).encode(str(body.get("charset") or "utf-8"))
    if "base64" in body:
        return base64.b64decode(str(body["base64"]))
    raise FixtureError(f"unknown body form {sorted(body)!r}")


def form_value(pairs: Sequence[tuple[str, str]]) -> dict[str, str] | list[list[str]]:
    """A form as stored: an object when names are unique (readable), else ``[name, value]``s."""
    names = [name for name, _ in pairs]
    if len(set(names)) == len(names):
        return dict(pairs)
    return [[name, value] for name, value in pairs]


def form_pairs(body: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The ``(name, value)`` pairs of a stored form body, in order."""
    form = body.get("form") or []
    items = form.items() if isinstance(form, Mapping) else form
    return [(str(name), str(value)) for name, value in items]


def _charset(content_type: str | None) -> str | None:
    for part in (content_type or "").split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip('"').lower()
    return None


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _exchange_to_dict(exchange: Exchange) -> dict[str, Any]:
    request = exchange.request
    response = exchange.response
    out_response: dict[str, Any] = {"status": response.status}
    if response.error is not None:
        out_response["error"] = response.error
    out_response["headers"] = dict(sorted(response.headers.items()))
    out_response["body"] = response.body
    return {
        "request": {
            "method": request.method,
            "url": request.url,
            "headers": dict(sorted(request.headers.items())),
            "body": request.body,
        },
        "response": out_response,
    }


def _exchange_from_dict(item: Any, *, origin: str) -> Exchange:
    if not isinstance(item, dict):
        raise FixtureError(f"{origin}: must be an object")
    request = item.get("request")
    response = item.get("response")
    if not isinstance(request, dict) or not isinstance(response, dict):
        raise FixtureError(f"{origin}: needs 'request' and 'response' objects")
    method, url, status = request.get("method"), request.get("url"), response.get("status")
    if not isinstance(method, str) or not isinstance(url, str):
        raise FixtureError(f"{origin}: request needs string 'method' and 'url'")
    if not isinstance(status, int) or isinstance(status, bool):
        raise FixtureError(f"{origin}: response needs an integer 'status'")
    error = response.get("error")
    return Exchange(
        request=RecordedRequest(
            method=method.upper(),
            url=url,
            headers=_headers(request.get("headers"), origin=origin),
            body=_body(request.get("body"), origin=origin),
        ),
        response=RecordedResponse(
            status=status,
            headers=_headers(response.get("headers"), origin=origin),
            body=_body(response.get("body"), origin=origin),
            error=error if isinstance(error, str) else None,
        ),
    )


def _headers(value: Any, *, origin: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise FixtureError(f"{origin}: headers must be an object")
    return {str(key): str(val) for key, val in value.items()}


_BODY_FORMS = ("json", "form", "text", "base64")


def _body(value: Any, *, origin: str) -> Body:
    if value is None:
        return None
    if not isinstance(value, dict) or not any(form in value for form in _BODY_FORMS):
        raise FixtureError(f"{origin}: body must be null or one of {{{', '.join(_BODY_FORMS)}}}")
    if "form" in value and not (isinstance(value["form"], Mapping) or _is_pairs(value["form"])):
        raise FixtureError(f"{origin}: form body must be an object or [name, value] pairs")
    return dict(value)


def _is_pairs(value: Any) -> bool:
    return isinstance(value, Sequence) and all(
        isinstance(pair, Sequence) and not isinstance(pair, str) and len(pair) == 2
        for pair in value
    )
