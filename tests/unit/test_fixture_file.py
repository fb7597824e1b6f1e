"""The recorded-fixture file format: readable bodies, round trips, clear errors."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from amzcancel.errors import AmzCancelError
from amzcancel.testing import (
    Exchange,
    Fixture,
    FixtureError,
    RecordedRequest,
    RecordedResponse,
    load_fixture,
)
from amzcancel.testing._fixture_file import decode_body, encode_body


@pytest.mark.parametrize(
    ("content", "content_type", "form"),
    [
        pytest.param(b'{"payload": {"Orders": []}}', "application/json", "json", id="json"),
        pytest.param(b"a=1&b=x%2By", "application/x-www-form-urlencoded", "form", id="form"),
        pytest.param(b"<?xml version='1.0'?><A>1</A>", "text/xml", "text", id="xml"),
        pytest.param(b"\xff\xfe\x00binary", "application/octet-stream", "base64", id="binary"),
        pytest.param(
            gzip.compress(b"order-id\tbuyer-email\n1\tx\n"), "text/plain", "text", id="gzip"
        ),
    ],
)
def test_bodies_are_stored_readably_and_round_trip(
    content: bytes, content_type: str, form: str
) -> None:
    """Each body is kept in its most readable form and decodes back to equivalent bytes."""
    body = encode_body(content, content_type)
    assert body is not None
    assert form in body
    restored = decode_body(body)
    if form == "json":
        assert json.loads(restored) == json.loads(content)
    elif content[:2] == b"\x1f\x8b":
        assert gzip.decompress(restored) == gzip.decompress(content)
    else:
        assert restored == content


def test_latin1_report_keeps_its_charset() -> None:
    """A report in windows-1252 replays in the same encoding it was recorded in."""
    content = "order-id\tproduct-name\n1\tCafé\n".encode("cp1252")
    body = encode_body(content, "text/plain; charset=Cp1252")
    assert body == {"text": "order-id\tproduct-name\n1\tCafé\n", "charset": "cp1252"}
    assert decode_body(body) == content


def test_fixture_round_trips_through_disk(tmp_path: Path) -> None:
    """What is saved is what is loaded, with version and recording time."""
    fixture = Fixture(
        exchanges=[
            Exchange(
                RecordedRequest("GET", "https://h/orders/v0/orders?MarketplaceIds=X"),
                RecordedResponse(200, {"content-type": "application/json"}, {"json": {"a": 1}}),
            ),
            Exchange(
                RecordedRequest("GET", "https://h/x"), RecordedResponse(0, error="ReadTimeout")
            ),
        ],
        recorded_at=datetime(2026, 11, 26, 12, tzinfo=UTC),
        note="test",
    )
    path = fixture.save(tmp_path / "sub" / "f.json")
    text = path.read_text(encoding="utf-8")
    assert json.loads(text)["amzcancel_fixture"] == 1
    assert '"recorded_at": "2026-11-26T12:00:00Z"' in text
    assert load_fixture(path) == fixture


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("not json", "not valid JSON", id="not-json"),
        pytest.param('{"exchanges": []}', "not an amzcancel fixture", id="no-version"),
        pytest.param('{"amzcancel_fixture": 99, "exchanges": []}', "version 99", id="newer"),
        pytest.param(
            '{"amzcancel_fixture": 1, "exchanges": [{"request": {}}]}',
            "exchange #0",
            id="bad-exchange",
        ),
    ],
)
def test_bad_fixture_files_raise_our_error(tmp_path: Path, text: str, expected: str) -> None:
    """A broken fixture raises FixtureError (an AmzCancelError) saying what is wrong."""
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FixtureError, match=expected) as info:
        load_fixture(path)
    assert isinstance(info.value, AmzCancelError)


def test_missing_fixture_file_names_the_path(tmp_path: Path) -> None:
    """A missing fixture file is reported with its path, not as a raw OSError."""
    with pytest.raises(FixtureError, match=r"missing\.json"):
        load_fixture(tmp_path / "missing.json")
