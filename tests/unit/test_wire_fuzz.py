"""Property tests: random and mutated input to every parser raises only AmzCancelError."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from amzcancel.errors import AmzCancelError
from amzcancel.wire import detect, notifications, reports, spapi_2026

FIXTURES = Path(__file__).parent.parent / "fixtures"


def _consume(result: Any) -> None:
    if isinstance(result, Iterable) and not isinstance(result, str | bytes):
        for _ in result:
            pass


def _with_format(fmt: str) -> Callable[[bytes], Any]:
    def parse(data: bytes) -> Any:
        return detect.parse_document(data, format=fmt)

    return parse


def _parsers() -> dict[str, Callable[[bytes], Any]]:
    parsers: dict[str, Callable[[bytes], Any]] = {
        "spapi_2026.parse_search_orders": spapi_2026.parse_search_orders,
        "spapi_2026.parse_get_order": spapi_2026.parse_get_order,
        "notifications.parse_order_change": notifications.parse_order_change,
        "notifications.iter_order_changes": notifications.iter_order_changes,
        "reports.iter_report_orders": lambda data: reports.iter_report_orders([data]),
        "reports.iter_report_orders[cp932]": lambda data: reports.iter_report_orders(
            [data], encoding="Windows-31J"
        ),
        "detect.detect_format": detect.detect_format,
        "detect.parse_document": detect.parse_document,
    }
    # The MWS and v0 parsers are another module's; fuzz them whenever they are present.
    try:
        from amzcancel.wire import mws, spapi_v0
    except ImportError:  # pragma: no cover - only while those modules are being written
        return parsers
    parsers.update(
        {
            "mws.parse_list_orders": mws.parse_list_orders,
            "mws.parse_list_order_items": mws.parse_list_order_items,
            "spapi_v0.parse_get_orders": spapi_v0.parse_get_orders,
            "spapi_v0.parse_get_order": spapi_v0.parse_get_order,
            "spapi_v0.parse_get_order_items": spapi_v0.parse_get_order_items,
        }
    )
    for fmt in ("mws", "spapi-v0", "spapi-2026", "notification", "report"):
        parsers[f"detect.parse_document[{fmt}]"] = _with_format(fmt)
    return parsers


PARSERS = _parsers()
SEEDS = sorted(
    path
    for folder in ("spapi_2026", "notification", "report", "mws", "spapi_v0")
    for path in (FIXTURES / folder).glob("*.*")
)
JSON_SEEDS = [path for path in SEEDS if path.suffix == ".json"]


def _feed_everything(data: bytes) -> None:
    for name, parse in PARSERS.items():
        try:
            _consume(parse(data))
        except AmzCancelError:
            pass
        except Exception as exc:  # the property: nothing else may escape
            raise AssertionError(f"{name} raised {type(exc).__name__}: {exc!r}") from exc


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | st.sampled_from(["true", "FALSE", "", "BUYER", "2013-09-071T02:00:00", "1e999", "NaN"]),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


def _replace(node: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(node, dict):
        return {**node, head: _replace(node[head], rest, value)}
    copy = list(node)
    copy[head] = _replace(node[head], rest, value)
    return copy


@given(st.binary(max_size=512))
def test_random_bytes_raise_only_our_errors(data: bytes) -> None:
    """Arbitrary bytes never escape the AmzCancelError hierarchy, in any parser."""
    _feed_everything(data)


@given(
    seed=st.sampled_from(SEEDS),
    cuts=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=4000), st.integers(0, 16), st.binary(max_size=8)
        ),
        min_size=1,
        max_size=4,
    ),
)
def test_mutated_fixtures_raise_only_our_errors(seed: Path, cuts: list[Any]) -> None:
    """Fixtures with bytes deleted, inserted or truncated raise only AmzCancelError."""
    data = bytearray(seed.read_bytes())
    for position, length, insert in cuts:
        at = position % (len(data) + 1)
        data[at : at + length] = insert
    _feed_everything(bytes(data))


@given(seed=st.sampled_from(JSON_SEEDS), data=st.data())
def test_json_fixtures_with_a_node_replaced_raise_only_our_errors(
    seed: Path, data: st.DataObject
) -> None:
    """Any node of a JSON fixture replaced by any JSON value raises only AmzCancelError."""
    doc = json.loads(seed.read_bytes())
    path = data.draw(st.sampled_from(_paths(doc)))
    mutated = _replace(doc, path, data.draw(json_values))
    _feed_everything(json.dumps(mutated).encode())


@pytest.mark.parametrize("seed", [pytest.param(p, id=p.name) for p in SEEDS])
def test_every_fixture_raises_only_our_errors(seed: Path) -> None:
    """Every fixture, fed to every parser (right or wrong), raises only AmzCancelError."""
    _feed_everything(seed.read_bytes())
