"""Shared test setup: a clean environment for every test, and the hostile server fixture."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from hostile import Handler, HostileServer

settings.register_profile(
    "ci", deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=150
)
settings.load_profile("ci")

FIXTURES = Path(__file__).parent / "fixtures"

# The bucket-math schedule simulation lives with the benchmarks (it is not part of the package);
# the scheduler's tests hold the real scheduler against it.
BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
if str(BENCHMARKS) not in sys.path:
    sys.path.insert(0, str(BENCHMARKS))

_SCRUBBED_PREFIXES = ("LWA_", "SP_API_", "MWS_", "AMZCANCEL_")


@pytest.fixture(autouse=True)
def _clean_environ() -> Iterator[None]:
    """Hide credentials from the developer's shell so no test depends on them."""
    saved = dict(os.environ)
    for key in list(os.environ):
        if key.startswith(_SCRUBBED_PREFIXES):
            del os.environ[key]
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(autouse=True)
def _scratch_directory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Run every test in a scratch directory: a command's default store (./amzcancel.db, as
    ``cancel`` and ``sync`` write it) must never land in the checkout."""
    saved = os.getcwd()
    os.chdir(tmp_path_factory.mktemp("cwd"))
    try:
        yield
    finally:
        os.chdir(saved)


@pytest.fixture
def fixtures_dir() -> Path:
    """The folder of recorded and hand-written wire fixtures."""
    return FIXTURES


@pytest.fixture
def hostile_server() -> Iterator[Callable[[Handler], HostileServer]]:
    """Start :class:`hostile.HostileServer` s for a test: ``server = hostile_server(handler)``.

    Every server started is closed when the test ends (its trickles and streams stop at once).
    """
    started: list[HostileServer] = []

    def start(handler: Handler) -> HostileServer:
        server = HostileServer(handler).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()
