"""pytest plugin: fixtures for testing ERP code built on amzcancel, offline.

Registered through the ``pytest11`` entry point ``amzcancel``, so installing amzcancel makes
these fixtures available in every test session (or use ``-p amzcancel.testing.plugin``):

``amzcancel_replay``
    A factory: ``amzcancel_replay(path)`` returns an :class:`~amzcancel.transport.SpApiClient`
    answered from a recorded fixture file, with fake credentials and a fake clock started at the
    recording's time. ``.async_client(path)``, ``.mws_client(path)``, ``.order_sync(path)`` and
    ``.transport(path)`` give the other shapes. ``strict=True`` fails the test if recorded
    exchanges were left unused. Everything made is closed at teardown.
``amzcancel_sandbox``
    An in-process simulated marketplace on a fake clock, with ``.client`` (SP-API),
    ``.async_client()``, ``.mws_client()``, ``.order_sync()`` and ``.record(path)``. Tune it with
    ``@pytest.mark.amzcancel_sandbox(seed=..., orders=...)`` (any ``Marketplace`` argument).
``amzcancel_respx``
    respx helpers that stub one SP-API call with a model-shaped body (needs ``respx``).

Importing this module is cheap: amzcancel itself is imported only when a fixture is used.

Added in 0.1.0.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from amzcancel.testing._plugin_kits import ReplayKit, RespxKit, SandboxKit

__all__ = [
    "amzcancel_replay",
    "amzcancel_respx",
    "amzcancel_sandbox",
    "pytest_configure",
    "pytest_runtest_makereport",
]

_CALL_FAILED = pytest.StashKey[bool]()


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``amzcancel_sandbox`` marker."""
    config.addinivalue_line(
        "markers",
        "amzcancel_sandbox(**options): Marketplace arguments for the amzcancel_sandbox fixture",
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Remember whether the test itself failed (a strict replay then reports nothing more)."""
    report = yield
    if call.when == "call":
        item.stash[_CALL_FAILED] = bool(getattr(report, "failed", False))
    return report


@pytest.fixture
def amzcancel_replay(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ReplayKit]:
    """Build clients that answer from recorded fixture files (relative paths: the test's dir)."""
    from amzcancel.testing._plugin_kits import ReplayKit

    kit = ReplayKit(base_dir=Path(os.fspath(request.path)).parent, tmp_path=tmp_path)
    try:
        yield kit
    finally:
        kit.close()
    # A test that failed already says what went wrong; unused exchanges would only add noise.
    if not request.node.stash.get(_CALL_FAILED, False):
        kit.check_strict()


@pytest.fixture
def amzcancel_sandbox(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SandboxKit]:
    """An in-process simulated marketplace on a fake clock, with clients wired to it."""
    from amzcancel.testing._plugin_kits import SandboxKit

    marker = request.node.get_closest_marker("amzcancel_sandbox")
    options: dict[str, Any] = dict(marker.kwargs) if marker is not None else {}
    kit = SandboxKit(tmp_path=tmp_path, base_dir=Path(os.fspath(request.path)).parent, **options)
    try:
        yield kit
    finally:
        kit.close()


@pytest.fixture
def amzcancel_respx() -> Iterator[RespxKit]:
    """respx stubs for single SP-API calls with model-shaped bodies (needs respx).

    Without respx the test fails with how to install it: a test skipped in silence looks like
    one that passed.
    """
    try:
        import respx  # noqa: F401 - only whether it is there
    except ImportError:
        pytest.fail(
            "the amzcancel_respx fixture needs respx: pip install 'amzcancel[testing]'",
            pytrace=False,
        )
    from amzcancel.testing._plugin_kits import RespxKit

    kit = RespxKit()
    with kit.router:
        try:
            yield kit
        finally:
            kit.close()
