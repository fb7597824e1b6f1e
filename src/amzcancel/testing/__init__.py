"""Testing kit: record a real session once, replay it offline in your integration tests.

- :class:`RecordingTransport` wraps the httpx transport of an amzcancel client and writes each
  exchange, with secrets and buyer PII redacted, to a readable JSON fixture file;
  :func:`record_sync` records one whole sync run (``amzcancel record`` on the command line).
- :class:`ReplayTransport` serves such a file back; an unexpected request raises
  :class:`ReplayMismatch` naming what was asked and what the fixture has.
  :func:`replay_client` and friends build clients around it with fake credentials and a fake
  clock.
- :mod:`amzcancel.testing.shapes` builds model-shaped bodies for one-off stubs.
- :mod:`amzcancel.testing.plugin` is a pytest plugin with ready-made fixtures
  (``amzcancel_replay``, ``amzcancel_sandbox``, ``amzcancel_respx``).

See ``docs/testing.md`` ("Testing your integration offline").

Added in 0.1.0.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from amzcancel.testing._clients import (
        REPLAY_ENDPOINT,
        REPLAY_LWA_CREDENTIALS,
        REPLAY_MWS_CREDENTIALS,
        replay_async_client,
        replay_client,
        replay_clock,
        replay_mws_client,
        replay_order_sync,
    )
    from amzcancel.testing._fixture_file import (
        FIXTURE_VERSION,
        Exchange,
        Fixture,
        FixtureError,
        RecordedRequest,
        RecordedResponse,
        load_fixture,
    )
    from amzcancel.testing._plugin_kits import ReplayKit, RespxKit, SandboxKit
    from amzcancel.testing._record_sync import RecordResult, record_sync
    from amzcancel.testing._recorder import RecordingTransport
    from amzcancel.testing._redact import Redactor, placeholder
    from amzcancel.testing._replay import (
        TIME_PARAMS,
        ReplayMismatch,
        ReplayTransport,
        UnusedExchanges,
    )

# Imported on first use, so that loading the pytest plugin (a submodule) stays cheap.
_EXPORTS: dict[str, str] = {
    "ReplayKit": "amzcancel.testing._plugin_kits",
    "RespxKit": "amzcancel.testing._plugin_kits",
    "SandboxKit": "amzcancel.testing._plugin_kits",
    "Exchange": "amzcancel.testing._fixture_file",
    "FIXTURE_VERSION": "amzcancel.testing._fixture_file",
    "Fixture": "amzcancel.testing._fixture_file",
    "FixtureError": "amzcancel.testing._fixture_file",
    "REPLAY_ENDPOINT": "amzcancel.testing._clients",
    "REPLAY_LWA_CREDENTIALS": "amzcancel.testing._clients",
    "REPLAY_MWS_CREDENTIALS": "amzcancel.testing._clients",
    "RecordResult": "amzcancel.testing._record_sync",
    "RecordedRequest": "amzcancel.testing._fixture_file",
    "RecordedResponse": "amzcancel.testing._fixture_file",
    "RecordingTransport": "amzcancel.testing._recorder",
    "Redactor": "amzcancel.testing._redact",
    "ReplayMismatch": "amzcancel.testing._replay",
    "ReplayTransport": "amzcancel.testing._replay",
    "TIME_PARAMS": "amzcancel.testing._replay",
    "UnusedExchanges": "amzcancel.testing._replay",
    "load_fixture": "amzcancel.testing._fixture_file",
    "placeholder": "amzcancel.testing._redact",
    "record_sync": "amzcancel.testing._record_sync",
    "replay_async_client": "amzcancel.testing._clients",
    "replay_client": "amzcancel.testing._clients",
    "replay_clock": "amzcancel.testing._clients",
    "replay_mws_client": "amzcancel.testing._clients",
    "replay_order_sync": "amzcancel.testing._clients",
}


__all__ = [
    "FIXTURE_VERSION",
    "REPLAY_ENDPOINT",
    "REPLAY_LWA_CREDENTIALS",
    "REPLAY_MWS_CREDENTIALS",
    "TIME_PARAMS",
    "Exchange",
    "Fixture",
    "FixtureError",
    "RecordResult",
    "RecordedRequest",
    "RecordedResponse",
    "RecordingTransport",
    "Redactor",
    "ReplayKit",
    "ReplayMismatch",
    "ReplayTransport",
    "RespxKit",
    "SandboxKit",
    "UnusedExchanges",
    "load_fixture",
    "placeholder",
    "record_sync",
    "replay_async_client",
    "replay_client",
    "replay_clock",
    "replay_mws_client",
    "replay_order_sync",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
